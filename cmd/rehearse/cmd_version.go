package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/version"
)

func init() { register(newVersionCommand) }

func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of rehearse",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVersion(cmd.Context(), g)
		},
	}
}

func runVersion(_ context.Context, g *globalOptions) error {
	_, err := fmt.Fprintf(g.stdout, "rehearse %s (commit %s, %s, %s/%s)\n",
		version.Version, version.Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
