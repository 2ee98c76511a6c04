// Package rehearsal is the domain of rehearse: the rehearsal spec, the
// ordered phases of a rehearsal (inspect → network → postgres → restore →
// clone → neutralize → credentials → baseline → upgrade → serve →
// scenarios → verdict, then teardown always), the runner that walks them,
// and the verdict. Sub-packages hold the parts with their own vocabulary.
package rehearsal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// Phase is one step of a rehearsal, a plain value in the ordered list the
// runner walks (like goreleaser's pipes): adding a phase is adding a file.
type Phase interface {
	Name() string
	Run(ctx context.Context, r *Run) error
}

// timeouter is implemented by phases with a time bound from the spec.
type timeouter interface {
	Timeout(s *Spec) time.Duration
}

// Skip says a phase had nothing to do; the walk goes on.
type Skip struct{ Reason string }

func (s Skip) Error() string { return "skipped: " + s.Reason }

// phases is the order of a rehearsal. Teardown is not a phase of the list:
// it runs after the walk whatever happened (Run.teardown).
func phases() []Phase {
	return []Phase{
		inspectPhase{},
		networkPhase{},
		postgresPhase{},
		restorePhase{},
		clonePhase{},
		neutralizePhase{},
		credentialsPhase{},
		baselinePhase{},
		upgradePhase{},
		servePhase{},
		scenariosPhase{},
	}
}

// walk runs the phases in order and stops at the first failure. Every
// phase ends in the report with its status, times and reason.
func (r *Run) walk(ctx context.Context, list []Phase) error {
	names := make([]string, 0, len(list)+2)
	for _, p := range list {
		names = append(names, p.Name())
	}
	r.display.Plan(append(names, "verdict", "teardown"))
	for i, p := range list {
		if err := ctx.Err(); err != nil {
			r.skipRest(list[i:], "interrupted")
			return err
		}
		err := r.runPhase(ctx, p)
		if err != nil {
			r.skipRest(list[i+1:], "an earlier phase failed")
			return fmt.Errorf("%s: %w", p.Name(), err)
		}
	}
	return nil
}

func (r *Run) runPhase(ctx context.Context, p Phase) error {
	pctx := ctx
	var timeout time.Duration
	if t, ok := p.(timeouter); ok {
		timeout = t.Timeout(r.Spec)
		var cancel context.CancelFunc
		pctx, cancel = context.WithTimeoutCause(ctx, timeout, errPhaseTimeout)
		defer cancel()
	}
	start := time.Now()
	r.display.Start(p.Name())
	err := p.Run(pctx, r)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(pctx), errPhaseTimeout) {
		err = exit.Reject("did not finish within %s (%v)", timeout, err)
	}
	ph := report.Phase{Name: p.Name(), Start: start, End: time.Now()}
	ph.Duration = report.Duration(ph.End.Sub(start))
	var skip Skip
	switch {
	case err == nil:
		ph.Status = report.PhasePassed
	case errors.As(err, &skip):
		ph.Status, ph.Reason = report.PhaseSkipped, skip.Reason
		err = nil
	default:
		ph.Status, ph.Reason = report.PhaseFailed, err.Error()
	}
	r.Report.Phases = append(r.Report.Phases, ph)
	r.display.End(p.Name(), string(ph.Status), ph.Reason)
	return err
}

var errPhaseTimeout = errors.New("phase timeout")

func (r *Run) skipRest(rest []Phase, why string) {
	for _, p := range rest {
		now := time.Now()
		r.Report.Phases = append(r.Report.Phases, report.Phase{Name: p.Name(), Status: report.PhaseSkipped, Start: now, End: now, Reason: why})
	}
}
