// Package report holds the outcome of one rehearsal as data, and renders it
// for the three audiences that act on it: CI (report.json, junit.xml),
// the pull request or job page (summary.md) and the release manager
// (report.html). Every renderer works from a Report alone, so any output
// can be re-rendered later from report.json (`rehearse report`).
//
// The JSON form is a versioned contract ("schema": "rehearse.report/v1",
// see README.md in this folder): fields are only ever added within v1.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Schema is the version tag of the JSON form written by this package.
const Schema = "rehearse.report/v1"

// Verdict is the judgement of a rehearsal.
type Verdict string

const (
	// Approved: every phase and every check passed; an approval is signed.
	Approved Verdict = "approved"
	// Rejected: the rehearsal ran and found the upgrade unsafe.
	Rejected Verdict = "rejected"
	// Error: the rehearsal could not run to a judgement (bad input,
	// infrastructure); it says nothing about the upgrade.
	Error Verdict = "error"
)

// PhaseStatus is the outcome of one phase of the pipeline.
type PhaseStatus string

const (
	PhasePassed  PhaseStatus = "passed"
	PhaseFailed  PhaseStatus = "failed"
	PhaseSkipped PhaseStatus = "skipped"
)

// CheckStatus is the outcome of one scenario check. A fail is a judged
// difference (expected vs got); an error is a check that could not be
// evaluated (a fault from Odoo, a timeout).
type CheckStatus string

const (
	CheckPass  CheckStatus = "pass"
	CheckFail  CheckStatus = "fail"
	CheckError CheckStatus = "error"
)

// Report is everything a rehearsal learned. The pipeline fills it; the
// renderers only read it.
type Report struct {
	Schema      string    `json:"schema"`
	RunID       string    `json:"run_id"`
	ToolVersion string    `json:"tool_version"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Verdict     Verdict   `json:"verdict"`
	// Reasons say in one line each why the verdict is what it is; empty
	// for an approval.
	Reasons []string `json:"reasons"`

	Backup      Backup `json:"backup"`
	SourceImage Image  `json:"source_image"`
	TargetImage Image  `json:"target_image"`

	Phases       []Phase       `json:"phases"`
	Checks       []Check       `json:"checks"`
	Modules      ModuleChanges `json:"modules"`
	RecordCounts []RecordCount `json:"record_counts"`
	Upgrade      Upgrade       `json:"upgrade"`

	MaintenanceWindow MaintenanceWindow `json:"maintenance_window"`
	// ScenarioSetDigest is "sha256:<hex>" over the scenario files that
	// ran; an approval is bound to it.
	ScenarioSetDigest string `json:"scenario_set_digest"`
	// Artifacts maps an artefact's name to its path relative to the run
	// directory (e.g. "upgrade_log": "upgrade.log").
	Artifacts map[string]string `json:"artifacts"`
}

// Backup identifies the production backup the rehearsal restored.
type Backup struct {
	Path            string `json:"path"`
	Format          string `json:"format"`
	SHA256          string `json:"sha256"`
	Size            int64  `json:"size"`
	OdooVersion     string `json:"odoo_version"`
	PostgresVersion string `json:"postgres_version"`
	ModuleCount     int    `json:"module_count"`
}

// Image identifies an Odoo image: the reference the user gave, the image
// ID it resolved to (what an approval binds), and the version Odoo
// itself reported over XML-RPC.
type Image struct {
	Ref         string `json:"ref"`
	ID          string `json:"id"`
	OdooVersion string `json:"odoo_version"`
}

// Phase is one step of the pipeline walk.
type Phase struct {
	Name     string      `json:"name"`
	Status   PhaseStatus `json:"status"`
	Start    time.Time   `json:"start"`
	End      time.Time   `json:"end"`
	Duration Duration    `json:"duration_seconds"`
	Reason   string      `json:"reason,omitempty"`
}

// Check is one assertion of a scenario, run before or after the upgrade.
type Check struct {
	Scenario   string      `json:"scenario"`
	Step       string      `json:"step"`
	Name       string      `json:"name"`
	Phase      string      `json:"phase"` // "before" or "after"
	Status     CheckStatus `json:"status"`
	Expected   string      `json:"expected,omitempty"`
	Got        string      `json:"got,omitempty"`
	Message    string      `json:"message,omitempty"`
	LogExcerpt string      `json:"log_excerpt,omitempty"`
	Duration   Duration    `json:"duration_seconds"`
}

// ModuleChanges compares the installed modules before and after.
type ModuleChanges struct {
	InstalledBefore int             `json:"installed_before"`
	InstalledAfter  int             `json:"installed_after"`
	Added           []string        `json:"added"`
	Removed         []string        `json:"removed"`
	Upgraded        []ModuleUpgrade `json:"upgraded"`
}

// ModuleUpgrade is a module whose installed version changed.
type ModuleUpgrade struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to"`
}

// RecordCount compares the number of records of one model. Delta is
// After-Before, filled by Normalize.
type RecordCount struct {
	Model  string `json:"model"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
	Delta  int64  `json:"delta"`
}

// Upgrade is what the upgrade command did and what its log said.
type Upgrade struct {
	Command  []string `json:"command"`
	ExitCode *int     `json:"exit_code"` // nil when the upgrade never ran
	Duration Duration `json:"duration_seconds"`
	// ErrorLines are ERROR/CRITICAL lines not matched by an allow pattern;
	// AllowedErrorLines matched one (and say which).
	ErrorLines        []LogLine      `json:"error_lines"`
	AllowedErrorLines []LogLine      `json:"allowed_error_lines"`
	Tracebacks        []string       `json:"tracebacks"`
	FailingModule     string         `json:"failing_module,omitempty"`
	ModuleTimings     []ModuleTiming `json:"module_timings"`
	Migrations        []Migration    `json:"migrations"`
}

// LogLine is one line of the upgrade log, with its line number.
type LogLine struct {
	Line      int    `json:"line"`
	Text      string `json:"text"`
	AllowedBy string `json:"allowed_by,omitempty"`
}

// ModuleTiming is Odoo's "Module X loaded in 0.15s, 83 queries".
type ModuleTiming struct {
	Module   string   `json:"module"`
	Duration Duration `json:"duration_seconds"`
	Queries  int      `json:"queries"`
}

// Migration is one migration script Odoo ran.
type Migration struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	Stage   string `json:"stage"` // pre-migrate, post-migrate, end-migrate
}

// MaintenanceWindow is an estimate, never a promise: the measured upgrade
// time on the rehearsal machine plus a safety margin.
type MaintenanceWindow struct {
	Upgrade  Duration `json:"upgrade_seconds"`
	Margin   Duration `json:"margin_seconds"`
	Estimate Duration `json:"estimate_seconds"`
	Basis    string   `json:"basis"`
}

// DefaultMarginFactor is the safety margin added to the measured upgrade
// time: production hardware, load and the restore of the real filestore
// differ from a rehearsal, so the estimate is deliberately generous.
const DefaultMarginFactor = 0.5

// minimumMargin keeps the estimate of a quick upgrade from being a few
// seconds: a window also holds the switch-over and the smoke test.
const minimumMargin = 15 * time.Minute

// Duration is a time.Duration written in JSON as seconds (a number with
// millisecond precision), which every consumer can read.
type Duration time.Duration

// Std returns the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return humanDuration(time.Duration(d)) }

func (d Duration) ms() Duration { return Duration(time.Duration(d).Truncate(time.Millisecond)) }

// MarshalJSON writes seconds with millisecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	ms := time.Duration(d).Milliseconds()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a number of seconds, got %s", b)
	}
	if s < 0 || math.IsNaN(s) || s > math.MaxInt64/float64(time.Second) {
		return fmt.Errorf("a duration must be a non-negative number of seconds, got %s", b)
	}
	*d = Duration(time.Duration(math.Round(s*1000)) * time.Millisecond)
	return nil
}

// Normalize fills the fields derived from others (phase durations,
// record deltas, the maintenance-window estimate, the schema tag), hides
// passwords that slipped into free text, and gives nil lists their empty
// value so the JSON has a stable shape.
func (r *Report) Normalize() {
	r.Schema = Schema
	r.scrubSecrets()
	for i := range r.Phases {
		p := &r.Phases[i]
		if p.Duration == 0 && !p.Start.IsZero() && p.End.After(p.Start) {
			p.Duration = Duration(p.End.Sub(p.Start))
		}
	}
	for i := range r.RecordCounts {
		c := &r.RecordCounts[i]
		c.Delta = c.After - c.Before
	}
	if r.MaintenanceWindow.Estimate == 0 && r.Upgrade.Duration > 0 {
		r.MaintenanceWindow = EstimateWindow(r.Upgrade.Duration.Std())
	}
	// JSON keeps milliseconds: hold the same here, so that a report
	// rendered now and one re-rendered from report.json are identical.
	for i := range r.Phases {
		r.Phases[i].Duration = r.Phases[i].Duration.ms()
	}
	for i := range r.Checks {
		r.Checks[i].Duration = r.Checks[i].Duration.ms()
	}
	for i := range r.Upgrade.ModuleTimings {
		r.Upgrade.ModuleTimings[i].Duration = r.Upgrade.ModuleTimings[i].Duration.ms()
	}
	r.Upgrade.Duration = r.Upgrade.Duration.ms()
	mw := &r.MaintenanceWindow
	mw.Upgrade, mw.Margin, mw.Estimate = mw.Upgrade.ms(), mw.Margin.ms(), mw.Estimate.ms()
	nonNil(&r.Reasons)
	nonNil(&r.Phases)
	nonNil(&r.Checks)
	nonNil(&r.RecordCounts)
	nonNil(&r.Modules.Added)
	nonNil(&r.Modules.Removed)
	nonNil(&r.Modules.Upgraded)
	nonNil(&r.Upgrade.Command)
	nonNil(&r.Upgrade.ErrorLines)
	nonNil(&r.Upgrade.AllowedErrorLines)
	nonNil(&r.Upgrade.Tracebacks)
	nonNil(&r.Upgrade.ModuleTimings)
	nonNil(&r.Upgrade.Migrations)
	if r.Artifacts == nil {
		r.Artifacts = map[string]string{}
	}
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

// EstimateWindow turns a measured upgrade time into a maintenance-window
// estimate: the upgrade plus half of it again, and at least 15 minutes of
// margin, rounded up to the next 5 minutes.
func EstimateWindow(upgrade time.Duration) MaintenanceWindow {
	margin := time.Duration(float64(upgrade) * DefaultMarginFactor)
	margin = max(margin, minimumMargin)
	estimate := (upgrade + margin + 5*time.Minute - 1).Truncate(5 * time.Minute)
	return MaintenanceWindow{
		Upgrade:  Duration(upgrade),
		Margin:   Duration(estimate - upgrade),
		Estimate: Duration(estimate),
		Basis: fmt.Sprintf("estimate: upgrade took %s on the rehearsal host; plus %.0f%% margin (at least %s), rounded up to 5 minutes",
			humanDuration(upgrade), DefaultMarginFactor*100, humanDuration(minimumMargin)),
	}
}

// Duration returns how long the whole rehearsal took.
func (r *Report) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.FinishedAt.Before(r.StartedAt) {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

// FailingChecks returns the checks that failed or errored, in order.
func (r *Report) FailingChecks() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status != CheckPass {
			out = append(out, c)
		}
	}
	return out
}

// CheckTally counts checks by status.
func (r *Report) CheckTally() (pass, fail, errored int) {
	for _, c := range r.Checks {
		switch c.Status {
		case CheckPass:
			pass++
		case CheckFail:
			fail++
		case CheckError:
			errored++
		}
	}
	return pass, fail, errored
}

// Validate says what is wrong with a report, naming the field. A report
// that claims approval while a phase or check failed, or with no check at
// all, is invalid: an approval must follow from the evidence. Other
// verdicts are read as they are, so the evidence of a failure is never
// unreadable.
func (r *Report) Validate() error {
	if r.Schema != Schema {
		return fmt.Errorf("field schema: %q is not %q (this rehearse reads %s; re-run the rehearsal or use a matching rehearse)", r.Schema, Schema, Schema)
	}
	if r.RunID == "" {
		return fmt.Errorf("field run_id: empty")
	}
	if !slices.Contains([]Verdict{Approved, Rejected, Error}, r.Verdict) {
		return fmt.Errorf("field verdict: %q is not one of approved, rejected, error", r.Verdict)
	}
	for i, p := range r.Phases {
		if !slices.Contains([]PhaseStatus{PhasePassed, PhaseFailed, PhaseSkipped}, p.Status) {
			return fmt.Errorf("field phases[%d].status: %q is not one of passed, failed, skipped", i, p.Status)
		}
		if p.Name == "" {
			return fmt.Errorf("field phases[%d].name: empty", i)
		}
		if r.Verdict == Approved && p.Status == PhaseFailed {
			return fmt.Errorf("field verdict: approved, but phase %q failed", p.Name)
		}
	}
	for i, c := range r.Checks {
		if !slices.Contains([]CheckStatus{CheckPass, CheckFail, CheckError}, c.Status) {
			return fmt.Errorf("field checks[%d].status: %q is not one of pass, fail, error", i, c.Status)
		}
		if r.Verdict == Approved && c.Status != CheckPass {
			return fmt.Errorf("field verdict: approved, but check %q of scenario %q has status %s", c.Name, c.Scenario, c.Status)
		}
	}
	if r.Verdict == Approved && len(r.Checks) == 0 {
		return fmt.Errorf("field verdict: approved, but no check ran")
	}
	return nil
}

// humanDuration prints durations as people read them in a report:
// "1h02m", "4m05s", "12.3s", "850ms".
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
