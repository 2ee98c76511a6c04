package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// decide turns what the walk found into the verdict, writes the run
// directory, and signs an approval when, and only when, everything passed.
// It is the "verdict" phase of the report.
func (r *Run) decide(ctx context.Context, walkErr error) error {
	start := time.Now()
	r.display.Start("verdict")
	rep := r.Report
	rep.FinishedAt = r.Opts.Now().UTC()
	rep.Reasons = []string{}

	code := exit.Code(walkErr)
	if walkErr != nil && ctx.Err() != nil {
		code = exit.Interrupted
	}
	for _, c := range rep.Checks {
		if c.Status != report.CheckPass && code == exit.Approved {
			code = exit.Rejected
		}
	}
	switch code {
	case exit.Approved:
		rep.Verdict = report.Approved
	case exit.Rejected:
		rep.Verdict = report.Rejected
	default:
		rep.Verdict = report.Error
	}
	if walkErr != nil {
		rep.Reasons = append(rep.Reasons, walkErr.Error())
	}
	for _, c := range rep.Checks {
		if c.Status != report.CheckPass && len(rep.Reasons) < 20 {
			name := c.Name
			if c.Scenario != "" && c.Scenario != c.Name {
				name = c.Scenario + " / " + c.Name
			}
			rep.Reasons = append(rep.Reasons, fmt.Sprintf("check %s: %s", name, checkReason(c)))
		}
	}
	if rep.Upgrade.Duration > 0 {
		rep.MaintenanceWindow = report.EstimateWindow(time.Duration(rep.Upgrade.Duration))
	}

	var approvalErr error
	if rep.Verdict == report.Approved {
		approvalErr = r.approve(ctx)
	}
	phase := report.Phase{Name: "verdict", Status: report.PhasePassed, Start: start, End: time.Now()}
	phase.Duration = report.Duration(phase.End.Sub(start))
	if approvalErr != nil {
		phase.Status, phase.Reason = report.PhaseFailed, approvalErr.Error()
		// Every check passed but no approval exists: for the report (and
		// report.Load, which refuses an approval beside a failed phase)
		// that is a run that could not finish, like the exit code says.
		rep.Verdict = report.Error
		rep.Reasons = append(rep.Reasons, "no approval could be signed: "+approvalErr.Error())
	}
	rep.Phases = append(rep.Phases, phase)
	writeErr := report.WriteRunDir(r.RunDir, rep)
	r.display.End("verdict", string(rep.Verdict), firstReason(rep))

	switch {
	case writeErr != nil:
		return exit.Infra("write the report to %s: %v", r.RunDir, writeErr)
	case approvalErr != nil:
		return approvalErr
	case code == exit.Approved:
		return nil
	case walkErr != nil && code == exit.Interrupted:
		// WithCode keeps the code of an exit.Error, and a phase cut by
		// Ctrl-C usually fails with one (exit 2, "context canceled"):
		// the interruption decides the code, as README promises (130).
		return &exit.Error{Code: exit.Interrupted, Err: walkErr}
	case code == exit.Interrupted:
		// Whatever the failing call made of the cancellation (a Docker
		// error, a wrapped message), an interrupted run exits 130.
		return &exit.Error{Code: exit.Interrupted, Err: walkErr}
	case walkErr != nil:
		return exit.WithCode(code, walkErr)
	default:
		return exit.Reject("%d checks did not pass", len(rep.Reasons))
	}
}

// approve signs the approval with the team's key and stores it. With no
// key the verdict stands but no approval exists, and a production gate
// (rehearse verify) will refuse: say so plainly.
func (r *Run) approve(ctx context.Context) error {
	keyDir := approval.DefaultKeyDir()
	if r.Spec.Approval.KeyDir != "" {
		keyDir = r.Spec.Resolve(r.Spec.Approval.KeyDir)
	}
	keyFile := filepath.Join(keyDir, approval.PrivateKeyFile)
	if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) && os.Getenv(approval.SigningKeyEnv) == "" {
		r.display.Note("approved, but no approval was signed: no signing key at %s (create one with `rehearse keys init`, or set $%s)", keyFile, approval.SigningKeyEnv)
		return nil
	}
	key, err := approval.LoadSigningKey(keyDir)
	if err != nil {
		return exit.Input("approval key: %v", err)
	}
	storeSpec := r.Spec.Approval.Store
	if storeSpec == "" {
		storeSpec = approval.DefaultStore()
	}
	if !isURL(storeSpec) {
		storeSpec = r.Spec.Resolve(storeSpec)
	}
	store, err := approval.OpenStore(ctx, storeSpec)
	if err != nil {
		return exit.Infra("approval store %s: %v", redactURL(storeSpec), err)
	}
	defer store.Close()
	if _, err := approval.Grant(ctx, r.Report, key, r.RunDir, store, r.Opts.Now()); err != nil {
		return exit.Infra("sign the approval: %v", err)
	}
	r.Report.Artifacts["approval"] = "approval.json"
	r.display.Note("approval signed and stored in %s", redactURL(storeSpec))
	return nil
}

// checkReason says why a check failed in one line: its message and what
// it expected and got, cut short (the report has the whole of it).
func checkReason(c report.Check) string {
	msg := c.Message
	if c.Expected != "" || c.Got != "" {
		detail := fmt.Sprintf("expected %s; got %s", c.Expected, c.Got)
		if msg == "" {
			msg = detail
		} else {
			msg += " (" + detail + ")"
		}
	}
	if r := []rune(msg); len(r) > 400 {
		msg = string(r[:400]) + "…"
	}
	return msg
}

func firstReason(rep *report.Report) string {
	if len(rep.Reasons) == 0 {
		return ""
	}
	return rep.Reasons[0]
}

func inputError(err error) error { return exit.WithCode(exit.CannotRun, err) }
