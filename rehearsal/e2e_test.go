package rehearsal_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/fixtures/backupgen/backupgentest"
	"github.com/odoo-rehearse/rehearse/rehearsal"
	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/progress"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

const standin = "rehearse/odoo-standin:"

// The end-to-end matrix: real PostgreSQL, the real restore of a generated
// Odoo 16.0 backup, the stand-in's 16.0 and 17.0 images (and its fault
// images), the whole pipeline, the report on disk.
func TestRehearsalMatrix(t *testing.T) {
	requireImages(t, standin+"16.0", standin+"17.0")
	clean := backupgentest.Small(t)
	breaker := backupgentest.NeutralizeBreaker(t)
	examples, err := filepath.Abs("../scenarios/examples")
	require.NoError(t, err)

	for _, tc := range []struct {
		name    string
		backup  string
		target  string
		tweak   func(*rehearsal.Spec)
		verdict report.Verdict
		code    int
		reasons []string // each must appear in the report's reasons
	}{
		{name: "clean upgrade is approved", backup: clean.Zip, target: "17.0", verdict: report.Approved, code: exit.Approved},
		{name: "migration crash", backup: clean.Zip, target: "17.0-migration-crash", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"upgrade failed: module"}},
		{name: "silent data loss", backup: clean.Zip, target: "17.0-data-loss", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"res.partner"}},
		{name: "broken view", backup: clean.Zip, target: "17.0-broken-view", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"views"}},
		{name: "module left to upgrade", backup: clean.Zip, target: "17.0-stuck-module", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"to upgrade"}},
		{name: "never healthy", backup: clean.Zip, target: "17.0-never-healthy", verdict: report.Rejected, code: exit.Rejected,
			tweak:   func(s *rehearsal.Spec) { s.Timeouts.Serve = rehearsal.Duration(40 * time.Second) },
			reasons: []string{"serve: ", "never became ready"}},
		{name: "migration hangs", backup: clean.Zip, target: "17.0-migration-hang", verdict: report.Rejected, code: exit.Rejected,
			tweak:   func(s *rehearsal.Spec) { s.Timeouts.Upgrade = rehearsal.Duration(45 * time.Second) },
			reasons: []string{"upgrade: did not finish within 45s"}},
		{name: "harmless error noise is rejected by default", backup: clean.Zip, target: "17.0-error-noise", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"upgrade failed"}},
		{name: "harmless error noise is approved with an allow pattern", backup: clean.Zip, target: "17.0-error-noise", verdict: report.Approved, code: exit.Approved,
			tweak: func(s *rehearsal.Spec) { s.Log.Allow = []string{`.*`} }},
		{name: "neutralization failure stops the rehearsal", backup: breaker.Zip, target: "17.0", verdict: report.Rejected, code: exit.Rejected,
			reasons: []string{"neutralize: the copy could not be neutralized: module base"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			keys := t.TempDir()
			_, err := approval.GenerateKeyPair(keys)
			require.NoError(t, err)
			spec := &rehearsal.Spec{
				Backup:      tc.backup,
				SourceImage: standin + "16.0",
				TargetImage: standin + tc.target,
				Scenarios:   []string{examples},
				Output:      out,
				Approval:    rehearsal.ApprovalSpec{KeyDir: keys, Store: filepath.Join(out, "approvals")},
			}
			if tc.tweak != nil {
				tc.tweak(spec)
			}
			require.NoError(t, spec.Validate())
			var log strings.Builder
			rep, err := rehearsal.Rehearse(t.Context(), spec, rehearsal.Options{Display: progress.NewPlain(&log)})
			t.Logf("%s: verdict %s, reasons %q", tc.name, verdictOf(rep), reasonsOf(rep))
			require.NotNil(t, rep, "a report in every case: %v\n%s", err, log.String())
			assert.Equal(t, tc.verdict, rep.Verdict, "log:\n%s", log.String())
			assert.Equal(t, tc.code, exit.Code(err), "error: %v", err)
			all := strings.Join(rep.Reasons, "\n")
			for _, want := range tc.reasons {
				assert.Contains(t, all, want)
			}

			runDir := filepath.Join(out, rep.RunID)
			for _, f := range []string{report.JSONFile, report.JUnitFile, report.MarkdownFile, report.HTMLFile} {
				assert.FileExists(t, filepath.Join(runDir, f))
			}
			if tc.verdict == report.Approved {
				assert.FileExists(t, filepath.Join(runDir, "approval.json"), "approved runs are signed")
				assert.NotEmpty(t, rep.Upgrade.ModuleTimings)
				assert.Equal(t, rep.Modules.InstalledBefore, rep.Modules.InstalledAfter)
				assert.NotEmpty(t, rep.Modules.Upgraded)
				assert.Positive(t, rep.MaintenanceWindow.Estimate)
			} else {
				assert.NoFileExists(t, filepath.Join(runDir, "approval.json"), "no approval without a pass")
			}
			assertNothingLeft(t, rep.RunID)
		})
	}
}

// Ctrl-C in the middle of the upgrade: exit 130, torn down, no approval.
func TestInterruptedRehearsalLeavesNothing(t *testing.T) {
	requireImages(t, standin+"16.0", standin+"17.0-migration-hang")
	clean := backupgentest.Small(t)
	out := t.TempDir()
	t.Setenv("REHEARSE_WORKDIR", t.TempDir())
	spec := &rehearsal.Spec{Backup: clean.Zip, SourceImage: standin + "16.0", TargetImage: standin + "17.0-migration-hang", Output: out}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan struct{})
	display := &onStart{Display: progress.NewPlain(os.Stderr), phase: "upgrade", started: started}
	type result struct {
		rep *report.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := rehearsal.Rehearse(ctx, spec, rehearsal.Options{Display: display})
		done <- result{rep, err}
	}()
	select {
	case <-started:
	case <-time.After(10 * time.Minute):
		t.Fatal("the upgrade never started")
	}
	time.Sleep(2 * time.Second)
	cancel()
	res := <-done
	require.NotNil(t, res.rep)
	assert.Equal(t, exit.Interrupted, exit.Code(res.err), "%v", res.err)
	assert.Equal(t, report.Error, res.rep.Verdict)
	assertNothingLeft(t, res.rep.RunID)
	entries, err := os.ReadDir(os.Getenv("REHEARSE_WORKDIR"))
	require.NoError(t, err)
	assert.Empty(t, entries, "the work dir is removed")
}

type onStart struct {
	progress.Display
	phase   string
	started chan struct{}
}

func (o *onStart) Start(phase string) {
	o.Display.Start(phase)
	if phase == o.phase {
		close(o.started)
	}
}

func requireImages(t *testing.T, refs ...string) {
	t.Helper()
	rt := containertest.Runtime(t)
	for _, ref := range refs {
		if _, err := rt.ImageID(t.Context(), ref); errors.Is(err, container.ErrImageMissing) {
			containertest.Unavailable(t, "%v", err)
		}
	}
}

func assertNothingLeft(t *testing.T, runID string) {
	t.Helper()
	left, err := container.GC(context.Background(), container.GCOptions{DryRun: true, RunID: runID})
	require.NoError(t, err)
	assert.Empty(t, left, "teardown removed every container, network and volume of run %s", runID)
}

func verdictOf(r *report.Report) report.Verdict {
	if r == nil {
		return ""
	}
	return r.Verdict
}

func reasonsOf(r *report.Report) []string {
	if r == nil {
		return nil
	}
	return r.Reasons
}
