package neutralize

// Dummy is the mail server Odoo's base neutralization inserts so that no
// fallback server from the command line is used; every mail then fails to
// connect to a host that cannot exist.
const (
	DummyName = "neutralization - disable emails"
	DummyHost = "invalid"
	DummyPort = 1025
)

// DeadWebhookURL replaces the URL of webhook server actions: the .invalid
// top-level domain never resolves (RFC 2606).
const DeadWebhookURL = "https://neutralized.invalid/webhook"

// LocalBaseURL is what the upgrade service gives test databases as
// web.base.url, so that links and OAuth redirects point nowhere real.
const LocalBaseURL = "http://localhost:8069"

// UpgradeService is the pseudo-module of the statements that the Odoo
// upgrade service applies to test databases, on top of Odoo's own.
const UpgradeService = "upgrade-service"

// A statement is one piece of a module's data/neutralize.sql, as of the
// Odoo versions it applies to, made idempotent where Odoo's is not.
type statement struct {
	module string
	name   string // what it does, for notes and errors
	// minVersion/maxVersion bound the Odoo major versions (0: unbounded).
	minVersion, maxVersion int
	// tables must all exist, else the statement is skipped with a note: a
	// module can be installed while an optional table is absent.
	tables []string
	// columns ("table.column") must exist, for effects a later minor
	// version introduced; a column the statement always needs is not
	// listed, so that its absence is the error it is.
	columns []string
	sql     string
	args    []any
	custom  bool // given by the caller (WithStatement)
}

// statements in the order Odoo applies them (modules in dependency order,
// base first), followed by the upgrade service's.
var statements = []statement{
	{
		// All but the dummy a previous run left (the oldest one): Odoo
		// inserts a new dummy on every run; we keep one.
		module: "base", name: "deactivate mail servers", tables: []string{"ir_mail_server"},
		sql: `UPDATE ir_mail_server SET active = false
		       WHERE active IS DISTINCT FROM false
		         AND id IS DISTINCT FROM (SELECT min(id) FROM ir_mail_server WHERE name = $1::varchar AND smtp_host = $2::varchar)`,
		args: []any{DummyName, DummyHost},
	},
	{
		module: "base", name: "reactivate the existing dummy mail server", tables: []string{"ir_mail_server"},
		sql: `UPDATE ir_mail_server SET active = true
		       WHERE id = (SELECT min(id) FROM ir_mail_server WHERE name = $1::varchar AND smtp_host = $2::varchar)
		         AND active IS DISTINCT FROM true`,
		args: []any{DummyName, DummyHost},
	},
	{
		module: "base", name: "insert the dummy mail server", tables: []string{"ir_mail_server"}, minVersion: 15,
		sql: `INSERT INTO ir_mail_server (name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
		      SELECT $1::varchar, $3::int, $2::varchar, 'none', true, 'login'
		       WHERE NOT EXISTS (SELECT 1 FROM ir_mail_server WHERE name = $1 AND smtp_host = $2)`,
		args: []any{DummyName, DummyHost, DummyPort},
	},
	{
		// smtp_authentication came with 15.0.
		module: "base", name: "insert the dummy mail server", tables: []string{"ir_mail_server"}, maxVersion: 14,
		sql: `INSERT INTO ir_mail_server (name, smtp_port, smtp_host, smtp_encryption, active)
		      SELECT $1::varchar, $3::int, $2::varchar, 'none', true
		       WHERE NOT EXISTS (SELECT 1 FROM ir_mail_server WHERE name = $1 AND smtp_host = $2)`,
		args: []any{DummyName, DummyHost, DummyPort},
	},
	{
		// Odoo matches the XML id by name only; a custom module's
		// "autovacuum_job" must not keep its cron running.
		module: "base", name: "deactivate crons except base.autovacuum_job", tables: []string{"ir_cron", "ir_model_data"},
		sql: `UPDATE ir_cron SET active = false
		       WHERE active IS DISTINCT FROM false
		         AND id NOT IN (SELECT res_id FROM ir_model_data
		                         WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job'
		                           AND res_id IS NOT NULL)`,
	},
	{
		module: "base", name: "set database.is_neutralized", tables: []string{"ir_config_parameter"},
		sql: `INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', 'true')
		      ON CONFLICT (key) DO UPDATE SET value = 'true'`,
	},
	{
		module: "base", name: "point webhook server actions at a dead URL", minVersion: 17,
		tables: []string{"ir_act_server"}, columns: []string{"ir_act_server.webhook_url"},
		sql:  `UPDATE ir_act_server SET webhook_url = $1 WHERE state = 'webhook' AND webhook_url IS DISTINCT FROM $1`,
		args: []any{DeadWebhookURL},
	},
	{
		module: "web", name: "activate the neutralization banner", tables: []string{"ir_ui_view"},
		sql: `UPDATE ir_ui_view SET active = true WHERE key = 'web.neutralize_banner'`,
	},
	{
		module: "mail", name: "detach mail templates from mail servers", tables: []string{"mail_template"},
		sql: `UPDATE mail_template SET mail_server_id = NULL WHERE mail_server_id IS NOT NULL`,
	},
	{
		// fetchmail was merged into mail in 16.0.
		module: "mail", name: "deactivate incoming mail servers", minVersion: 16, tables: []string{"fetchmail_server"},
		sql: `UPDATE fetchmail_server SET active = false WHERE active IS DISTINCT FROM false`,
	},
	{
		module: "mail", name: "remove web push VAPID keys", minVersion: 17, tables: []string{"ir_config_parameter"},
		sql: `DELETE FROM ir_config_parameter WHERE key IN ('mail.web_push_vapid_private_key', 'mail.web_push_vapid_public_key')`,
	},
	{
		module: "mail", name: "forget web push devices", minVersion: 17, tables: []string{"mail_push_device"},
		sql: `DELETE FROM mail_push_device`,
	},
	{
		module: "fetchmail", name: "deactivate incoming mail servers", maxVersion: 15, tables: []string{"fetchmail_server"},
		sql: `UPDATE fetchmail_server SET active = false WHERE active IS DISTINCT FROM false`,
	},
	{
		module: "payment", name: "disable payment providers", minVersion: 16, tables: []string{"payment_provider"},
		sql: `UPDATE payment_provider SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')`,
	},
	{
		// payment.acquirer became payment.provider in 16.0.
		module: "payment", name: "disable payment acquirers", maxVersion: 15, tables: []string{"payment_acquirer"},
		sql: `UPDATE payment_acquirer SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')`,
	},
	{
		module: "iap", name: "suffix IAP account tokens with +disabled", tables: []string{"iap_account"},
		sql: `UPDATE iap_account SET account_token = regexp_replace(account_token, '(\+.*)?$', '+disabled')
		       WHERE account_token IS NOT NULL AND account_token NOT LIKE '%+disabled'`,
	},
	{
		module: "website", name: "remove website domains", tables: []string{"website"},
		sql: `UPDATE website SET domain = NULL WHERE domain IS NOT NULL`,
	},
	{
		module: "website", name: "activate the neutralization ribbon", tables: []string{"ir_ui_view"},
		sql: `UPDATE ir_ui_view SET active = true WHERE key = 'website.neutralize_ribbon'`,
	},
	{
		module: "website", name: "deactivate the CDN", tables: []string{"website"},
		sql: `UPDATE website SET cdn_activated = false WHERE cdn_activated IS DISTINCT FROM false`,
	},
	{
		module: "website", name: "disallow all robots", tables: []string{"website"}, columns: []string{"website.robots_txt"},
		sql: `UPDATE website SET robots_txt = E'User-agent: *\nDisallow: /'`,
	},
	{
		module: "delivery", name: "take carriers out of production mode", tables: []string{"delivery_carrier"},
		sql: `UPDATE delivery_carrier SET prod_environment = false WHERE prod_environment IS DISTINCT FROM false`,
	},
	{
		module: "delivery", name: "deactivate carriers that call an outside API", tables: []string{"delivery_carrier"},
		sql: `UPDATE delivery_carrier SET active = false
		       WHERE delivery_type NOT IN ('fixed', 'base_on_rule') AND active IS DISTINCT FROM false`,
	},
	{
		module: UpgradeService, name: "give the copy a new database.uuid", tables: []string{"ir_config_parameter"},
		sql: `INSERT INTO ir_config_parameter (key, value) VALUES ('database.uuid', gen_random_uuid()::text)
		      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
	},
	{
		module: UpgradeService, name: "set web.base.url to localhost", tables: []string{"ir_config_parameter"},
		sql: `INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url', $1)
		      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
		args: []any{LocalBaseURL},
	},
	{
		module: UpgradeService, name: "drop database.enterprise_code", tables: []string{"ir_config_parameter"},
		sql: `DELETE FROM ir_config_parameter WHERE key = 'database.enterprise_code'`,
	},
}
