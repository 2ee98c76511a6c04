package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
)

func TestKeysInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	code, out, errOut := runCLI(t, "keys", "init", "--dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, filepath.Join(dir, approval.PrivateKeyFile))
	keyBefore, err := os.ReadFile(filepath.Join(dir, approval.PrivateKeyFile))
	require.NoError(t, err)
	// The private key never reaches the terminal.
	assert.NotContains(t, out, "PRIVATE KEY")

	fi, err := os.Stat(filepath.Join(dir, approval.PrivateKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	code, _, errOut = runCLI(t, "keys", "init", "--dir", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "key already exists")
	keyAfter, err := os.ReadFile(filepath.Join(dir, approval.PrivateKeyFile))
	require.NoError(t, err)
	assert.Equal(t, keyBefore, keyAfter, "the existing key is untouched")
}
