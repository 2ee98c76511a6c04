package neutralize

import (
	"archive/zip"
	"github.com/odoo-rehearse/rehearse/fixtures/shared"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
)

// sharedBackup returns ../shared/odoo/backups/<name> (see fixtures/shared).
func sharedBackup(t *testing.T, name string) string {
	return shared.Path(t, "odoo/backups/"+name)
}

// testRealProd16 restores the real Odoo 16 backup the way Odoo does
// (psql -f dump.sql into a fresh database), neutralizes it, and verifies
// it. It runs inside TestNeutralize to share its PostgreSQL server.
func testRealProd16(t *testing.T, pg *container.Postgres) {
	backup := sharedBackup(t, "prod16.zip")
	ctx := t.Context()

	zr, err := zip.OpenReader(backup)
	require.NoError(t, err)
	defer zr.Close()
	dumpPath := filepath.Join(t.TempDir(), "dump.sql")
	for _, f := range zr.File {
		if f.Name != "dump.sql" {
			continue
		}
		src, err := f.Open()
		require.NoError(t, err)
		dst, err := os.Create(dumpPath)
		require.NoError(t, err)
		_, err = io.Copy(dst, src)
		require.NoError(t, err)
		require.NoError(t, dst.Close())
		require.NoError(t, src.Close())
	}
	require.NoError(t, pg.CopyFile(ctx, dumpPath, "/tmp/prod16.sql"))
	for _, cmd := range [][]string{
		{"createdb", "--encoding=unicode", "--lc-collate=C", "--template=template0", "prod16"},
		{"psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "prod16", "-f", "/tmp/prod16.sql"},
	} {
		res, err := pg.Exec(ctx, cmd)
		require.NoError(t, err)
		require.Zero(t, res.ExitCode, "%v: %s", cmd, res.Output)
	}

	conn, err := pg.Connect(ctx, "prod16")
	require.NoError(t, err)
	defer conn.Close(ctx)

	activeCrons := one(t, conn, `SELECT count(*)::text FROM ir_cron WHERE active`)
	require.NotEqual(t, "0", activeCrons, "precondition: production has active crons")
	before, err := Verify(ctx, conn)
	require.NoError(t, err)
	assert.Contains(t, failedItems(before), "crons")
	assert.Contains(t, failedItems(before), "database.is_neutralized")

	res, err := Run(ctx, conn)
	require.NoError(t, err)
	assert.Equal(t, 16, res.Version)
	assert.Equal(t, []string{"base", "web", "mail", "payment", "iap"}, res.Modules)
	for _, m := range []string{"website", "delivery", "fetchmail"} {
		assert.Contains(t, res.Notes, "module "+m+" is not installed: its neutralization is skipped")
	}

	after, err := Verify(ctx, conn)
	require.NoError(t, err)
	assert.True(t, after.OK(), "%v", after.Err())
	assert.Equal(t, []string{"autovacuum_job"}, strs(t, conn, `SELECT d.name FROM ir_cron c
		JOIN ir_model_data d ON d.res_id = c.id AND d.model = 'ir.cron' WHERE c.active`))
	assert.Equal(t, "t", one(t, conn, `SELECT active::text::char FROM ir_ui_view WHERE key = 'web.neutralize_banner'`))
	assert.Equal(t, []string{DummyName}, strs(t, conn, `SELECT name FROM ir_mail_server WHERE active`))

	var skipped []string
	for _, f := range after.Findings {
		if f.Skipped {
			skipped = append(skipped, f.Item)
		}
	}
	assert.ElementsMatch(t, []string{"payment acquirers", "webhooks", "websites", "delivery carriers"}, skipped,
		"items whose tables an Odoo 16 database without website/delivery lacks: %s", strings.Join(skipped, ", "))
}
