package restore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sha(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// sharedDir is ../shared next to the repository: real Odoo backups. Absent,
// the test skips, except under CI=true where it must be present.
func sharedDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared")
			if _, err := os.Stat(filepath.Join(shared, "odoo", "backups")); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("../shared is absent under CI=true: %v", err)
				}
				t.Skipf("../shared (real Odoo backups) is absent next to the repository: %v", err)
			}
			return shared
		}
	}
	t.Fatal("go.mod not found")
	return ""
}
