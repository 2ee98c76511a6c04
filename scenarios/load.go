package scenarios

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Set is a loaded, validated set of scenarios with its digest.
type Set struct {
	Scenarios []*Scenario
	// Digest is sha256 over the canonical content of every scenario
	// (sorted by name; file names and line numbers left out), so an
	// approval can be bound to exactly the checks that ran.
	Digest string
}

// Steps counts the steps of the set.
func (s *Set) Steps() int {
	n := 0
	for _, sc := range s.Scenarios {
		n += len(sc.Steps)
	}
	return n
}

type loadConfig struct {
	builtin bool
}

// LoadOption configures Load.
type LoadOption func(*loadConfig)

// WithBuiltin adds the built-in pack (on in every rehearsal unless the
// rehearsal turns it off).
func WithBuiltin(on bool) LoadOption { return func(c *loadConfig) { c.builtin = on } }

// Load reads scenario files (a file, or a folder whose *.yaml and *.yml
// files are read, sorted) and validates them. Every problem found is
// returned together, as Problems, each naming its file and line.
func Load(_ context.Context, paths []string, opts ...LoadOption) (*Set, error) {
	cfg := loadConfig{}
	for _, o := range opts {
		o(&cfg)
	}
	var all []*Scenario
	var problems Problems
	if cfg.builtin {
		b, err := Builtin()
		if err != nil {
			return nil, err
		}
		all = append(all, b...)
	}
	files, ps := expand(paths)
	problems = append(problems, ps...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, Problem{File: f, Line: 0, Msg: fmt.Sprintf("cannot read: %v", err)})
			continue
		}
		sc, ps := parseFile(f, data)
		problems = append(problems, ps...)
		all = append(all, sc...)
	}
	problems = append(problems, validate(all)...)
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool {
			if problems[i].File != problems[j].File {
				return problems[i].File < problems[j].File
			}
			return problems[i].Line < problems[j].Line
		})
		return nil, problems
	}
	return newSet(all)
}

// Builtin returns the built-in pack, parsed from the YAML embedded in the
// binary.
func Builtin() ([]*Scenario, error) {
	entries, err := fs.Glob(builtinFS, "builtin/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range entries {
		data, err := builtinFS.ReadFile(e)
		if err != nil {
			return nil, err
		}
		sc, ps := parseFile("builtin:"+filepath.Base(e), data)
		if len(ps) > 0 {
			return nil, fmt.Errorf("built-in pack is broken (a bug in rehearse): %w", ps)
		}
		for _, s := range sc {
			s.Builtin = true
		}
		out = append(out, sc...)
	}
	return out, nil
}

func newSet(all []*Scenario) (*Set, error) {
	sorted := slices.Clone(all)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	canon, err := json.Marshal(sorted)
	if err != nil {
		return nil, fmt.Errorf("scenario digest: %w", err)
	}
	sum := sha256.Sum256(canon)
	return &Set{Scenarios: all, Digest: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

func expand(paths []string) ([]string, Problems) {
	var files []string
	var problems Problems
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			problems = append(problems, Problem{File: p, Msg: "no such file or folder (give scenario .yaml files or folders holding them)"})
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			problems = append(problems, Problem{File: p, Msg: fmt.Sprintf("cannot read folder: %v", err)})
		}
		if len(found) == 0 && err == nil {
			problems = append(problems, Problem{File: p, Msg: "folder holds no .yaml or .yml file"})
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, problems
}

var captureRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// validate checks what holds across steps and files: unique names, known
// users and checks, captures defined before they are used in the same
// phase.
func validate(all []*Scenario) Problems {
	var ps Problems
	seen := map[string]*Scenario{}
	for _, s := range all {
		if prev, dup := seen[s.Name]; dup && s.Name != "" {
			ps = append(ps, Problem{File: s.File, Line: s.Line, Msg: fmt.Sprintf("scenario %q is also defined at %s:%d; names must be unique", s.Name, prev.File, prev.Line)})
		}
		seen[s.Name] = s
		for _, phase := range []Phase{Before, After} {
			defined := map[string]bool{}
			for _, st := range s.Steps {
				if !st.Runs(phase) {
					continue
				}
				for _, ref := range refs(st) {
					if !defined[ref] {
						ps = append(ps, Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf("${%s} is not captured by an earlier step that runs %s the upgrade", ref, phase)})
					}
				}
				for name := range st.Capture {
					defined[name] = true
				}
			}
		}
		for _, st := range s.Steps {
			if st.As != "" && st.As != "admin" {
				if _, ok := s.Users[st.As]; !ok {
					ps = append(ps, Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf("as: %q is not a user of this scenario (declare it under users:)", st.As)})
				}
			}
			if st.Check != "" {
				if _, ok := checks[st.Check]; !ok {
					ps = append(ps, Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf("unknown check %q (one of: %s)", st.Check, strings.Join(checkNames(), ", "))})
				} else if st.Compare != nil || len(st.Capture) > 0 {
					ps = append(ps, Problem{File: s.File, Line: st.Line, Msg: fmt.Sprintf("check %q compares before and after itself: drop compare and capture", st.Check)})
				}
			}
			if st.SQL != "" && !readOnlyLooking(st.SQL) {
				ps = append(ps, Problem{File: s.File, Line: st.Line, Msg: "sql must be one read-only query (SELECT, WITH, VALUES or TABLE); it runs in a READ ONLY transaction"})
			}
			for _, a := range st.Expect {
				if (a.Fault != "" || a.NoFault) && st.Kind() != "call" {
					ps = append(ps, Problem{File: s.File, Line: a.Line, Msg: "fault expectations apply to model method calls only"})
				}
			}
		}
	}
	return ps
}

func readOnlyLooking(sql string) bool {
	s := strings.ToLower(strings.TrimSpace(sql))
	s = strings.TrimSuffix(strings.TrimSpace(s), ";")
	if strings.Contains(s, ";") {
		return false
	}
	for _, kw := range []string{"select", "with", "values", "table"} {
		if strings.HasPrefix(s, kw) {
			return true
		}
	}
	return false
}

// refs lists the ${capture} references of a step's args, kwargs and params.
func refs(st *Step) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			for _, m := range captureRef.FindAllStringSubmatch(x, -1) {
				out = append(out, m[1])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(st.Args)
	walk(st.Kwargs)
	walk(st.Params)
	walk(st.With)
	return out
}
