package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Bad input stops `rehearse run` before any container starts: exit 2 and
// a message that says what to do.
func TestRunRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "rehearsal.yaml")
	if err := os.WriteFile(spec, []byte("backup: prod.zip\ntarget_image: odoo:17.0\nconcurency: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing to rehearse", []string{"run"}, "give a rehearsal file (-f rehearsal.yaml) or at least --backup and --target-image"},
		{"unknown key in the file", []string{"run", "-f", spec}, spec + ":3: field concurency not found"},
		{"missing file", []string{"run", "-f", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"flag without target", []string{"run", "--backup", "prod.zip"}, "--target-image: missing"},
		{"bad timeout", []string{"run", "--backup", "prod.zip", "--target-image", "odoo:17.0", "--upgrade-timeout", "-1s"}, "--upgrade-timeout: give a positive duration"},
		{"bad allow pattern", []string{"run", "--backup", "prod.zip", "--target-image", "odoo:17.0", "--log-allow", "("}, "--log-allow: allow pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}
