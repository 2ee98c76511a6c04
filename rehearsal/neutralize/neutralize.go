// Package neutralize makes a copy of a production Odoo database harmless
// before any Odoo process touches it: what Odoo's own `odoo neutralize`
// does (each installed module's data/neutralize.sql, as of the database's
// Odoo version), plus what Odoo's upgrade service does to test databases
// (a new database.uuid, web.base.url on localhost, no enterprise code).
//
// Unlike Odoo's, it is idempotent (one dummy mail server however often it
// runs), it runs in SQL over a plain connection, all in one transaction,
// and it says which module's statement failed. Verify checks the result,
// before and after the upgrade.
package neutralize

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Conn is what neutralization needs of a connection; *pgx.Conn has it.
type Conn interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// StatementError is a neutralization statement that failed. The database
// is left as it was (the transaction is rolled back), and the rehearsal
// must stop: the copy is not safe to start.
type StatementError struct {
	Module    string // the Odoo module whose neutralization failed, e.g. "base"
	Statement string // what the statement does
	SQL       string
	Err       error
}

func (e *StatementError) Error() string {
	hint := "nothing was changed, the copy is not neutralized"
	var pgErr *pgconn.PgError
	if errors.As(e.Err, &pgErr) && (pgErr.Code == "42703" || pgErr.Code == "42P01") {
		// undefined column or table of an installed module
		hint += "; a custom module may have changed this table (e.g. made a field non-stored): " +
			"neutralize that module's data with statements of your own (WithStatement), or fix the module"
	}
	return fmt.Sprintf("neutralize: module %s, statement %q failed: %v (%s)\nSQL: %s",
		e.Module, e.Statement, e.Err, hint, oneLine(e.SQL))
}

func (e *StatementError) Unwrap() error { return e.Err }

// Applied is one statement that ran.
type Applied struct {
	Module    string `json:"module"`
	Statement string `json:"statement"`
	Rows      int64  `json:"rows"`
}

// Result tells what neutralization did.
type Result struct {
	Version int       `json:"version"` // Odoo major version the statements were chosen for
	Modules []string  `json:"modules"` // installed modules that have a neutralization
	Applied []Applied `json:"applied"`
	// Notes are statements skipped because their module is not installed,
	// their table does not exist, or their Odoo version does not match.
	Notes []string `json:"notes,omitempty"`
}

type config struct {
	version int
	extra   []statement
}

// Option configures Run.
type Option func(*config)

// WithVersion sets the Odoo major version (16, 17, ...) instead of reading
// it from the base module's latest_version; for a caller that knows it
// from the backup's manifest.
func WithVersion(major int) Option { return func(c *config) { c.version = major } }

// Custom is the module name reported for a WithStatement given no module.
const Custom = "custom"

// WithStatement adds a team's own neutralization, for what a custom module
// connects to (its API keys, its outgoing webhooks) or for a table a custom
// module reshaped. It runs after Odoo's statements, in the same
// transaction, when module is installed (always when module is ""), and a
// failure is reported like a built-in statement's. sql is one statement.
func WithStatement(module, name, sql string) Option {
	return func(c *config) {
		st := statement{module: module, name: name, sql: sql, custom: true}
		if module == "" {
			st.module = Custom
		}
		c.extra = append(c.extra, st)
	}
}

// Run neutralizes the database conn is connected to, in one transaction.
// A failing statement returns a *StatementError and changes nothing.
func Run(ctx context.Context, conn Conn, opts ...Option) (Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("neutralize: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op

	installed, baseVersion, err := installedModules(ctx, tx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Version: cfg.version}
	if res.Version == 0 {
		if res.Version, err = majorVersion(baseVersion); err != nil {
			return Result{}, err
		}
	}
	tables, columns, err := schema(ctx, tx)
	if err != nil {
		return Result{}, err
	}

	notedModule := map[string]bool{}
	for _, st := range append(slices.Clip(statements), cfg.extra...) {
		always := st.module == UpgradeService || (st.custom && st.module == Custom)
		if !always && !installed[st.module] {
			if !notedModule[st.module] {
				notedModule[st.module] = true
				res.Notes = append(res.Notes, fmt.Sprintf("module %s is not installed: its neutralization is skipped", st.module))
			}
			continue
		}
		if (st.minVersion != 0 && res.Version < st.minVersion) || (st.maxVersion != 0 && res.Version > st.maxVersion) {
			continue // another version's statement; the matching one runs
		}
		if missing := firstMissing(st.tables, tables); missing != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("module %s, %q skipped: table %s does not exist", st.module, st.name, missing))
			continue
		}
		if missing := firstMissing(st.columns, columns); missing != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("module %s, %q skipped: column %s does not exist", st.module, st.name, missing))
			continue
		}
		if !slices.Contains(res.Modules, st.module) && !always {
			res.Modules = append(res.Modules, st.module)
		}
		tag, err := tx.Exec(ctx, st.sql, st.args...)
		if err != nil {
			return Result{}, &StatementError{Module: st.module, Statement: st.name, SQL: st.sql, Err: err}
		}
		res.Applied = append(res.Applied, Applied{Module: st.module, Statement: st.name, Rows: tag.RowsAffected()})
	}
	if err := tx.Commit(ctx); err != nil {
		return Result{}, fmt.Errorf("neutralize: commit: %w", err)
	}
	return res, nil
}

// installedModules returns the modules Odoo would neutralize (installed,
// to upgrade, to remove, as `odoo neutralize` selects them) and base's
// latest_version.
func installedModules(ctx context.Context, q pgx.Tx) (map[string]bool, string, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('ir_module_module') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, "", fmt.Errorf("neutralize: %w", err)
	}
	if !exists {
		return nil, "", errors.New("neutralize: the database has no ir_module_module table: it is not an Odoo database (or it is empty: was the restore complete?)")
	}
	rows, err := q.Query(ctx, `SELECT name, coalesce(latest_version, '') FROM ir_module_module
	                            WHERE state IN ('installed', 'to upgrade', 'to remove')`)
	if err != nil {
		return nil, "", fmt.Errorf("neutralize: list installed modules: %w", err)
	}
	installed := map[string]bool{}
	var base string
	for rows.Next() {
		var name, version string
		if err := rows.Scan(&name, &version); err != nil {
			return nil, "", fmt.Errorf("neutralize: list installed modules: %w", err)
		}
		installed[name] = true
		if name == "base" {
			base = version
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("neutralize: list installed modules: %w", err)
	}
	if !installed["base"] {
		return nil, "", errors.New("neutralize: module base is not installed in this database: it is not a usable Odoo database")
	}
	return installed, base, nil
}

var versionRe = regexp.MustCompile(`^(?:saas~)?(\d+)\.`)

// majorVersion reads 16 from "16.0.1.3" and 17 from "saas~17.2.1.0".
func majorVersion(latest string) (int, error) {
	m := versionRe.FindStringSubmatch(latest)
	if m == nil {
		return 0, fmt.Errorf("neutralize: cannot tell the Odoo version from base's latest_version %q; pass it with WithVersion", latest)
	}
	return strconv.Atoi(m[1])
}

// schema lists the tables and "table.column"s of the current schema that
// the statements mention.
func schema(ctx context.Context, q pgx.Tx) (map[string]bool, map[string]bool, error) {
	var names []string
	for _, st := range statements {
		names = append(names, st.tables...)
		for _, c := range st.columns {
			names = append(names, strings.SplitN(c, ".", 2)[0])
		}
	}
	rows, err := q.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
	                            WHERE table_schema = current_schema() AND table_name = ANY($1)`, names)
	if err != nil {
		return nil, nil, fmt.Errorf("neutralize: read the schema: %w", err)
	}
	tables, columns := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, nil, fmt.Errorf("neutralize: read the schema: %w", err)
		}
		tables[t], columns[t+"."+c] = true, true
	}
	return tables, columns, rows.Err()
}

func firstMissing(want []string, have map[string]bool) string {
	for _, w := range want {
		if !have[w] {
			return w
		}
	}
	return ""
}

func oneLine(sql string) string { return strings.Join(strings.Fields(sql), " ") }
