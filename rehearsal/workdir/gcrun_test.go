package workdir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGCRunRemovesOnlyThatRunsFolder(t *testing.T) {
	t.Setenv("REHEARSE_WORKDIR", t.TempDir())
	mine, err := New("20260101-000000-aaaaaa")
	require.NoError(t, err)
	other, err := New("20260101-000000-bbbbbb")
	require.NoError(t, err)
	stranger := filepath.Join(Base(), "rehearse-not-ours")
	require.NoError(t, os.Mkdir(stranger, 0o755))

	for _, bad := range []string{"", "../x", "a/b"} {
		_, err := GCRun(bad, false)
		assert.Error(t, err, "run id %q", bad)
	}
	got, err := GCRun("20260101-000000-aaaaaa", true)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.DirExists(t, mine.Path, "a dry run removes nothing")

	got, err = GCRun("20260101-000000-aaaaaa", false)
	require.NoError(t, err)
	assert.Equal(t, []Leftover{{Path: mine.Path, Alive: true}}, got, "named explicitly: removed even though this process is alive")
	assert.NoDirExists(t, mine.Path)
	assert.DirExists(t, other.Path)
	assert.DirExists(t, stranger)

	got, err = GCRun("not-ours", false)
	require.NoError(t, err)
	assert.Empty(t, got, "a folder without our owner file is not a run's")
	assert.DirExists(t, stranger)
}
