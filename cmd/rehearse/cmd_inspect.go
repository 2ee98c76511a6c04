package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
)

func init() { register(newInspectCommand) }

type inspectOptions struct {
	path         string
	json         bool
	targetPG     int
	maxExpansion int64
}

func newInspectCommand(g *globalOptions) *cobra.Command {
	opts := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect BACKUP",
		Short: "Describe a backup and warn about what would break its restore",
		Long: `inspect reads a backup (Odoo zip, pg_dump custom or directory archive, a
folder with db.dump + manifest.json + filestore/, .sql or .sql.gz) without
changing it, and prints its format, sha256, sizes, manifest, table count,
filestore and the warnings a rehearsal would raise. Bad or unsafe input
(truncated, zip slip, symlinks, zip bombs, a newer PostgreSQL) exits 2.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.path = args[0]
			return runInspect(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the inspection as JSON")
	cmd.Flags().IntVar(&opts.targetPG, "target-pg", 15, "PostgreSQL major version the backup will be restored into (0: do not check)")
	cmd.Flags().Int64Var(&opts.maxExpansion, "max-expansion", 200, "refuse a backup whose content expands past this many times its size (zip bombs)")
	return cmd
}

func runInspect(ctx context.Context, g *globalOptions, opts *inspectOptions) error {
	b, err := backup.Inspect(ctx, opts.path, backup.WithTargetPG(opts.targetPG), backup.WithMaxExpansion(opts.maxExpansion))
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	}
	return printInspection(g.stdout, b)
}

func printInspection(w io.Writer, b *backup.Backup) error {
	var s strings.Builder
	row := func(k, format string, args ...any) {
		fmt.Fprintf(&s, "%-12s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	row("backup", "%s", b.Path)
	row("format", "%s (%s dump %s)", b.Format, b.DumpKind, b.DumpPath)
	row("sha256", "%s", b.SHA256)
	row("size", "%s (dump %s)", report.ByteSize(b.Size), report.ByteSize(b.DumpSize))
	if b.PGVersion != "" {
		row("postgresql", "dumped from %s by pg_dump %s", b.PGVersion, b.PGDumpVersion)
	}
	if b.ArchiveVersion != "" {
		row("archive", "format %s", b.ArchiveVersion)
	}
	if m := b.Manifest; m != nil {
		row("odoo", "%s (database %s, manifest pg_version %s)", m.Version, m.DBName, m.PGVersion)
		row("modules", "%d installed: %s", len(m.Modules), strings.Join(m.ModuleNames(), ", "))
	} else {
		row("manifest", "none")
	}
	if b.Rows != nil {
		var rows int64
		for _, n := range b.Rows {
			rows += n
		}
		row("tables", "%d (%d rows)", b.Tables, rows)
	} else {
		row("tables", "%d", b.Tables)
	}
	if b.Filestore.Present {
		row("filestore", "%d files, %s", b.Filestore.Files, report.ByteSize(b.Filestore.Bytes))
	} else {
		row("filestore", "none")
	}
	if len(b.Warnings) == 0 {
		s.WriteString("warnings:    none\n")
	} else {
		s.WriteString("warnings:\n")
		for _, warning := range b.Warnings {
			fmt.Fprintf(&s, "  - %s\n", warning)
		}
	}
	_, err := io.WriteString(w, s.String())
	return err
}
