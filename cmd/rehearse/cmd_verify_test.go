package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// gate is a key pair made by `rehearse keys init` and an approval store,
// as a team sets them up.
type gate struct {
	keyDir, pubkey, store string
	key                   []byte
}

func newGate(t *testing.T) gate {
	t.Helper()
	g := gate{keyDir: filepath.Join(t.TempDir(), "keys"), store: filepath.Join(t.TempDir(), "approvals")}
	code, out, errOut := runCLI(t, "keys", "init", "--dir", g.keyDir)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "key id ed25519:")
	g.pubkey = filepath.Join(g.keyDir, approval.PublicKeyFile)
	require.NoError(t, os.MkdirAll(g.store, 0o755))
	return g
}

// approve signs an approval of r, issued at the given time, into the store.
func (g gate) approve(t *testing.T, r *report.Report, issued time.Time) {
	t.Helper()
	priv, err := approval.LoadPrivateKey(filepath.Join(g.keyDir, approval.PrivateKeyFile))
	require.NoError(t, err)
	a, err := approval.Issue(r, priv, issued)
	require.NoError(t, err)
	require.NoError(t, approval.DirStore{Dir: g.store}.Put(t.Context(), a))
}

func (g gate) verify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"verify", "--pubkey", g.pubkey, "--store", g.store}, args...)...)
}

func TestVerifyGate(t *testing.T) {
	g := newGate(t)
	g.approve(t, reporttest.Passing(), time.Now().Add(-2*time.Hour))

	code, out, errOut := g.verify(t, "--target-image", reporttest.TargetImageID)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "approved: target image "+reporttest.TargetImageID)
	assert.Contains(t, out, "backup:   sha256 "+reporttest.BackupSHA256)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"bare hex image id", []string{"--target-image", strings.TrimPrefix(reporttest.TargetImageID, "sha256:")}, 0, "approved"},
		{"matching backup", []string{"--target-image", reporttest.TargetImageID, "--backup-sha256", "sha256:" + reporttest.BackupSHA256}, 0, "approved"},
		{"other image", []string{"--target-image", "sha256:" + strings.Repeat("1", 64)}, 1, "no approval for target image sha256:1111"},
		{"other backup", []string{"--target-image", reporttest.TargetImageID, "--backup-sha256", strings.Repeat("b", 64)}, 1, "rehearsed on backup sha256 " + reporttest.BackupSHA256},
		{"too old for max-age", []string{"--target-image", reporttest.TargetImageID, "--max-age", "1h"}, 1, "expired"},
		{"missing target", nil, 2, "--target-image is required"},
		{"truncated id", []string{"--target-image", "sha256:9b8a7c"}, 2, "truncated image ID"},
		{"bad max-age", []string{"--target-image", reporttest.TargetImageID, "--max-age", "a week"}, 2, "--max-age"},
		{"bad backup hash", []string{"--target-image", reporttest.TargetImageID, "--backup-sha256", "xyz"}, 2, "not a sha256"},
		{"positional argument", []string{"odoo:17"}, 2, "usage: rehearse verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := g.verify(t, tc.args...)
			assert.Equal(t, tc.code, code, "stdout %s\nstderr %s", out, errOut)
			assert.Contains(t, out+errOut, tc.want)
		})
	}

	t.Run("pubkey missing", func(t *testing.T) {
		code, _, errOut := runCLI(t, "verify", "--pubkey", filepath.Join(t.TempDir(), "none.pub"), "--store", g.store, "--target-image", reporttest.TargetImageID)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "--pubkey")
	})
	t.Run("store missing", func(t *testing.T) {
		code, _, errOut := runCLI(t, "verify", "--pubkey", g.pubkey, "--store", filepath.Join(t.TempDir(), "none"), "--target-image", reporttest.TargetImageID)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "does not exist")
	})
	t.Run("single approval file as store", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(g.store, "*.json"))
		require.NoError(t, err)
		require.Len(t, files, 1)
		code, out, errOut := runCLI(t, "verify", "--pubkey", g.pubkey, "--store", files[0], "--target-image", reporttest.TargetImageID)
		assert.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "approved")
	})
}

// Forged, foreign and stale approvals alone in a store: each is refused
// with exit 1 and its reason.
func TestVerifyRefusesEachBadApproval(t *testing.T) {
	for _, tc := range []struct {
		name   string
		plant  func(t *testing.T, g gate)
		reason string
	}{
		{"tampered", func(t *testing.T, g gate) {
			g.approve(t, reporttest.Passing(), time.Now())
			editOnlyApproval(t, g.store, func(a map[string]any) {
				p := a["payload"].(map[string]any)
				p["backup"].(map[string]any)["sha256"] = strings.Repeat("0", 64)
			})
		}, "altered after signing"},
		{"signed by another key", func(t *testing.T, g gate) {
			other := newGate(t)
			other.store = g.store
			other.approve(t, reporttest.Passing(), time.Now())
		}, "not a trusted key"},
		{"expired", func(t *testing.T, g gate) {
			g.approve(t, reporttest.Passing(), time.Now().Add(-8*24*time.Hour))
		}, "older than --max-age 7d"},
		{"not an approval", func(t *testing.T, g gate) {
			require.NoError(t, os.WriteFile(filepath.Join(g.store, "x.json"), []byte(`{"schema":"rehearse.report/v1"}`), 0o644))
		}, "not an approval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate(t)
			tc.plant(t, g)
			code, out, errOut := g.verify(t, "--target-image", reporttest.TargetImageID)
			assert.Equal(t, 1, code, out)
			assert.Contains(t, errOut, "not approved")
			assert.Contains(t, errOut, tc.reason)
			assert.Empty(t, out)
		})
	}
}

func editOnlyApproval(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	var a map[string]any
	require.NoError(t, json.Unmarshal(data, &a))
	edit(a)
	data, err = json.Marshal(a)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(files[0], data, 0o644))
}

// A reference is resolved to its image ID by the local Docker engine:
// the approval of one build does not approve another build under the
// same tag.
func TestVerifyResolvesReferencesThroughDocker(t *testing.T) {
	ref, id := localImage(t)
	g := newGate(t)
	r := reporttest.Passing()
	r.TargetImage = report.Image{Ref: ref, ID: id, OdooVersion: "17.0"}
	g.approve(t, r, time.Now())

	code, out, errOut := g.verify(t, "--target-image", ref)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "approved: target image "+id)

	// The same tag moved to another build: not approved.
	ref2, id2 := localImageTagged(t, ref)
	require.Equal(t, ref, ref2)
	require.NotEqual(t, id, id2)
	code, _, errOut = g.verify(t, "--target-image", ref)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no approval for target image "+id2)

	code, _, errOut = g.verify(t, "--target-image", "rehearse-test/no-such-image:never")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no such image on the local Docker engine")
}

// localImage imports a one-file image into the local engine (no registry
// involved) and returns its reference and ID; the test removes it.
func localImage(t *testing.T) (ref, id string) {
	t.Helper()
	return localImageTagged(t, "rehearse-test/verify:"+strings.ToLower(rand.Text()[:10]))
}

func localImageTagged(t *testing.T, ref string) (string, string) {
	t.Helper()
	cli, err := client.New(client.FromEnv)
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	if _, err := cli.Ping(t.Context(), client.PingOptions{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Docker is unreachable under CI=true: %v", err)
		}
		t.Skipf("Docker is unreachable (%v): the reference-resolution test needs a local engine", err)
	}
	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	content := []byte("rehearse verify test " + rand.Text() + "\n")
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "marker", Mode: 0o644, Size: int64(len(content))}))
	_, err = tw.Write(content)
	require.NoError(t, err)
	require.NoError(t, tw.Close())

	res, err := cli.ImageImport(t.Context(), client.ImageImportSource{Source: &rootfs, SourceName: "-"}, ref, client.ImageImportOptions{})
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, res)
	require.NoError(t, err)
	res.Close()
	inspect, err := cli.ImageInspect(t.Context(), ref)
	require.NoError(t, err)
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), inspect.ID, client.ImageRemoveOptions{Force: true})
	})
	return ref, inspect.ID
}

// A team's ledger in PostgreSQL is a store like a directory: the gate
// reads it through --store postgres://..., and never prints the password.
func TestVerifyAgainstLedger(t *testing.T) {
	pg := containertest.Postgres(t)
	dsn := pg.ConnString("postgres")
	g := newGate(t)
	priv, err := approval.LoadPrivateKey(filepath.Join(g.keyDir, approval.PrivateKeyFile))
	require.NoError(t, err)
	a, err := approval.Issue(reporttest.Passing(), priv, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	ledger, err := approval.OpenLedger(t.Context(), dsn)
	require.NoError(t, err)
	require.NoError(t, ledger.Put(t.Context(), a))
	require.NoError(t, ledger.Close())

	code, out, errOut := runCLI(t, "verify", "--pubkey", g.pubkey, "--store", dsn, "--target-image", reporttest.TargetImageID)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "approved: target image "+reporttest.TargetImageID)
	assert.Contains(t, out, "rehearse_approvals seq 1")
	assert.NotContains(t, out, pg.Password())

	code, out, errOut = runCLI(t, "verify", "--pubkey", g.pubkey, "--store", dsn, "--target-image", "sha256:"+strings.Repeat("2", 64))
	assert.Equal(t, 1, code, out)
	assert.Contains(t, errOut, "no approval for target image")
	assert.NotContains(t, errOut, pg.Password())
}

// Interrupted while resolving or reading: 130, never a verdict.
func TestVerifyInterruptedIs130(t *testing.T) {
	g := newGate(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errOut bytes.Buffer
	code := Main(ctx, []string{"verify", "--pubkey", g.pubkey, "--store", g.store, "--target-image", "rehearse-test/any:tag"}, &out, &errOut)
	assert.Equal(t, 130, code, errOut.String())
	assert.Contains(t, errOut.String(), "interrupted")
	assert.Empty(t, out.String())
}
