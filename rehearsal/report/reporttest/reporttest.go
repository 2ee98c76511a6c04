// Package reporttest builds realistic reports for tests of everything that
// renders, stores or signs them: a passing rehearsal of the prod16 backup
// from Odoo 16 to 17, and a failing one whose migration broke, shaped after
// the real logs in ../shared/odoo/logs.
package reporttest

import (
	"fmt"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// Image IDs of the fixtures. Tests that need IDs of images present on the
// local engine use their own.
const (
	SourceImageID = "sha256:3f4a5c0e8a0c1d2b7e6f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d"
	TargetImageID = "sha256:9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
	BackupSHA256  = "7d1e2b9f4c3a5d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6"
	ScenarioSet   = "sha256:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f"
)

var start = time.Date(2026, 11, 24, 21, 6, 0, 0, time.UTC)

// Passing is a rehearsal where everything passed.
func Passing() *report.Report {
	r := base("r-20261124-210600-a1b2")
	r.Verdict = report.Approved
	r.Phases = phases([]report.PhaseStatus{passed, passed, passed, passed, passed, passed, passed, passed}, "")
	r.Checks = checks(nil)
	zero := 0
	r.Upgrade.ExitCode = &zero
	r.Upgrade.AllowedErrorLines = []report.LogLine{
		{Line: 412, Text: "2026-11-24 21:06:55,619 23854 ERROR prod16 odoo.modules.module: Error in check_manifest_dependencies: unhashable type: 'dict' ", AllowedBy: `check_manifest_dependencies: unhashable type`},
		{Line: 413, Text: "2026-11-24 21:06:55,620 23854 ERROR prod16 odoo.modules.module: Error in check_manifest_dependencies: unhashable type: 'dict' ", AllowedBy: `check_manifest_dependencies: unhashable type`},
	}
	r.FinishedAt = r.Phases[len(r.Phases)-1].End
	r.Normalize()
	return r
}

// Failing is a rehearsal whose upgrade failed in a migration script and
// whose "after" checks then found differences. Its texts carry what real
// logs carry: ANSI colours, a traceback, markup-looking module names.
func Failing() *report.Report {
	r := base("r-20261124-210858-c3d4")
	r.Verdict = report.Rejected
	r.Reasons = []string{
		"upgrade exited with code 255: module x_probe failed in pre-migrate 16.0.1.0.2",
		"2 checks failed, 1 check errored",
	}
	r.Phases = phases([]report.PhaseStatus{passed, passed, passed, passed, failed, passed, passed, passed},
		"odoo -u all exited 255: Failed to initialize database `prod16_probe`")
	failures := map[string]report.Check{
		"partners keep their companies": {
			Status: report.CheckFail, Expected: "count = 43", Got: "count = 41",
			Message:    "res.partner search_count([('is_company','=',True)]) changed across the upgrade",
			LogExcerpt: "\x1b[1;31mERROR\x1b[0m prod16_probe odoo.models: res.partner: 2 records <dropped> & \"orphaned\"\n\tcompany_id -> False",
		},
		"posted invoices are untouched": {
			Status: report.CheckFail, Expected: "amount_total = 1725.00", Got: "amount_total = 1500.00",
			Message: "account.move INV/2026/00012 amount_total differs",
		},
		"sale order confirms": {
			Status: report.CheckError, Message: "Fault 1: Traceback: psycopg2.errors.UndefinedColumn: column sale_order.x_probe_flag does not exist",
			LogExcerpt: migrationTraceback,
		},
	}
	r.Checks = checks(failures)
	code := 255
	r.Upgrade.ExitCode = &code
	r.Upgrade.FailingModule = "x_probe"
	r.Upgrade.ErrorLines = []report.LogLine{
		{Line: 21, Text: "2026-11-24 21:08:58,177 24108 ERROR prod16_probe odoo.modules.registry: Failed to load registry "},
		{Line: 22, Text: "2026-11-24 21:08:58,177 24108 CRITICAL prod16_probe odoo.service.server: Failed to initialize database `prod16_probe`. "},
	}
	r.Upgrade.Tracebacks = []string{migrationTraceback}
	r.Upgrade.Migrations = []report.Migration{{Module: "x_probe", Version: "16.0.1.0.2", Stage: "pre-migrate"}}
	r.Modules.InstalledAfter = r.Modules.InstalledBefore
	r.Modules.Added = nil
	r.Modules.Upgraded = nil
	for i := range r.RecordCounts {
		if r.RecordCounts[i].Model == "res.partner" {
			r.RecordCounts[i].After -= 2
		}
	}
	r.FinishedAt = r.Phases[len(r.Phases)-1].End
	r.Normalize()
	return r
}

const (
	passed = report.PhasePassed
	failed = report.PhaseFailed
)

const migrationTraceback = `Traceback (most recent call last):
  File "/opt/odoo/src/odoo/service/server.py", line 1299, in preload_registries
    registry = Registry.new(dbname, update_module=update_module)
  File "/opt/odoo/src/odoo/modules/loading.py", line 183, in load_module_graph
    migrations.migrate_module(package, 'pre')
  File "/opt/odoo/src/odoo/modules/migration.py", line 177, in migrate_module
    migrate(self.cr, installed_version)
  File "/mnt/extra-addons/x_probe/migrations/16.0.1.0.2/pre-migrate.py", line 8, in migrate
    raise Exception("x_probe: simulated migration failure")
Exception: x_probe: simulated migration failure`

func base(runID string) *report.Report {
	return &report.Report{
		RunID:       runID,
		ToolVersion: "v0.9.0",
		StartedAt:   start,
		Backup: report.Backup{
			Path: "/backups/prod16.zip", Format: "odoo-zip", SHA256: BackupSHA256, Size: 2221655,
			OdooVersion: "16.0-20230301", PostgresVersion: "15.0", ModuleCount: 77,
		},
		SourceImage:       report.Image{Ref: "registry.example.com/acme/odoo:16.0-2026.11", ID: SourceImageID, OdooVersion: "16.0-20230301"},
		TargetImage:       report.Image{Ref: "registry.example.com/acme/odoo:17.0-2026.11", ID: TargetImageID, OdooVersion: "17.0-20241105"},
		ScenarioSetDigest: ScenarioSet,
		Modules: report.ModuleChanges{
			InstalledBefore: 77, InstalledAfter: 78,
			Added: []string{"account_payment_term"},
			Upgraded: []report.ModuleUpgrade{
				{Name: "base", From: "16.0.1.3", To: "17.0.1.3"},
				{Name: "sale", From: "16.0.1.2", To: "17.0.1.2"},
				{Name: "account", From: "16.0.1.2", To: "17.0.1.2"},
				{Name: "ODOO-CUSTOM-ADDON-custom_expense_limit-main", From: "16.0.1.0.0", To: "17.0.1.0.0"},
			},
		},
		RecordCounts: []report.RecordCount{
			{Model: "res.partner", Before: 63, After: 63},
			{Model: "res.users", Before: 7, After: 7},
			{Model: "sale.order", Before: 24, After: 24},
			{Model: "account.move", Before: 58, After: 58},
			{Model: "stock.picking", Before: 31, After: 31},
			{Model: "ir.attachment", Before: 412, After: 419},
		},
		Upgrade: report.Upgrade{
			Command:  []string{"odoo", "-d", "rehearsal", "-u", "all", "--stop-after-init", "--no-http"},
			Duration: report.Duration(41886 * time.Millisecond),
			ModuleTimings: []report.ModuleTiming{
				{Module: "base", Duration: report.Duration(4050 * time.Millisecond), Queries: 7060},
				{Module: "account", Duration: report.Duration(3120 * time.Millisecond), Queries: 5120},
				{Module: "uom", Duration: report.Duration(130 * time.Millisecond), Queries: 193},
			},
		},
		Artifacts: map[string]string{"upgrade_log": "upgrade.log"},
	}
}

var phaseNames = []string{"inspect", "restore", "neutralize", "baseline", "upgrade", "serve", "scenarios", "verify-neutralized"}

var phaseLengths = []time.Duration{
	400 * time.Millisecond, 5400 * time.Millisecond, 300 * time.Millisecond, 9 * time.Second,
	41886 * time.Millisecond, 6 * time.Second, 12 * time.Second, 200 * time.Millisecond,
}

func phases(status []report.PhaseStatus, failReason string) []report.Phase {
	at := start
	out := make([]report.Phase, len(phaseNames))
	for i, name := range phaseNames {
		out[i] = report.Phase{Name: name, Status: status[i], Start: at, End: at.Add(phaseLengths[i])}
		if status[i] == failed {
			out[i].Reason = failReason
		}
		at = out[i].End
	}
	return out
}

// checks builds the built-in pack's checks, before and after, with the
// given ones (by name, "after" only) replaced by failures.
func checks(failures map[string]report.Check) []report.Check {
	type def struct{ scenario, step, name string }
	defs := []def{
		{"core", "login", "admin can log in"},
		{"core", "neutralized", "no active outgoing mail server"},
		{"core", "neutralized", "crons off except autovacuum"},
		{"contacts", "count", "partners keep their companies"},
		{"accounting", "invoices", "posted invoices are untouched"},
		{"sales", "flow", "sale order confirms"},
		{"stock", "pickings", "pickings keep their state"},
	}
	var out []report.Check
	for _, when := range []string{"before", "after"} {
		for i, d := range defs {
			c := report.Check{
				Scenario: d.scenario, Step: d.step, Name: d.name, Phase: when, Status: report.CheckPass,
				Duration: report.Duration(time.Duration(120+40*i) * time.Millisecond),
			}
			if f, ok := failures[d.name]; ok && when == "after" {
				f.Scenario, f.Step, f.Name, f.Phase, f.Duration = c.Scenario, c.Step, c.Name, c.Phase, c.Duration
				c = f
			}
			out = append(out, c)
		}
	}
	return out
}

// Many returns a failing report with n failing checks and n record counts,
// for the size limits of the summary and the HTML page.
func Many(n int) *report.Report {
	r := Failing()
	for i := range n {
		r.Checks = append(r.Checks, report.Check{
			Scenario: "bulk", Step: "step", Name: fmt.Sprintf("check %d", i), Phase: "after",
			Status: report.CheckFail, Expected: "1", Got: "2", LogExcerpt: "line\nline\nline",
		})
		r.RecordCounts = append(r.RecordCounts, report.RecordCount{Model: fmt.Sprintf("x.model.%d", i), Before: int64(i), After: int64(i + 1)})
	}
	r.Normalize()
	return r
}
