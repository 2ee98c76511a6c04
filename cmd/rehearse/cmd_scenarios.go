package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/scenarios"
)

func init() { register(newScenariosCommand) }

type scenariosLintOptions struct {
	paths   []string
	builtin bool
}

func newScenariosCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "Work with scenario files (the checks a rehearsal runs)",
	}
	opts := scenariosLintOptions{}
	lint := &cobra.Command{
		Use:   "lint PATH...",
		Short: "Validate scenario files without running them",
		Long: `Validate scenario files (or folders of .yaml files) without running them.
Every problem is printed as file:line: message; the exit code is 2 when there
is any, 0 otherwise. See scenarios/README.md for the language.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runScenariosLint(cmd.Context(), g, opts)
		},
	}
	lint.Flags().BoolVar(&opts.builtin, "builtin", true, "lint together with the built-in pack (catches name clashes with it)")
	cmd.AddCommand(lint)
	return cmd
}

func runScenariosLint(ctx context.Context, g *globalOptions, opts scenariosLintOptions) error {
	set, err := scenarios.Load(ctx, opts.paths, scenarios.WithBuiltin(opts.builtin))
	var problems scenarios.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(g.stderr, p.Error())
		}
		return exit.Input("%d problem(s) in scenario files: fix them at the lines shown", len(problems))
	}
	if err != nil {
		return exit.Input("scenarios: %v", err)
	}
	user, steps := 0, 0
	for _, s := range set.Scenarios {
		if !s.Builtin {
			user++
			steps += len(s.Steps)
		}
	}
	_, err = fmt.Fprintf(g.stdout, "%d scenarios, %d steps: OK (set digest %s)\n", user, steps, set.Digest)
	return err
}
