package restore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// verify counts every table's rows in the restored database and compares
// them with the rows the dump carried. The tables are spread over several
// connections, largest first, one UNION ALL query each.
func verify(ctx context.Context, pg Postgres, db string, res *Result, o *options) error {
	tables := make([]string, 0, len(res.Rows))
	for t := range res.Rows {
		if res.unverified[t] {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: row count not verified, its COPY failed under an allow pattern", t))
			continue
		}
		tables = append(tables, t)
	}
	sort.Slice(tables, func(i, j int) bool { return res.Rows[tables[i]] > res.Rows[tables[j]] })
	groups := make([][]string, min(o.jobs, max(1, len(tables))))
	for i, t := range tables {
		groups[i%len(groups)] = append(groups[i%len(groups)], t)
	}
	var (
		mu   sync.Mutex
		got  = map[string]int64{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, group := range groups {
		if len(group) == 0 {
			continue
		}
		wg.Go(func() {
			counts, err := countRows(ctx, pg, db, group)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			for t, n := range counts {
				got[t] = n
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return exit.Infra("restore: verify row counts of %s: %v", db, errs[0])
	}
	var wrong []string
	for _, t := range tables {
		if res.Rows[t] != got[t] {
			wrong = append(wrong, fmt.Sprintf("%s: dump %d rows, database %d", t, res.Rows[t], got[t]))
		}
	}
	if len(wrong) > 0 {
		if len(wrong) > 10 {
			wrong = append(wrong[:10], fmt.Sprintf("and %d more tables", len(wrong)-10))
		}
		return exit.Input("restore: %s does not hold the rows its dump carried:\n  %s", db, strings.Join(wrong, "\n  "))
	}
	res.Verified = true
	return nil
}

func countRows(ctx context.Context, pg Postgres, db string, tables []string) (map[string]int64, error) {
	conn, err := pg.Connect(ctx, db)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var q strings.Builder
	for i, t := range tables {
		if i > 0 {
			q.WriteString(" UNION ALL ")
		}
		// The names are pg_dump's own, already quoted where needed. ONLY:
		// Odoo's ir_actions has children (ir_act_window, ...) whose rows a
		// plain count would add.
		fmt.Fprintf(&q, "SELECT %d, count(*) FROM ONLY %s", i, t)
	}
	rows, err := conn.Query(ctx, q.String())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var i int
		var n int64
		if err := rows.Scan(&i, &n); err != nil {
			return nil, err
		}
		out[tables[i]] = n
	}
	return out, rows.Err()
}
