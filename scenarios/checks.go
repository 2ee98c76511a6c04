package scenarios

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

// A check kind is a check written in Go for what plain steps cannot say
// ("for each window action, load its views"), named from YAML with
// `check: <name>` and parameters under `with:`.
type checkKind struct {
	// before: the check collects a baseline on the source version and
	// judges after against it.
	before bool
	run    func(ctx context.Context, r *runner, with map[string]any, before any) checkOutcome
}

type checkOutcome struct {
	value    any // kept as the baseline in the before phase
	fail     string
	expected string
	got      string
	notes    []string
	err      error
}

var checks = map[string]checkKind{
	"server_version":       {run: checkServerVersion},
	"admin_login":          {run: checkAdminLogin},
	"modules_kept":         {before: true, run: checkModulesKept},
	"record_counts":        {before: true, run: checkRecordCounts},
	"views_load":           {run: checkViewsLoad},
	"views_still_active":   {before: true, run: checkViewsStillActive},
	"attachments_readable": {run: checkAttachmentsReadable},
}

func checkNames() []string {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (r *runner) runCheck(ctx context.Context, sc *Scenario, index int, st *Step, sr StepResult, start time.Time) StepResult {
	kind := checks[st.Check]
	key := stepKey{sc.Name, index}
	var before any
	if r.phase == After && kind.before {
		if r.base == nil {
			sr.Status, sr.Message = Error, "this check compares with the before phase, which did not run"
			sr.Duration = time.Since(start)
			return sr
		}
		v, berr, ok := r.base.get(key)
		if !ok || berr != nil {
			sr.Status, sr.Message = Error, fmt.Sprintf("no baseline from before the upgrade (%v)", berr)
			sr.Duration = time.Since(start)
			return sr
		}
		before = v
	}
	o := kind.run(ctx, r, st.With, before)
	if r.phase == Before {
		r.base.put(key, o.value, o.err)
	}
	sr.Notes = o.notes
	switch {
	case o.err != nil:
		sr.Status, sr.Message = Error, o.err.Error()
	case o.fail != "":
		sr.Status, sr.Message, sr.Expected, sr.Got = Fail, o.fail, o.expected, o.got
	}
	sr.Duration = time.Since(start)
	return sr
}

func checkServerVersion(ctx context.Context, r *runner, with map[string]any, _ any) checkOutcome {
	v, err := r.env.Odoo.Version(ctx)
	if err != nil {
		return checkOutcome{err: err}
	}
	want, _ := with["expect"].(string)
	if want == "" {
		want = r.env.TargetVersion
	}
	if r.phase == Before || want == "" {
		return checkOutcome{notes: []string{"server reports " + v.ServerVersion}}
	}
	if v.Serie != want && !strings.HasPrefix(v.ServerVersion, want) {
		return checkOutcome{fail: "the server does not report the target version", expected: want, got: v.Serie + " (" + v.ServerVersion + ")"}
	}
	return checkOutcome{notes: []string{"server reports " + v.ServerVersion}}
}

// checkAdminLogin logs in afresh rather than trusting the runner's cached
// session: the check is that the upgraded database accepts the login.
func checkAdminLogin(ctx context.Context, r *runner, _ map[string]any, _ any) checkOutcome {
	uid, err := r.env.Odoo.Authenticate(ctx, r.env.DB, r.env.AdminLogin, r.env.AdminPassword)
	if err != nil {
		if f, ok := odoo.FaultOf(err); ok {
			return checkOutcome{fail: "the admin cannot log in: " + f.Message, expected: "a user id", got: string(f.Kind)}
		}
		return checkOutcome{err: err}
	}
	return checkOutcome{notes: []string{fmt.Sprintf("admin %q is uid %d", r.env.AdminLogin, uid)}}
}

func (r *runner) modules(ctx context.Context) (map[string]string, error) {
	rows, err := r.admin.SearchRead(ctx, "ir.module.module", nil, []string{"name", "state"}, map[string]any{"order": "name"})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, row := range rows {
		name, _ := row["name"].(string)
		state, _ := row["state"].(string)
		out[name] = state
	}
	return out, nil
}

func checkModulesKept(ctx context.Context, r *runner, _ map[string]any, before any) checkOutcome {
	mods, err := r.modules(ctx)
	if err != nil {
		return checkOutcome{err: err}
	}
	var installed []any
	for name, state := range mods {
		if state == "installed" {
			installed = append(installed, name)
		}
	}
	slices.SortFunc(installed, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	if r.phase == Before {
		return checkOutcome{value: installed, notes: []string{fmt.Sprintf("%d modules installed", len(installed))}}
	}
	prev, _ := before.([]any)
	var lost []string
	for _, m := range prev {
		name := m.(string)
		if mods[name] != "installed" {
			state := mods[name]
			if state == "" {
				state = "gone"
			}
			lost = append(lost, fmt.Sprintf("%s (%s)", name, state))
		}
	}
	var added []string
	for _, m := range installed {
		if !slices.Contains(prev, m) {
			added = append(added, m.(string))
		}
	}
	var notes []string
	if len(added) > 0 {
		notes = append(notes, "newly installed: "+strings.Join(added, ", "))
	}
	if len(lost) > 0 {
		return checkOutcome{notes: notes, fail: fmt.Sprintf("%d of %d modules installed before are not installed after", len(lost), len(prev)),
			expected: "every module installed before", got: "not installed: " + strings.Join(lost, ", ")}
	}
	return checkOutcome{notes: notes}
}

// checkRecordCounts compares the number of records of the main business
// models. A model absent before (its module not installed) is left out.
func checkRecordCounts(ctx context.Context, r *runner, with map[string]any, before any) checkOutcome {
	models := stringList(with["models"])
	tol := &Compare{Op: "within", Amount: 2, Percent: true}
	if t, ok := with["tolerance"]; ok {
		amount, percent, err := parseAmount(fmt.Sprint(t))
		if err != nil {
			return checkOutcome{err: fmt.Errorf("with.tolerance %v: want a number or a percentage", t)}
		}
		tol.Amount, tol.Percent = amount, percent
	}
	// An upgrade that loses business records is never "within tolerance":
	// the tolerance is for growth, losses are counted one by one.
	maxShrink := int64(0)
	if v, ok := with["max_shrink"]; ok {
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if err != nil || n < 0 {
			return checkOutcome{err: fmt.Errorf("with.max_shrink %v: want a whole number of records, 0 or more", v)}
		}
		maxShrink = n
	}
	counts := map[string]any{}
	for _, m := range models {
		if r.phase == After {
			if _, had := before.(map[string]any)[m]; !had {
				continue
			}
		}
		n, err := r.admin.SearchCount(ctx, m, []any{})
		if err != nil {
			var ue *odoo.UserError
			if errors.As(err, &ue) && strings.Contains(ue.Message, "doesn't exist") && r.phase == Before {
				continue // module not installed on this database
			}
			if r.phase == After && errors.As(err, &ue) {
				counts[m] = "gone"
				continue
			}
			return checkOutcome{err: err}
		}
		counts[m] = n
	}
	if r.phase == Before {
		return checkOutcome{value: counts, notes: []string{fmt.Sprintf("%d models counted", len(counts))}}
	}
	var bad []string
	for _, m := range models {
		b, ok := before.(map[string]any)[m]
		if !ok {
			continue
		}
		a := counts[m]
		if a == "gone" {
			bad = append(bad, fmt.Sprintf("%s: %v before, model gone after", m, b))
			continue
		}
		bn, bok := asInt64(b)
		an, aok := asInt64(a)
		if bok && aok && bn-an > maxShrink {
			bad = append(bad, fmt.Sprintf("%s: before %d, after %d (%d records lost)", m, bn, an, bn-an))
			continue
		}
		if o := compareValues(tol, b, a, true, true); !o.ok {
			bad = append(bad, fmt.Sprintf("%s: %s", m, o.msg))
		}
	}
	if len(bad) > 0 {
		return checkOutcome{fail: "record counts changed beyond tolerance", expected: fmt.Sprintf("no more than %d records lost and %s for each model", maxShrink, tol), got: strings.Join(bad, "; ")}
	}
	return checkOutcome{}
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkViewsLoad loads the views of every window action as the web client
// does (get_views from 16.0, fields_view_get before), concurrently: the
// first thing a person sees of a broken upgrade is a view that no longer
// renders.
func checkViewsLoad(ctx context.Context, r *runner, with map[string]any, _ any) checkOutcome {
	ver, err := r.env.Odoo.Version(ctx)
	if err != nil {
		return checkOutcome{err: err}
	}
	kw := map[string]any{"order": "id"}
	if n, ok := with["limit"].(int64); ok && n > 0 {
		kw["limit"] = n
	}
	actions, err := r.admin.SearchRead(ctx, "ir.actions.act_window", nil, []string{"name", "res_model", "view_mode", "view_id", "search_view_id"}, kw)
	if err != nil {
		return checkOutcome{err: err}
	}
	type job struct {
		model string
		views []any
		names []string
	}
	jobs := map[string]*job{} // actions sharing model and views load once
	var order []string
	for _, a := range actions {
		model, _ := a["res_model"].(string)
		mode, _ := a["view_mode"].(string)
		if model == "" {
			continue
		}
		var views []any
		first := true
		for _, m := range strings.Split(mode, ",") {
			m = strings.TrimSpace(m)
			if m == "" {
				continue
			}
			var id any = false
			if vid, _, ok := odoo.Many2one(a["view_id"]); ok && first {
				id = vid
			}
			first = false
			views = append(views, []any{id, m})
		}
		var sid any = false
		if vid, _, ok := odoo.Many2one(a["search_view_id"]); ok {
			sid = vid
		}
		views = append(views, []any{sid, "search"})
		key := fmt.Sprint(model, views)
		j, ok := jobs[key]
		if !ok {
			j = &job{model: model, views: views}
			jobs[key] = j
			order = append(order, key)
		}
		name, _ := a["name"].(string)
		j.names = append(j.names, fmt.Sprintf("%q (%d)", name, a["id"]))
	}

	var mu sync.Mutex
	var failures []string
	sem := make(chan struct{}, r.env.Concurrency)
	var wg sync.WaitGroup
	for _, key := range order {
		j := jobs[key]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := loadViews(ctx, r.admin, ver.Major(), j.model, j.views)
			if err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("action %s on %s: %s", strings.Join(j.names, ", "), j.model, faultSummary(err)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return checkOutcome{err: err}
	}
	sort.Strings(failures)
	notes := []string{fmt.Sprintf("%d window actions, %d distinct view sets loaded", len(actions), len(order))}
	if len(failures) > 0 {
		shown := failures
		if len(shown) > 20 {
			shown = append(slices.Clone(shown[:20]), fmt.Sprintf("… and %d more", len(failures)-20))
		}
		return checkOutcome{notes: notes, fail: fmt.Sprintf("%d of %d view sets fail to load", len(failures), len(order)),
			expected: "every window action's views load", got: strings.Join(shown, "\n")}
	}
	return checkOutcome{notes: notes}
}

func loadViews(ctx context.Context, s *odoo.Session, major int, model string, views []any) error {
	if major >= 16 || major == 0 {
		_, err := s.ExecuteKw(ctx, model, "get_views", []any{views}, map[string]any{"options": map[string]any{}})
		return err
	}
	for _, v := range views {
		pair := v.([]any)
		if _, err := s.ExecuteKw(ctx, model, "fields_view_get", []any{}, map[string]any{"view_id": pair[0], "view_type": pair[1]}); err != nil {
			return err
		}
	}
	return nil
}

// checkViewsStillActive catches what Odoo does silently: an upgrade that
// meets a broken custom view may deactivate it rather than fail.
func checkViewsStillActive(ctx context.Context, r *runner, _ map[string]any, before any) checkOutcome {
	if r.phase == Before {
		ids, err := r.admin.Search(ctx, "ir.ui.view", []any{[]any{"active", "=", true}}, nil)
		if err != nil {
			return checkOutcome{err: err}
		}
		list := make([]any, len(ids))
		for i, id := range ids {
			list[i] = id
		}
		return checkOutcome{value: list, notes: []string{fmt.Sprintf("%d active views", len(ids))}}
	}
	prev, _ := before.([]any)
	if len(prev) == 0 {
		return checkOutcome{}
	}
	rows, err := r.admin.SearchRead(ctx, "ir.ui.view",
		[]any{[]any{"id", "in", prev}, []any{"active", "=", false}},
		[]string{"name", "key", "model"},
		map[string]any{"context": map[string]any{"active_test": false}})
	if err != nil {
		return checkOutcome{err: err}
	}
	if len(rows) == 0 {
		return checkOutcome{}
	}
	names := make([]string, 0, len(rows))
	for _, row := range rows {
		label, _ := row["key"].(string)
		if label == "" {
			label, _ = row["name"].(string)
		}
		model, _ := row["model"].(string)
		names = append(names, fmt.Sprintf("%s (id %v, %s)", label, row["id"], model))
	}
	sort.Strings(names)
	return checkOutcome{fail: fmt.Sprintf("%d views active before are inactive after (Odoo disables broken views silently)", len(rows)),
		expected: "every view active before still active", got: strings.Join(names, "; ")}
}

// checkAttachmentsReadable reads the content of a bounded sample of stored
// attachments: a filestore left behind reads back as False.
func checkAttachmentsReadable(ctx context.Context, r *runner, with map[string]any, _ any) checkOutcome {
	sample := int64(20)
	if n, ok := with["sample"].(int64); ok && n > 0 {
		sample = n
	}
	rows, err := r.admin.SearchRead(ctx, "ir.attachment",
		[]any{[]any{"type", "=", "binary"}, []any{"store_fname", "!=", false}},
		[]string{"file_size"}, map[string]any{"limit": sample, "order": "id desc"})
	if err != nil {
		return checkOutcome{err: err}
	}
	var missing []string
	for _, row := range rows {
		id, _ := row["id"].(int64)
		size, _ := row["file_size"].(int64)
		recs, err := r.admin.Read(ctx, "ir.attachment", []int64{id}, []string{"datas"})
		if err != nil {
			return checkOutcome{err: err}
		}
		if len(recs) == 0 {
			continue
		}
		if d, ok := recs[0]["datas"].(string); (!ok || d == "") && size > 0 {
			missing = append(missing, fmt.Sprintf("attachment %d (%d bytes)", id, size))
		}
	}
	notes := []string{fmt.Sprintf("%d stored attachments read", len(rows))}
	if len(missing) > 0 {
		return checkOutcome{notes: notes, fail: fmt.Sprintf("%d of %d attachments read back empty: their files are missing from the filestore", len(missing), len(rows)),
			expected: "the content of every sampled attachment", got: strings.Join(missing, ", ")}
	}
	return checkOutcome{notes: notes}
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), n == float64(int64(n))
	}
	return 0, false
}
