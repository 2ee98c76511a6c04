package rehearsal

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
)

// networkPhase connects to Docker, checks that every image is present
// (never pulling), and creates the run's internal network and the Odoo
// data volume.
type networkPhase struct{}

func (networkPhase) Name() string { return "network" }

func (networkPhase) Run(ctx context.Context, r *Run) error {
	opts := []container.Option{container.WithRunID(r.Report.RunID)}
	if r.Opts.RelayImage != "" {
		opts = append(opts, container.WithRelayImage(r.Opts.RelayImage))
	}
	rt, err := container.New(ctx, opts...)
	if err != nil {
		return err
	}
	r.rt = rt
	for _, img := range []struct {
		ref    string
		id     *string
		series *string
	}{
		{r.Spec.SourceImage, &r.Report.SourceImage.ID, &r.sourceSeries},
		{r.Spec.TargetImage, &r.Report.TargetImage.ID, &r.targetSeries},
	} {
		if img.ref == "" {
			continue
		}
		id, err := rt.ImageID(ctx, img.ref)
		if err != nil {
			return err
		}
		*img.id = id
		*img.series = imageOdooVersion(ctx, rt, img.ref)
	}
	r.Report.SourceImage.Ref, r.Report.TargetImage.Ref = r.Spec.SourceImage, r.Spec.TargetImage
	if _, err := rt.ImageID(ctx, r.postgresImage()); err != nil {
		return err
	}
	if _, err := rt.Network(ctx); err != nil {
		return err
	}
	r.volume, err = rt.Volume(ctx, "odoo-data")
	return err
}

// imageOdooVersion reads ODOO_VERSION from the image's environment, as the
// official images set it ("17.0"); empty when the image does not say.
func imageOdooVersion(ctx context.Context, rt *container.Runtime, ref string) string {
	in, err := rt.Docker().ImageInspect(ctx, ref)
	if err != nil || in.Config == nil {
		return ""
	}
	for _, e := range in.Config.Env {
		if v, ok := strings.CutPrefix(e, "ODOO_VERSION="); ok {
			return v
		}
	}
	return ""
}

func (r *Run) postgresImage() string {
	if r.Spec.PostgresImage != "" {
		return r.Spec.PostgresImage
	}
	return container.DefaultPostgresImage
}

// postgresPhase starts the rehearsal's PostgreSQL and checks that the
// backup can be loaded into its version.
type postgresPhase struct{}

func (postgresPhase) Name() string { return "postgres" }

func (postgresPhase) Run(ctx context.Context, r *Run) error {
	opts := container.PostgresOptions{Image: r.postgresImage()}
	if r.Spec.Restore.Cache {
		entry, err := restore.OpenCache(ctx, r.rt, r.backup.SHA256, r.postgresImage())
		if err != nil {
			return exit.Infra("restore cache: %v", err)
		}
		r.cache = entry
		opts.DataVolume = entry.Volume
	}
	pg, err := r.rt.StartPostgres(ctx, opts)
	if err != nil {
		return err
	}
	r.pg = pg
	if r.cache != nil {
		if r.cached, err = r.cache.Ready(ctx, pg); err != nil {
			return exit.Infra("restore cache: %v", err)
		}
	}
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("%v", err)
	}
	defer conn.Close(ctx)
	var num string
	if err := conn.QueryRow(ctx, "SHOW server_version_num").Scan(&num); err != nil {
		return exit.Infra("postgres version: %v", err)
	}
	n, _ := strconv.Atoi(num)
	major := n / 10000
	r.display.Status("postgres", fmt.Sprintf("PostgreSQL %d at %s", major, pg.Endpoint()))
	return r.backup.CheckTarget(major)
}
