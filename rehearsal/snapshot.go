package rehearsal

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// snapshot is what the database says about modules and the main business
// records, taken before and after the upgrade for the report's module
// changes and before/after table (the scenarios judge; this informs).
type snapshot struct {
	modules map[string]module // installed modules
	counts  map[string]int64  // table → rows
}

type module struct {
	state, version string
}

// countedTables are the tables whose size a release manager wants to see
// before and after; absent ones are left out.
var countedTables = []string{
	"res_partner", "res_users", "res_company", "product_template", "product_product",
	"sale_order", "sale_order_line", "account_move", "account_move_line",
	"stock_picking", "stock_move", "purchase_order", "crm_lead",
	"ir_attachment", "mail_message", "ir_ui_view",
}

func takeSnapshot(ctx context.Context, conn *pgx.Conn) (snapshot, error) {
	s := snapshot{modules: map[string]module{}, counts: map[string]int64{}}
	rows, err := conn.Query(ctx, `SELECT name, state, coalesce(latest_version, '') FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove')`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var name string
		var m module
		if err := rows.Scan(&name, &m.state, &m.version); err != nil {
			return s, err
		}
		s.modules[name] = m
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	for _, t := range countedTables {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+t).Scan(&exists); err != nil {
			return s, err
		}
		if !exists {
			continue
		}
		var n int64
		if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM public.%q`, t)).Scan(&n); err != nil {
			return s, err
		}
		s.counts[t] = n
	}
	return s, nil
}

// moduleChanges compares the installed modules before and after.
func moduleChanges(before, after snapshot) report.ModuleChanges {
	mc := report.ModuleChanges{InstalledBefore: len(before.modules), InstalledAfter: len(after.modules), Added: []string{}, Removed: []string{}, Upgraded: []report.ModuleUpgrade{}}
	for name, a := range after.modules {
		b, ok := before.modules[name]
		switch {
		case !ok:
			mc.Added = append(mc.Added, name)
		case a.version != b.version:
			mc.Upgraded = append(mc.Upgraded, report.ModuleUpgrade{Name: name, From: b.version, To: a.version})
		}
	}
	for name := range before.modules {
		if _, ok := after.modules[name]; !ok {
			mc.Removed = append(mc.Removed, name)
		}
	}
	slices.Sort(mc.Added)
	slices.Sort(mc.Removed)
	slices.SortFunc(mc.Upgraded, func(a, b report.ModuleUpgrade) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return mc
}

func recordCounts(before, after snapshot) []report.RecordCount {
	out := []report.RecordCount{}
	for _, t := range countedTables {
		b, okb := before.counts[t]
		a, oka := after.counts[t]
		if !okb && !oka {
			continue
		}
		out = append(out, report.RecordCount{Model: t, Before: b, After: a, Delta: a - b})
	}
	return out
}
