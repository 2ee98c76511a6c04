package container_test

import (
	"archive/tar"
	"bytes"
	"io"
	"sort"
	"testing"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
)

func clientInspect() client.ContainerInspectOptions { return client.ContainerInspectOptions{} }

// resourcesOf lists the labelled resources of a run (typ and kind filter
// when not empty), through gc's own listing in dry-run mode.
func resourcesOf(t *testing.T, runID, typ, kind string) []container.Resource {
	t.Helper()
	rs, err := container.GC(t.Context(), container.GCOptions{DryRun: true, RunID: runID, Cache: true})
	require.NoError(t, err)
	var out []container.Resource
	for _, r := range rs {
		if (typ == "" || r.Type == typ) && (kind == "" || r.Kind == kind) {
			out = append(out, r)
		}
	}
	return out
}

func tarOf(t *testing.T, files map[string]string) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: n, Mode: 0o600, Size: int64(len(files[n])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(files[n]))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return &buf
}
