package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/workdir"
)

func init() { register(newGCCommand) }

type gcOptions struct {
	dryRun bool
	all    bool
	cache  bool
	run    string
}

func newGCCommand(g *globalOptions) *cobra.Command {
	var opts gcOptions
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove containers, networks, volumes and work dirs that dead runs left",
		Long: `gc finds every Docker resource labelled rehearse.run and removes those of
runs whose process no longer exists on this machine (a run killed with
SIGKILL, a machine that rebooted, an environment kept with --keep). Runs in
progress are left alone unless --all is given. The restore cache is kept
unless --cache is given.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGC(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.dryRun, "dry-run", false, "list what would be removed, remove nothing")
	f.BoolVar(&opts.all, "all", false, "also remove resources of runs that are still running")
	f.BoolVar(&opts.cache, "cache", false, "also remove the restore cache")
	f.StringVar(&opts.run, "run", "", "only this run id")
	return cmd
}

func runGC(ctx context.Context, g *globalOptions, opts gcOptions) error {
	verb := "removed"
	if opts.dryRun {
		verb = "would remove"
	}
	found, err := container.GC(ctx, container.GCOptions{DryRun: opts.dryRun, All: opts.all, Cache: opts.cache, RunID: opts.run})
	for _, r := range found {
		fmt.Fprintf(g.stdout, "%s %s %s (run %s, %s)\n", verb, r.Type, r.Name, r.RunID, r.Kind)
	}
	if err != nil {
		return err
	}
	var dirs []workdir.Leftover
	if opts.run == "" {
		dirs, err = workdir.GC(opts.dryRun, opts.all)
	} else {
		dirs, err = workdir.GCRun(opts.run, opts.dryRun)
	}
	for _, d := range dirs {
		fmt.Fprintf(g.stdout, "%s work dir %s\n", verb, d.Path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "gc: %s %d Docker resources and %d work dirs\n", verb, len(found), len(dirs))
	return nil
}
