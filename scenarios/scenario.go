// Package scenarios is the language in which a rehearsal's checks are
// written (YAML, strict), its loader and linter, the built-in pack that
// runs in every rehearsal, and the runner that executes scenarios against
// the rehearsal's Odoo and returns plain results a report can render.
//
// See README.md in this folder for the language and a first scenario.
package scenarios

import (
	"fmt"
	"strings"
)

// Phase says when a step runs: on the copy before the upgrade (served by
// the source version), after it (the target version), or both, in which
// case the two values are compared.
type Phase string

const (
	Before Phase = "before"
	After  Phase = "after"
	Both   Phase = "both"
)

// Scenario is one YAML document: a named list of steps.
type Scenario struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Requires    []string        `json:"requires,omitempty"` // modules that must be installed, else the scenario is skipped
	Users       map[string]User `json:"users,omitempty"`
	Steps       []*Step         `json:"steps"`

	File    string `json:"-"`
	Line    int    `json:"-"`
	Builtin bool   `json:"builtin,omitempty"`
}

// User is a user a step can act as, by login. The runner gives the user a
// throwaway password on the copy (through the admin) and logs in as them.
type User struct {
	Login string `json:"login"`
}

// Step is one call, SQL probe or named check, with what to capture and
// what to expect.
type Step struct {
	Name string `json:"name"`
	As   string `json:"as,omitempty"`   // a name from Scenario.Users; the admin when empty
	When Phase  `json:"when,omitempty"` // after when empty; both when Compare is set

	Model  string         `json:"model,omitempty"`
	Method string         `json:"method,omitempty"`
	Args   []any          `json:"args,omitempty"`
	Kwargs map[string]any `json:"kwargs,omitempty"`

	SQL    string `json:"sql,omitempty"` // read-only, run in a READ ONLY transaction
	Params []any  `json:"params,omitempty"`

	Check string         `json:"check,omitempty"` // a Go-coded check kind, by name
	With  map[string]any `json:"with,omitempty"`

	Capture map[string]string `json:"capture,omitempty"` // capture name → path in the result
	Expect  []*Assertion      `json:"expect,omitempty"`
	Compare *Compare          `json:"compare,omitempty"`
	Record  bool              `json:"record,omitempty"` // copy values into results (off: no customer data in reports)

	Line int `json:"-"`
}

// Runs says whether the step runs in phase p (Before or After).
func (s *Step) Runs(p Phase) bool {
	when := s.When
	if when == "" {
		when = After
		if s.Compare != nil || checks[s.Check].before {
			when = Both
		}
	}
	return when == Both || when == p
}

// Kind is what the step does: "call", "sql" or "check".
func (s *Step) Kind() string {
	switch {
	case s.SQL != "":
		return "sql"
	case s.Check != "":
		return "check"
	}
	return "call"
}

// Assertion is one expectation about a step's result, at Path within it.
// Exactly one of the operators is set.
type Assertion struct {
	Path string `json:"path,omitempty"`

	Equals    *Value `json:"equals,omitempty"`
	NotEquals *Value `json:"not_equals,omitempty"`
	Count     *Range `json:"count,omitempty"` // length of a list (or an int such as search_count's)
	Range     *Range `json:"range,omitempty"` // a number
	Contains  *Value `json:"contains,omitempty"`
	Fault     string `json:"fault,omitempty"` // a fault kind, or "any"
	Message   string `json:"message,omitempty"`
	NoFault   bool   `json:"no_fault,omitempty"`

	Line int `json:"-"`
}

// Value wraps a YAML value so that "equals: null" differs from no equals.
type Value struct{ V any }

// MarshalJSON makes the digest see the value itself.
func (v *Value) MarshalJSON() ([]byte, error) { return jsonValue(v.V) }

// Range is [Min, Max], either end optional.
type Range struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

func (r *Range) String() string {
	switch {
	case r.Min != nil && r.Max != nil && *r.Min == *r.Max:
		return fmt.Sprintf("exactly %s", num(*r.Min))
	case r.Min != nil && r.Max != nil:
		return fmt.Sprintf("between %s and %s", num(*r.Min), num(*r.Max))
	case r.Min != nil:
		return fmt.Sprintf("at least %s", num(*r.Min))
	case r.Max != nil:
		return fmt.Sprintf("at most %s", num(*r.Max))
	}
	return "any"
}

func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.6f", f), ".000000") }

// Compare is how a step's before and after values must relate.
type Compare struct {
	Op       string  `json:"op"`               // same, grew, shrank, kept, within, shrank_by_at_most, grew_by_at_most
	Amount   float64 `json:"amount,omitempty"` // for within / *_by_at_most
	Percent  bool    `json:"percent,omitempty"`
	Path     string  `json:"path,omitempty"`
	Line     int     `json:"-"`
	Original string  `json:"-"`
}

var compareOps = []string{"same", "grew", "shrank", "kept", "within", "shrank_by_at_most", "grew_by_at_most"}

func (c *Compare) String() string {
	if c.Amount == 0 && (c.Op == "same" || c.Op == "grew" || c.Op == "shrank" || c.Op == "kept") {
		return c.Op
	}
	unit := ""
	if c.Percent {
		unit = "%"
	}
	return fmt.Sprintf("%s %s%s", strings.ReplaceAll(c.Op, "_", " "), num(c.Amount), unit)
}
