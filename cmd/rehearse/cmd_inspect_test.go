package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
)

func TestInspectCommand(t *testing.T) {
	dir := t.TempDir()
	p := backuptest.OdooZip(t, dir, backuptest.SQL(backuptest.Options{Partners: 4, Restrict: true}))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	sum := sha256.Sum256(data)

	t.Run("text", func(t *testing.T) {
		code, out, errOut := runCLI(t, "inspect", p)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "format:      zip (plain dump dump.sql)")
		assert.Contains(t, out, "sha256:      "+hex.EncodeToString(sum[:]))
		assert.Contains(t, out, "tables:      2 (6 rows)")
		assert.Contains(t, out, "filestore:   2 files")
		assert.Contains(t, out, "modules:     2 installed: base, web")
		assert.Contains(t, out, `\restrict`)
	})
	t.Run("json", func(t *testing.T) {
		code, out, errOut := runCLI(t, "inspect", "--json", p)
		require.Equal(t, 0, code, errOut)
		var got struct {
			Format    string `json:"format"`
			SHA256    string `json:"sha256"`
			Tables    int    `json:"tables"`
			Filestore struct {
				Files int   `json:"files"`
				Bytes int64 `json:"bytes"`
			} `json:"filestore"`
			Manifest struct {
				Modules map[string]string `json:"modules"`
			} `json:"manifest"`
			Warnings []string `json:"warnings"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		assert.Equal(t, "zip", got.Format)
		assert.Equal(t, hex.EncodeToString(sum[:]), got.SHA256)
		assert.Equal(t, 2, got.Tables)
		assert.Equal(t, 2, got.Filestore.Files)
		assert.Len(t, got.Manifest.Modules, 2)
		assert.NotEmpty(t, got.Warnings)
	})
	t.Run("bad input exits 2 naming the file", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.zip")
		require.NoError(t, os.WriteFile(empty, nil, 0o444))
		code, out, errOut := runCLI(t, "inspect", empty)
		assert.Equal(t, 2, code)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "empty.zip: the file is empty")
	})
	t.Run("newer PostgreSQL than the target", func(t *testing.T) {
		p := filepath.Join(dir, "pg17.sql")
		require.NoError(t, os.WriteFile(p, []byte(backuptest.SQL(backuptest.Options{Header: "17.2"}).SQL), 0o444))
		code, _, errOut := runCLI(t, "inspect", p)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "newer than the target PostgreSQL 15")
		code, _, errOut = runCLI(t, "inspect", "--target-pg", "17", p)
		assert.Equal(t, 0, code, errOut)
	})
	t.Run("usage", func(t *testing.T) {
		code, _, errOut := runCLI(t, "inspect")
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "usage: rehearse inspect BACKUP")
	})
}
