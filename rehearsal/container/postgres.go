package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// DefaultPostgresImage is built locally by `make images` (Debian's
// PostgreSQL 15 with the official image's env contract); postgres:15 from
// a registry works the same.
const DefaultPostgresImage = "rehearse/postgres:15"

// PostgresOptions configures the rehearsal's PostgreSQL server.
type PostgresOptions struct {
	Image string // default DefaultPostgresImage
	User  string // default "odoo" (a superuser: Odoo creates databases)
	// Settings are passed as `postgres -c k=v`; they add to and override
	// ThrowawaySettings.
	Settings map[string]string
	// ReadyTimeout bounds the wait for the server (default 2 minutes).
	ReadyTimeout time.Duration
	// DataVolume, when set, is a named volume mounted as PGDATA: the
	// restore cache keeps a golden cluster there between runs. On a
	// volume that already holds a cluster, the run's fresh password is
	// set through the container's local socket before the relay is tried.
	DataVolume string
}

// ThrowawaySettings tune PostgreSQL for a copy that is thrown away after
// the rehearsal: durability buys nothing here and costs restore time. They
// go on the command line, as they would to the official image.
var ThrowawaySettings = map[string]string{
	"fsync":                            "off",
	"synchronous_commit":               "off",
	"full_page_writes":                 "off",
	"wal_level":                        "minimal",
	"max_wal_senders":                  "0",
	"max_wal_size":                     "4GB",
	"checkpoint_timeout":               "30min",
	"shared_buffers":                   "512MB",
	"maintenance_work_mem":             "512MB",
	"work_mem":                         "32MB",
	"max_connections":                  "200",
	"autovacuum":                       "off",
	"jit":                              "off",
	"max_parallel_maintenance_workers": "2",
}

// Postgres is the run's PostgreSQL server.
type Postgres struct {
	*Container
	user, password string
	endpoint       string
}

// StartPostgres starts PostgreSQL on the run's internal network as host
// "postgres", reachable by the runner through the relay, and waits until
// it accepts connections over TCP (not merely until the process started:
// the image's init phase runs a socket-only server first).
func (r *Runtime) StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	if opts.Image == "" {
		opts.Image = DefaultPostgresImage
	}
	if opts.User == "" {
		opts.User = "odoo"
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	password := randomSecret()
	settings := map[string]string{}
	for k, v := range ThrowawaySettings {
		settings[k] = v
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	cmd := []string{"postgres"}
	for _, k := range sortedKeys(settings) {
		cmd = append(cmd, "-c", k+"="+settings[k])
	}
	c, err := r.Start(ctx, Spec{
		Kind:  "postgres",
		Image: opts.Image,
		Cmd:   cmd,
		Env: map[string]string{
			"POSTGRES_USER": opts.User,
			"POSTGRES_DB":   "postgres",
			// The password travels as a file, never in `docker inspect`.
			"POSTGRES_PASSWORD_FILE": "/run/rehearse/pg-password",
			// A throwaway cluster needs no fsync at initdb either.
			"POSTGRES_INITDB_ARGS": "--no-sync",
		},
		Files:   []File{{Path: "/run/rehearse/pg-password", Content: []byte(password), Mode: 0o444}},
		Volumes: dataVolume(opts.DataVolume),
		Alias:   "postgres",
		Port:    5432,
		ShmSize: 1 << 30,
		WaitFor: wait.ForExec([]string{"pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-U", opts.User, "-d", "postgres"}).
			WithStartupTimeout(opts.ReadyTimeout).WithPollInterval(200 * time.Millisecond),
	})
	if err != nil {
		return nil, err
	}
	pg := &Postgres{Container: c, user: opts.User, password: password, endpoint: c.Endpoint()}
	if opts.DataVolume != "" {
		// psql reads the password from the file with \set and a backtick
		// command: it never appears in argv or the log.
		script := `\set pw ` + "`cat /run/rehearse/pg-password`" + "\nALTER ROLE " + pgx.Identifier{opts.User}.Sanitize() + " PASSWORD :'pw';\n"
		r, err := c.Exec(ctx, []string{"sh", "-c", `printf '%s' "$1" | psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -d postgres -f -`, "sh", script},
			"PGUSER="+opts.User)
		if err != nil || r.ExitCode != 0 {
			return nil, exit.Infra("postgres on volume %s: set the run's password: %v %s", opts.DataVolume, err, shortErr(r.Output))
		}
	}
	if err := pg.waitThroughRelay(ctx, opts.ReadyTimeout); err != nil {
		return nil, err
	}
	return pg, nil
}

func dataVolume(name string) map[string]string {
	if name == "" {
		return nil
	}
	return map[string]string{name: "/var/lib/postgresql/data"}
}

func (p *Postgres) waitThroughRelay(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		conn, err := p.Connect(ctx, "postgres")
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return exit.Infra("postgres not reachable through the relay at %s: %v", p.endpoint, last)
}

// Host is PostgreSQL's host name as the other containers of the run see it.
func (p *Postgres) Host() string { return "postgres" }

// Port is PostgreSQL's port as the other containers of the run see it.
func (p *Postgres) Port() int { return 5432 }

// User is the superuser the runner and Odoo connect as.
func (p *Postgres) User() string { return p.user }

// Password is the superuser's password: random per run, a secret. Pass it
// to Odoo containers as a file (PASSWORD_FILE), never in env or logs.
func (p *Postgres) Password() string { return p.password }

// Endpoint is "127.0.0.1:PORT", the runner's way in.
func (p *Postgres) Endpoint() string { return p.endpoint }

// ConnString is a pgx/libpq URL for db, from the runner's side. It holds
// the password: never log it.
func (p *Postgres) ConnString(db string) string {
	host, port, _ := net.SplitHostPort(p.endpoint)
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(p.user, p.password),
		Host:     net.JoinHostPort(host, port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable&application_name=rehearse",
	}
	return u.String()
}

// Connect opens a pgx connection to db from the runner's side.
func (p *Postgres) Connect(ctx context.Context, db string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, p.ConnString(db))
	if err != nil {
		// pgx errors carry the host and user, not the password.
		return nil, fmt.Errorf("connect to database %q: %w", db, err)
	}
	return conn, nil
}

// Exec runs a command inside the PostgreSQL container as its superuser
// (pg_restore, pg_dump, psql), with PGUSER/PGPASSWORD set for it.
func (p *Postgres) Exec(ctx context.Context, cmd []string) (ExecResult, error) {
	return p.Container.Exec(ctx, cmd, "PGUSER="+p.user, "PGPASSWORD="+p.password, "PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(5432))
}

func randomSecret() string {
	b := make([]byte, 18)
	rand.Read(b)
	return hex.EncodeToString(b)
}
