package backup

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// FuzzParseManifest: any manifest.json is either read or refused as bad
// input (exit 2) naming the file; never a panic.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(backuptest.Manifest("base", "web")))
	f.Add([]byte(`{"odoo_dump": "1", "version": "16.0"}`))
	f.Add([]byte(`{"version": 16, "major_version": [], "pg_version": null, "modules": {"a": 1}}`))
	f.Add([]byte("{\n  \"version\": \"16.0\",\n  oops\n}"))
	f.Add([]byte("\xff\xfe{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(bytes.NewReader(data), "prod.zip: manifest.json")
		if err != nil {
			if exit.Code(err) != exit.CannotRun || !bytes.Contains([]byte(err.Error()), []byte("prod.zip: manifest.json")) {
				t.Fatalf("a bad manifest is bad input naming the file, got %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("no error and no manifest")
		}
	})
}

// FuzzInspect gives the backup reader arbitrary files (the seeds are each
// format's real shape): it detects and reads them or refuses them as bad
// input, never panics, and never changes the file.
func FuzzInspect(f *testing.F) {
	good := backuptest.SQL(backuptest.Options{Partners: 2}).SQL
	dir := f.TempDir()
	for _, p := range []string{
		backuptest.OdooZip(f, dir, backuptest.SQL(backuptest.Options{Partners: 2})),
		backuptest.Gzip(f, dir, "d.sql.gz", good),
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(good))
	f.Add([]byte("PGDMP\x01\x0e\x00\x04\x08\x01"))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "backup")
		if err := os.WriteFile(p, data, 0o444); err != nil {
			t.Fatal(err)
		}
		_, err := Inspect(t.Context(), p, WithTargetPG(15), WithMaxExpansion(50))
		if err != nil && exit.Code(err) != exit.CannotRun {
			t.Fatalf("a bad backup exits 2, got %d: %v", exit.Code(err), err)
		}
		after, rerr := os.ReadFile(p)
		if rerr != nil || !bytes.Equal(after, data) {
			t.Fatal("the backup changed")
		}
	})
}
