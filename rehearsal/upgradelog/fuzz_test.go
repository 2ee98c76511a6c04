package upgradelog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds arbitrary bytes, split at an arbitrary point, and checks
// that the parser never panics, counts every line, keeps its caps, and
// judges the same whatever the split.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data, uint(len(data)/2))
	}
	f.Add([]byte("2026-11-24 21:06:50,284 1 CRITICAL db odoo.modules.module: Couldn't load module \n"), uint(30))
	f.Add([]byte("2026-11-24 21:06:50,284 1 INFO db odoo.modules.migration: module x: Running migration [$] \n"), uint(3))
	f.Add([]byte("2026-11-24 21:06:50,284 1 INFO db odoo.modules.loading: Loading module  (/) \r\n"), uint(0))

	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		cut := int(split % uint(len(data)+1))
		opts := []Option{WithAllow(manifestNoise), WithMaxProblems(3), WithTracebackLimit(4, 200)}

		whole := New(opts...)
		_, _ = whole.Write(data)
		want := whole.Judge(1)

		parts := New(opts...)
		_, _ = parts.Write(data[:cut])
		_, _ = parts.Write(data[cut:])
		got := parts.Judge(1)
		require.Equal(t, want, got)

		lines := int64(bytes.Count(data, []byte("\n")))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		require.Equal(t, lines, got.Lines)
		require.Equal(t, int64(len(data)), got.Bytes)
		require.LessOrEqual(t, len(got.Problems), 3)
		for _, p := range got.Problems {
			require.LessOrEqual(t, len(p.Traceback), 200)
		}
		require.False(t, got.OK, "exit code 1 always fails")
	})
}
