package rehearsal

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/progress"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
)

// restorePhase loads the backup into a golden database (a template) and
// the filestore into the Odoo data volume. The rehearsal itself works on a
// clone, so the golden copy stays as the backup said.
type restorePhase struct{}

func (restorePhase) Name() string                  { return "restore" }
func (restorePhase) Timeout(s *Spec) time.Duration { return time.Duration(s.Timeouts.Restore) }

func (restorePhase) Run(ctx context.Context, r *Run) error {
	if r.cached {
		r.golden = r.cache.Golden
		return Skip{Reason: "the golden copy of this backup came from the restore cache"}
	}
	r.golden = "golden_" + r.backup.SHA256[:16]
	if r.cache != nil {
		r.golden = r.cache.Golden
	}
	opts := []restore.Option{restore.WithLogger(slog.New(statusHandler{r.display, "restore"}))}
	if r.Spec.Restore.Jobs > 0 {
		opts = append(opts, restore.WithJobs(r.Spec.Restore.Jobs))
	}
	if len(r.Spec.Restore.Allow) > 0 {
		pats := make([]*regexp.Regexp, len(r.Spec.Restore.Allow))
		for i, p := range r.Spec.Restore.Allow {
			pats[i] = regexp.MustCompile(p) // validated with the spec
		}
		opts = append(opts, restore.WithAllow(pats...))
	}
	res, err := restore.Restore(ctx, r.pg, r.backup, r.golden, opts...)
	if err != nil {
		return err
	}
	for _, a := range res.Allowed {
		r.display.Note("restore: allowed SQL error: %v", a)
	}
	r.display.Status("restore", fmt.Sprintf("%d tables loaded (%s), row counts verified: %v", len(res.Rows), res.Method, res.Verified))
	if err := restore.MakeGolden(ctx, r.pg, r.golden); err != nil {
		return err
	}
	if r.cache != nil {
		return r.cache.Seal(ctx, r.pg)
	}
	return nil
}

// clonePhase makes the rehearsal's database from the golden copy, and
// puts the backup's filestore where Odoo looks for the copy's files.
type clonePhase struct{}

func (clonePhase) Name() string { return "clone" }

func (clonePhase) Run(ctx context.Context, r *Run) error {
	if err := restore.Clone(ctx, r.pg, r.golden, r.Spec.Database); err != nil {
		return err
	}
	if r.backup.Filestore.Files > 0 {
		r.display.Status("clone", fmt.Sprintf("filestore: %d files", r.backup.Filestore.Files))
		return restore.Filestore(ctx, r.rt, r.backup, r.volume, r.Spec.Database)
	}
	return nil
}

// statusHandler turns a package's slog progress messages into the
// display's status line of a phase.
type statusHandler struct {
	d     progress.Display
	phase string
}

func (h statusHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h statusHandler) Handle(_ context.Context, rec slog.Record) error {
	msg := rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		msg += " " + a.Key + "=" + a.Value.String()
		return true
	})
	h.d.Status(h.phase, msg)
	return nil
}
func (h statusHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h statusHandler) WithGroup(string) slog.Handler      { return h }
