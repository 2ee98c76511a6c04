package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScenariosLint(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("scenario: x\nsteps:\n  - model: res.partner\n    method: search_count\n    expcet: {count: 1}\n  - check: nope\n"), 0o600))
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderrs []string
	}{
		{"examples are valid", []string{"scenarios", "lint", "../../scenarios/examples"}, 0, "3 scenarios, ", nil},
		{"each problem with file:line", []string{"scenarios", "lint", bad}, 2, "",
			[]string{bad + `:5: unknown key "expcet"`, bad + `:6: unknown check "nope"`, "2 problem(s)"}},
		{"missing file", []string{"scenarios", "lint", filepath.Join(dir, "none.yaml")}, 2, "", []string{"no such file"}},
		{"no path", []string{"scenarios", "lint"}, 2, "", []string{"usage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			assert.Contains(t, out, tc.stdout)
			for _, s := range tc.stderrs {
				assert.Contains(t, errOut, s)
			}
		})
	}
}
