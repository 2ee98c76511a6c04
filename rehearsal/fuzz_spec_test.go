package rehearsal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/odoo-rehearse/rehearse/rehearsal"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// FuzzLoadSpec: any rehearsal file is loaded or refused as bad input
// (exit 2) that names the file; never a panic.
func FuzzLoadSpec(f *testing.F) {
	for _, p := range []string{"../fixtures/demo/rehearsal.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("backup: b.zip\ntarget_image: odoo:17.0\ntimeouts: {upgrade: 2h, serve: 0s}\nlog: {allow: ['(']}\n"))
	f.Add([]byte("backup: [1, 2]\nconcurrency: four\nupgrade: {command: odoo}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("backup: b\ntarget_image: x\naddons: [../../../../etc]\ndatabase: \"a b\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "rehearsal.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := rehearsal.LoadSpec(p)
		if err != nil {
			if exit.Code(err) != exit.CannotRun || !strings.Contains(err.Error(), p) {
				t.Fatalf("a bad rehearsal file is bad input naming the file, got %d: %v", exit.Code(err), err)
			}
			return
		}
		if s.Backup == "" || s.TargetImage == "" {
			t.Fatalf("a loaded spec has backup and target_image: %+v", s)
		}
	})
}
