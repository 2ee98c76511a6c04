package restore

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// containerDir is where archives are copied inside the PostgreSQL
// container; it is removed after the restore.
const containerDir = "/tmp/rehearse-restore"

// loadArchive restores a custom or directory archive with pg_restore -j N
// inside the PostgreSQL container, and counts the rows the archive
// carries by decoding its data section there (pg_restore --data-only to
// stdout, COPY rows counted by awk) while the restore runs.
func loadArchive(ctx context.Context, pg Postgres, b *backup.Backup, db string, o *options, res *Result, timed func(string, func() error) error) error {
	dest := path.Join(containerDir, db+".dump")
	err := timed("copy archive", func() error { return copyArchive(ctx, pg, b.DumpPath, dest) })
	defer pg.Exec(context.WithoutCancel(ctx), []string{"rm", "-rf", dest})
	if err != nil {
		return err
	}
	res.Notes = append(res.Notes, "pg_restore runs with --no-owner --no-privileges: the production roles do not exist in the rehearsal")
	return timed("pg_restore", func() error {
		var (
			wg                  sync.WaitGroup
			counts              map[string]int64
			countErr, restorErr error
		)
		wg.Go(func() { counts, countErr = archiveRows(ctx, pg, dest) })
		restorErr = pgRestore(ctx, pg, dest, db, o, res)
		wg.Wait()
		if restorErr != nil {
			return restorErr
		}
		if countErr != nil {
			return countErr
		}
		for t, n := range counts {
			res.Rows[t] = n
		}
		return nil
	})
}

func copyArchive(ctx context.Context, pg Postgres, src, dest string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return exit.Input("restore: %v", err)
	}
	if !fi.IsDir() {
		if err := pg.CopyFile(ctx, src, dest); err != nil {
			return exit.Infra("restore: copy %s into the PostgreSQL container: %v", src, err)
		}
		return nil
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return exit.Input("restore: %v", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := pg.CopyFile(ctx, filepath.Join(src, e.Name()), path.Join(dest, e.Name())); err != nil {
			return exit.Infra("restore: copy %s into the PostgreSQL container: %v", e.Name(), err)
		}
	}
	return nil
}

func pgRestore(ctx context.Context, pg Postgres, file, db string, o *options, res *Result) error {
	r, err := pg.Exec(ctx, []string{"pg_restore", "--no-owner", "--no-privileges", "-j", strconv.Itoa(o.jobs), "-d", db, file})
	if err != nil {
		return exit.Infra("restore: pg_restore: %v", err)
	}
	errs := pgRestoreErrors(r.Output)
	for _, e := range errs {
		if !o.allowed(e) {
			return exit.Input("restore: pg_restore of %s: %v\n(if this error is expected, allow it with a pattern)", db, e)
		}
		res.Allowed = append(res.Allowed, e)
	}
	if r.ExitCode != 0 && len(errs) == 0 {
		return exit.Infra("restore: pg_restore exited %d: %s", r.ExitCode, shorten(string(r.Output), 2000))
	}
	return nil
}

// pgRestoreErrors parses pg_restore's report of failed statements:
//
//	pg_restore: error: could not execute query: ERROR:  relation "x" already exists
//	Command was: CREATE TABLE public.x (...
func pgRestoreErrors(out []byte) []SQLError {
	var errs []SQLError
	var cur *SQLError
	inCommand := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "pg_restore: error: "):
			errs = append(errs, SQLError{Message: strings.TrimPrefix(line, "pg_restore: error: ")})
			cur, inCommand = &errs[len(errs)-1], false
		case strings.HasPrefix(line, "pg_restore: warning: errors ignored on restore"):
			cur = nil
		case cur != nil && strings.HasPrefix(line, "Command was: "):
			cur.Statement, inCommand = strings.TrimPrefix(line, "Command was: "), true
		case cur != nil && inCommand && !strings.HasPrefix(line, "pg_restore: "):
			cur.Statement += " " + line
		case cur != nil && !inCommand && !strings.HasPrefix(line, "pg_restore: "):
			cur.Message += "; " + strings.TrimSpace(line)
		default:
			inCommand = false
		}
	}
	for i := range errs {
		errs[i].Statement = shorten(errs[i].Statement, 300)
	}
	return errs
}

// countScript prints "table<TAB>rows" for every COPY block of the data
// that pg_restore writes to stdout.
const countScript = `{ pg_restore --data-only -f - "$1" || echo "rehearse: pg_restore failed 6f1d0c"; } | awk '
  $0 == "rehearse: pg_restore failed 6f1d0c" { print "pg_restore failed"; exit 3 }
  inb && $0 == "\\." { print t "\t" n; inb = 0; next }
  inb { n++; next }
  /^COPY / { t = $2; n = 0; inb = 1 }
'`

func archiveRows(ctx context.Context, pg Postgres, file string) (map[string]int64, error) {
	r, err := pg.Exec(ctx, []string{"sh", "-c", countScript, "sh", file})
	if err != nil {
		return nil, exit.Infra("restore: count the archive's rows: %v", err)
	}
	if r.ExitCode != 0 {
		return nil, exit.Infra("restore: count the archive's rows: exit %d: %s", r.ExitCode, shorten(string(r.Output), 1000))
	}
	counts := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Output))
	for sc.Scan() {
		table, n, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			continue
		}
		counts[table] += v
	}
	if len(counts) == 0 {
		return nil, exit.Infra("restore: the archive's data section could not be read: %s", shorten(string(r.Output), 1000))
	}
	return counts, nil
}
