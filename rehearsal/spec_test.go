package rehearsal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rehearsal.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadSpecFull(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "addons"), 0o755))
	p := filepath.Join(dir, "rehearsal.yaml")
	require.NoError(t, os.WriteFile(p, []byte(`
backup: backups/prod.zip
source_image: odoo:16.0
target_image: odoo:17.0
postgres_image: postgres:15
upgrade:
  command: [odoo, -d, "{db}", -u, all, --stop-after-init, --upgrade-path=/mnt/addons/0/migrations]
addons: [addons]
database: prod_copy
admin_login: admin
scenarios: [scenarios/]
builtin_checks: false
log:
  allow: ["odoo.addons.x_legacy: .*deprecated"]
restore:
  allow: ["extension \"pg_stat_statements\""]
  jobs: 3
timeouts:
  upgrade: 90m
  serve: 5m
concurrency: 8
output: runs
approval:
  key_dir: keys
  store: postgres://rehearse@ledger.internal/approvals
`), 0o644))
	s, err := LoadSpec(p)
	require.NoError(t, err)
	s.withDefaults()
	assert.Equal(t, filepath.Join(dir, "backups/prod.zip"), s.Resolve(s.Backup), "paths are relative to the spec file")
	assert.Equal(t, []string{"odoo", "-d", "prod_copy", "-u", "all", "--stop-after-init", "--upgrade-path=/mnt/addons/0/migrations"}, s.UpgradeCommand())
	assert.False(t, *s.BuiltinChecks)
	assert.Equal(t, 90*time.Minute, time.Duration(s.Timeouts.Upgrade))
	assert.Equal(t, time.Hour, time.Duration(s.Timeouts.Restore), "unset timeouts take defaults")
	assert.Equal(t, 8, s.Concurrency)
	assert.Equal(t, 3, s.Restore.Jobs)
}

func TestLoadSpecDefaults(t *testing.T) {
	s, err := LoadSpec(writeSpec(t, "backup: prod.zip\ntarget_image: odoo:17.0\n"))
	require.NoError(t, err)
	s.withDefaults()
	assert.Equal(t, "rehearsal", s.Database)
	assert.Equal(t, []string{"odoo", "-d", "rehearsal", "-u", "all", "--stop-after-init", "--no-http"}, s.UpgradeCommand())
	assert.True(t, *s.BuiltinChecks)
	assert.Equal(t, 4, s.Concurrency)
}

func TestLoadSpecErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"unknown key", "backup: a.zip\ntarget_image: odoo:17.0\ntarget_imgae: odoo:18.0\n", []string{":3:", "field target_imgae not found"}},
		{"wrong type", "backup: a.zip\ntarget_image: odoo:17.0\nconcurrency: many\n", []string{":3:", "cannot unmarshal"}},
		{"bad duration", "backup: a.zip\ntarget_image: odoo:17.0\ntimeouts:\n  upgrade: forever\n", []string{":4", "not a duration"}},
		{"missing backup", "target_image: odoo:17.0\n", []string{"backup: missing"}},
		{"missing target", "backup: a.zip\n", []string{"target_image: missing"}},
		{"bad regexp", "backup: a.zip\ntarget_image: odoo:17.0\nlog:\n  allow: ['(unclosed']\n", []string{":3: log", "allow pattern"}},
		{"upgrade without db", "backup: a.zip\ntarget_image: odoo:17.0\nupgrade:\n  command: [odoo, -u, all]\n", []string{":3: upgrade", "{db}"}},
		{"bad image", "backup: a.zip\ntarget_image: 'odoo 17'\n", []string{":2: target_image", "not an image reference"}},
		{"double colon", "backup: a.zip\ntarget_image: 'ODOO::17'\n", []string{":2: target_image", "not an image reference"}},
		{"bad database", "backup: a.zip\ntarget_image: odoo:17.0\ndatabase: 'drop table;'\n", []string{":3: database"}},
		{"missing addons", "backup: a.zip\ntarget_image: odoo:17.0\naddons: [nowhere]\n", []string{":3: addons", "nowhere is not a folder"}},
		{"empty file", "", []string{"empty"}},
		{"not yaml", "backup: [a.zip\n", []string{"rehearsal.yaml:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeSpec(t, tc.body)
			_, err := LoadSpec(p)
			require.Error(t, err)
			assert.Equal(t, exit.CannotRun, exit.Code(err))
			assert.Contains(t, err.Error(), p, "names the file")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSpecFromFlagsNamesFlags(t *testing.T) {
	s := &Spec{Backup: "a.zip", TargetImage: "odoo:17.0", Concurrency: 100}
	err := s.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--concurrency: 100: use 1 to 64")
}

func TestImageReferences(t *testing.T) {
	for _, ref := range []string{"odoo:17.0", "rehearse/odoo-standin:17.0-broken-view", "registry.example.com:5000/acme/odoo:17.0",
		"odoo@sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("0", 64), "localhost/odoo"} {
		assert.True(t, imageRefPattern.MatchString(ref), ref)
	}
	for _, ref := range []string{"ODOO::17", "odoo:", ":17", "Odoo/Odoo:17", "odoo 17", "odoo:17@sha256:short"} {
		assert.False(t, imageRefPattern.MatchString(ref), ref)
	}
}
