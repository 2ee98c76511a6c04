// Package upgradelog judges an Odoo upgrade from the log it writes while it
// runs (`odoo -u all --stop-after-init`): the exit code alone is not enough,
// because Odoo exits 0 on traps such as `-u nosuchmodule` or a `-d` naming
// a database that does not exist, and a run that succeeded may still have
// logged errors a team must look at.
//
// A Parser is an io.Writer: the runner copies the container's log stream
// into it as it arrives, reads Progress for a live display, and calls Judge
// with the exit code once the process has ended. Memory stays flat however
// long the log is: lines are parsed in place, only records that matter are
// copied, and every list the verdict keeps has a cap.
package upgradelog

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

type config struct {
	allow           []*regexp.Regexp
	tolerateErrors  bool
	requireRegistry bool
	maxProblems     int
	maxTraceLines   int
	maxTraceBytes   int
	maxModules      int
	maxMigrations   int
	maxLine         int
	onProgress      func(Progress)
}

// Option configures a Parser.
type Option func(*config)

// WithAllow lets ERROR records matching any of the patterns pass; they are
// reported in Verdict.Allowed with counts instead of failing the run. A
// pattern is matched against "logger: message" (without time, pid, level
// and database, which change from run to run), for example
// `^odoo\.modules\.module: Error in check_manifest_dependencies`.
// CRITICAL records cannot be allowed: Odoo logs them only when it gives up.
func WithAllow(patterns ...*regexp.Regexp) Option {
	return func(c *config) { c.allow = append(c.allow, patterns...) }
}

// WithErrorsTolerated reports un-allowed ERROR records without failing the
// verdict on them. Other failure signs still fail it.
func WithErrorsTolerated() Option { return func(c *config) { c.tolerateErrors = true } }

// WithoutRegistryCheck stops a successful exit without a "Registry loaded"
// line from failing the verdict; for custom upgrade commands whose log is
// not Odoo's server log.
func WithoutRegistryCheck() Option { return func(c *config) { c.requireRegistry = false } }

// WithMaxProblems caps how many un-allowed ERROR/CRITICAL records are kept
// with their text; the rest are only counted.
func WithMaxProblems(n int) Option { return func(c *config) { c.maxProblems = max(n, 1) } }

// WithTracebackLimit caps the lines and bytes kept of each traceback.
func WithTracebackLimit(lines, bytes int) Option {
	return func(c *config) { c.maxTraceLines, c.maxTraceBytes = max(lines, 1), max(bytes, 80) }
}

// WithProgress calls fn with the latest progress after each Write that
// changed it (coalesced: at most once per Write). fn runs on the writer's
// goroutine after the parser's lock is released, so it may call Progress.
func WithProgress(fn func(Progress)) Option { return func(c *config) { c.onProgress = fn } }

// Progress is where the upgrade is, for a live display.
type Progress struct {
	Module    string    // module being loaded, "" between modules
	Index     int       // i of "Loading module X (i/N)"
	Total     int       // N
	Loaded    int       // "Module X loaded" lines so far
	Migration string    // "x_probe pre-migrate 16.0.1.0.2" while one runs
	Problems  int       // un-allowed ERROR/CRITICAL records so far
	At        time.Time // time of the last record
}

// Parser reads one Odoo log stream. Its methods are safe to call from
// different goroutines (one writer, any number of Progress readers).
type Parser struct {
	mu  sync.Mutex
	cfg config

	carry    []byte // the unfinished last line of the previous Write
	overlong bool   // the carried line hit maxLine; drop the rest of it

	v         Verdict
	allowed   []AllowedCount
	errors    int // un-allowed ERROR records, kept or not
	criticals int

	loading      string // module of the last "Loading module" line
	loadingIndex int
	loaded       bool // its "Module X loaded" line came
	couldntLoad  string
	failed       bool // a fatal record was seen
	failedModule string
	failedMig    int // index in v.Migrations of the migration at failure, -1
	running      int // index in v.Migrations of the unfinished migration, -1
	interrupted  int // index of the last migration a failure record ended, -1

	trace        *Problem // where traceback lines go, nil to drop them
	traceLines   int
	traceBuf     []byte
	progress     Progress
	progressSeen bool
}

// New returns a Parser ready for Write.
func New(opts ...Option) *Parser {
	p := &Parser{
		cfg: config{
			requireRegistry: true,
			maxProblems:     100,
			maxTraceLines:   200,
			maxTraceBytes:   32 << 10,
			maxModules:      5000,
			maxMigrations:   5000,
			maxLine:         64 << 10,
		},
		failedMig:   -1,
		running:     -1,
		interrupted: -1,
	}
	for _, o := range opts {
		o(&p.cfg)
	}
	for _, re := range p.cfg.allow {
		p.allowed = append(p.allowed, AllowedCount{Pattern: re.String()})
	}
	return p
}

// Write feeds the next bytes of the log; lines may be split anywhere.
// It never fails: a log is judged, not rejected.
func (p *Parser) Write(b []byte) (int, error) {
	n := len(b)
	p.mu.Lock()
	p.v.Bytes += int64(n)
	p.progressSeen = false
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.hold(b)
			break
		}
		if len(p.carry) > 0 || p.overlong {
			p.hold(b[:i])
			p.line(p.carry)
			p.carry, p.overlong = p.carry[:0], false
		} else {
			p.line(b[:min(i, p.cfg.maxLine)])
		}
		b = b[i+1:]
	}
	fn, prog, changed := p.cfg.onProgress, p.progress, p.progressSeen
	p.mu.Unlock()
	if fn != nil && changed {
		fn(prog)
	}
	return n, nil
}

// WriteString is Write without the caller's conversion.
func (p *Parser) WriteString(s string) (int, error) { return p.Write([]byte(s)) }

func (p *Parser) hold(b []byte) {
	if room := p.cfg.maxLine - len(p.carry); len(b) > room {
		b, p.overlong = b[:room], true
	}
	p.carry = append(p.carry, b...)
}

// Progress returns where the upgrade is now.
func (p *Parser) Progress() Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.progress
}

func (p *Parser) line(l []byte) {
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	p.v.Lines++
	var r record
	if !parseRecord(l, &r) {
		p.traceLine(l)
		return
	}
	p.trace = nil
	if p.v.Start.IsZero() {
		p.v.Start = millisTime(r.at)
	}
	p.progress.At = millisTime(r.at)
	p.v.End = p.progress.At

	if p.running >= 0 && isLoader(r.logger) {
		// A loader record that is itself a failure sign interrupted the
		// migration rather than followed it.
		p.closeMigration(r.at, r.level < LevelError && !bytes.HasPrefix(r.message, msgTransient))
	}

	switch r.level {
	case LevelInfo:
		p.info(&r)
	case LevelWarning:
		p.v.Warnings++
		p.warning(&r)
	case LevelError:
		p.error(&r, l)
	case LevelCritical:
		p.critical(&r, l)
	}
}

// isLoader tells the loggers whose records end a running migration.
func isLoader(logger []byte) bool {
	return bytes.HasPrefix(logger, []byte("odoo.modules.")) || bytes.HasPrefix(logger, []byte("odoo.service."))
}

var (
	msgLoadingModule = []byte("Loading module ")
	msgModule        = []byte("Module ")
	msgLoadedIn      = []byte(" loaded in ")
	msgModules       = []byte(" modules loaded in ")
	msgRegistry      = []byte("Registry loaded in ")
	msgRunMigration  = []byte(": Running migration ")
	msgInitDB        = []byte("init db")
	msgTransient     = []byte("Transient module states were reset")
	msgInvalid       = []byte("invalid module names, ignored: ")
	msgFailedReg     = []byte("Failed to load registry")
	msgFailedInit    = []byte("Failed to initialize database ")
	msgCouldntLoad   = []byte("Couldn't load module ")
	msgInconsistent  = []byte("Some modules have inconsistent states")
	msgNotLoaded     = []byte("Some modules are not loaded")
	xmlidKey         = []byte("'xmlid': '")
	loggerLoading    = []byte("odoo.modules.loading")
	loggerMigration  = []byte("odoo.modules.migration")
)

func (p *Parser) info(r *record) {
	m := r.message
	switch {
	case bytes.Equal(r.logger, loggerLoading):
		p.loadingInfo(m, r.at)
	case bytes.Equal(r.logger, loggerMigration):
		if i := bytes.Index(m, msgRunMigration); i > 7 && bytes.HasPrefix(m, []byte("module ")) {
			p.startMigration(m[7:i], m[i+len(msgRunMigration):], r.at)
		}
	case bytes.Equal(m, msgInitDB) && bytes.HasPrefix(r.logger, []byte("odoo.modules.")):
		// Odoo logs it from odoo.modules.loading; accept its neighbours
		// (odoo.modules.db) rather than miss the trap.
		p.v.NewDatabase = true
	case bytes.HasPrefix(m, msgRegistry):
		p.v.RegistryLoaded = true
		p.v.RegistryTime = seconds(m[len(msgRegistry):])
	}
}

func (p *Parser) loadingInfo(m []byte, at int64) {
	switch {
	case bytes.HasPrefix(m, msgLoadingModule):
		// "Loading module base (1/77)"
		rest := m[len(msgLoadingModule):]
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 {
			return
		}
		name := rest[:sp]
		i, total := fraction(rest[sp+1:])
		if p.loading != string(name) {
			p.loading = string(name)
		}
		p.loadingIndex, p.loaded = i, false
		p.progress.Module, p.progress.Index = p.loading, i
		if total > 0 {
			p.progress.Total, p.v.ModulesTotal = total, total
		}
		p.progressSeen = true
	case bytes.HasPrefix(m, msgModule):
		// "Module base loaded in 4.05s, 7060 queries (+7060 other)"
		rest := m[len(msgModule):]
		j := bytes.Index(rest, msgLoadedIn)
		if j <= 0 {
			return
		}
		name := rest[:j]
		dur, queries := timing(rest[j+len(msgLoadedIn):])
		ml := ModuleLoad{Duration: dur, Queries: queries}
		if string(name) == p.loading {
			ml.Name, ml.Index, p.loaded = p.loading, p.loadingIndex, true
		} else {
			ml.Name = string(name)
		}
		if len(p.v.Modules) < p.cfg.maxModules {
			p.v.Modules = append(p.v.Modules, ml)
		} else {
			p.v.ModulesDropped++
		}
		p.progress.Loaded++
		p.progress.Module = ""
		p.progressSeen = true
	case bytes.Equal(m, msgInitDB):
		p.v.NewDatabase = true
	default:
		// "77 modules loaded in 35.50s, 33543 queries (+33543 extra)"
		if i := bytes.Index(m, msgModules); i > 0 {
			if _, ok := digits(m[:i]); ok {
				d, _ := timing(m[i+len(msgModules):])
				p.v.ModulesLoadTime += d
			}
		}
	}
}

func (p *Parser) warning(r *record) {
	m := r.message
	switch {
	case bytes.HasPrefix(m, msgTransient):
		p.v.TransientStatesReset = true
		p.fatal()
	case bytes.HasPrefix(m, msgInvalid):
		for _, name := range bytes.Split(m[len(msgInvalid):], []byte(",")) {
			if name = bytes.TrimSpace(name); len(name) > 0 && len(p.v.InvalidModuleNames) < p.cfg.maxModules {
				p.v.InvalidModuleNames = append(p.v.InvalidModuleNames, string(name))
			}
		}
	}
}

func (p *Parser) error(r *record, line []byte) {
	m := r.message
	switch {
	case bytes.HasPrefix(m, msgFailedReg):
		p.v.RegistryFailed = true
		p.fatal()
	case bytes.HasPrefix(m, msgInconsistent), bytes.HasPrefix(m, msgNotLoaded):
		if i := bytes.IndexByte(m, '['); i >= 0 {
			p.v.InconsistentModules = appendPyList(p.v.InconsistentModules, m[i:], p.cfg.maxModules)
		} else if i := bytes.LastIndex(m, []byte(": ")); i >= 0 {
			p.v.InconsistentModules = appendPyList(p.v.InconsistentModules, m[i+2:], p.cfg.maxModules)
		}
	}
	text := recordText(r, line)
	for i, re := range p.cfg.allow {
		if re.Match(text) {
			a := &p.allowed[i]
			if a.Count == 0 {
				a.First = string(text)
			}
			a.Count++
			p.trace = nil
			return
		}
	}
	p.errors++
	p.problem(r)
}

func (p *Parser) critical(r *record, _ []byte) {
	m := r.message
	p.criticals++
	switch {
	case bytes.HasPrefix(m, msgCouldntLoad):
		name := bytes.TrimSpace(m[len(msgCouldntLoad):])
		if p.couldntLoad == "" && len(name) > 0 {
			p.couldntLoad = string(name)
		}
	case bytes.HasPrefix(m, msgFailedInit):
		db := bytes.Trim(m[len(msgFailedInit):], "`.' ")
		p.v.DatabaseInitFailed = string(db)
	}
	p.fatal()
	p.problem(r)
}

// fatal marks the point of failure: the first one decides which module
// and migration the failure is attributed to.
func (p *Parser) fatal() {
	if p.failed {
		return
	}
	p.failed = true
	p.failedModule = p.loading
	switch {
	case p.running >= 0:
		p.failedMig = p.running
	case p.interrupted >= 0:
		p.failedMig = p.interrupted
	}
}

func (p *Parser) problem(r *record) {
	p.progress.Problems++
	p.progressSeen = true
	if len(p.v.Problems) >= p.cfg.maxProblems {
		p.v.ProblemsDropped++
		p.trace = nil
		return
	}
	p.v.Problems = append(p.v.Problems, Problem{
		Line:    p.v.Lines,
		At:      millisTime(r.at),
		Level:   r.level.String(),
		Logger:  string(r.logger),
		Message: string(r.message),
		Module:  p.loadingNow(),
	})
	p.trace = &p.v.Problems[len(p.v.Problems)-1]
	p.traceLines = 0
}

// loadingNow is the module being loaded, "" once its loaded line came.
func (p *Parser) loadingNow() string {
	if p.loaded {
		return ""
	}
	return p.loading
}

func (p *Parser) traceLine(l []byte) {
	t := p.trace
	if t == nil || t.TracebackTruncated {
		return
	}
	if p.traceLines >= p.cfg.maxTraceLines || len(t.Traceback)+len(l)+1 > p.cfg.maxTraceBytes {
		t.TracebackTruncated = true
		return
	}
	p.traceLines++
	if i := bytes.Index(l, xmlidKey); i >= 0 && t.ViewXMLID == "" {
		v := l[i+len(xmlidKey):]
		if end := bytes.IndexByte(v, '\''); end > 0 {
			t.ViewXMLID = string(v[:end])
		}
	}
	// Appending to a string copies it each time; a traceback is short and
	// capped, and this keeps Problem a plain value for JSON.
	p.traceBuf = append(p.traceBuf[:0], t.Traceback...)
	if len(p.traceBuf) > 0 {
		p.traceBuf = append(p.traceBuf, '\n')
	}
	p.traceBuf = append(p.traceBuf, l...)
	t.Traceback = string(p.traceBuf)
}

func (p *Parser) startMigration(module []byte, rest []byte, at int64) {
	// rest: "[>16.0.1.0.2] pre-migrate" (pre), "[16.0.1.0.2>] post-migrate"
	// (post), "[$16.0.1.0.2] end-migrate" (end).
	if len(p.v.Migrations) >= p.cfg.maxMigrations {
		p.v.MigrationsDropped++
		return
	}
	mig := Migration{Module: string(module), At: millisTime(at)}
	if len(rest) > 2 && rest[0] == '[' {
		if end := bytes.IndexByte(rest, ']'); end > 0 {
			v := rest[1:end]
			switch {
			case len(v) > 0 && v[0] == '>':
				mig.Stage, v = "pre", v[1:]
			case len(v) > 0 && v[0] == '$':
				mig.Stage, v = "end", v[1:]
			case len(v) > 0 && v[len(v)-1] == '>':
				mig.Stage, v = "post", v[:len(v)-1]
			}
			mig.Version = string(v)
			rest = bytes.TrimSpace(rest[end+1:])
		}
	}
	mig.Script = string(rest)
	p.v.Migrations = append(p.v.Migrations, mig)
	p.running = len(p.v.Migrations) - 1
	p.progress.Migration = mig.Module + " " + mig.Script + " " + mig.Version
	p.progressSeen = true
}

func (p *Parser) closeMigration(at int64, finished bool) {
	m := &p.v.Migrations[p.running]
	if d := at - m.At.UnixMilli(); d > 0 {
		m.Estimate = Duration(time.Duration(d) * time.Millisecond)
	}
	m.Finished = finished && !p.failed
	if !m.Finished {
		p.interrupted = p.running
	}
	p.running = -1
	p.progress.Migration = ""
}

// recordText is "logger: message" as it sits in the line, without a copy.
func recordText(r *record, line []byte) []byte {
	end := r.textStart + len(r.logger)
	if len(r.message) > 0 {
		end += 2 + len(r.message)
	}
	return line[r.textStart:min(end, len(line))]
}

// Judge flushes an unfinished last line and returns the verdict for the
// exit code of the Odoo process. It can be called more than once.
func (p *Parser) Judge(exitCode int) Verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.carry) > 0 {
		p.line(p.carry)
		p.carry, p.overlong = p.carry[:0], false
	}
	if p.running >= 0 {
		m := &p.v.Migrations[p.running]
		if !p.v.End.IsZero() {
			m.Estimate = Duration(p.v.End.Sub(m.At))
		}
	}

	v := p.v
	v.ExitCode = exitCode
	v.Problems = append([]Problem(nil), p.v.Problems...)
	v.Modules = append([]ModuleLoad(nil), p.v.Modules...)
	v.Migrations = append([]Migration(nil), p.v.Migrations...)
	v.InconsistentModules = append([]string(nil), p.v.InconsistentModules...)
	v.InvalidModuleNames = append([]string(nil), p.v.InvalidModuleNames...)
	for _, a := range p.allowed {
		if a.Count > 0 {
			v.Allowed = append(v.Allowed, a)
		}
	}

	add := func(k ReasonKind, format string, args ...any) {
		v.Reasons = append(v.Reasons, Reason{Kind: k, Message: sprintf(format, args...)})
	}
	failedModule := p.failedModule
	if p.couldntLoad != "" {
		failedModule = p.couldntLoad
	}
	if exitCode != 0 {
		if failedModule == "" {
			failedModule = p.loadingNow()
		}
		add(ReasonExitCode, "odoo exited with code %d", exitCode)
	}
	if p.criticals > 0 {
		add(ReasonCritical, "%d CRITICAL record(s), first: %s", p.criticals, firstOf(v.Problems, "CRITICAL"))
	}
	if v.RegistryFailed {
		add(ReasonRegistryFailed, "Failed to load registry")
	}
	if v.DatabaseInitFailed != "" {
		add(ReasonInitFailed, "Failed to initialize database %s", v.DatabaseInitFailed)
	}
	if v.TransientStatesReset {
		add(ReasonTransientReset, "Transient module states were reset: the module update was rolled back")
	}
	if len(v.InconsistentModules) > 0 {
		add(ReasonInconsistent, "modules left in inconsistent states: %s", joinCapped(v.InconsistentModules, 10))
	}
	if len(v.InvalidModuleNames) > 0 {
		add(ReasonInvalidModules, "odoo ignored invalid module names %s: nothing was upgraded for them", joinCapped(v.InvalidModuleNames, 10))
	}
	if v.NewDatabase {
		add(ReasonNewDatabase, "odoo initialised a new empty database (\"init db\"): the database to upgrade did not exist")
	}
	if p.errors > 0 && !p.cfg.tolerateErrors {
		add(ReasonError, "%d ERROR record(s) not allowed, first: %s", p.errors, firstOf(v.Problems, "ERROR"))
	}
	if exitCode == 0 && p.cfg.requireRegistry && !v.RegistryLoaded && len(v.Reasons) == 0 {
		add(ReasonRegistryNotReady, "odoo exited 0 but never logged \"Registry loaded\": the log is not an upgrade's log, or it was cut off")
	}
	if len(v.Reasons) > 0 {
		v.FailedModule = failedModule
		if p.failedMig >= 0 {
			m := v.Migrations[p.failedMig]
			v.FailedMigration = &m
		} else if p.running >= 0 {
			m := v.Migrations[p.running]
			v.FailedMigration = &m
		}
	}
	v.OK = len(v.Reasons) == 0
	return v
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func joinCapped(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

func firstOf(ps []Problem, level string) string {
	for _, p := range ps {
		if p.Level == level {
			return p.Logger + ": " + p.Message
		}
	}
	return "(not kept)"
}

// fraction reads "(i/N)".
func fraction(b []byte) (int, int) {
	if len(b) < 5 || b[0] != '(' {
		return 0, 0
	}
	b = b[1:]
	slash := bytes.IndexByte(b, '/')
	end := bytes.IndexByte(b, ')')
	if slash <= 0 || end <= slash {
		return 0, 0
	}
	i, ok1 := digits(b[:slash])
	n, ok2 := digits(b[slash+1 : end])
	if !ok1 || !ok2 {
		return 0, 0
	}
	return i, n
}

// timing reads "4.05s, 7060 queries ..." into a duration and a count.
func timing(b []byte) (Duration, int) {
	comma := bytes.IndexByte(b, ',')
	if comma < 0 {
		return seconds(b), 0
	}
	d := seconds(b[:comma])
	rest := bytes.TrimLeft(b[comma+1:], " ")
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		sp = len(rest)
	}
	q, _ := digits(rest[:sp])
	return d, q
}

// seconds reads "41.886s" (with or without the unit).
func seconds(b []byte) Duration {
	b = bytes.TrimSuffix(bytes.TrimSpace(b), []byte("s"))
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0
	}
	return Duration(time.Duration(f * float64(time.Second)))
}

// appendPyList reads a Python list repr such as "['a', 'b']" (or a plain
// comma list) into names.
func appendPyList(dst []string, b []byte, limit int) []string {
	b = bytes.Trim(bytes.TrimSpace(b), "[]{}()")
	for _, item := range bytes.Split(b, []byte(",")) {
		item = bytes.Trim(bytes.TrimSpace(item), `'"`)
		if len(item) > 0 && len(dst) < limit {
			dst = append(dst, string(item))
		}
	}
	return dst
}
