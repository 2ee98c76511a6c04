package restore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// The restore cache keeps each backup's golden copy between runs, so a
// second rehearsal of the same backup skips the restore entirely.
//
// An entry is a Docker volume holding the PGDATA of a PostgreSQL cluster
// in which the backup was restored as the golden database. The run starts
// its PostgreSQL on that volume (container.PostgresOptions.DataVolume),
// finds the golden database sealed, and clones it. The key is the backup's
// sha256 and the PostgreSQL image ID (a cluster belongs to its server
// version). The volume is labelled like every resource of rehearse
// (rehearse.run of the run that filled it) plus rehearse.kind=cache, so a
// run's teardown leaves it and `rehearse gc` keeps it unless asked to
// remove the cache; rehearse.backup.sha256 and rehearse.cache.image say
// what it holds.
//
// One run at a time uses an entry (two servers on one PGDATA would
// corrupt it): a host lock file under the user's cache folder guards it.
// A run that died mid-restore leaves an unsealed golden database, which
// the next run drops and restores again; clones left by killed runs are
// dropped when the entry is opened.

// Labels of a cache volume.
const (
	LabelBackupSHA256 = "rehearse.backup.sha256"
	LabelCacheImage   = "rehearse.cache.image"
)

// CacheRuntime is what the cache needs of the container runtime;
// *container.Runtime satisfies it.
type CacheRuntime interface {
	RunID() string
	ImageID(ctx context.Context, ref string) (string, error)
	Docker() *client.Client
}

// CacheEntry is one backup's cache volume, locked for this run.
type CacheEntry struct {
	Volume string // mount it as PGDATA: container.PostgresOptions.DataVolume
	Golden string // the golden database's name inside
	SHA256 string
	lock   *os.File
}

// OpenCache finds or creates the cache volume of the backup with the given
// sha256 for PostgreSQL image pgImage, and locks it for this run until
// Close. It waits while another run on this host holds the entry.
func OpenCache(ctx context.Context, rt CacheRuntime, sha256, pgImage string) (*CacheEntry, error) {
	if len(sha256) != 64 {
		return nil, fmt.Errorf("restore cache: %q is not a sha256", sha256)
	}
	imageID, err := rt.ImageID(ctx, pgImage)
	if err != nil {
		return nil, err
	}
	short := strings.TrimPrefix(imageID, "sha256:")
	short = short[:min(12, len(short))]
	e := &CacheEntry{
		Volume: "rehearse-cache-" + sha256[:16] + "-" + short,
		Golden: "rehearse_golden_" + sha256[:16],
		SHA256: sha256,
	}
	if e.lock, err = lockEntry(ctx, e.Volume); err != nil {
		return nil, err
	}
	_, err = rt.Docker().VolumeCreate(ctx, client.VolumeCreateOptions{Name: e.Volume, Labels: map[string]string{
		container.LabelRun:  rt.RunID(),
		container.LabelKind: container.KindCache,
		container.LabelPID:  strconv.Itoa(os.Getpid()),
		LabelBackupSHA256:   sha256,
		LabelCacheImage:     imageID,
	}})
	if err != nil { // creating an existing volume returns it unchanged
		e.Close()
		return nil, exit.Infra("restore cache: volume %s: %v", e.Volume, err)
	}
	return e, nil
}

// Close releases the entry for other runs.
func (e *CacheEntry) Close() error {
	if e.lock == nil {
		return nil
	}
	err := e.lock.Close() // closing releases the flock
	e.lock = nil
	return err
}

const sealPrefix = "rehearse golden copy of backup sha256 "

// Ready reports whether the server started on the entry's volume holds the
// sealed golden database. It first drops what killed runs left there:
// their clones, and a golden database that was never sealed.
func (e *CacheEntry) Ready(ctx context.Context, pg Postgres) (bool, error) {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return false, exit.Infra("restore cache: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')`)
	if err != nil {
		return false, exit.Infra("restore cache: %v", err)
	}
	dbs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Comment string }])
	if err != nil {
		return false, exit.Infra("restore cache: %v", err)
	}
	ready := false
	for _, db := range dbs {
		if db.Name == e.Golden && db.Comment == sealPrefix+e.SHA256 {
			ready = true
			continue
		}
		q := "DROP DATABASE " + ident(db.Name) + " WITH (FORCE)"
		if db.Name == e.Golden {
			q = "ALTER DATABASE " + ident(db.Name) + " IS_TEMPLATE false; " + q
		}
		if _, err := conn.PgConn().Exec(ctx, q).ReadAll(); err != nil {
			return false, exit.Infra("restore cache: drop %s left by an earlier run: %v", db.Name, err)
		}
	}
	return ready, nil
}

// Seal marks the golden database complete: only a sealed golden copy is
// ever reused. Call it after Restore and MakeGolden succeeded.
func (e *CacheEntry) Seal(ctx context.Context, pg Postgres) error {
	conn, err := pg.Connect(ctx, "postgres")
	if err != nil {
		return exit.Infra("restore cache: %v", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// COMMENT takes no parameters; the sha256 is hex, checked in OpenCache.
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+ident(e.Golden)+" IS '"+sealPrefix+e.SHA256+"'"); err != nil {
		return exit.Infra("restore cache: seal %s: %v", e.Golden, err)
	}
	// The clean shutdown that makes the volume consistent is the
	// container's stop at teardown; a checkpoint now narrows the window.
	_, err = conn.Exec(ctx, "CHECKPOINT")
	return err
}

func lockEntry(ctx context.Context, name string) (*os.File, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "rehearse", "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, exit.Infra("restore cache: %v", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, exit.Infra("restore cache: %v", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, exit.Infra("restore cache: lock %s: %v", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
