package restore

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// MakeGolden turns a restored database into the golden copy: a template
// nobody connects to, so that clones of it are consistent and cheap.
func MakeGolden(ctx context.Context, pg Postgres, db string) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("golden copy: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// CREATE DATABASE ... TEMPLATE fails while anyone is connected to
	// the template; nobody should be, and nobody may connect later.
	for _, q := range []string{
		"ALTER DATABASE " + ident(db) + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
		// A FILE_COPY clone starts with a checkpoint; paying it here, once
		// per golden copy, keeps every clone cheap.
		"CHECKPOINT",
	} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, db)
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			return exit.Infra("golden copy %s: %v", db, err)
		}
	}
	return nil
}

// Clone creates database name as a copy of the golden database. On
// PostgreSQL 15+ it copies files (STRATEGY FILE_COPY) instead of
// WAL-logging every block, which is what makes a clone a fraction of a
// restore.
func Clone(ctx context.Context, pg Postgres, golden, name string) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("clone: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := "CREATE DATABASE " + ident(name) + " TEMPLATE " + ident(golden)
	if serverMajor(conn) >= 15 {
		q += " STRATEGY FILE_COPY"
	}
	if _, err := conn.Exec(ctx, q); err != nil {
		return exit.Infra("clone %s from %s: %v", name, golden, err)
	}
	return nil
}

func serverMajor(conn *pgx.Conn) int {
	v := conn.PgConn().ParameterStatus("server_version")
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

// Volumes is where the filestore goes: *container.Runtime satisfies it.
type Volumes interface {
	CopyToVolume(ctx context.Context, volume, dir string, tarStream io.Reader) error
}

// Filestore copies the backup's filestore into volume at filestore/<db>,
// where Odoo looks for it when the volume is mounted at /var/lib/odoo.
// It streams: the zip entries (or folder files) go straight into a tar
// that the Docker engine unpacks, nothing is extracted on the host.
func Filestore(ctx context.Context, vols Volumes, b *backup.Backup, volume, db string) error {
	if !b.Filestore.Present {
		return nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(b.WriteFilestore(ctx, pw, ".")) }()
	err := vols.CopyToVolume(ctx, volume, "filestore/"+db, pr)
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("filestore of %s: %w", b.Path, err)
	}
	return nil
}
