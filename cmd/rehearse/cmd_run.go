package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/progress"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

func init() { register(newRunCommand) }

type runOptions struct {
	file          string
	backup        string
	sourceImage   string
	targetImage   string
	postgresImage string
	upgradeCmd    string
	addons        []string
	database      string
	adminLogin    string
	scenarios     []string
	noBuiltin     bool
	logAllow      []string
	restoreAllow  []string
	concurrency   int
	output        string
	keep          bool
	cache         bool
	restoreTO     time.Duration
	upgradeTO     time.Duration
	serveTO       time.Duration
	approvalKey   string
	approvalStore string
}

func newRunCommand(g *globalOptions) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run [-f rehearsal.yaml] [flags]",
		Short: "Rehearse an upgrade: restore, neutralize, upgrade, check, judge",
		Long: `run restores the backup into throwaway containers, neutralizes the copy,
upgrades it with the target image, runs the checks and writes the report
(report.json, junit.xml, summary.md, report.html, upgrade.log) into
<output>/<run id>/. An approval is signed only when every check passed.

Flags override the fields of the rehearsal file.
Exit codes: 0 approved, 1 rejected, 2 could not rehearse, 130 interrupted.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), g, cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.file, "file", "f", "", "the rehearsal file (rehearsal.yaml)")
	f.StringVar(&opts.backup, "backup", "", "production backup (zip, .dump, directory dump, .sql, .sql.gz)")
	f.StringVar(&opts.sourceImage, "source-image", "", "Odoo image of production's version (serves the before probes)")
	f.StringVar(&opts.targetImage, "target-image", "", "Odoo image to upgrade to")
	f.StringVar(&opts.postgresImage, "postgres-image", "", "PostgreSQL image (default rehearse/postgres:15)")
	f.StringVar(&opts.upgradeCmd, "upgrade-command", "", `upgrade command, {db} is the copy (default "odoo -d {db} -u all --stop-after-init --no-http")`)
	f.StringArrayVar(&opts.addons, "addons", nil, "folder of extra addons, mounted read-only (repeatable)")
	f.StringVar(&opts.database, "database", "", "name of the copy (default rehearsal)")
	f.StringVar(&opts.adminLogin, "admin-login", "", "expected login of the copy's admin user")
	f.StringArrayVar(&opts.scenarios, "scenarios", nil, "scenario file or folder (repeatable)")
	f.BoolVar(&opts.noBuiltin, "no-builtin-checks", false, "do not run the built-in check pack")
	f.StringArrayVar(&opts.logAllow, "log-allow", nil, "regular expression of a harmless ERROR line of the upgrade log (repeatable)")
	f.StringArrayVar(&opts.restoreAllow, "restore-allow", nil, "regular expression of an SQL error the restore may pass over (repeatable)")
	f.IntVar(&opts.concurrency, "concurrency", 0, "scenarios run at once (default 4)")
	f.StringVarP(&opts.output, "output", "o", "", "output folder for run directories (default rehearse-runs)")
	f.BoolVar(&opts.keep, "keep", false, "on failure, leave the environment up and say how to reach it")
	f.BoolVar(&opts.cache, "cache", false, "keep the restored backup between runs (keyed by its sha256); a second run skips the restore")
	f.DurationVar(&opts.restoreTO, "restore-timeout", 0, "time bound of the restore (default 1h)")
	f.DurationVar(&opts.upgradeTO, "upgrade-timeout", 0, "time bound of the upgrade (default 2h)")
	f.DurationVar(&opts.serveTO, "serve-timeout", 0, "time bound for the upgraded Odoo to answer (default 10m)")
	f.StringVar(&opts.approvalKey, "approval-key-dir", "", "folder of the key that signs approvals (default: rehearse keys init's)")
	f.StringVar(&opts.approvalStore, "approval-store", "", "approval store: a folder or a postgres:// ledger")
	return cmd
}

func runRun(ctx context.Context, g *globalOptions, cmd *cobra.Command, opts runOptions) error {
	spec := &rehearsal.Spec{}
	if opts.file != "" {
		var err error
		if spec, err = rehearsal.LoadSpec(opts.file); err != nil {
			return err
		}
	}
	changed := cmd.Flags().Changed
	set := func(name string, dst *string, v string) {
		if changed(name) {
			*dst = v
		}
	}
	set("backup", &spec.Backup, opts.backup)
	set("source-image", &spec.SourceImage, opts.sourceImage)
	set("target-image", &spec.TargetImage, opts.targetImage)
	set("postgres-image", &spec.PostgresImage, opts.postgresImage)
	set("database", &spec.Database, opts.database)
	set("admin-login", &spec.AdminLogin, opts.adminLogin)
	set("output", &spec.Output, opts.output)
	set("approval-key-dir", &spec.Approval.KeyDir, opts.approvalKey)
	set("approval-store", &spec.Approval.Store, opts.approvalStore)
	if changed("upgrade-command") {
		spec.Upgrade.Command = strings.Fields(opts.upgradeCmd)
	}
	if changed("addons") {
		spec.Addons = opts.addons
	}
	if changed("scenarios") {
		spec.Scenarios = opts.scenarios
	}
	if changed("restore-allow") {
		spec.Restore.Allow = opts.restoreAllow
	}
	if changed("log-allow") {
		spec.Log.Allow = opts.logAllow
	}
	if changed("no-builtin-checks") {
		on := !opts.noBuiltin
		spec.BuiltinChecks = &on
	}
	if changed("cache") {
		spec.Restore.Cache = opts.cache
	}
	if changed("concurrency") {
		spec.Concurrency = opts.concurrency
	}
	for name, pair := range map[string]struct {
		dst *rehearsal.Duration
		v   time.Duration
	}{"restore-timeout": {&spec.Timeouts.Restore, opts.restoreTO}, "upgrade-timeout": {&spec.Timeouts.Upgrade, opts.upgradeTO}, "serve-timeout": {&spec.Timeouts.Serve, opts.serveTO}} {
		if changed(name) {
			if pair.v <= 0 {
				return exit.Input("--%s: give a positive duration such as 90s or 30m", name)
			}
			*pair.dst = rehearsal.Duration(pair.v)
		}
	}
	if opts.file == "" && spec.Backup == "" && spec.TargetImage == "" {
		return exit.Input("give a rehearsal file (-f rehearsal.yaml) or at least --backup and --target-image")
	}
	if err := spec.Validate(); err != nil {
		return err
	}

	display := progress.Auto(stdoutFile(g))
	if _, ok := g.stdout.(*os.File); !ok {
		display = progress.NewPlain(g.stdout)
	}
	rep, err := rehearsal.Rehearse(ctx, spec, rehearsal.Options{Keep: opts.keep, Display: display, Out: g.stdout})
	display.Close()
	if rep != nil {
		printVerdict(g, spec, rep)
	}
	if err != nil && rep != nil && rep.Verdict != "" {
		// The verdict was printed: only the exit code is left to give.
		return &exit.Error{Code: exit.Code(err), Err: fmt.Errorf("%w: %v", errSilent, err)}
	}
	return err
}

func stdoutFile(g *globalOptions) *os.File {
	if f, ok := g.stdout.(*os.File); ok {
		return f
	}
	return os.Stdout
}

func printVerdict(g *globalOptions, spec *rehearsal.Spec, rep *report.Report) {
	dir := filepath.Join(spec.Resolve(spec.Output), rep.RunID)
	w := g.stdout
	fmt.Fprintln(w)
	switch rep.Verdict {
	case report.Approved:
		fmt.Fprintf(w, "APPROVED: %s → %s on backup sha256:%s\n", rep.SourceImage.Ref, rep.TargetImage.Ref, short(rep.Backup.SHA256))
	case report.Rejected:
		fmt.Fprintf(w, "REJECTED: the upgrade to %s is not safe for production\n", rep.TargetImage.Ref)
	default:
		fmt.Fprintf(w, "ERROR: the rehearsal could not be completed\n")
	}
	for i, r := range rep.Reasons {
		if i == 10 {
			fmt.Fprintf(w, "  … and %d more (see the report)\n", len(rep.Reasons)-10)
			break
		}
		fmt.Fprintf(w, "  - %s\n", r)
	}
	passed := 0
	for _, c := range rep.Checks {
		if c.Status == report.CheckPass {
			passed++
		}
	}
	fmt.Fprintf(w, "checks: %d passed of %d", passed, len(rep.Checks))
	if rep.Upgrade.Duration > 0 {
		fmt.Fprintf(w, "; upgrade took %s", time.Duration(rep.Upgrade.Duration).Round(time.Second))
	}
	if rep.MaintenanceWindow.Estimate > 0 {
		fmt.Fprintf(w, "; estimated maintenance window %s (%s)", time.Duration(rep.MaintenanceWindow.Estimate).Round(time.Minute), rep.MaintenanceWindow.Basis)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "report: %s\n", filepath.Join(dir, report.HTMLFile))
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
