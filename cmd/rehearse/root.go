package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	stdout, stderr io.Writer
}

// Main runs the command line and returns the process exit code. It never
// calls os.Exit, so tests drive it in-process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &globalOptions{stdout: stdout, stderr: stderr}
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exit.Approved
	}
	if ctx.Err() != nil {
		// Interrupted: 130, even when the command's own error carried
		// another code (a Docker call cut short looks like an infra error).
		err = &exit.Error{Code: exit.Interrupted, Err: err}
	}
	code := exit.Code(err)
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(stderr, "rehearse: %v\n", err)
	}
	return code
}

// errSilent marks an error whose story was already told on the terminal
// (for example a rejection printed as a verdict): only the code matters.
var errSilent = errors.New("silent")

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "rehearse",
		Short: "Rehearse an Odoo upgrade on a neutralized copy of production",
		Long: `rehearse restores a production backup into throwaway PostgreSQL and Odoo
containers, neutralizes the copy, applies the target upgrade there, runs
scenario checks over XML-RPC, and approves the upgrade for production only
when every check passes.

Exit codes: 0 approved, 1 rejected, 2 could not rehearse, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exit.Input("%v (see rehearse --help)", err)
	})
	for _, newCommand := range commands {
		root.AddCommand(newCommand(g))
	}
	return root
}

// commands lists the subcommands. Each command's file appends its
// constructor in init, so adding a command touches one file only.
var commands []func(*globalOptions) *cobra.Command

func register(newCommand func(*globalOptions) *cobra.Command) {
	commands = append(commands, newCommand)
}

// usageArgs turns cobra's positional-argument errors into bad input (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return exit.Input("%s: %v (usage: %s)", cmd.CommandPath(), err, cmd.UseLine())
		}
		return nil
	}
}
