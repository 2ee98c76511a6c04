package rehearsal

import (
	"context"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/workdir"
	"github.com/odoo-rehearse/rehearse/scenarios"
)

// inspectPhase reads the backup (format, sha256, manifest) and the
// scenario files before any container starts: bad input fails in seconds.
type inspectPhase struct{}

func (inspectPhase) Name() string { return "inspect" }

func (inspectPhase) Run(ctx context.Context, r *Run) error {
	b, err := backup.Inspect(ctx, r.Spec.Resolve(r.Spec.Backup))
	if err != nil {
		return err
	}
	r.backup = b
	rb := report.Backup{Path: b.Path, Format: string(b.Format), SHA256: b.SHA256, Size: b.Size, PostgresVersion: b.PGVersion}
	if m := b.Manifest; m != nil {
		rb.OdooVersion, rb.ModuleCount = m.Version, len(m.Modules)
		if rb.PostgresVersion == "" {
			rb.PostgresVersion = m.PGVersion
		}
	}
	r.Report.Backup = rb
	for _, w := range b.Warnings {
		r.display.Note("backup: %s", w)
	}

	paths := make([]string, len(r.Spec.Scenarios))
	for i, p := range r.Spec.Scenarios {
		paths[i] = r.Spec.Resolve(p)
	}
	set, err := scenarios.Load(ctx, paths, scenarios.WithBuiltin(*r.Spec.BuiltinChecks))
	if err != nil {
		return inputError(err)
	}
	r.scenario = set
	r.Report.ScenarioSetDigest = set.Digest
	r.display.Status("inspect", "backup and scenarios read")

	r.work, err = workdir.New(r.Report.RunID)
	return err
}
