package approval_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

func TestGrantWritesTheRunDirectoryAndTheStore(t *testing.T) {
	pub, priv := newKey(t)
	runDir, storeDir := t.TempDir(), t.TempDir()
	store := approval.DirStore{Dir: storeDir}

	t.Run("rejected: nothing written", func(t *testing.T) {
		_, err := approval.Grant(t.Context(), reporttest.Failing(), priv, runDir, store, now)
		require.ErrorIs(t, err, approval.ErrNotApproved)
		assert.NoFileExists(t, filepath.Join(runDir, approval.FileName))
		entries, _ := os.ReadDir(storeDir)
		assert.Empty(t, entries)
	})
	t.Run("approved: run directory and store", func(t *testing.T) {
		r := reporttest.Passing()
		require.NoError(t, report.WriteRunDir(runDir, r))
		_, err := approval.Grant(t.Context(), r, priv, runDir, store, now)
		require.NoError(t, err)
		pol := approval.Policy{TargetImageID: reporttest.TargetImageID, Now: now}
		for _, s := range []approval.Store{approval.FileStore{Path: filepath.Join(runDir, approval.FileName)}, store} {
			d, err := approval.Verify(t.Context(), s, []ed25519.PublicKey{pub}, pol)
			require.NoError(t, err)
			assert.True(t, d.Approved, d.Explain(pol))
		}
	})
}

func TestLoadSigningKey(t *testing.T) {
	dir := t.TempDir()
	_, err := approval.LoadSigningKey(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rehearse keys init")

	_, err = approval.GenerateKeyPair(dir)
	require.NoError(t, err)
	fromDir, err := approval.LoadSigningKey(dir)
	require.NoError(t, err)

	_, other := newKey(t)
	der, err := x509.MarshalPKCS8PrivateKey(other)
	require.NoError(t, err)
	t.Setenv(approval.SigningKeyEnv, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	fromEnv, err := approval.LoadSigningKey(dir)
	require.NoError(t, err)
	assert.Equal(t, other, fromEnv, "the variable wins over the directory")
	assert.NotEqual(t, fromDir, fromEnv)

	t.Setenv(approval.SigningKeyEnv, "not a key")
	_, err = approval.LoadSigningKey(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$REHEARSE_SIGNING_KEY")
	assert.NotContains(t, err.Error(), "not a key", "the variable's content is never echoed")
}
