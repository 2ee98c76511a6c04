package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/credentials"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/neutralize"
)

// neutralizePhase does in SQL what Odoo's own neutralize does, before any
// Odoo process touches the copy, and checks the result: a copy of
// production must never send an email, call a webhook or charge a card.
type neutralizePhase struct{}

func (neutralizePhase) Name() string { return "neutralize" }

func (neutralizePhase) Run(ctx context.Context, r *Run) error {
	conn, err := r.pg.Connect(ctx, r.Spec.Database)
	if err != nil {
		return exit.Infra("%v", err)
	}
	defer conn.Close(ctx)
	var opts []neutralize.Option
	if major := manifestMajor(r); major > 0 {
		opts = append(opts, neutralize.WithVersion(major))
	}
	res, err := neutralize.Run(ctx, conn, opts...)
	if err != nil {
		var se *neutralize.StatementError
		if errors.As(err, &se) {
			return exit.Reject("the copy could not be neutralized: module %s, %s: %v (statement: %s)", se.Module, se.Statement, se.Err, oneLine(se.SQL))
		}
		return exit.Infra("neutralize: %v", err)
	}
	r.display.Status("neutralize", fmt.Sprintf("%d statements for %s", len(res.Applied), strings.Join(res.Modules, ", ")))
	check, err := neutralize.Verify(ctx, conn)
	if err != nil {
		return exit.Infra("verify neutralization: %v", err)
	}
	if !check.OK() {
		return exit.Reject("the copy is not neutralized: %v", check.Err())
	}
	return nil
}

func manifestMajor(r *Run) int {
	if r.backup.Manifest == nil {
		return 0
	}
	v := r.backup.Manifest.MajorVersion
	v = strings.TrimPrefix(v, "saas~")
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// credentialsPhase gives the copy's admin a password of the runner's own,
// so no production password is ever needed, and takes the "before"
// snapshot of modules and record counts.
type credentialsPhase struct{}

func (credentialsPhase) Name() string { return "credentials" }

func (credentialsPhase) Run(ctx context.Context, r *Run) error {
	conn, err := r.pg.Connect(ctx, r.Spec.Database)
	if err != nil {
		return exit.Infra("%v", err)
	}
	defer conn.Close(ctx)
	admin, err := credentials.Reset(ctx, conn)
	if err != nil {
		if errors.Is(err, credentials.ErrNoAdmin) {
			return exit.Input("backup %s: %v; is it an Odoo database?", r.Spec.Backup, err)
		}
		return exit.Infra("set the rehearsal admin password: %v", err)
	}
	if r.Spec.AdminLogin != "" && r.Spec.AdminLogin != admin.Login {
		return exit.Input("admin_login %q: the copy's admin user (base.user_admin) has login %q; fix admin_login or leave it out", r.Spec.AdminLogin, admin.Login)
	}
	r.admin = admin
	r.before, err = takeSnapshot(ctx, conn)
	if err != nil {
		return exit.Infra("snapshot before the upgrade: %v", err)
	}
	return nil
}
