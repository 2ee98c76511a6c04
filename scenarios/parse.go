package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo"
)

// Problem is one thing wrong in a scenario file, at a line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Problems is every problem found in a set of files, in file order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

type parser struct {
	file     string
	problems Problems
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// parseFile reads every YAML document of data as a scenario.
func parseFile(file string, data []byte) ([]*Scenario, Problems) {
	p := &parser{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Scenario
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.problems = append(p.problems, Problem{File: file, Line: yamlErrLine(err), Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		if s := p.scenario(doc.Content[0]); s != nil {
			out = append(out, s)
		}
	}
	if len(out) == 0 && len(p.problems) == 0 {
		p.problems = append(p.problems, Problem{File: file, Line: 1, Msg: "no scenario in this file (start it with `scenario: <name>`)"})
	}
	return out, p.problems
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 1
}

// fields checks that n is a mapping whose keys are all allowed, and
// returns the value nodes by key. An unknown key is a problem at its line.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping (key: value), not %s", what, kindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			p.errorf(k, "unknown key %q in %s (allowed: %s)", k.Value, what, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, "key %q given twice in %s", k.Value, what)
			continue
		}
		out[k.Value] = v
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string, not %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n == nil {
		return false
	}
	var b bool
	if n.Kind != yaml.ScalarNode || n.Decode(&b) != nil {
		p.errorf(n, "%s must be true or false, not %s", what, kindName(n))
	}
	return b
}

func (p *parser) strList(n *yaml.Node, what string) []string {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list of strings", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, what+" item"))
	}
	return out
}

// value decodes any YAML value into the shapes the Odoo codec speaks:
// int64, float64, string, bool, nil, []any, map[string]any.
func (p *parser) value(n *yaml.Node, what string) any {
	var v any
	if err := n.Decode(&v); err != nil {
		p.errorf(n, "%s: %v", what, err)
		return nil
	}
	return normalise(v)
}

func normalise(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case uint64:
		return float64(x)
	case time.Time: // an unquoted date: Odoo speaks strings
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalise(e)
		}
		return m
	}
	return v
}

var (
	scenarioKeys  = []string{"scenario", "description", "requires", "users", "steps"}
	stepKeys      = []string{"name", "as", "when", "model", "method", "args", "kwargs", "sql", "params", "check", "with", "capture", "expect", "compare", "record"}
	assertionKeys = []string{"path", "equals", "not_equals", "count", "range", "contains", "fault", "message", "no_fault"}
)

func (p *parser) scenario(n *yaml.Node) *Scenario {
	f := p.fields(n, "a scenario", scenarioKeys...)
	if f == nil {
		return nil
	}
	s := &Scenario{File: p.file, Line: n.Line}
	if f["scenario"] == nil {
		p.errorf(n, "missing `scenario: <name>`")
	} else if s.Name = strings.TrimSpace(p.str(f["scenario"], "scenario")); s.Name == "" {
		p.errorf(f["scenario"], "the scenario name is empty")
	}
	s.Description = p.str(f["description"], "description")
	s.Requires = p.strList(f["requires"], "requires")
	if u := f["users"]; u != nil {
		s.Users = map[string]User{}
		if u.Kind != yaml.MappingNode {
			p.errorf(u, "users must be a mapping of name: {login: ...}")
		} else {
			for i := 0; i+1 < len(u.Content); i += 2 {
				uf := p.fields(u.Content[i+1], "user "+u.Content[i].Value, "login")
				login := p.str(uf["login"], "login")
				if login == "" {
					p.errorf(u.Content[i+1], "user %q needs a login", u.Content[i].Value)
				}
				s.Users[u.Content[i].Value] = User{Login: login}
			}
		}
	}
	steps := f["steps"]
	switch {
	case steps == nil:
		p.errorf(n, "scenario %q has no steps", s.Name)
	case steps.Kind != yaml.SequenceNode || len(steps.Content) == 0:
		p.errorf(steps, "steps must be a non-empty list")
	default:
		for i, sn := range steps.Content {
			if st := p.step(sn, i+1); st != nil {
				s.Steps = append(s.Steps, st)
			}
		}
	}
	return s
}

func (p *parser) step(n *yaml.Node, index int) *Step {
	f := p.fields(n, fmt.Sprintf("step %d", index), stepKeys...)
	if f == nil {
		return nil
	}
	st := &Step{Line: n.Line}
	st.Name = p.str(f["name"], "name")
	st.As = p.str(f["as"], "as")
	if w := f["when"]; w != nil {
		st.When = Phase(p.str(w, "when"))
		if st.When != Before && st.When != After && st.When != Both {
			p.errorf(w, "when must be before, after or both, not %q", st.When)
		}
	}
	st.Model = p.str(f["model"], "model")
	st.Method = p.str(f["method"], "method")
	st.SQL = strings.TrimSpace(p.str(f["sql"], "sql"))
	st.Check = p.str(f["check"], "check")
	kinds := 0
	for _, k := range []string{"method", "sql", "check"} {
		if f[k] != nil {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		p.errorf(n, "step %d does nothing: give model+method, sql, or check", index)
	case kinds > 1:
		p.errorf(n, "step %d mixes method, sql and check: give exactly one", index)
	case f["method"] != nil && st.Model == "":
		p.errorf(f["method"], "method %q needs a model", st.Method)
	case f["model"] != nil && f["method"] == nil:
		p.errorf(f["model"], "model %q needs a method (search_count, search_read, read, create, write, unlink, …)", st.Model)
	}
	if strings.HasPrefix(st.Method, "_") {
		p.errorf(f["method"], "method %q is private: Odoo refuses to call it remotely", st.Method)
	}
	if a := f["args"]; a != nil {
		if a.Kind != yaml.SequenceNode {
			p.errorf(a, "args must be a list (the positional arguments)")
		} else {
			st.Args, _ = p.value(a, "args").([]any)
		}
	}
	if k := f["kwargs"]; k != nil {
		if k.Kind != yaml.MappingNode {
			p.errorf(k, "kwargs must be a mapping")
		} else {
			st.Kwargs, _ = p.value(k, "kwargs").(map[string]any)
		}
	}
	if a := f["params"]; a != nil {
		if a.Kind != yaml.SequenceNode {
			p.errorf(a, "params must be a list (the SQL's $1, $2, …)")
		} else {
			st.Params, _ = p.value(a, "params").([]any)
		}
	}
	if (f["args"] != nil || f["kwargs"] != nil) && f["method"] == nil {
		p.errorf(n, "args and kwargs belong to a model method call")
	}
	if f["params"] != nil && f["sql"] == nil {
		p.errorf(f["params"], "params belong to an sql step")
	}
	if w := f["with"]; w != nil {
		if f["check"] == nil {
			p.errorf(w, "with belongs to a check step")
		} else if w.Kind != yaml.MappingNode {
			p.errorf(w, "with must be a mapping")
		} else {
			st.With, _ = p.value(w, "with").(map[string]any)
		}
	}
	if c := f["capture"]; c != nil {
		if c.Kind != yaml.MappingNode {
			p.errorf(c, "capture must be a mapping of name: path")
		} else {
			st.Capture = map[string]string{}
			for i := 0; i+1 < len(c.Content); i += 2 {
				name := c.Content[i].Value
				if !captureName.MatchString(name) {
					p.errorf(c.Content[i], "capture name %q: use letters, digits and _", name)
				}
				path := p.str(c.Content[i+1], "capture path")
				if _, err := parsePath(path); err != nil {
					p.errorf(c.Content[i+1], "capture %s: %v", name, err)
				}
				st.Capture[name] = path
			}
		}
	}
	if e := f["expect"]; e != nil {
		items := []*yaml.Node{e}
		if e.Kind == yaml.SequenceNode {
			items = e.Content
		}
		for _, an := range items {
			if a := p.assertion(an); a != nil {
				st.Expect = append(st.Expect, a)
			}
		}
	}
	if c := f["compare"]; c != nil {
		st.Compare = p.compare(c)
		if st.When == Before || st.When == After {
			p.errorf(c, "compare needs the step to run before and after: drop `when: %s`", st.When)
		}
	}
	st.Record = p.boolean(f["record"], "record")
	return st
}

var captureName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *parser) assertion(n *yaml.Node) *Assertion {
	f := p.fields(n, "an expectation", assertionKeys...)
	if f == nil {
		return nil
	}
	a := &Assertion{Line: n.Line}
	a.Path = p.str(f["path"], "path")
	if _, err := parsePath(a.Path); err != nil {
		p.errorf(f["path"], "path: %v", err)
	}
	ops := 0
	if v := f["equals"]; v != nil {
		a.Equals, ops = &Value{p.value(v, "equals")}, ops+1
	}
	if v := f["not_equals"]; v != nil {
		a.NotEquals, ops = &Value{p.value(v, "not_equals")}, ops+1
	}
	if v := f["contains"]; v != nil {
		a.Contains, ops = &Value{p.value(v, "contains")}, ops+1
	}
	if v := f["count"]; v != nil {
		a.Count, ops = p.rangeOf(v, "count"), ops+1
	}
	if v := f["range"]; v != nil {
		a.Range, ops = p.rangeOf(v, "range"), ops+1
	}
	if v := f["fault"]; v != nil {
		a.Fault, ops = p.str(v, "fault"), ops+1
		if a.Fault != "any" && !slices.Contains(odoo.Kinds, odoo.Kind(a.Fault)) {
			p.errorf(v, "unknown fault kind %q (one of: any, %s)", a.Fault, kindList())
		}
	}
	if v := f["no_fault"]; v != nil {
		a.NoFault, ops = p.boolean(v, "no_fault"), ops+1
		if !a.NoFault {
			p.errorf(v, "no_fault: false means nothing; drop it, or expect `fault: any`")
		}
	}
	a.Message = p.str(f["message"], "message")
	if a.Message != "" && a.Fault == "" {
		p.errorf(f["message"], "message belongs to a fault expectation")
	}
	if ops != 1 {
		p.errorf(n, "an expectation needs exactly one of equals, not_equals, count, range, contains, fault, no_fault (found %d)", ops)
	}
	if (a.Fault != "" || a.NoFault) && a.Path != "" {
		p.errorf(f["path"], "a fault expectation has no path")
	}
	return a
}

func kindList() string {
	s := make([]string, len(odoo.Kinds))
	for i, k := range odoo.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// rangeOf reads `count: 3` (exactly) or `count: {min: 1, max: 10}`.
func (p *parser) rangeOf(n *yaml.Node, what string) *Range {
	if n.Kind == yaml.ScalarNode {
		var f float64
		if err := n.Decode(&f); err != nil {
			p.errorf(n, "%s must be a number or {min, max}, not %s", what, kindName(n))
			return &Range{}
		}
		return &Range{Min: &f, Max: &f}
	}
	fs := p.fields(n, what, "min", "max")
	r := &Range{}
	for key, dst := range map[string]**float64{"min": &r.Min, "max": &r.Max} {
		if v := fs[key]; v != nil {
			var f float64
			if err := v.Decode(&f); err != nil {
				p.errorf(v, "%s %s must be a number, not %s", what, key, kindName(v))
				continue
			}
			*dst = &f
		}
	}
	if r.Min == nil && r.Max == nil && fs != nil {
		p.errorf(n, "%s needs min, max or both", what)
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		p.errorf(n, "%s: min %s is above max %s", what, num(*r.Min), num(*r.Max))
	}
	return r
}

// compare reads `compare: same` or `compare: {within: 2%, path: ...}`.
func (p *parser) compare(n *yaml.Node) *Compare {
	c := &Compare{Line: n.Line}
	if n.Kind == yaml.ScalarNode {
		c.Op = n.Value
		if !slices.Contains([]string{"same", "grew", "shrank", "kept"}, c.Op) {
			p.errorf(n, "compare %q: use same, grew, shrank, kept, or {within: N%%}, {shrank_by_at_most: N}, {grew_by_at_most: N}", c.Op)
		}
		return c
	}
	f := p.fields(n, "compare", append(slices.Clone(compareOps), "path")...)
	c.Path = p.str(f["path"], "path")
	if _, err := parsePath(c.Path); err != nil {
		p.errorf(f["path"], "path: %v", err)
	}
	for _, op := range compareOps {
		v := f[op]
		if v == nil {
			continue
		}
		if c.Op != "" {
			p.errorf(v, "compare takes one operator, found %s and %s", c.Op, op)
			continue
		}
		c.Op = op
		switch op {
		case "same", "grew", "shrank", "kept":
			if !p.boolean(v, op) {
				p.errorf(v, "%s: true is the only value (or write `compare: %s`)", op, op)
			}
		default:
			c.Original = v.Value
			amount, percent, err := parseAmount(v.Value)
			if err != nil || v.Kind != yaml.ScalarNode {
				p.errorf(v, "%s must be a number or a percentage such as 2%%, not %s", op, kindName(v))
			}
			c.Amount, c.Percent = amount, percent
		}
	}
	if c.Op == "" {
		p.errorf(n, "compare needs an operator: %s", strings.Join(compareOps, ", "))
	}
	return c
}

func parseAmount(s string) (float64, bool, error) {
	s = strings.TrimSpace(s)
	percent := strings.HasSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err == nil && f < 0 {
		err = errors.New("negative")
	}
	return f, percent, err
}
