package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

func TestReportReRendersEveryFormat(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, report.WriteRunDir(dir, reporttest.Failing()))
	for _, tc := range []struct {
		format, file, start string
	}{
		{"html", report.HTMLFile, "<!DOCTYPE html>"},
		{"md", report.MarkdownFile, "## ❌ Upgrade rejected"},
		{"junit", report.JUnitFile, "<?xml"},
		{"json", report.JSONFile, "{"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, tc.file))
			require.NoError(t, err)

			code, out, errOut := runCLI(t, "report", dir, "--format", tc.format)
			require.Equal(t, 0, code, errOut)
			assert.True(t, strings.HasPrefix(out, tc.start))
			assert.Equal(t, string(want), out)

			dest := filepath.Join(t.TempDir(), "out")
			code, out, errOut = runCLI(t, "report", filepath.Join(dir, report.JSONFile), "--format", tc.format, "-o", dest)
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, out)
			got, err := os.ReadFile(dest)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, report.WriteRunDir(dir, reporttest.Passing()))
	broken := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(broken, report.JSONFile), []byte("{\n\"schema\": \"rehearse.report/v1\",\n\"verdict\": approved\n}"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{"report", dir, "--format", "pdf"}, "unknown report format \"pdf\""},
		{"no run dir", []string{"report", filepath.Join(dir, "nope")}, "no such report"},
		{"broken json", []string{"report", broken}, "line 3, column"},
		{"missing argument", []string{"report"}, "usage: rehearse report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
		})
	}
}
