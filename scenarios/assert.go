package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

// pathSeg is one step into a value: a struct key, a list index, or every
// item of a list ([*]).
type pathSeg struct {
	key   string
	index int
	star  bool
	isKey bool
}

// parsePath reads paths such as "", "[0].state", "partner_id[1]",
// "[*].name". Odoo field names never hold a dot, so dots separate keys.
func parsePath(s string) ([]pathSeg, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "." {
		return nil, nil
	}
	var segs []pathSeg
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '.':
			if i+1 == len(s) || s[i+1] == '.' {
				return nil, fmt.Errorf("path %q has an empty key", s)
			}
			i++
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("path %q: missing ]", s)
			}
			in := s[i+1 : i+j]
			if in == "*" {
				segs = append(segs, pathSeg{star: true})
			} else {
				n, err := strconv.Atoi(in)
				if err != nil {
					return nil, fmt.Errorf("path %q: [%s] is not an index (use [0], [-1] or [*])", s, in)
				}
				segs = append(segs, pathSeg{index: n})
			}
			i += j + 1
		default:
			j := strings.IndexAny(s[i:], ".[")
			if j < 0 {
				j = len(s) - i
			}
			segs = append(segs, pathSeg{key: s[i : i+j], isKey: true})
			i += j
		}
	}
	return segs, nil
}

// errNoValue is a path that leads nowhere in the value at hand.
var errNoValue = errors.New("no value")

// at follows path into v.
func at(v any, path string) (any, error) {
	segs, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	return walk(v, segs, path)
}

func walk(v any, segs []pathSeg, path string) (any, error) {
	for i, s := range segs {
		switch {
		case s.star:
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%w at %q: [*] needs a list, found %s", errNoValue, path, shape(v))
			}
			out := make([]any, 0, len(list))
			for _, item := range list {
				x, err := walk(item, segs[i+1:], path)
				if err != nil {
					return nil, err
				}
				out = append(out, x)
			}
			return out, nil
		case s.isKey:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w at %q: key %q needs a record, found %s", errNoValue, path, s.key, shape(v))
			}
			x, ok := m[s.key]
			if !ok {
				return nil, fmt.Errorf("%w at %q: no field %q (was it asked for in fields?)", errNoValue, path, s.key)
			}
			v = x
		default:
			list, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("%w at %q: [%d] needs a list, found %s", errNoValue, path, s.index, shape(v))
			}
			idx := s.index
			if idx < 0 {
				idx += len(list)
			}
			if idx < 0 || idx >= len(list) {
				return nil, fmt.Errorf("%w at %q: index %d of a list of %d", errNoValue, path, s.index, len(list))
			}
			v = list[idx]
		}
	}
	return v, nil
}

// shape describes a value without showing it: reports carry no customer
// data unless a step says `record: true`.
func shape(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if !x {
			return "False"
		}
		return "True"
	case string:
		return fmt.Sprintf("a string of %d characters", len([]rune(x)))
	case int64, float64, int:
		return "a number"
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return fmt.Sprintf("a record of %d fields", len(x))
	}
	return fmt.Sprintf("a %T", v)
}

// show renders v for a report: the value itself when allowed, else its shape.
func show(v any, reveal bool) string {
	if !reveal {
		return shape(v)
	}
	b, err := jsonValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func jsonValue(v any) ([]byte, error) { return json.Marshal(v) }

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// equal compares an Odoo value with a scenario value: numbers by value
// (1 equals 1.0), lists item by item, records key by key.
func equal(a, b any) bool {
	if fa, ok := toFloat(a); ok {
		fb, ok := toFloat(b)
		return ok && fa == fb
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return a == b
}

func contains(hay, needle any) bool {
	switch h := hay.(type) {
	case []any:
		return slices.ContainsFunc(h, func(e any) bool { return equal(e, needle) })
	case string:
		n, ok := needle.(string)
		return ok && strings.Contains(h, n)
	case map[string]any:
		switch n := needle.(type) {
		case string:
			_, ok := h[n]
			return ok
		case map[string]any:
			for k, nv := range n {
				if hv, ok := h[k]; !ok || !equal(hv, nv) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (r *Range) holds(f float64) bool {
	return (r.Min == nil || f >= *r.Min) && (r.Max == nil || f <= *r.Max)
}

// outcome is the verdict of one assertion or comparison.
type outcome struct {
	ok       bool
	msg      string
	expected string
	got      string
}

// checkAssertion applies a to a step's value (or its fault). countLike
// says the value is itself a count (search_count), safe to show.
func checkAssertion(a *Assertion, v any, callErr error, reveal, countLike bool) outcome {
	if a.Fault != "" {
		want := "a fault"
		if a.Fault != "any" {
			want = "a fault of kind " + a.Fault
		}
		if a.Message != "" {
			want += fmt.Sprintf(" saying %q", a.Message)
		}
		f, isFault := odoo.FaultOf(callErr)
		switch {
		case callErr == nil:
			return outcome{msg: "the call succeeded", expected: want, got: "no fault"}
		case !isFault:
			return outcome{msg: "the call failed without an Odoo fault: " + callErr.Error(), expected: want, got: callErr.Error()}
		case a.Fault != "any" && string(f.Kind) != a.Fault:
			return outcome{msg: fmt.Sprintf("fault of kind %s: %s", f.Kind, f.Message), expected: want, got: string(f.Kind)}
		case a.Message != "" && !strings.Contains(f.Message, a.Message):
			return outcome{msg: "the fault says something else", expected: want, got: firstLine(f.Message)}
		}
		return outcome{ok: true}
	}
	if callErr != nil {
		return outcome{msg: callErr.Error(), expected: "no fault", got: faultSummary(callErr)}
	}
	if a.NoFault {
		return outcome{ok: true}
	}
	x, err := at(v, a.Path)
	if err != nil {
		return outcome{msg: err.Error(), expected: "a value at " + quotePath(a.Path), got: shape(v)}
	}
	where := ""
	if a.Path != "" {
		where = " at " + quotePath(a.Path)
	}
	switch {
	case a.Equals != nil:
		if equal(x, a.Equals.V) {
			return outcome{ok: true}
		}
		return outcome{msg: "value" + where + " differs", expected: show(a.Equals.V, true), got: show(x, reveal || countLike)}
	case a.NotEquals != nil:
		if !equal(x, a.NotEquals.V) {
			return outcome{ok: true}
		}
		return outcome{msg: "value" + where + " is the one it must not be", expected: "not " + show(a.NotEquals.V, true), got: show(x, true)}
	case a.Contains != nil:
		if contains(x, a.Contains.V) {
			return outcome{ok: true}
		}
		return outcome{msg: "value" + where + " does not contain it", expected: "contains " + show(a.Contains.V, true), got: show(x, reveal)}
	case a.Count != nil:
		n, ok := countOf(x)
		if !ok {
			return outcome{msg: "count" + where + " needs a list or a number", expected: a.Count.String(), got: shape(x)}
		}
		if a.Count.holds(float64(n)) {
			return outcome{ok: true}
		}
		return outcome{msg: fmt.Sprintf("count%s is %d", where, n), expected: a.Count.String(), got: strconv.Itoa(n)}
	case a.Range != nil:
		f, ok := toFloat(x)
		if !ok {
			return outcome{msg: "range" + where + " needs a number", expected: a.Range.String(), got: shape(x)}
		}
		if a.Range.holds(f) {
			return outcome{ok: true}
		}
		return outcome{msg: "value" + where + " out of range", expected: a.Range.String(), got: show(f, reveal || countLike)}
	}
	return outcome{msg: "empty expectation"}
}

func countOf(x any) (int, bool) {
	switch v := x.(type) {
	case []any:
		return len(v), true
	case map[string]any:
		return len(v), true
	case int64:
		return int(v), true
	case float64:
		if v == math.Trunc(v) {
			return int(v), true
		}
	}
	return 0, false
}

func quotePath(p string) string { return "`" + p + "`" }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func faultSummary(err error) string {
	if f, ok := odoo.FaultOf(err); ok {
		return fmt.Sprintf("fault %s: %s", f.Kind, firstLine(f.Message))
	}
	return err.Error()
}

// compareValues judges before against after.
func compareValues(c *Compare, before, after any, reveal, countLike bool) outcome {
	b, errB := at(before, c.Path)
	a, errA := at(after, c.Path)
	if errB != nil || errA != nil {
		return outcome{msg: "compare path: " + errors.Join(errB, errA).Error()}
	}
	if c.Op == "same" {
		if equal(b, a) {
			return outcome{ok: true}
		}
		return outcome{msg: "changed across the upgrade", expected: "same as before: " + show(b, reveal || countLike), got: show(a, reveal || countLike)}
	}
	if c.Op == "kept" {
		bl, okB := b.([]any)
		al, okA := a.([]any)
		if !okB || !okA {
			return outcome{msg: "kept compares two lists", got: shape(b) + " and " + shape(a)}
		}
		var lost []any
		for _, e := range bl {
			if !slices.ContainsFunc(al, func(x any) bool { return equal(x, e) }) {
				lost = append(lost, e)
			}
		}
		if len(lost) == 0 {
			return outcome{ok: true}
		}
		return outcome{msg: fmt.Sprintf("%d of %d items before are gone after", len(lost), len(bl)),
			expected: "every item of before", got: "missing " + show(lost, reveal)}
	}
	fb, okB := numberOrCount(b)
	fa, okA := numberOrCount(a)
	if !okB || !okA {
		return outcome{msg: c.Op + " compares numbers (or list lengths)", got: shape(b) + " and " + shape(a)}
	}
	reveal = reveal || countLike || isList(b)
	change := fa - fb
	limit := c.Amount
	if c.Percent {
		limit = math.Abs(fb) * c.Amount / 100
	}
	var ok bool
	switch c.Op {
	case "grew":
		ok = change > 0
	case "shrank":
		ok = change < 0
	case "within":
		ok = math.Abs(change) <= limit
	case "shrank_by_at_most":
		ok = change >= -limit
	case "grew_by_at_most":
		ok = change <= limit
	}
	if ok {
		return outcome{ok: true}
	}
	return outcome{
		msg:      fmt.Sprintf("before %s, after %s (%s)", show(fb, reveal), show(fa, reveal), pct(fb, fa)),
		expected: c.String(), got: show(fa, reveal),
	}
}

func isList(v any) bool { _, ok := v.([]any); return ok }

func numberOrCount(v any) (float64, bool) {
	if f, ok := toFloat(v); ok {
		return f, true
	}
	if l, ok := v.([]any); ok {
		return float64(len(l)), true
	}
	return 0, false
}

func pct(before, after float64) string {
	if before == 0 {
		return fmt.Sprintf("%+g", after-before)
	}
	return fmt.Sprintf("%+.1f%%", (after-before)/math.Abs(before)*100)
}
