package rehearsal

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/upgradelog"
	"github.com/odoo-rehearse/rehearse/scenarios"
)

// baselinePhase lets the source image (production's version) serve the
// neutralized copy and runs the scenarios' "before" probes on it.
type baselinePhase struct{}

func (baselinePhase) Name() string                  { return "baseline" }
func (baselinePhase) Timeout(s *Spec) time.Duration { return time.Duration(s.Timeouts.Baseline) }

func (baselinePhase) Run(ctx context.Context, r *Run) error {
	if r.Spec.SourceImage == "" {
		return Skip{Reason: "no source_image: before probes not run"}
	}
	c, client, v, err := r.startServer(ctx, "baseline", "odoo-baseline", r.Spec.SourceImage, r.sourceSeries)
	defer r.stopServer(ctx, c)
	if err != nil {
		return err
	}
	r.Report.SourceImage.OdooVersion = v.ServerVersion
	r.display.Status("baseline", fmt.Sprintf("Odoo %s serves the copy; running before probes", v.ServerVersion))
	r.baseline, err = r.scenario.RunBefore(ctx, r.scenarioEnv(client, ""))
	if err != nil {
		return exit.Infra("before probes: %v", err)
	}
	return nil
}

// upgradePhase runs the upgrade command with the target image, streams its
// log to upgrade.log and to the judge, and fails on a non-zero exit, a
// CRITICAL line, an ERROR line no allow pattern matches, or a traceback.
type upgradePhase struct{}

func (upgradePhase) Name() string                  { return "upgrade" }
func (upgradePhase) Timeout(s *Spec) time.Duration { return time.Duration(s.Timeouts.Upgrade) }

func (upgradePhase) Run(ctx context.Context, r *Run) error {
	// Odoo silently creates a database that -d names and does not find;
	// an upgrade of nothing must never pass for an upgrade of the copy.
	if err := r.requireDatabase(ctx); err != nil {
		return err
	}
	cmd := r.Spec.UpgradeCommand()
	spec := r.odooSpec("odoo-upgrade", r.Spec.TargetImage, cmd)
	r.Report.Upgrade.Command = spec.Cmd

	logPath := filepath.Join(r.RunDir, "upgrade.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return exit.Infra("upgrade log: %v", err)
	}
	defer logFile.Close()
	r.Report.Artifacts["upgrade_log"] = "upgrade.log"

	var allow []*regexp.Regexp
	for _, p := range r.Spec.Log.Allow {
		allow = append(allow, regexp.MustCompile(p))
	}
	judge := upgradelog.New(upgradelog.WithAllow(allow...), upgradelog.WithProgress(func(p upgradelog.Progress) {
		if p.Total > 0 {
			detail := fmt.Sprintf("loading module %s (%d/%d)", p.Module, p.Index, p.Total)
			if p.Migration != "" {
				detail += ", migration " + p.Migration
			}
			r.display.Status("upgrade", detail)
		}
	}))

	start := time.Now()
	c, err := r.rt.Start(ctx, spec)
	if err != nil {
		return err
	}
	logsDone := make(chan error, 1)
	go func() { logsDone <- c.Logs(context.WithoutCancel(ctx), io.MultiWriter(logFile, judge)) }()
	code, waitErr := c.Wait(ctx)
	elapsed := time.Since(start)
	r.Report.Upgrade.Duration = report.Duration(elapsed)
	if waitErr != nil {
		// Timeout or Ctrl-C: stop the upgrade, keep what it logged.
		r.stopServer(ctx, c)
		<-logsDone
		if ctx.Err() != nil {
			return fmt.Errorf("the upgrade was still running after %s (last: %s): %w", elapsed.Round(time.Second), describe(judge.Progress()), ctx.Err())
		}
		return exit.Infra("upgrade container: %v", waitErr)
	}
	<-logsDone
	v := judge.Judge(code)
	r.upgrade = &v
	r.fillUpgrade(v)
	r.display.Status("upgrade", fmt.Sprintf("exit %d after %s", code, elapsed.Round(time.Second)))
	if !v.OK {
		reasons := make([]string, len(v.Reasons))
		for i, reason := range v.Reasons {
			reasons[i] = reason.Message
		}
		msg := strings.Join(reasons, "; ")
		if v.FailedModule != "" {
			msg = "module " + v.FailedModule + ": " + msg
		}
		return exit.Reject("upgrade failed: %s (log: %s)", msg, logPath)
	}
	return nil
}

func describe(p upgradelog.Progress) string {
	if p.Module == "" {
		return "no module loading"
	}
	s := fmt.Sprintf("loading module %s (%d/%d)", p.Module, p.Index, p.Total)
	if p.Migration != "" {
		s += ", in migration " + p.Migration
	}
	return s
}

func (r *Run) requireDatabase(ctx context.Context) error {
	conn, err := r.pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("%v", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, r.Spec.Database).Scan(&exists); err != nil {
		return exit.Infra("%v", err)
	}
	if !exists {
		return exit.Infra("the copy %q does not exist; refusing to let Odoo create an empty one", r.Spec.Database)
	}
	return nil
}

func (r *Run) fillUpgrade(v upgradelog.Verdict) {
	u := &r.Report.Upgrade
	code := v.ExitCode
	u.ExitCode = &code
	u.FailingModule = v.FailedModule
	u.ErrorLines, u.AllowedErrorLines, u.Tracebacks = []report.LogLine{}, []report.LogLine{}, []string{}
	for _, p := range v.Problems {
		u.ErrorLines = append(u.ErrorLines, report.LogLine{Line: int(p.Line), Text: fmt.Sprintf("%s %s: %s", p.Level, p.Logger, p.Message)})
		if p.Traceback != "" {
			u.Tracebacks = append(u.Tracebacks, p.Traceback)
		}
	}
	for _, a := range v.Allowed {
		u.AllowedErrorLines = append(u.AllowedErrorLines, report.LogLine{Text: fmt.Sprintf("%d× %s", a.Count, a.First), AllowedBy: a.Pattern})
	}
	u.ModuleTimings = []report.ModuleTiming{}
	for _, m := range v.Modules {
		u.ModuleTimings = append(u.ModuleTimings, report.ModuleTiming{Module: m.Name, Duration: report.Duration(m.Duration), Queries: m.Queries})
	}
	u.Migrations = []report.Migration{}
	for _, m := range v.Migrations {
		u.Migrations = append(u.Migrations, report.Migration{Module: m.Module, Version: m.Version, Stage: m.Script})
	}
}

// servePhase lets the target image serve the upgraded copy; it is ready
// when XML-RPC version() answers with the target version.
type servePhase struct{}

func (servePhase) Name() string                  { return "serve" }
func (servePhase) Timeout(s *Spec) time.Duration { return time.Duration(s.Timeouts.Serve) }

func (servePhase) Run(ctx context.Context, r *Run) error {
	c, _, v, err := r.startServer(ctx, "serve", "odoo-serve", r.Spec.TargetImage, r.targetSeries)
	r.serving = c
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) == errPhaseTimeout {
			return exit.Reject("the upgraded Odoo never became ready: %v", err)
		}
		return err
	}
	r.odooURL = "http://" + c.Endpoint()
	r.Report.TargetImage.OdooVersion = v.ServerVersion
	if r.targetSeries == "" {
		r.targetSeries = v.Serie
	}
	return nil
}

// scenariosPhase runs the "after" checks (built-in pack and the team's),
// and checks again that the upgraded copy is still neutralized.
type scenariosPhase struct{}

func (scenariosPhase) Name() string                  { return "scenarios" }
func (scenariosPhase) Timeout(s *Spec) time.Duration { return time.Duration(s.Timeouts.Scenarios) }

func (scenariosPhase) Run(ctx context.Context, r *Run) error {
	client, err := odoo.New(r.odooURL, odoo.WithTimeout(2*time.Minute))
	if err != nil {
		return exit.Infra("odoo client: %v", err)
	}
	after, err := r.scenario.RunAfter(ctx, r.scenarioEnv(client, r.targetSeries), r.baseline)
	if err != nil {
		return exit.Infra("scenarios: %v", err)
	}
	r.addChecks(after, r.baseline)

	conn, err := r.pg.Connect(ctx, r.Spec.Database)
	if err != nil {
		return exit.Infra("%v", err)
	}
	defer conn.Close(ctx)
	snap, err := takeSnapshot(ctx, conn)
	if err != nil {
		return exit.Infra("snapshot after the upgrade: %v", err)
	}
	r.Report.Modules = moduleChanges(r.before, snap)
	r.Report.RecordCounts = recordCounts(r.before, snap)

	failed := 0
	for _, c := range r.Report.Checks {
		if c.Status != report.CheckPass {
			failed++
		}
	}
	r.display.Status("scenarios", fmt.Sprintf("%d checks, %d not passed", len(r.Report.Checks), failed))
	if failed > 0 {
		return exit.Reject("%d of %d checks did not pass", failed, len(r.Report.Checks))
	}
	return nil
}

func (r *Run) scenarioEnv(client *odoo.Client, target string) scenarios.Env {
	return scenarios.Env{
		Odoo:          client,
		DB:            r.Spec.Database,
		AdminLogin:    r.admin.Login,
		AdminPassword: r.admin.Password.Reveal(),
		SQL: func(ctx context.Context) (scenarios.SQLConn, error) {
			return r.pg.Connect(ctx, r.Spec.Database)
		},
		TargetVersion: target,
		Concurrency:   r.Spec.Concurrency,
	}
}

// addChecks turns scenario results into report checks: one per step, and
// one per scenario that could not run as a whole.
func (r *Run) addChecks(after *scenarios.Results, before *scenarios.Baseline) {
	add := func(res *scenarios.Results) {
		if res == nil {
			return
		}
		for _, sc := range res.Scenarios {
			if len(sc.Steps) == 0 {
				r.Report.Checks = append(r.Report.Checks, report.Check{
					Scenario: sc.Name, Name: sc.Name, Phase: string(res.Phase),
					Status: checkStatus(sc.Status), Message: sc.Reason, Duration: report.Duration(sc.Duration),
				})
				continue
			}
			for _, st := range sc.Steps {
				r.Report.Checks = append(r.Report.Checks, report.Check{
					Scenario: sc.Name, Step: st.Name, Name: st.Name, Phase: string(res.Phase),
					Status: checkStatus(st.Status), Expected: st.Expected, Got: st.Got,
					Message: strings.TrimSpace(st.Message + " " + strings.Join(st.Notes, "; ")), Duration: report.Duration(st.Duration),
				})
			}
		}
	}
	if before != nil {
		add(&before.Results)
	}
	add(after)
}

// checkStatus maps a scenario status onto a check's: a skipped step (not
// applicable) passes, an error fails the verdict like a failure.
func checkStatus(s scenarios.Status) report.CheckStatus {
	switch s {
	case scenarios.Pass, scenarios.Skip:
		return report.CheckPass
	case scenarios.Fail:
		return report.CheckFail
	default:
		return report.CheckError
	}
}
