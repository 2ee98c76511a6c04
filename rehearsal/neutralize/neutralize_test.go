package neutralize

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/container"
	"github.com/odoo-rehearse/rehearse/rehearsal/container/containertest"
)

// newDB creates database name on pg, loads the real Odoo 16 tables and the
// production-like rows into it, and connects.
func newDB(t *testing.T, pg *container.Postgres, name string) *pgx.Conn {
	t.Helper()
	ctx := t.Context()
	admin, err := pg.Connect(ctx, "postgres")
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)

	conn, err := pg.Connect(ctx, name)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(ctx) })
	for _, f := range []string{"testdata/schema16.sql", "testdata/website_delivery16.sql", "testdata/data16.sql"} {
		sql, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, string(sql))
		require.NoError(t, err, f)
	}
	return conn
}

func strs(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), sql, args...)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err, sql)
	return out
}

func one(t *testing.T, conn *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	got := strs(t, conn, sql, args...)
	require.Len(t, got, 1, sql)
	return got[0]
}

func failedItems(r Report) []string {
	var out []string
	for _, f := range r.Failed() {
		out = append(out, f.Item)
	}
	return out
}

func TestNeutralize(t *testing.T) {
	pg := containertest.Postgres(t)

	t.Run("effects", func(t *testing.T) {
		conn := newDB(t, pg, "effects")
		ctx := t.Context()

		before, err := Verify(ctx, conn)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"mail servers", "dummy mail server", "crons", "database.is_neutralized",
			"incoming mail servers", "payment providers", "IAP accounts", "mail templates", "websites",
			"delivery carriers", "upgrade-service parameters"}, failedItems(before),
			"a production database fails every item it has")

		res, err := Run(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, 16, res.Version, "read from base's latest_version")
		assert.Equal(t, []string{"base", "web", "mail", "payment", "iap", "website", "delivery"}, res.Modules)
		assert.Contains(t, res.Notes, "module fetchmail is not installed: its neutralization is skipped")

		assert.Equal(t, []string{DummyName + " invalid 1025 none login"},
			strs(t, conn, `SELECT name||' '||smtp_host||' '||smtp_port||' '||smtp_encryption||' '||smtp_authentication FROM ir_mail_server WHERE active`))
		assert.Equal(t, "3", one(t, conn, `SELECT count(*)::text FROM ir_mail_server WHERE NOT active`))
		assert.Equal(t, []string{"1"}, strs(t, conn, `SELECT id::text FROM ir_cron WHERE active`),
			"only base.autovacuum_job; x_crm_custom.autovacuum_job is off too")
		assert.Equal(t, "true", one(t, conn, `SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'`))
		assert.Equal(t, []string{"web.neutralize_banner", "website.neutralize_ribbon"},
			strs(t, conn, `SELECT key FROM ir_ui_view WHERE active ORDER BY key`))
		assert.Equal(t, "f", one(t, conn, `SELECT active::text::char FROM fetchmail_server`))
		assert.Equal(t, []string{"stripe disabled", "adyen test", "transfer disabled"},
			strs(t, conn, `SELECT code||' '||state FROM payment_provider ORDER BY id`))
		assert.Equal(t, []string{"a1b2c3d4e5f6+disabled", "ffeeddccbbaa+disabled", "(null)"},
			strs(t, conn, `SELECT coalesce(account_token, '(null)') FROM iap_account ORDER BY id`))
		assert.Equal(t, "0", one(t, conn, `SELECT count(*)::text FROM mail_template WHERE mail_server_id IS NOT NULL`))
		assert.Equal(t, "(null) f User-agent: *\nDisallow: /",
			one(t, conn, `SELECT coalesce(domain, '(null)')||' '||cdn_activated::text::char||' '||robots_txt FROM website`))
		assert.Equal(t, []string{"fixed f t", "ups f f", "base_on_rule f t"},
			strs(t, conn, `SELECT delivery_type||' '||prod_environment::text::char||' '||active::text::char FROM delivery_carrier ORDER BY id`))

		uuid := one(t, conn, `SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'`)
		assert.NotEqual(t, "6f1c2a1e-0000-4000-8000-00000000beef", uuid)
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, uuid)
		assert.Equal(t, LocalBaseURL, one(t, conn, `SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'`))
		assert.Equal(t, "0", one(t, conn, `SELECT count(*)::text FROM ir_config_parameter WHERE key = 'database.enterprise_code'`))

		after, err := Verify(ctx, conn)
		require.NoError(t, err)
		assert.True(t, after.OK(), "%v", after.Err())
		assert.NoError(t, after.Err())
	})

	t.Run("idempotent: twice gives one dummy server", func(t *testing.T) {
		conn := newDB(t, pg, "twice")
		ctx := t.Context()
		_, err := Run(ctx, conn)
		require.NoError(t, err)
		snapshot := strs(t, conn, `SELECT 'cron '||id||' '||active FROM ir_cron UNION ALL
		                           SELECT 'mail '||id||' '||name||' '||active FROM ir_mail_server UNION ALL
		                           SELECT 'iap '||id||' '||coalesce(account_token, '') FROM iap_account UNION ALL
		                           SELECT 'icp '||key||' '||value FROM ir_config_parameter WHERE key <> 'database.uuid'
		                           ORDER BY 1`)

		second, err := Run(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, "1", one(t, conn, `SELECT count(*)::text FROM ir_mail_server WHERE name = $1`, DummyName))
		assert.Equal(t, snapshot, strs(t, conn, `SELECT 'cron '||id||' '||active FROM ir_cron UNION ALL
		                           SELECT 'mail '||id||' '||name||' '||active FROM ir_mail_server UNION ALL
		                           SELECT 'iap '||id||' '||coalesce(account_token, '') FROM iap_account UNION ALL
		                           SELECT 'icp '||key||' '||value FROM ir_config_parameter WHERE key <> 'database.uuid'
		                           ORDER BY 1`))
		for _, a := range second.Applied {
			if a.Module != UpgradeService && a.Statement != "set database.is_neutralized" && a.Statement != "activate the neutralization banner" &&
				a.Statement != "activate the neutralization ribbon" && a.Statement != "disallow all robots" {
				assert.Zero(t, a.Rows, "second run of %s/%s changed rows", a.Module, a.Statement)
			}
		}

		// A database Odoo's own neutralize ran on twice (two dummies): ours
		// leaves exactly one of them active and inserts none.
		_, err = conn.Exec(ctx, `INSERT INTO ir_mail_server (name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
		                         VALUES ($1, 1025, 'invalid', 'none', true, 'login')`, DummyName)
		require.NoError(t, err)
		_, err = Run(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, "2 1", one(t, conn, `SELECT count(*)||' '||count(*) FILTER (WHERE active) FROM ir_mail_server WHERE name = $1`, DummyName))
	})

	t.Run("modules not installed and missing tables are skipped with a note", func(t *testing.T) {
		conn := newDB(t, pg, "skips")
		ctx := t.Context()
		_, err := conn.Exec(ctx, `UPDATE ir_module_module SET state = 'uninstalled' WHERE name IN ('website', 'delivery');
		                          DROP TABLE fetchmail_server`)
		require.NoError(t, err)

		res, err := Run(ctx, conn)
		require.NoError(t, err)
		assert.Contains(t, res.Notes, "module website is not installed: its neutralization is skipped")
		assert.Contains(t, res.Notes, "module delivery is not installed: its neutralization is skipped")
		assert.Contains(t, res.Notes, `module mail, "deactivate incoming mail servers" skipped: table fetchmail_server does not exist`)
		assert.NotContains(t, res.Modules, "website")
		assert.Equal(t, "https://shop.example.com", one(t, conn, `SELECT domain FROM website`), "an uninstalled module's tables are left alone")

		rep, err := Verify(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, []string{"websites", "delivery carriers"}, failedItems(rep),
			"Verify still reports leftovers of uninstalled modules")
		for _, f := range rep.Findings {
			if f.Item == "incoming mail servers" {
				assert.True(t, f.Skipped)
				assert.Equal(t, "table fetchmail_server does not exist", f.Detail)
			}
		}
	})

	t.Run("a custom module made ir_mail_server.active non-stored", func(t *testing.T) {
		conn := newDB(t, pg, "nonstored")
		ctx := t.Context()
		_, err := conn.Exec(ctx, `ALTER TABLE ir_mail_server DROP COLUMN active`)
		require.NoError(t, err)

		_, err = Run(ctx, conn)
		var se *StatementError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, "base", se.Module)
		assert.Equal(t, "deactivate mail servers", se.Statement)
		assert.Contains(t, se.SQL, "UPDATE ir_mail_server SET active = false")
		assert.Contains(t, err.Error(), "module base")
		assert.Contains(t, err.Error(), `column "active" does not exist`)
		assert.Contains(t, err.Error(), "SQL: UPDATE ir_mail_server SET active = false")

		assert.Equal(t, "3", one(t, conn, `SELECT count(*)::text FROM ir_cron WHERE active`), "nothing applied: one transaction")
		assert.Equal(t, "0", one(t, conn, `SELECT count(*)::text FROM ir_config_parameter WHERE key = 'database.is_neutralized'`))

		_, err = Verify(ctx, conn)
		assert.ErrorContains(t, err, "mail servers", "Verify cannot judge a table without the column either")
	})

	t.Run("a team's own statements", func(t *testing.T) {
		conn := newDB(t, pg, "custom")
		ctx := t.Context()
		_, err := conn.Exec(ctx, `CREATE TABLE x_shop_connector (id serial, api_key varchar, active boolean);
		                          INSERT INTO x_shop_connector (api_key, active) VALUES ('live-key', true);
		                          INSERT INTO ir_module_module (name, state, latest_version) VALUES ('x_shop', 'installed', '16.0.1.0')`)
		require.NoError(t, err)

		res, err := Run(ctx, conn,
			WithStatement("x_shop", "switch the shop connector off", `UPDATE x_shop_connector SET active = false, api_key = NULL`),
			WithStatement("x_absent", "never runs", `UPDATE no_such_table SET x = 1`),
		)
		require.NoError(t, err)
		assert.Equal(t, "f", one(t, conn, `SELECT active::text::char FROM x_shop_connector`))
		assert.Contains(t, res.Modules, "x_shop")
		assert.Contains(t, res.Applied, Applied{Module: "x_shop", Statement: "switch the shop connector off", Rows: 1})
		assert.Contains(t, res.Notes, "module x_absent is not installed: its neutralization is skipped")

		_, err = Run(ctx, conn, WithStatement("", "broken", `UPDATE x_shop_connector SET no_such_column = 1`))
		var se *StatementError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, Custom, se.Module)
		assert.Equal(t, "broken", se.Statement)
	})

	t.Run("version-aware: webhooks from 17 on", func(t *testing.T) {
		conn := newDB(t, pg, "webhooks")
		ctx := t.Context()
		_, err := conn.Exec(ctx, `ALTER TABLE ir_act_server ADD COLUMN webhook_url varchar;
		                          UPDATE ir_act_server SET state = 'webhook', webhook_url = 'https://hooks.example.com/orders' WHERE id = 104;
		                          INSERT INTO ir_config_parameter (key, value) VALUES ('mail.web_push_vapid_private_key', 'k')`)
		require.NoError(t, err)

		_, err = Run(ctx, conn, WithVersion(16))
		require.NoError(t, err)
		assert.Equal(t, "https://hooks.example.com/orders", one(t, conn, `SELECT webhook_url FROM ir_act_server WHERE id = 104`))
		assert.Equal(t, "1", one(t, conn, `SELECT count(*)::text FROM ir_config_parameter WHERE key LIKE 'mail.web_push%'`))
		rep, err := Verify(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, []string{"webhooks"}, failedItems(rep), "Verify catches a live webhook whatever the version")

		res, err := Run(ctx, conn, WithVersion(17))
		require.NoError(t, err)
		assert.Equal(t, 17, res.Version)
		assert.Equal(t, DeadWebhookURL, one(t, conn, `SELECT webhook_url FROM ir_act_server WHERE id = 104`))
		assert.Equal(t, "0", one(t, conn, `SELECT count(*)::text FROM ir_config_parameter WHERE key LIKE 'mail.web_push%'`))
		assert.Contains(t, res.Notes, `module mail, "forget web push devices" skipped: table mail_push_device does not exist`)
		rep, err = Verify(ctx, conn)
		require.NoError(t, err)
		assert.True(t, rep.OK(), "%v", rep.Err())
	})

	t.Run("verify after an upgrade that brought things back", func(t *testing.T) {
		conn := newDB(t, pg, "after_upgrade")
		ctx := t.Context()
		_, err := Run(ctx, conn)
		require.NoError(t, err)
		// What a module's data file could do during `-u all`.
		_, err = conn.Exec(ctx, `UPDATE ir_cron SET active = true WHERE id = 2;
		                          UPDATE ir_mail_server SET active = true WHERE name = 'Mailgun';
		                          UPDATE payment_provider SET state = 'enabled' WHERE code = 'adyen'`)
		require.NoError(t, err)
		rep, err := Verify(ctx, conn)
		require.NoError(t, err)
		assert.Equal(t, []string{"mail servers", "crons", "payment providers"}, failedItems(rep))
		assert.ErrorContains(t, rep.Err(), "1 active cron(s) besides base.autovacuum_job: ir_cron ids 2")
		assert.ErrorContains(t, rep.Err(), "Mailgun (smtp.mailgun.org)")
		assert.ErrorContains(t, rep.Err(), "adyen (enabled)")
	})

	t.Run("real prod16 backup", func(t *testing.T) { testRealProd16(t, pg) })
	t.Run("stand-in databases", func(t *testing.T) { testStandinDatabases(t, pg) })

	t.Run("not an Odoo database", func(t *testing.T) {
		admin, err := pg.Connect(t.Context(), "postgres")
		require.NoError(t, err)
		defer admin.Close(t.Context())
		_, err = Run(t.Context(), admin)
		assert.ErrorContains(t, err, "not an Odoo database")
		var se *StatementError
		assert.False(t, errors.As(err, &se))
	})
}

func TestMajorVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  bool
	}{
		{"16.0.1.3", 16, false},
		{"17.0.1.3", 17, false},
		{"saas~17.2.1.0", 17, false},
		{"18.0.1.3", 18, false},
		{"", 0, true},
		{"v16", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := majorVersion(tc.in)
			if tc.err {
				assert.ErrorContains(t, err, "WithVersion")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Every statement must name its module and what it does: they are what a
// failure reports.
func TestStatementsAreNamed(t *testing.T) {
	for _, st := range statements {
		assert.NotEmpty(t, st.module)
		assert.NotEmpty(t, st.name)
		assert.NotEmpty(t, st.tables, "%s: tables decide skip-or-run", st.name)
		assert.False(t, strings.HasSuffix(strings.TrimSpace(st.sql), ";"), "%s: one statement each", st.name)
	}
}
