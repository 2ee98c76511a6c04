package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

// SQLConn is the read-only database access an sql step needs; a
// *pgx.Conn is one. The runner opens a READ ONLY transaction on it, rolls
// it back, and closes the connection when the step is done.
type SQLConn interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
	Close(ctx context.Context) error
}

// Env is what the runner needs from the rehearsal: the Odoo serving the
// copy, how to log in as its admin, a read-only SQL connection, and what
// version to expect.
type Env struct {
	Odoo          *odoo.Client
	DB            string
	AdminLogin    string // the login of base.user_admin on the copy
	AdminPassword string // the rehearsal's own password, never printed
	// SQL opens a connection to the copy for sql steps; nil makes sql
	// steps fail with an error saying so.
	SQL func(ctx context.Context) (SQLConn, error)
	// TargetVersion is the server_serie expected after the upgrade
	// ("17.0"); the built-in pack checks it.
	TargetVersion string
	// Concurrency bounds the scenarios run at once (default 4); real Odoo
	// closes every connection, so concurrency is what makes checks fast.
	Concurrency int
	// SQLTimeout bounds each sql step (default 60 s).
	SQLTimeout time.Duration
}

// Status is the outcome of a step or scenario.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"  // an expectation was not met: the upgrade is judged unsafe
	Error Status = "error" // the step could not be judged (no connection, bad path, …)
	Skip  Status = "skip"  // not applicable (a required module is not installed)
)

// Results is what a run returns, plain data for reports.
type Results struct {
	Phase     Phase            `json:"phase"`
	Digest    string           `json:"digest"`
	Started   time.Time        `json:"started"`
	Duration  time.Duration    `json:"duration_ns"`
	Scenarios []ScenarioResult `json:"scenarios"`
}

// Passed is true when no scenario failed or errored.
func (r *Results) Passed() bool {
	for _, s := range r.Scenarios {
		if s.Status == Fail || s.Status == Error {
			return false
		}
	}
	return true
}

// Count returns how many scenarios ended with status st.
func (r *Results) Count(st Status) int {
	n := 0
	for _, s := range r.Scenarios {
		if s.Status == st {
			n++
		}
	}
	return n
}

// ScenarioResult is one scenario's outcome.
type ScenarioResult struct {
	Name     string        `json:"name"`
	File     string        `json:"file"`
	Builtin  bool          `json:"builtin,omitempty"`
	Status   Status        `json:"status"`
	Reason   string        `json:"reason,omitempty"` // why it was skipped or errored as a whole
	Steps    []StepResult  `json:"steps"`
	Duration time.Duration `json:"duration_ns"`
}

// StepResult is one step's outcome. Expected and Got never hold customer
// field values unless the step says `record: true` (then Values holds the
// result too); counts and shapes are shown instead.
type StepResult struct {
	Name     string        `json:"name"`
	Line     int           `json:"line"`
	Status   Status        `json:"status"`
	Message  string        `json:"message,omitempty"`
	Expected string        `json:"expected,omitempty"`
	Got      string        `json:"got,omitempty"`
	Notes    []string      `json:"notes,omitempty"` // information that does not fail (e.g. modules newly installed)
	Duration time.Duration `json:"duration_ns"`
	Values   any           `json:"values,omitempty"`
}

// Baseline is what the before phase leaves for the after phase: the value
// of every step that runs both times, keyed by scenario and step.
type Baseline struct {
	Results
	mu     sync.Mutex
	values map[stepKey]any
	errs   map[stepKey]error
}

type stepKey struct {
	scenario string
	step     int
}

// RunBefore runs the steps that run before the upgrade, on the copy served
// by the source version, and keeps their values for RunAfter.
func (s *Set) RunBefore(ctx context.Context, env Env) (*Baseline, error) {
	b := &Baseline{values: map[stepKey]any{}, errs: map[stepKey]error{}}
	res, err := s.run(ctx, env, Before, b)
	if err != nil {
		return nil, err
	}
	b.Results = *res
	return b, nil
}

// RunAfter runs the steps that run after the upgrade and compares with
// before (nil when there was no before phase: compare steps then error).
func (s *Set) RunAfter(ctx context.Context, env Env, before *Baseline) (*Results, error) {
	return s.run(ctx, env, After, before)
}

func (s *Set) run(ctx context.Context, env Env, phase Phase, base *Baseline) (*Results, error) {
	if env.Odoo == nil {
		return nil, errors.New("scenarios: Env.Odoo is nil")
	}
	if env.Concurrency <= 0 {
		env.Concurrency = 4
	}
	if env.SQLTimeout <= 0 {
		env.SQLTimeout = time.Minute
	}
	start := time.Now()
	r := &runner{env: env, phase: phase, base: base, sessions: map[string]*sessionOnce{}}
	admin, err := r.session(ctx, env.AdminLogin)
	if err != nil {
		// Without the admin nothing can be judged; the built-in pack
		// reports it too, but the caller must know the run is void.
		return nil, fmt.Errorf("scenarios: logging in as the admin %q on %s: %w", env.AdminLogin, env.DB, err)
	}
	r.admin = admin
	if err := r.loadInstalled(ctx); err != nil {
		return nil, err
	}

	res := &Results{Phase: phase, Digest: s.Digest, Started: start, Scenarios: make([]ScenarioResult, len(s.Scenarios))}
	// Two waves: the scenarios that only read first, then those that
	// write. A sales flow that creates an order while the record counts
	// are taken would make the counts lie.
	for _, writers := range []bool{false, true} {
		sem := make(chan struct{}, env.Concurrency)
		var wg sync.WaitGroup
		for i, sc := range s.Scenarios {
			if sc.writes() != writers {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					res.Scenarios[i] = ScenarioResult{Name: sc.Name, File: sc.File, Builtin: sc.Builtin, Status: Error, Reason: ctx.Err().Error()}
					return
				}
				defer func() { <-sem }()
				res.Scenarios[i] = r.scenario(ctx, sc)
			}()
		}
		wg.Wait()
	}
	res.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

type runner struct {
	env       Env
	phase     Phase
	base      *Baseline
	admin     *odoo.Session
	installed map[string]bool

	mu       sync.Mutex
	sessions map[string]*sessionOnce
}

type sessionOnce struct {
	once sync.Once
	s    *odoo.Session
	err  error
}

// session logs in once per login and shares the session: Odoo sessions
// over XML-RPC are stateless and safe to use concurrently.
func (r *runner) session(ctx context.Context, login string) (*odoo.Session, error) {
	r.mu.Lock()
	so, ok := r.sessions[login]
	if !ok {
		so = &sessionOnce{}
		r.sessions[login] = so
	}
	r.mu.Unlock()
	so.once.Do(func() {
		if login == r.env.AdminLogin {
			so.s, so.err = r.env.Odoo.Login(ctx, r.env.DB, login, r.env.AdminPassword)
			return
		}
		so.s, so.err = r.userSession(ctx, login)
	})
	return so.s, so.err
}

// userSession gives a named user a throwaway password on the copy (no
// production credential is ever needed) and logs in as them.
func (r *runner) userSession(ctx context.Context, login string) (*odoo.Session, error) {
	ids, err := r.admin.Search(ctx, "res.users", []any{[]any{"login", "=", login}}, map[string]any{"context": map[string]any{"active_test": false}})
	if err != nil {
		return nil, err
	}
	if len(ids) != 1 {
		return nil, fmt.Errorf("no user with login %q on the copy", login)
	}
	pw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	if _, err := r.admin.ExecuteKw(ctx, "res.users", "write", []any{[]any{ids[0]}, map[string]any{"password": pw}}, nil); err != nil {
		return nil, fmt.Errorf("setting a rehearsal password for %q: %w", login, err)
	}
	return r.env.Odoo.Login(ctx, r.env.DB, login, pw)
}

func randomPassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (r *runner) loadInstalled(ctx context.Context) error {
	rows, err := r.admin.SearchRead(ctx, "ir.module.module", []any{[]any{"state", "=", "installed"}}, []string{"name"}, map[string]any{"order": "name"})
	if err != nil {
		return fmt.Errorf("scenarios: listing installed modules: %w", err)
	}
	r.installed = make(map[string]bool, len(rows))
	for _, row := range rows {
		if name, ok := row["name"].(string); ok {
			r.installed[name] = true
		}
	}
	return nil
}

func (r *runner) scenario(ctx context.Context, sc *Scenario) ScenarioResult {
	start := time.Now()
	out := ScenarioResult{Name: sc.Name, File: sc.File, Builtin: sc.Builtin, Status: Pass}
	for _, m := range sc.Requires {
		if !r.installed[m] {
			out.Status, out.Reason = Skip, fmt.Sprintf("module %s is not installed", m)
			return out
		}
	}
	captures := map[string]any{}
	ran := 0
	for i, st := range sc.Steps {
		if !st.Runs(r.phase) {
			continue
		}
		ran++
		sr := r.step(ctx, sc, i, st, captures)
		out.Steps = append(out.Steps, sr)
		switch {
		case sr.Status == Error && out.Status != Fail:
			out.Status = Error
		case sr.Status == Fail:
			out.Status = Fail
		}
		if sr.Status == Fail || sr.Status == Error {
			// Later steps usually build on this one (captures); running
			// them would bury the cause under consequences.
			break
		}
	}
	if ran == 0 {
		out.Status, out.Reason = Skip, fmt.Sprintf("no step runs %s the upgrade", r.phase)
	}
	out.Duration = time.Since(start)
	return out
}

func (r *runner) step(ctx context.Context, sc *Scenario, index int, st *Step, captures map[string]any) StepResult {
	start := time.Now()
	sr := StepResult{Name: st.Name, Line: st.Line, Status: Pass}
	if sr.Name == "" {
		sr.Name = defaultName(st)
	}
	defer func() { sr.Duration = time.Since(start) }()
	finish := func(st Status, msg, expected, got string) StepResult {
		sr.Status, sr.Message, sr.Expected, sr.Got = st, msg, expected, got
		sr.Duration = time.Since(start)
		return sr
	}

	if st.Check != "" {
		return r.runCheck(ctx, sc, index, st, sr, start)
	}

	v, callErr := r.execute(ctx, sc, st, captures)
	if callErr != nil && !isJudgeable(callErr) {
		return finish(Error, callErr.Error(), "", "")
	}
	key := stepKey{sc.Name, index}
	if r.phase == Before && st.Compare != nil {
		r.base.put(key, v, callErr)
	}
	countLike := st.Method == "search_count" || strings.Contains(strings.ToLower(st.SQL), "count(")
	if st.Record && callErr == nil {
		sr.Values = v
	}

	expectsFault := false
	for _, a := range st.Expect {
		if a.Fault != "" {
			expectsFault = true
		}
		o := checkAssertion(a, v, callErr, st.Record, countLike)
		if !o.ok {
			sr.Line = a.Line
			return finish(Fail, o.msg, o.expected, o.got)
		}
	}
	if callErr != nil && !expectsFault {
		return finish(Fail, callErr.Error(), "no fault", faultSummary(callErr))
	}
	if callErr == nil {
		for name, path := range st.Capture {
			x, err := at(v, path)
			if err != nil {
				return finish(Error, fmt.Sprintf("capture %s: %v", name, err), "", "")
			}
			captures[name] = x
		}
	}
	if r.phase == After && st.Compare != nil {
		if r.base == nil {
			return finish(Error, "compare needs the before phase, which did not run", "", "")
		}
		bv, berr, ok := r.base.get(key)
		switch {
		case !ok:
			return finish(Error, "no before value for this step", "", "")
		case berr != nil && callErr != nil:
			// both faulted: compared as "same" only through fault expectations
		case berr != nil:
			return finish(Error, "before the upgrade this step faulted: "+faultSummary(berr), "", "")
		case callErr != nil:
		default:
			o := compareValues(st.Compare, bv, v, st.Record, countLike)
			if !o.ok {
				sr.Line = st.Compare.Line
				return finish(Fail, o.msg, o.expected, o.got)
			}
		}
	}
	return finish(Pass, "", "", "")
}

func (b *Baseline) put(k stepKey, v any, err error) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.values[k], b.errs[k] = v, err
}

func (b *Baseline) get(k stepKey) (any, error, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.values[k]
	return v, b.errs[k], ok
}

// isJudgeable says whether an error is Odoo's answer (a fault a scenario
// may expect) rather than a failure to reach Odoo at all.
func isJudgeable(err error) bool {
	_, ok := odoo.FaultOf(err)
	return ok
}

func defaultName(st *Step) string {
	switch st.Kind() {
	case "sql":
		return "sql: " + firstLine(st.SQL)
	case "check":
		return "check " + st.Check
	}
	return st.Model + "." + st.Method
}

// execute performs a call or sql step, with captures substituted.
func (r *runner) execute(ctx context.Context, sc *Scenario, st *Step, captures map[string]any) (any, error) {
	if st.SQL != "" {
		params, err := substitute(st.Params, captures)
		if err != nil {
			return nil, err
		}
		return r.query(ctx, st.SQL, params.([]any))
	}
	sess := r.admin
	if st.As != "" && st.As != "admin" {
		var err error
		if sess, err = r.session(ctx, sc.Users[st.As].Login); err != nil {
			return nil, fmt.Errorf("logging in as %s: %w", st.As, err)
		}
	}
	args, err := substitute(orEmptyList(st.Args), captures)
	if err != nil {
		return nil, err
	}
	var kwargs map[string]any
	if st.Kwargs != nil {
		kw, err := substitute(st.Kwargs, captures)
		if err != nil {
			return nil, err
		}
		kwargs = kw.(map[string]any)
	}
	return sess.ExecuteKw(ctx, st.Model, st.Method, args.([]any), kwargs)
}

func orEmptyList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

// substitute replaces ${name} references with captured values: a string
// that is exactly one reference takes the value with its type (an id stays
// an int), a reference inside a longer string is formatted into it.
func substitute(v any, captures map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		m := captureRef.FindAllStringSubmatchIndex(x, -1)
		if m == nil {
			return x, nil
		}
		if len(m) == 1 && m[0][0] == 0 && m[0][1] == len(x) {
			name := x[m[0][2]:m[0][3]]
			val, ok := captures[name]
			if !ok {
				return nil, fmt.Errorf("${%s} was not captured", name)
			}
			return val, nil
		}
		var err error
		out := captureRef.ReplaceAllStringFunc(x, func(ref string) string {
			name := ref[2 : len(ref)-1]
			val, ok := captures[name]
			if !ok {
				err = fmt.Errorf("${%s} was not captured", name)
			}
			return fmt.Sprint(val)
		})
		return out, err
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			s, err := substitute(e, captures)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			s, err := substitute(e, captures)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return v, nil
}

// query runs sql in a READ ONLY transaction and returns its rows as
// records (column → value), values converted to what Odoo would send.
func (r *runner) query(ctx context.Context, sql string, params []any) (any, error) {
	if r.env.SQL == nil {
		return nil, errors.New("sql steps need a database connection, and this rehearsal gave none")
	}
	ctx, cancel := context.WithTimeout(ctx, r.env.SQLTimeout)
	defer cancel()
	conn, err := r.env.SQL(ctx)
	if err != nil {
		return nil, fmt.Errorf("sql: connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only: nothing to keep
	rows, err := tx.Query(ctx, sql, params...)
	if err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	out := []any{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("sql: %w", err)
		}
		rec := make(map[string]any, len(vals))
		for i, f := range fields {
			rec[f.Name] = sqlValue(vals[i])
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sql: %w", err)
	}
	return out, nil
}

func sqlValue(v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case *big.Int:
		return x.String()
	case nil:
		return false // as Odoo shows an empty field
	case pgtype.Numeric:
		if f, err := x.Float64Value(); err == nil && f.Valid {
			return f.Float64
		}
	case int64, float64, string, bool:
		return v
	}
	return fmt.Sprint(v)
}

// readMethods change nothing in the database.
var readMethods = map[string]bool{
	"search": true, "search_read": true, "search_count": true, "read": true, "read_group": true,
	"fields_get": true, "name_get": true, "name_search": true, "get_views": true, "fields_view_get": true,
	"check_access_rights": true, "default_get": true, "exists": true,
}

// writes reports whether a scenario may change the copy: any model method
// that is not a known read. SQL steps run read-only, checks only read.
func (sc *Scenario) writes() bool {
	for _, st := range sc.Steps {
		if st.Method != "" && !readMethods[st.Method] {
			return true
		}
	}
	return false
}
