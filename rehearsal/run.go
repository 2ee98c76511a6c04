package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/credentials"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/progress"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
	"github.com/odoo-rehearse/rehearse/rehearsal/upgradelog"
	"github.com/odoo-rehearse/rehearse/rehearsal/version"
	"github.com/odoo-rehearse/rehearse/rehearsal/workdir"
	"github.com/odoo-rehearse/rehearse/scenarios"
)

// Options are the run's settings that are not part of the rehearsal spec.
type Options struct {
	// Keep leaves the environment up when the rehearsal fails, and says
	// how to reach it.
	Keep bool
	// Display shows progress; default plain lines on Out.
	Display progress.Display
	// Out receives the closing summary (verdict, report path).
	Out io.Writer
	// RunID names the run; default a new one.
	RunID string
	// RelayImage overrides the relay image (tests).
	RelayImage string
	// Now is the clock (tests).
	Now func() time.Time
}

// Run is one rehearsal in progress: the spec, the resources it holds, and
// the report it builds. Phases read and fill it.
type Run struct {
	Spec    *Spec
	Opts    Options
	Report  *report.Report
	RunDir  string
	display progress.Display

	rt       *container.Runtime
	pg       *container.Postgres
	work     *workdir.Dir
	backup   *backup.Backup
	golden   string
	cache    *restore.CacheEntry
	cached   bool   // the golden copy came from the cache
	volume   string // mounted at /var/lib/odoo in every Odoo container
	admin    credentials.Admin
	scenario *scenarios.Set
	baseline *scenarios.Baseline
	before   snapshot
	upgrade  *upgradelog.Verdict
	serving  *container.Container
	odooURL  string

	sourceSeries, targetSeries string
}

// Rehearse runs a whole rehearsal and returns its report. The error says
// why the rehearsal did not approve, and carries the exit code (0, 1, 2 or
// 130); the report is written to the run directory in every case where
// the run directory could be made.
func Rehearse(ctx context.Context, spec *Spec, opts Options) (*report.Report, error) {
	spec.withDefaults()
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Display == nil {
		opts.Display = progress.NewPlain(opts.Out)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RunID == "" {
		opts.RunID = container.NewRunID()
	}
	r := &Run{
		Spec: spec, Opts: opts, display: opts.Display,
		Report: &report.Report{
			Schema:      report.Schema,
			RunID:       opts.RunID,
			ToolVersion: version.Version,
			StartedAt:   opts.Now().UTC(),
			Artifacts:   map[string]string{},
			Upgrade:     report.Upgrade{Command: spec.UpgradeCommand()},
		},
	}
	r.RunDir = filepath.Join(spec.Resolve(spec.Output), opts.RunID)
	if err := os.MkdirAll(r.RunDir, 0o755); err != nil {
		return nil, exit.Input("output folder %s: %v", r.RunDir, err)
	}

	walkErr := r.walk(ctx, phases())
	verdictErr := r.decide(ctx, walkErr)
	r.teardown(ctx, verdictErr)
	return r.Report, verdictErr
}

// teardown always runs, with a context that survives Ctrl-C: a copy of
// production must not be left running because the user was impatient.
func (r *Run) teardown(ctx context.Context, verdictErr error) {
	r.display.Start("teardown")
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var errs []error
	keep := r.Opts.Keep && verdictErr != nil && exit.Code(verdictErr) != exit.Interrupted
	if keep && r.rt != nil {
		r.describeKept(tctx)
	} else if r.rt != nil {
		errs = append(errs, r.rt.Teardown(tctx))
	}
	if r.work != nil {
		errs = append(errs, r.work.Remove())
	}
	if r.cache != nil {
		errs = append(errs, r.cache.Close())
	}
	if r.rt != nil {
		r.rt.Close()
	}
	if err := errors.Join(errs...); err != nil {
		r.display.End("teardown", string(report.PhaseFailed), err.Error())
		r.display.Note("teardown left something behind; `rehearse gc --run %s` removes it", r.Report.RunID)
		return
	}
	reason := ""
	if keep {
		reason = "kept (--keep)"
	}
	r.display.End("teardown", string(report.PhasePassed), reason)
}

// describeKept tells how to reach a kept environment. The credentials go
// to a 0600 file in the run directory, not to the terminal or CI log.
func (r *Run) describeKept(ctx context.Context) {
	var b []byte
	add := func(format string, args ...any) { b = fmt.Appendf(b, format+"\n", args...) }
	add("# rehearse run %s, kept with --keep. Remove it with: rehearse gc --run %s", r.Report.RunID, r.Report.RunID)
	if r.pg != nil {
		add("postgres_url=%s", r.pg.ConnString(r.Spec.Database))
	}
	if r.serving != nil && r.odooURL != "" {
		add("odoo_url=%s", r.odooURL)
		add("odoo_database=%s", r.Spec.Database)
		add("odoo_login=%s", r.admin.Login)
		add("odoo_password=%s", r.admin.Password.Reveal())
	}
	path := filepath.Join(r.RunDir, "keep.env")
	if err := report.WriteFileAtomic(path, b, 0o600); err != nil {
		r.display.Note("--keep: could not write %s: %v", path, err)
		return
	}
	if r.serving != nil && r.odooURL != "" {
		r.display.Note("kept: Odoo at %s (database %s, login %s); PostgreSQL at %s", r.odooURL, r.Spec.Database, r.admin.Login, r.pg.Endpoint())
	} else if r.pg != nil {
		r.display.Note("kept: PostgreSQL at %s (database %s)", r.pg.Endpoint(), r.Spec.Database)
	}
	r.display.Note("kept: passwords and URLs are in %s (mode 0600); `rehearse gc --run %s` removes everything", path, r.Report.RunID)
}
