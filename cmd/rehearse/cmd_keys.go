package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func init() { register(newKeysCommand) }

type keysInitOptions struct {
	dir string
}

func newKeysCommand(g *globalOptions) *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Manage the key pair that signs approvals",
		Args:  usageArgs(cobra.NoArgs),
	}
	opts := keysInitOptions{}
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the ed25519 key pair that signs approvals",
		Long: `Create an ed25519 key pair: approval.key (private, mode 0600) signs the
approvals of passing rehearsals; approval.pub is what production pipelines
give to "rehearse verify --pubkey". An existing key is never overwritten.

The default directory is $REHEARSE_KEY_DIR, else ~/.config/rehearse/keys.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysInit(cmd.Context(), g, opts)
		},
	}
	initCmd.Flags().StringVar(&opts.dir, "dir", approval.DefaultKeyDir(), "directory for approval.key and approval.pub")
	keys.AddCommand(initCmd)
	return keys
}

func runKeysInit(_ context.Context, g *globalOptions, opts keysInitOptions) error {
	id, err := approval.GenerateKeyPair(opts.dir)
	if errors.Is(err, approval.ErrKeyExists) {
		return exit.Input("%v", err)
	}
	if err != nil {
		return exit.Infra("creating the key pair in %s: %v", opts.dir, err)
	}
	fmt.Fprintf(g.stdout, `key pair created, key id %s
  private key: %s (mode 0600; keep it secret: it signs approvals)
  public key:  %s (give it to: rehearse verify --pubkey)
`, id, filepath.Join(opts.dir, approval.PrivateKeyFile), filepath.Join(opts.dir, approval.PublicKeyFile))
	return nil
}
