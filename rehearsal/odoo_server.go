package rehearsal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

const dbPasswordFile = "/run/rehearse/db-password"

// odooSpec is an Odoo container of the run as the official image expects
// it: HOST/PORT/USER and the password as PASSWORD_FILE (never in the
// environment, where `docker inspect` would show it), the data volume at
// /var/lib/odoo, extra addons read-only.
func (r *Run) odooSpec(kind, image string, cmd []string) container.Spec {
	spec := container.Spec{
		Kind:  kind,
		Image: image,
		Cmd:   append(cmd, r.addonsArgs()...),
		Env: map[string]string{
			"HOST":          r.pg.Host(),
			"PORT":          fmt.Sprint(r.pg.Port()),
			"USER":          r.pg.User(),
			"PASSWORD_FILE": dbPasswordFile,
		},
		Files:   []container.File{{Path: dbPasswordFile, Content: []byte(r.pg.Password()), Mode: 0o444}},
		Volumes: map[string]string{r.volume: "/var/lib/odoo"},
		Binds:   map[string]string{},
	}
	for i, a := range r.Spec.Addons {
		spec.Binds[r.Spec.Resolve(a)] = fmt.Sprintf("/mnt/addons/%d", i)
	}
	return spec
}

func (r *Run) addonsArgs() []string {
	if len(r.Spec.Addons) == 0 {
		return nil
	}
	paths := []string{"/mnt/extra-addons"}
	for i := range r.Spec.Addons {
		paths = append(paths, fmt.Sprintf("/mnt/addons/%d", i))
	}
	return []string{"--addons-path", strings.Join(paths, ",")}
}

// serveCommand runs Odoo as a server on the copy only, with no cron
// threads: the copy is neutralized, and crons have no place in a check.
func (r *Run) serveCommand() []string {
	db := r.Spec.Database
	return []string{"odoo", "-d", db, "--db-filter", "^" + db + "$", "--max-cron-threads", "0", "--http-port", "8069"}
}

// startServer starts an Odoo server on the copy and waits until XML-RPC
// version() answers (with wantSeries, when known). A server whose
// container exits while we wait fails at once, with its last log lines.
func (r *Run) startServer(ctx context.Context, phase, kind, image, wantSeries string) (*container.Container, *odoo.Client, odoo.VersionInfo, error) {
	spec := r.odooSpec(kind, image, r.serveCommand())
	spec.Alias, spec.Port = "odoo", 8069
	c, err := r.rt.Start(ctx, spec)
	if err != nil {
		return nil, nil, odoo.VersionInfo{}, err
	}
	url := "http://" + c.Endpoint()
	client, err := odoo.New(url, odoo.WithTimeout(30*time.Second))
	if err != nil {
		return c, nil, odoo.VersionInfo{}, exit.Infra("odoo client: %v", err)
	}
	r.display.Status(phase, "waiting for Odoo to answer XML-RPC at "+url)
	var last error
	for {
		vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := client.Version(vctx)
		cancel()
		if err == nil && (wantSeries == "" || v.Serie == wantSeries) {
			return c, client, v, nil
		}
		if err == nil {
			err = fmt.Errorf("answers version %s, want %s", v.Serie, wantSeries)
		}
		last = err
		running, rerr := c.Running(ctx)
		if rerr != nil && ctx.Err() == nil {
			return c, client, odoo.VersionInfo{}, exit.Infra("Odoo container %s vanished while starting: %v", c.Name(), rerr)
		}
		if rerr == nil && !running {
			return c, client, odoo.VersionInfo{}, exit.Reject("Odoo (%s) exited before it answered XML-RPC: %s", image, r.logTail(ctx, c))
		}
		select {
		case <-ctx.Done():
			return c, client, odoo.VersionInfo{}, fmt.Errorf("Odoo (%s) never answered XML-RPC version(): %v", image, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of a container's log, for a reason.
func (r *Run) logTail(ctx context.Context, c *container.Container) string {
	var b strings.Builder
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = c.Logs(lctx, &b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, " | ")
}

func (r *Run) stopServer(ctx context.Context, c *container.Container) {
	if c == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_ = c.Remove(sctx)
}
