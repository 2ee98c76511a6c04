package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/relay"
)

func init() { register(newRelayCommand) }

type relayOptions struct {
	routes []string
}

// The relay runs inside the run's relay container (its image is this
// binary); users never call it, so it is hidden.
func newRelayCommand(g *globalOptions) *cobra.Command {
	var opts relayOptions
	cmd := &cobra.Command{
		Use:    "relay --route LISTEN=HOST:PORT...",
		Short:  "Forward published ports into a rehearsal's internal network",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRelay(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.routes, "route", nil, "LISTEN_PORT=HOST:PORT (repeatable)")
	return cmd
}

func runRelay(ctx context.Context, g *globalOptions, opts relayOptions) error {
	routes := make([]relay.Route, 0, len(opts.routes))
	for _, s := range opts.routes {
		r, err := relay.ParseRoute(s)
		if err != nil {
			return exit.Input("%v", err)
		}
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		return exit.Input("relay: give at least one --route LISTEN_PORT=HOST:PORT")
	}
	return relay.Serve(ctx, routes, g.stdout)
}
