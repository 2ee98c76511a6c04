package neutralize

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier is what Verify needs of a connection; *pgx.Conn and pgx.Tx
// have it.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Finding is the state of one item neutralization is responsible for.
type Finding struct {
	Item    string `json:"item"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"` // the table does not exist: nothing to check
	Detail  string `json:"detail"`
}

// Report is what Verify found, item by item.
type Report struct {
	Findings []Finding `json:"findings"`
}

// OK is true when no item failed.
func (r Report) OK() bool { return len(r.Failed()) == 0 }

// Failed returns the items that are not neutralized.
func (r Report) Failed() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if !f.OK && !f.Skipped {
			out = append(out, f)
		}
	}
	return out
}

// Err describes the failed items, or is nil.
func (r Report) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	parts := make([]string, len(failed))
	for i, f := range failed {
		parts[i] = f.Item + ": " + f.Detail
	}
	return errors.New("the copy is not neutralized: " + strings.Join(parts, "; "))
}

// A check reads one row: a count of offending records and a sample of
// them, named for the report.
type check struct {
	item   string
	tables []string // skip when one is missing
	column string   // "table.column" also required, or ""
	sql    string   // returns (bad int, sample text)
	args   []any
	ok     func(bad int) bool
	detail func(bad int, sample string) string
}

func count(bad int) bool { return bad == 0 }

var checks = []check{
	{
		item: "mail servers", tables: []string{"ir_mail_server"},
		sql: `SELECT count(*), coalesce(string_agg(name || ' (' || smtp_host || ')', ', ' ORDER BY id), '')
		        FROM ir_mail_server WHERE active AND NOT (name = $1 AND smtp_host = $2)`,
		args: []any{DummyName, DummyHost},
		ok:   count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d active mail server(s) besides the dummy: %s", bad, sample)
			}
			return "no active mail server besides the dummy"
		},
	},
	{
		// Without an active server Odoo falls back to the SMTP server of
		// its command line or configuration file.
		item: "dummy mail server", tables: []string{"ir_mail_server"},
		sql: `SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END, count(*)::text
		        FROM ir_mail_server WHERE active AND name = $1 AND smtp_host = $2`,
		args: []any{DummyName, DummyHost},
		ok:   count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return "no active dummy mail server: Odoo would fall back to the SMTP server of its configuration"
			}
			return sample + " active dummy mail server(s) (" + DummyName + ", host " + DummyHost + ")"
		},
	},
	{
		item: "crons", tables: []string{"ir_cron", "ir_model_data"},
		sql: `SELECT count(*), coalesce(string_agg(id::text, ', ' ORDER BY id), '')
		        FROM ir_cron
		       WHERE active AND id NOT IN (SELECT res_id FROM ir_model_data
		                                    WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job'
		                                      AND res_id IS NOT NULL)`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d active cron(s) besides base.autovacuum_job: ir_cron ids %s", bad, sample)
			}
			return "every cron is off except base.autovacuum_job"
		},
	},
	{
		item: "database.is_neutralized", tables: []string{"ir_config_parameter"},
		sql: `SELECT CASE WHEN lower(coalesce(max(value), '')) IN ('true', '1') THEN 0 ELSE 1 END, coalesce(max(value), '(unset)')
		        FROM ir_config_parameter WHERE key = 'database.is_neutralized'`,
		ok: count,
		detail: func(bad int, sample string) string {
			return "ir_config_parameter database.is_neutralized = " + sample
		},
	},
	{
		item: "incoming mail servers", tables: []string{"fetchmail_server"},
		sql: `SELECT count(*), coalesce(string_agg(name, ', ' ORDER BY id), '') FROM fetchmail_server WHERE active`,
		ok:  count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d active fetchmail server(s): %s", bad, sample)
			}
			return "every fetchmail server is off"
		},
	},
	{
		item: "payment providers", tables: []string{"payment_provider"},
		sql: `SELECT count(*), coalesce(string_agg(code || ' (' || state || ')', ', ' ORDER BY id), '')
		        FROM payment_provider WHERE state NOT IN ('test', 'disabled')`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d payment provider(s) can charge real cards: %s", bad, sample)
			}
			return "every payment provider is disabled or in test mode"
		},
	},
	{
		item: "payment acquirers", tables: []string{"payment_acquirer"},
		sql: `SELECT count(*), coalesce(string_agg(provider || ' (' || state || ')', ', ' ORDER BY id), '')
		        FROM payment_acquirer WHERE state NOT IN ('test', 'disabled')`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d payment acquirer(s) can charge real cards: %s", bad, sample)
			}
			return "every payment acquirer is disabled or in test mode"
		},
	},
	{
		item: "IAP accounts", tables: []string{"iap_account"},
		sql: `SELECT count(*), coalesce(string_agg(coalesce(service_name, id::text), ', ' ORDER BY id), '')
		        FROM iap_account WHERE account_token IS NOT NULL AND account_token NOT LIKE '%+disabled'`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d IAP account token(s) still live: %s", bad, sample)
			}
			return "every IAP token is suffixed +disabled"
		},
	},
	{
		item: "webhooks", tables: []string{"ir_act_server"}, column: "ir_act_server.webhook_url",
		sql: `SELECT count(*), coalesce(string_agg(id::text, ', ' ORDER BY id), '')
		        FROM ir_act_server
		       WHERE state = 'webhook' AND webhook_url IS NOT NULL AND webhook_url <> ''
		         AND substring(webhook_url from '^[a-zA-Z]+://([^/:?#]+)') NOT LIKE '%.invalid'`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d webhook server action(s) still point at a real URL: ids %s", bad, sample)
			}
			return "no webhook server action can reach a real URL"
		},
	},
	{
		item: "mail templates", tables: []string{"mail_template"},
		sql: `SELECT count(*), coalesce(string_agg(id::text, ', ' ORDER BY id), '') FROM mail_template WHERE mail_server_id IS NOT NULL`,
		ok:  count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d mail template(s) pinned to a mail server: ids %s", bad, sample)
			}
			return "no mail template is pinned to a mail server"
		},
	},
	{
		item: "websites", tables: []string{"website"},
		sql: `SELECT count(*), coalesce(string_agg(name, ', ' ORDER BY id), '') FROM website
		       WHERE domain IS NOT NULL AND domain <> '' OR cdn_activated`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d website(s) keep a domain or a CDN: %s", bad, sample)
			}
			return "no website has a domain or a CDN"
		},
	},
	{
		item: "delivery carriers", tables: []string{"delivery_carrier"},
		sql: `SELECT count(*), coalesce(string_agg(delivery_type, ', ' ORDER BY id), '') FROM delivery_carrier
		       WHERE prod_environment OR (active AND delivery_type NOT IN ('fixed', 'base_on_rule'))`,
		ok: count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return fmt.Sprintf("%d delivery carrier(s) in production mode or calling a carrier's API: %s", bad, sample)
			}
			return "no delivery carrier in production mode"
		},
	},
	{
		item: "upgrade-service parameters", tables: []string{"ir_config_parameter"},
		sql: `SELECT (SELECT count(*) FROM ir_config_parameter WHERE key = 'database.enterprise_code')
		           + (SELECT count(*) FROM ir_config_parameter WHERE key = 'web.base.url' AND value <> $1),
		             coalesce((SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'), '(unset)')`,
		args: []any{LocalBaseURL},
		ok:   count,
		detail: func(bad int, sample string) string {
			if bad > 0 {
				return "database.enterprise_code present or web.base.url not " + LocalBaseURL + " (it is " + sample + ")"
			}
			return "no enterprise code; web.base.url = " + sample
		},
	},
}

// Verify checks, item by item, that the database is neutralized: no
// active mail server but the dummy, crons off except base.autovacuum_job,
// database.is_neutralized, fetchmail off, payment providers disabled, IAP
// tokens suffixed, webhooks dead, and the upgrade service's parameters.
// Run it before Odoo starts and again after the upgrade, which may have
// brought records back. Items whose table does not exist are reported as
// skipped. The error is for a query that could not run, not for a finding.
func Verify(ctx context.Context, q Querier) (Report, error) {
	var names []string
	for _, c := range checks {
		names = append(names, c.tables...)
	}
	var have []string
	err := q.QueryRow(ctx, `SELECT coalesce(array_agg(table_name || '.' || column_name), '{}')
	                          FROM information_schema.columns
	                         WHERE table_schema = current_schema() AND table_name = ANY($1)`, names).Scan(&have)
	if err != nil {
		return Report{}, fmt.Errorf("verify neutralization: read the schema: %w", err)
	}
	tables, columns := map[string]bool{}, map[string]bool{}
	for _, tc := range have {
		t, _, _ := strings.Cut(tc, ".")
		tables[t], columns[tc] = true, true
	}

	var r Report
	for _, c := range checks {
		if missing := firstMissing(c.tables, tables); missing != "" {
			r.Findings = append(r.Findings, Finding{Item: c.item, OK: true, Skipped: true, Detail: "table " + missing + " does not exist"})
			continue
		}
		if c.column != "" && !columns[c.column] {
			r.Findings = append(r.Findings, Finding{Item: c.item, OK: true, Skipped: true, Detail: "column " + c.column + " does not exist"})
			continue
		}
		var bad int
		var sample string
		if err := q.QueryRow(ctx, c.sql, c.args...).Scan(&bad, &sample); err != nil {
			return Report{}, fmt.Errorf("verify neutralization of %s: %w", c.item, err)
		}
		r.Findings = append(r.Findings, Finding{Item: c.item, OK: c.ok(bad), Detail: c.detail(bad, sample)})
	}
	return r, nil
}
