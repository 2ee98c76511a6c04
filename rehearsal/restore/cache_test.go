package restore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/restore"
)

// TestCacheSkipsTheSecondRestore: a first run restores into the cache
// volume and seals the golden copy; after its teardown, a second run on the
// same backup finds the golden copy and only clones it.
func TestCacheSkipsTheSecondRestore(t *testing.T) {
	d := backuptest.SQL(backuptest.Options{Partners: 3000})
	b := inspect(t, backuptest.OdooZip(t, t.TempDir(), d))
	// A sha256 of its own, so that parallel test runs never share an entry.
	sum := sha256.Sum256([]byte(t.Name() + time.Now().String()))
	b.SHA256 = hex.EncodeToString(sum[:])

	rt1 := containertest.Runtime(t)
	entry, err := restore.OpenCache(t.Context(), rt1, b.SHA256, containertest.PostgresImage())
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := rt1.Docker().VolumeRemove(context.Background(), entry.Volume, client.VolumeRemoveOptions{Force: true})
		assert.NoError(t, err, "remove the test's cache volume")
	})
	pg1, err := rt1.StartPostgres(t.Context(), container.PostgresOptions{Image: containertest.PostgresImage(), DataVolume: entry.Volume})
	require.NoError(t, err)
	ready, err := entry.Ready(t.Context(), pg1)
	require.NoError(t, err)
	require.False(t, ready, "a new entry holds nothing")
	_, err = restore.Restore(t.Context(), pg1, b, entry.Golden)
	require.NoError(t, err)
	require.NoError(t, restore.MakeGolden(t.Context(), pg1, entry.Golden))
	require.NoError(t, entry.Seal(t.Context(), pg1))
	require.NoError(t, restore.Clone(t.Context(), pg1, entry.Golden, "left_by_run1"))

	t.Run("one run at a time", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		_, err := restore.OpenCache(ctx, rt1, b.SHA256, containertest.PostgresImage())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	require.NoError(t, entry.Close())
	require.NoError(t, rt1.Teardown(t.Context()))

	rt2 := containertest.Runtime(t)
	entry2, err := restore.OpenCache(t.Context(), rt2, b.SHA256, containertest.PostgresImage())
	require.NoError(t, err)
	defer entry2.Close()
	assert.Equal(t, entry.Volume, entry2.Volume, "the volume survived the first run's teardown")
	pg2, err := rt2.StartPostgres(t.Context(), container.PostgresOptions{Image: containertest.PostgresImage(), DataVolume: entry2.Volume})
	require.NoError(t, err, "the second run reaches the cached cluster with its own password")
	ready, err = entry2.Ready(t.Context(), pg2)
	require.NoError(t, err)
	require.True(t, ready, "the sealed golden copy is reused")
	assert.False(t, databaseExists(t, pg2, "left_by_run1"), "clones of earlier runs are dropped")
	require.NoError(t, restore.Clone(t.Context(), pg2, entry2.Golden, "run2"))
	assert.Equal(t, "3000", queryString(t, pg2, "run2", "SELECT count(*)::text FROM res_partner"))
}
