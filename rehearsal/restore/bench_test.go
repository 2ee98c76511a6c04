package restore_test

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"github.com/odoo-rehearse/rehearse/fixtures/shared"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
)

// BenchmarkRestore compares, in one PostgreSQL container and on the same
// data, rehearse's restore of an Odoo zip with what Odoo does (createdb +
// psql -f dump.sql), with pg_restore -j 2 of the same database in custom
// format, and a clone of the golden copy with the restore. Methods run
// interleaved, REHEARSE_BENCH_ROUNDS times (default 3), and the table
// shows medians. Fixtures: prod16 from ../shared, and the large generated
// one (make fixtures-large, or REHEARSE_BENCH_LARGE=dir holding
// gen16_large.zip and gen16_large.dump).
//
//	make bench-restore
func BenchmarkRestore(b *testing.B) {
	type fixture struct{ name, zip, custom string }
	var fixtures []fixture
	if shared := sharedDirOrEmpty(); shared != "" {
		dir := filepath.Join(shared, "odoo", "backups")
		fixtures = append(fixtures, fixture{"prod16", filepath.Join(dir, "prod16.zip"), filepath.Join(dir, "prod16.Fc.dump")})
	}
	large := os.Getenv("REHEARSE_BENCH_LARGE")
	if large == "" {
		large = filepath.Join(repoRoot(b), "fixtures", "testdata", "generated")
	}
	if _, err := os.Stat(filepath.Join(large, "gen16_large.zip")); err == nil {
		fixtures = append(fixtures, fixture{"large", filepath.Join(large, "gen16_large.zip"), filepath.Join(large, "gen16_large.dump")})
	} else {
		// Without backupgen's large fixture, a synthetic one: a 1.2 GB
		// dump dominated by one table, the shape DESIGN.md's performance
		// notes describe (its custom format is dumped from our restore).
		b.Logf("backupgen's large fixture absent (%v; make fixtures-large): using a synthetic one", err)
		fixtures = append(fixtures, fixture{"synthetic-1.2GB", synthLarge(b), ""})
	}
	if only := os.Getenv("REHEARSE_BENCH_FIXTURES"); only != "" { // e.g. "large" or "prod16,large"
		var kept []fixture
		for _, fx := range fixtures {
			if strings.Contains(","+only+",", ","+fx.name+",") {
				kept = append(kept, fx)
			}
		}
		fixtures = kept
	}
	if len(fixtures) == 0 {
		b.Skip("no fixture: neither ../shared nor the large generated backup")
	}
	rounds := 3
	if n, err := strconv.Atoi(os.Getenv("REHEARSE_BENCH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	pg := containertest.Postgres(b)
	ctx := b.Context()
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fixture\tdump\trehearse\t+verify\tpsql -f\tpg_restore -j 2\tclone\tvs psql\tvs pg_restore\tclone/restore\trunner peak RSS\t")
	for b.Loop() {
		for _, fx := range fixtures {
			bk, err := backup.Inspect(ctx, fx.zip)
			require.NoError(b, err)
			// The competitors' inputs are copied in once, untimed.
			sqlHost := extractDump(b, fx.zip)
			require.NoError(b, pg.CopyFile(ctx, sqlHost, "/tmp/bench.sql"))
			os.Remove(sqlHost)
			if fx.custom != "" {
				require.NoError(b, pg.CopyFile(ctx, fx.custom, "/tmp/bench.dump"))
			}

			times := map[string][]time.Duration{}
			var rss int64
			for round := range rounds {
				db := fmt.Sprintf("bench_%d", round)
				resetPeakRSS()
				start := time.Now()
				res, err := restore.Restore(ctx, pg, bk, db, restore.WithJobs(2))
				total := time.Since(start)
				require.NoError(b, err)
				rss = max(rss, peakRSS())
				var verify time.Duration
				for _, p := range res.Phases {
					if p.Name == "verify" {
						verify = p.Duration
					}
				}
				times["rehearse"] = append(times["rehearse"], total-verify)
				times["verified"] = append(times["verified"], total)
				if fx.custom == "" && round == 0 {
					timeExec(b, pg, "pg_dump -Fc --no-owner -f /tmp/bench.dump "+db)
				}
				times["psql"] = append(times["psql"], timeExec(b, pg, "createdb -E unicode -l C -T template0 "+db+"_psql && psql -q -d "+db+"_psql -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm' && psql -q -d "+db+"_psql -f /tmp/bench.sql >/dev/null 2>&1"))
				times["pg_restore"] = append(times["pg_restore"], timeExec(b, pg, "createdb -E unicode -l C -T template0 "+db+"_pgr && pg_restore --no-owner -j 2 -d "+db+"_pgr /tmp/bench.dump"))

				require.NoError(b, restore.MakeGolden(ctx, pg, db))
				start = time.Now()
				require.NoError(b, restore.Clone(ctx, pg, db, db+"_clone"))
				times["clone"] = append(times["clone"], time.Since(start))
				for _, d := range []string{db, db + "_clone", db + "_psql", db + "_pgr"} {
					dropTemplate(b, pg, d)
				}
			}
			m := func(k string) time.Duration { return median(times[k]) }
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2fx\t%.2fx\t%.1f%%\t%d MB\t\n", fx.name, mb(bk.DumpSize),
				secs(m("rehearse")), secs(m("verified")), secs(m("psql")), secs(m("pg_restore")), secs(m("clone")),
				ratio(m("psql"), m("rehearse")), ratio(m("pg_restore"), m("rehearse")),
				100*m("clone").Seconds()/m("rehearse").Seconds(), rss>>20)
			b.ReportMetric(ratio(m("psql"), m("rehearse")), fx.name+"-x-vs-psql")
			b.ReportMetric(ratio(m("pg_restore"), m("rehearse")), fx.name+"-x-vs-pg_restore")
			b.ReportMetric(float64(rss>>20), fx.name+"-peak-RSS-MB")
		}
	}
	tw.Flush()
	b.Logf("restore benchmark, %d rounds, medians (vs: how many times faster rehearse is; > 1 is faster):\n%s", rounds, table.String())
}

// synthLarge writes (once, then reuses) a 1.2 GB dump zip in the
// system's temporary folder.
func synthLarge(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "rehearse-bench-synthetic-v1")
	p := filepath.Join(dir, "large.zip")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	require.NoError(b, os.MkdirAll(dir, 0o755))
	tmp, err := os.CreateTemp(dir, "large-*.zip")
	require.NoError(b, err)
	zw := zip.NewWriter(tmp)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	w, err := zw.Create("dump.sql")
	require.NoError(b, err)
	backuptest.Write(w, backuptest.Options{Partners: 5_000_000, CommentBytes: 180})
	w, err = zw.Create("manifest.json")
	require.NoError(b, err)
	_, err = io.WriteString(w, backuptest.Manifest("base"))
	require.NoError(b, err)
	require.NoError(b, zw.Close())
	require.NoError(b, tmp.Close())
	require.NoError(b, os.Rename(tmp.Name(), p))
	return p
}

func timeExec(b *testing.B, pg *container.Postgres, script string) time.Duration {
	start := time.Now()
	r, err := pg.Exec(b.Context(), []string{"sh", "-c", script})
	d := time.Since(start)
	require.NoError(b, err)
	require.Equal(b, 0, r.ExitCode, "%s: %s", script, r.Output)
	return d
}

func dropTemplate(b *testing.B, pg *container.Postgres, db string) {
	conn, err := pg.Connect(b.Context(), "postgres")
	require.NoError(b, err)
	defer conn.Close(b.Context())
	_, err = conn.Exec(b.Context(), "ALTER DATABASE "+db+" IS_TEMPLATE false")
	if err == nil {
		_, err = conn.Exec(b.Context(), "DROP DATABASE "+db+" WITH (FORCE)")
	}
	if err != nil && !strings.Contains(err.Error(), "does not exist") {
		require.NoError(b, err)
	}
}

func extractDump(b *testing.B, zipPath string) string {
	zr, err := zip.OpenReader(zipPath)
	require.NoError(b, err)
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "dump.sql" {
			r, err := f.Open()
			require.NoError(b, err)
			out, err := os.CreateTemp(b.TempDir(), "dump-*.sql")
			require.NoError(b, err)
			_, err = io.Copy(out, r)
			require.NoError(b, err)
			require.NoError(b, out.Close())
			return out.Name()
		}
	}
	b.Fatalf("%s has no dump.sql", zipPath)
	return ""
}

// resetPeakRSS and peakRSS read the kernel's high-water mark of this
// process's resident memory (VmHWM), reset through clear_refs.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ratio(other, ours time.Duration) float64 { return other.Seconds() / ours.Seconds() }
func secs(d time.Duration) string             { return fmt.Sprintf("%.2fs", d.Seconds()) }
func mb(n int64) string                       { return fmt.Sprintf("%d MB", n>>20) }

func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
	}
	t.Fatal("go.mod not found")
	return ""
}

func sharedDirOrEmpty() string { return shared.Root() }
