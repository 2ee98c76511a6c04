package main

import (
	"bytes"
	"context"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

func init() { register(newReportCommand) }

type reportOptions struct {
	runDir string
	format string
	output string
}

func newReportCommand(g *globalOptions) *cobra.Command {
	opts := reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN_DIR",
		Short: "Render a rehearsal's report again from its report.json",
		Long: `Render the report of a finished rehearsal from RUN_DIR/report.json (or a
report.json given directly): html (one self-contained page), md (the CI
step summary), junit (JUnit XML) or json. Writes to stdout, or atomically
to the file given with -o.`,
		Example: `  rehearse report out/r-20261124-210600 --format md >> "$GITHUB_STEP_SUMMARY"
  rehearse report out/r-20261124-210600 --format html -o report.html`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.runDir = args[0]
			return runReport(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "md", "html, md, junit or json")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func runReport(_ context.Context, g *globalOptions, opts reportOptions) error {
	format, err := report.ParseFormat(opts.format)
	if err != nil {
		return exit.Input("--format: %v", err)
	}
	r, err := report.Load(opts.runDir)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := report.Render(&b, r, format); err != nil {
		return exit.Infra("rendering %s: %v", opts.runDir, err)
	}
	if opts.output == "" {
		_, err := g.stdout.Write(b.Bytes())
		return err
	}
	if err := report.WriteFileAtomic(opts.output, b.Bytes(), 0o644); err != nil {
		return exit.Input("-o %s: %v", opts.output, err)
	}
	return nil
}
