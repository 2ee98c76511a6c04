package restore_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
)

// One PostgreSQL for the whole file: starting one per test would cost more
// than the tests.
func TestRestore(t *testing.T) {
	rt := containertest.Runtime(t)
	pg := containertest.PostgresOn(t, rt)
	dir := t.TempDir()
	d := backuptest.SQL(backuptest.Options{Partners: 20000, Restrict: true})

	t.Run("odoo zip with our loader", func(t *testing.T) {
		p := backuptest.OdooZip(t, dir, d)
		b := inspect(t, p)
		res, err := restore.Restore(t.Context(), pg, b, "zip", restore.WithChunkBytes(64<<10))
		require.NoError(t, err)
		assert.True(t, res.Verified)
		assert.Equal(t, "rehearse", res.Method)
		assert.Equal(t, d.Rows, res.Rows)
		assertSchema(t, pg, "zip", 2, 4, 1, 1)
		// Odoo's creation parameters.
		assert.Equal(t, "C", queryString(t, pg, "zip", "SELECT datcollate FROM pg_database WHERE datname = current_database()"))
		assert.Equal(t, "UTF8", queryString(t, pg, "zip", "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"))
		// Data round-trips, escapes included, and the sequences were set.
		assert.Equal(t, "Tab\there; and a semicolon", queryString(t, pg, "zip", "SELECT name FROM res_company WHERE id = 2"))
		assert.Equal(t, "line one\nline two; '$$'", queryString(t, pg, "zip", "SELECT comment FROM res_partner WHERE id = 7"))
		assert.Equal(t, "20001", queryString(t, pg, "zip", "SELECT nextval('res_partner_id_seq')::text"))
		assert.Equal(t, sha(t, p), b.SHA256, "the backup is unchanged")
	})

	t.Run("sql.gz", func(t *testing.T) {
		b := inspect(t, backuptest.Gzip(t, dir, "d.sql.gz", d.SQL))
		res, err := restore.Restore(t.Context(), pg, b, "gz")
		require.NoError(t, err)
		assert.Equal(t, d.Rows, res.Rows)
	})

	t.Run("custom and directory archives with pg_restore", func(t *testing.T) {
		for _, format := range []string{"c", "d"} {
			out := "/tmp/src." + format
			r, err := pg.Exec(t.Context(), []string{"pg_dump", "-F" + format, "--no-owner", "-f", out, "zip"})
			require.NoError(t, err)
			require.Equal(t, 0, r.ExitCode, string(r.Output))
			host := filepath.Join(dir, "src."+format)
			if format == "c" {
				require.NoError(t, pg.CopyFileFrom(t.Context(), out, host))
			} else {
				require.NoError(t, os.MkdirAll(host, 0o755))
				r, err := pg.Exec(t.Context(), []string{"sh", "-c", "ls " + out})
				require.NoError(t, err)
				for _, name := range strings.Fields(string(r.Output)) {
					require.NoError(t, pg.CopyFileFrom(t.Context(), out+"/"+name, filepath.Join(host, name)))
				}
			}
			b := inspect(t, host)
			require.Equal(t, backup.DumpArchive, b.DumpKind)
			db := "archive_" + format
			res, err := restore.Restore(t.Context(), pg, b, db)
			require.NoError(t, err, format)
			assert.Equal(t, "pg_restore -j 2", res.Method[:len("pg_restore -j 2")])
			assert.Equal(t, d.Rows, res.Rows, "rows counted from the archive's data")
			assert.True(t, res.Verified)
			assertSchema(t, pg, db, 2, 4, 1, 1)
		}
	})

	t.Run("a failing statement fails the restore, naming its line", func(t *testing.T) {
		bad := backuptest.SQL(backuptest.Options{Partners: 3, Extra: "CREATE VIEW public.broken AS SELECT nosuchcolumn FROM public.res_partner;\n"})
		line := 1 + strings.Count(bad.SQL[:strings.Index(bad.SQL, "CREATE VIEW public.broken")], "\n")
		p := backuptest.Zip(t, t.TempDir(), "bad.zip", backuptest.File{Name: "dump.sql", Body: bad.SQL})
		b := inspect(t, p)
		_, err := restore.Restore(t.Context(), pg, b, "bad")
		require.Error(t, err)
		assert.Equal(t, exit.CannotRun, exit.Code(err))
		assert.Contains(t, err.Error(), "bad.zip: dump.sql")
		assert.Contains(t, err.Error(), "line "+itoa(line)+": ERROR: column \"nosuchcolumn\" does not exist")
		assert.Contains(t, err.Error(), "statement: CREATE VIEW public.broken")
		assert.False(t, databaseExists(t, pg, "bad"), "a failed restore drops its database")

		res, err := restore.Restore(t.Context(), pg, b, "bad", restore.WithAllow(regexp.MustCompile(`nosuchcolumn`)))
		require.NoError(t, err)
		require.Len(t, res.Allowed, 1)
		assert.Equal(t, line, res.Allowed[0].Line)
		assert.True(t, res.Verified)
	})

	t.Run("bad COPY data names the dump line of the row", func(t *testing.T) {
		bad := backuptest.SQL(backuptest.Options{Partners: 50})
		bad.SQL = strings.Replace(bad.SQL, "37\tPartner 37\t2\t", "37\tPartner 37\tnot-a-number\t", 1)
		line := 1 + strings.Count(bad.SQL[:strings.Index(bad.SQL, "37\tPartner 37")], "\n")
		b := inspect(t, backuptest.Zip(t, t.TempDir(), "copy.zip", backuptest.File{Name: "dump.sql", Body: bad.SQL}))
		_, err := restore.Restore(t.Context(), pg, b, "badcopy", restore.WithChunkBytes(256))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "line "+itoa(line)+":")
		assert.Contains(t, err.Error(), "invalid input syntax for type integer")
	})

	t.Run("a dump from a newer PostgreSQL is refused before anything is created", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "pg17.sql")
		require.NoError(t, os.WriteFile(p, []byte(backuptest.SQL(backuptest.Options{Partners: 1, Header: "17.2"}).SQL), 0o444))
		b, err := backup.Inspect(t.Context(), p) // no target given at inspection
		require.NoError(t, err)
		_, err = restore.Restore(t.Context(), pg, b, "newer")
		require.Error(t, err)
		assert.Equal(t, exit.CannotRun, exit.Code(err))
		assert.Contains(t, err.Error(), "pg17.sql: dumped from PostgreSQL 17.2, newer than the target PostgreSQL 15")
		assert.False(t, databaseExists(t, pg, "newer"))
	})

	t.Run("pg_dump 17 and psql-only lines are handled, and said", func(t *testing.T) {
		d17 := backuptest.SQL(backuptest.Options{Partners: 2, Restrict: true, Extra: "SET transaction_timeout = 0;\n\\connect prod\n"})
		b := inspect(t, backuptest.Zip(t, t.TempDir(), "pg17dump.zip", backuptest.File{Name: "dump.sql", Body: d17.SQL}))
		res, err := restore.Restore(t.Context(), pg, b, "pg17dump")
		require.NoError(t, err)
		assert.True(t, res.Verified)
		notes := strings.Join(res.Notes, "\n")
		assert.Contains(t, notes, "skipped SET transaction_timeout = 0;")
		assert.Contains(t, notes, `\connect ignored`)
	})

	t.Run("golden copy and clone", func(t *testing.T) {
		require.NoError(t, restore.MakeGolden(t.Context(), pg, "gz"))
		require.NoError(t, restore.Clone(t.Context(), pg, "gz", "rehearsal1"))
		assert.Equal(t, "20000", queryString(t, pg, "rehearsal1", "SELECT count(*)::text FROM res_partner"))
		_, err := pg.Connect(t.Context(), "gz")
		assert.Error(t, err, "nobody connects to the golden copy")
	})

	t.Run("filestore into a volume", func(t *testing.T) {
		b := inspect(t, backuptest.OdooZip(t, dir, d))
		vol, err := rt.Volume(t.Context(), "filestore")
		require.NoError(t, err)
		require.NoError(t, restore.Filestore(t.Context(), rt, b, vol, "prod"))
		c, err := rt.Start(t.Context(), container.Spec{Kind: "fscheck", Image: containertest.PostgresImage(), Entrypoint: []string{"sleep"}, Cmd: []string{"300"}, Volumes: map[string]string{vol: "/var/lib/odoo"}})
		require.NoError(t, err)
		r, err := c.Exec(t.Context(), []string{"sh", "-c", "cd /var/lib/odoo && find filestore -type f | sort && cat filestore/prod/8c/8c392bccccca6f16d32550295607b46d3928ac6b"})
		require.NoError(t, err)
		assert.Contains(t, string(r.Output), "filestore/prod/1c/1c7ef08e120b71507912699f35c87a57b165e9b9\nfilestore/prod/8c/8c392bccccca6f16d32550295607b46d3928ac6b\nattachment two!")
	})
}

// TestRestoreProd16 restores the real Odoo 16 backup with exact row counts.
func TestRestoreProd16(t *testing.T) {
	shared := sharedDir(t)
	pg := containertest.Postgres(t)
	for _, tc := range []struct{ file, db string }{{"prod16.zip", "prod16zip"}, {"prod16.Fc.dump", "prod16fc"}} {
		t.Run(tc.file, func(t *testing.T) {
			b := inspect(t, filepath.Join(shared, "odoo", "backups", tc.file))
			res, err := restore.Restore(t.Context(), pg, b, tc.db)
			require.NoError(t, err)
			t.Logf("%s: %s %v", tc.file, res.Method, res.Phases)
			assert.True(t, res.Verified)
			assert.Len(t, res.Rows, 491)
			var total int64
			for _, n := range res.Rows {
				total += n
			}
			assert.Equal(t, int64(38517), total)
			if b.Rows != nil {
				assert.Equal(t, b.Rows, res.Rows)
			}
			// 497 indexes of pg_dump's own plus those of primary keys and
			// unique constraints; the same for both formats.
			assertSchema(t, pg, tc.db, 491, prod16Indexes, 1836, 0)
			assert.Empty(t, res.Allowed)
		})
	}
}

func inspect(t *testing.T, p string) *backup.Backup {
	t.Helper()
	b, err := backup.Inspect(t.Context(), p, backup.WithTargetPG(15))
	require.NoError(t, err)
	return b
}

// assertSchema counts the restored tables, indexes (constraint-backed ones
// included), foreign keys and triggers.
func assertSchema(t *testing.T, pg *container.Postgres, db string, tables, indexes, fks, triggers int) {
	t.Helper()
	assert.Equal(t, itoa(tables), queryString(t, pg, db, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"), "tables")
	assert.Equal(t, itoa(indexes), queryString(t, pg, db, "SELECT count(*)::text FROM pg_indexes WHERE schemaname = 'public'"), "indexes")
	assert.Equal(t, itoa(fks), queryString(t, pg, db, "SELECT count(*)::text FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"), "foreign keys")
	if triggers > 0 {
		assert.Equal(t, itoa(triggers), queryString(t, pg, db, "SELECT count(*)::text FROM pg_trigger WHERE NOT tgisinternal"), "triggers")
	}
}

func queryString(t *testing.T, pg *container.Postgres, db, q string) string {
	t.Helper()
	conn, err := pg.Connect(t.Context(), db)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var s string
	require.NoError(t, conn.QueryRow(t.Context(), q).Scan(&s), q)
	return s
}

func databaseExists(t *testing.T, pg *container.Postgres, db string) bool {
	return queryString(t, pg, "postgres", "SELECT count(*)::text FROM pg_database WHERE datname = '"+db+"'") == "1"
}

const prod16Indexes = 497 + 554 // INDEX entries + PRIMARY KEY and UNIQUE constraints in the dump
