package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func init() { register(newVerifyCommand) }

// imageResolver turns an image reference into the image ID an approval
// binds. The production gate asks the local engine, which holds the image
// it is about to deploy.
type imageResolver interface {
	ImageID(ctx context.Context, ref string) (string, error)
}

type verifyOptions struct {
	targetImage  string
	backupSHA256 string
	maxAge       string
	pubkey       string
	store        string
	resolver     imageResolver
	now          func() time.Time
}

func newVerifyCommand(g *globalOptions) *cobra.Command {
	opts := verifyOptions{resolver: dockerImages{}, now: time.Now}
	cmd := &cobra.Command{
		Use:   "verify --target-image IMAGE",
		Short: "Exit 0 only if IMAGE passed a recent rehearsal (the production deploy gate)",
		Long: `Check, without trusting anything but the public key, that the target image
passed a rehearsal: an approval in the store must be signed by a trusted
key, unaltered, for this exact image ID (and backup, if given), and no
older than --max-age.

--target-image takes an image ID (sha256:...) or a reference, which is
resolved to its ID through the local Docker engine: a tag that moved to
another build is not approved.

Exit codes: 0 a valid approval matches; 1 no valid approval (the reasons
are printed); 2 bad input or the store or Docker could not be read.`,
		Example: `  rehearse verify --target-image registry.example.com/acme/odoo:17.0 --pubkey approval.pub
  rehearse verify --target-image sha256:9b8a... --backup-sha256 7d1e... --max-age 3d --store postgres://gate@db/rehearse`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerify(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.targetImage, "target-image", "", "image about to be deployed: ID (sha256:...) or reference (required)")
	f.StringVar(&opts.backupSHA256, "backup-sha256", "", "demand a rehearsal on the backup with this sha256")
	f.StringVar(&opts.maxAge, "max-age", "7d", "oldest acceptable approval (e.g. 7d, 2w, 36h)")
	f.StringVar(&opts.pubkey, "pubkey", approval.DefaultKeyDir()+"/"+approval.PublicKeyFile, "trusted public key file (PEM; several keys allowed)")
	f.StringVar(&opts.store, "store", approval.DefaultStore(), "approval store: a directory, an approval.json, or a postgres:// URL ($REHEARSE_APPROVAL_STORE)")
	return cmd
}

func runVerify(ctx context.Context, g *globalOptions, opts verifyOptions) (err error) {
	defer func() {
		// A gate stopped halfway has no answer: 130, not "could not check".
		if err != nil && ctx.Err() != nil {
			err = &exit.Error{Code: exit.Interrupted, Err: fmt.Errorf("verify interrupted: %w", err)}
		}
	}()
	if opts.targetImage == "" {
		return exit.Input("--target-image is required: the image ID (sha256:...) or reference of the image about to be deployed")
	}
	maxAge, err := approval.ParseAge(opts.maxAge)
	if err != nil {
		return exit.Input("--max-age: %v", err)
	}
	backup := strings.ToLower(strings.TrimPrefix(opts.backupSHA256, "sha256:"))
	if backup != "" && !approval.IsSHA256(backup) {
		return exit.Input("--backup-sha256 %q: not a sha256 (64 hex digits, as in report.json backup.sha256)", opts.backupSHA256)
	}
	trusted, err := approval.LoadPublicKeys(opts.pubkey)
	if err != nil {
		return exit.Input("--pubkey: %v", err)
	}
	targetID, err := resolveTarget(ctx, opts.resolver, opts.targetImage)
	if err != nil {
		return err
	}
	store, err := approval.OpenStore(ctx, opts.store)
	if err != nil {
		return exit.Infra("--store: %v", err)
	}
	defer store.Close()

	pol := approval.Policy{TargetImageID: targetID, BackupSHA256: backup, MaxAge: maxAge, Now: opts.now()}
	d, err := approval.Verify(ctx, store, trusted, pol)
	if err != nil {
		return exit.Infra("--store: %v", err)
	}
	if !d.Approved {
		return exit.Reject("not approved: %s", d.Explain(pol))
	}
	p := d.Match
	issued, _ := p.Issued()
	fmt.Fprintf(g.stdout, `approved: target image %s
  image:    %s (Odoo %s), upgraded from %s (Odoo %s)
  backup:   sha256 %s (Odoo %s, %s)
  run:      %s, issued %s (%s ago), rehearse %s
  key:      %s
  approval: %s
`, p.TargetImage.ID, orNone(p.TargetImage.Ref), orNone(p.TargetImage.OdooVersion), orNone(p.SourceImage.Ref), orNone(p.SourceImage.OdooVersion),
		p.Backup.SHA256, orNone(p.Backup.OdooVersion), orNone(p.Backup.Format),
		p.RunID, p.IssuedAt, approval.FormatAge(pol.Now.Sub(issued)), p.ToolVersion, p.KeyID, d.Source)
	return nil
}

// resolveTarget returns the image ID for --target-image.
func resolveTarget(ctx context.Context, r imageResolver, target string) (string, error) {
	if approval.IsImageID(target) {
		return target, nil
	}
	if approval.IsSHA256(target) {
		return "sha256:" + target, nil
	}
	if strings.HasPrefix(target, "sha256:") {
		return "", exit.Input("--target-image %q: a truncated image ID; give the full sha256:<64 hex> (docker image inspect --format '{{.Id}}' IMAGE)", target)
	}
	id, err := r.ImageID(ctx, target)
	if err != nil {
		return "", err
	}
	return id, nil
}

// dockerImages resolves references through the local Docker engine
// (DOCKER_HOST and friends are honoured).
type dockerImages struct{}

func (dockerImages) ImageID(ctx context.Context, ref string) (string, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return "", exit.Infra("resolving --target-image %s: Docker client: %v (or pass the image ID, sha256:...)", ref, err)
	}
	defer cli.Close()
	res, err := cli.ImageInspect(ctx, ref)
	switch {
	case cerrdefs.IsNotFound(err):
		return "", exit.Infra("--target-image %s: no such image on the local Docker engine (pull or build it first, or pass its ID, sha256:...)", ref)
	case err != nil:
		return "", exit.Infra("resolving --target-image %s through Docker: %v (or pass the image ID, sha256:...)", ref, err)
	case !approval.IsImageID(res.ID):
		return "", exit.Infra("--target-image %s: Docker returned image ID %q, not sha256:<64 hex>", ref, res.ID)
	}
	return res.ID, nil
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
