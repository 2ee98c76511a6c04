package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any scenario file is loaded or refused with problems that
// each name the file; never a panic, and a loaded set has a digest.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"examples/*.yaml", "builtin/*.yaml", "testdata/bad/*.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("scenario: x\nsteps:\n  - sql: SELECT 1\n    expect: {rows: {min: 1}}\n"))
	f.Add([]byte("scenario: x\nsteps: [{model: a, method: b, args: [\"${y}\"], capture: {y: id}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "checks.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := Load(t.Context(), []string{p})
		var problems Problems
		switch {
		case errors.As(err, &problems):
			for _, pr := range problems {
				if pr.File != p {
					t.Fatalf("problem names %q, not the file: %v", pr.File, pr)
				}
			}
		case err != nil:
			t.Fatalf("an error that is not file:line problems: %v", err)
		case set.Digest == "":
			t.Fatal("a loaded set has a digest")
		}
	})
}
