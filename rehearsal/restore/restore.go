// Package restore loads a backup into the rehearsal's PostgreSQL, faster
// than Odoo and without its silence: Odoo restores a zip with a
// single-threaded `psql -f` that ignores SQL errors. Plain dumps go
// through rehearse's own loader (schema, then every COPY block split into
// chunks loaded concurrently over several connections, then indexes and
// constraints in parallel in a lock-safe order); pg_dump archives go
// through `pg_restore -j N` inside the PostgreSQL container. Every SQL
// error is reported with its statement and dump line and fails the
// restore unless allowed by pattern. Afterwards each table's row count is
// checked against the rows the dump carried.
//
// The restored database becomes a golden template; a rehearsal works on a
// clone of it (see Clone) and, with a cache, the golden copy survives
// between runs (see Cache).
package restore

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// Postgres is what the restore needs of the rehearsal's server:
// connections from the runner, commands inside the container, and files
// copied in. *container.Postgres satisfies it.
type Postgres interface {
	Connect(ctx context.Context, db string) (*pgx.Conn, error)
	Exec(ctx context.Context, cmd []string) (container.ExecResult, error)
	CopyFile(ctx context.Context, hostPath, containerPath string) error
}

// Option tunes a restore.
type Option func(*options)

type options struct {
	jobs       int
	chunkBytes int
	allow      []*regexp.Regexp
	log        *slog.Logger
	verify     bool
}

// WithJobs sets how many connections (or pg_restore jobs) load in
// parallel; the default is the number of CPUs, at least 2.
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithChunkBytes sets how many bytes of COPY rows go in one concurrent
// stream (default 4 MiB). Memory is bounded by about 3 × jobs × chunk.
func WithChunkBytes(n int) Option { return func(o *options) { o.chunkBytes = n } }

// WithAllow lets SQL errors whose message or statement matches one of the
// patterns pass; they are still reported in Result.Allowed.
func WithAllow(patterns ...*regexp.Regexp) Option {
	return func(o *options) { o.allow = append(o.allow, patterns...) }
}

// WithLogger reports progress (phases, durations) to l.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithoutVerify skips the row-count check (benchmarks of the bare load).
func WithoutVerify() Option { return func(o *options) { o.verify = false } }

// Result tells what a restore did.
type Result struct {
	DB     string
	Method string // "rehearse" (own loader) or "pg_restore -j N"
	// Rows is the number of rows per table the dump carried, and that
	// the restored database holds (verified unless WithoutVerify).
	Rows     map[string]int64
	Verified bool
	// Allowed are the SQL errors let through by WithAllow patterns;
	// Notes are what the loader skipped on purpose (\restrict, ...).
	Allowed []SQLError
	Notes   []string
	Phases  []Phase

	unverified map[string]bool // tables whose COPY failed under an allow pattern
}

// Phase is a timed step of the restore.
type Phase struct {
	Name     string
	Duration time.Duration
}

// SQLError is one failed statement of the dump.
type SQLError struct {
	Line      int    // line in the dump (plain dumps), 0 if unknown
	Statement string // the statement, shortened
	Message   string // PostgreSQL's message, with detail and hint
}

func (e SQLError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Message)
	if e.Statement != "" {
		fmt.Fprintf(&b, "\n    statement: %s", e.Statement)
	}
	return b.String()
}

func (o *options) allowed(e SQLError) bool {
	for _, re := range o.allow {
		if re.MatchString(e.Message) || re.MatchString(e.Statement) {
			return true
		}
	}
	return false
}

// Restore creates database db the way Odoo does and loads the backup's
// dump into it, then verifies the row counts. On failure the half-loaded
// database is dropped. The filestore is a separate step (Filestore).
func Restore(ctx context.Context, pg Postgres, b *backup.Backup, db string, opts ...Option) (*Result, error) {
	o := options{jobs: max(2, runtime.NumCPU()), chunkBytes: 4 << 20, log: slog.New(discard{}), verify: true}
	for _, opt := range opts {
		opt(&o)
	}
	res := &Result{DB: db, Rows: map[string]int64{}}
	timed := func(name string, f func() error) error {
		start := time.Now()
		err := f()
		res.Phases = append(res.Phases, Phase{name, time.Since(start)})
		o.log.Info("restore phase", "db", db, "phase", name, "duration", time.Since(start).Round(time.Millisecond), "ok", err == nil)
		return err
	}
	if err := checkTarget(ctx, pg, b); err != nil {
		return nil, err
	}
	if err := timed("create database", func() error { return CreateDatabase(ctx, pg, db) }); err != nil {
		return nil, err
	}
	var err error
	if b.DumpKind == backup.DumpPlain {
		res.Method = "rehearse"
		err = loadPlain(ctx, pg, b, db, &o, res, timed)
	} else {
		res.Method = fmt.Sprintf("pg_restore -j %d", o.jobs)
		err = loadArchive(ctx, pg, b, db, &o, res, timed)
	}
	if err == nil && o.verify {
		err = timed("verify", func() error { return verify(ctx, pg, db, res, &o) })
	}
	if err != nil {
		if dropErr := DropDatabase(context.WithoutCancel(ctx), pg, db); dropErr != nil {
			o.log.Warn("drop half-restored database", "db", db, "error", dropErr)
		}
		return nil, err
	}
	return res, nil
}

// checkTarget refuses a dump the server cannot load (newer PostgreSQL,
// newer archive format) before anything is created.
func checkTarget(ctx context.Context, pg Postgres, b *backup.Backup) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("restore: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return b.CheckTarget(serverMajor(conn))
}

// CreateDatabase creates db as Odoo's database manager does: UTF8 from
// template0 with the C collation, and the pg_trgm extension.
func CreateDatabase(ctx context.Context, pg Postgres, db string) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("restore: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(db)+" ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0"); err != nil {
		return exit.Infra("restore: create database %s: %v", db, err)
	}
	dbc, err := pg.Connect(ctx, db)
	if err != nil {
		return exit.Infra("restore: %v", err)
	}
	defer dbc.Close(context.WithoutCancel(ctx))
	if _, err := dbc.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm"); err != nil {
		return exit.Infra("restore: create extension pg_trgm in %s: %v", db, err)
	}
	return nil
}

// DropDatabase drops db, ending its sessions first.
func DropDatabase(ctx context.Context, pg Postgres, db string) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(db)+" WITH (FORCE)")
	return err
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }
