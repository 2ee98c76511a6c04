package upgradelog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Verdict is the judgement of one upgrade run: its exit code together with
// everything its log said. OK is true only when Reasons is empty.
type Verdict struct {
	OK       bool     `json:"ok"`
	ExitCode int      `json:"exit_code"`
	Reasons  []Reason `json:"reasons,omitempty"`

	// FailedModule is the module the failure is attributed to: the one named
	// by "Couldn't load module", else the last "Loading module" line before
	// the failure. Empty when the run did not fail or no module was loading.
	FailedModule string `json:"failed_module,omitempty"`
	// FailedMigration is the migration script that was running when the
	// run failed, if one was.
	FailedMigration *Migration `json:"failed_migration,omitempty"`

	// Problems are the CRITICAL and ERROR records no allow pattern matched,
	// with their tracebacks, oldest first; at most the configured number are
	// kept (ProblemsDropped counts the rest).
	Problems        []Problem `json:"problems,omitempty"`
	ProblemsDropped int       `json:"problems_dropped,omitempty"`
	// Allowed reports the ERROR records the team allowed, per pattern.
	Allowed []AllowedCount `json:"allowed,omitempty"`
	// Warnings counts WARNING records (not judged).
	Warnings int `json:"warnings"`

	Modules        []ModuleLoad `json:"modules,omitempty"`
	ModulesDropped int          `json:"modules_dropped,omitempty"`
	Migrations     []Migration  `json:"migrations,omitempty"`
	// MigrationsDropped counts migrations beyond the cap, not listed.
	MigrationsDropped int      `json:"migrations_dropped,omitempty"`
	ModulesTotal      int      `json:"modules_total,omitempty"`     // N of the last "(i/N)"
	ModulesLoadTime   Duration `json:"modules_load_time,omitempty"` // "77 modules loaded in 35.50s"
	RegistryLoaded    bool     `json:"registry_loaded"`             // "Registry loaded in ..."
	RegistryTime      Duration `json:"registry_time,omitempty"`

	TransientStatesReset bool     `json:"transient_states_reset,omitempty"`
	RegistryFailed       bool     `json:"registry_failed,omitempty"`
	DatabaseInitFailed   string   `json:"database_init_failed,omitempty"` // the database named
	InconsistentModules  []string `json:"inconsistent_modules,omitempty"`
	InvalidModuleNames   []string `json:"invalid_module_names,omitempty"`
	// NewDatabase is set when Odoo initialised an empty database ("init
	// db"): `-d` named a database that did not exist, and Odoo silently
	// created one instead of upgrading the copy.
	NewDatabase bool `json:"new_database,omitempty"`

	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	Lines int64     `json:"lines"`
	Bytes int64     `json:"bytes"`
}

// ReasonKind names why a verdict is not OK, for programs that gate on it.
type ReasonKind string

// The reasons a run can fail.
const (
	ReasonExitCode         ReasonKind = "exit-code"
	ReasonCritical         ReasonKind = "critical"
	ReasonError            ReasonKind = "error"
	ReasonRegistryFailed   ReasonKind = "registry-failed"
	ReasonInitFailed       ReasonKind = "database-init-failed"
	ReasonTransientReset   ReasonKind = "transient-states-reset"
	ReasonInconsistent     ReasonKind = "inconsistent-states"
	ReasonInvalidModules   ReasonKind = "invalid-module-names"
	ReasonNewDatabase      ReasonKind = "new-database"
	ReasonRegistryNotReady ReasonKind = "registry-not-loaded"
)

// Reason is one cause of a failed verdict, worded for the report.
type Reason struct {
	Kind    ReasonKind `json:"kind"`
	Message string     `json:"message"`
}

// Problem is one ERROR or CRITICAL record that no allow pattern matched.
type Problem struct {
	Line      int64     `json:"line"` // 1-based line number in the log
	At        time.Time `json:"at"`
	Level     string    `json:"level"`
	Logger    string    `json:"logger"`
	Message   string    `json:"message"`
	Module    string    `json:"module,omitempty"` // module loading at the time
	Traceback string    `json:"traceback,omitempty"`
	// ViewXMLID is the view a ParseError's "View error context" names.
	ViewXMLID string `json:"view_xmlid,omitempty"`
	// TracebackTruncated is set when the traceback was longer than kept.
	TracebackTruncated bool `json:"traceback_truncated,omitempty"`
}

// AllowedCount is how often one allow pattern matched.
type AllowedCount struct {
	Pattern string `json:"pattern"`
	Count   int    `json:"count"`
	First   string `json:"first"` // "logger: message" of the first match
}

// ModuleLoad is one "Module X loaded in 0.15s, 83 queries" line.
type ModuleLoad struct {
	Name     string   `json:"name"`
	Index    int      `json:"index,omitempty"` // i of "Loading module X (i/N)"
	Duration Duration `json:"duration"`
	Queries  int      `json:"queries"`
}

// Migration is one migration script Odoo ran, with a duration estimated
// from the timestamps: from its "Running migration" line to the next
// record of the loader (the next migration, the module loaded line, or a
// failure). Odoo logs no end of a migration, hence an estimate.
type Migration struct {
	Module   string    `json:"module"`
	Version  string    `json:"version"` // "16.0.1.0.2"
	Stage    string    `json:"stage"`   // pre, post or end
	Script   string    `json:"script"`  // "pre-migrate"
	At       time.Time `json:"at"`
	Estimate Duration  `json:"estimate"`
	Finished bool      `json:"finished"` // false when the log ended or failed inside it
}

// Duration marshals as seconds, the unit the report and Odoo's log use.
type Duration time.Duration

// MarshalJSON writes seconds as a number, with millisecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', 3, 64), nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// Summary is a one-line wording of the verdict for logs and step summaries.
func (v *Verdict) Summary() string {
	if v.OK {
		return fmt.Sprintf("upgrade log OK: %d modules loaded, %d allowed errors", len(v.Modules), v.allowedTotal())
	}
	var b strings.Builder
	b.WriteString("upgrade failed")
	if v.FailedModule != "" {
		fmt.Fprintf(&b, " in module %s", v.FailedModule)
	}
	b.WriteString(": ")
	for i, r := range v.Reasons {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.Message)
	}
	return b.String()
}

func (v *Verdict) allowedTotal() int {
	n := 0
	for _, a := range v.Allowed {
		n += a.Count
	}
	return n
}
