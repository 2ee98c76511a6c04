package restore_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
)

func itoa(n int) string { return strconv.Itoa(n) }

func sha(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func sharedDir(t testing.TB) string { return backuptest.Shared(t) }
