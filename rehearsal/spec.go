package rehearsal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// Spec is a rehearsal, as written in rehearsal.yaml (every field is
// documented in README.md, "The rehearsal file"). Flags of `rehearse run`
// override it field by field.
type Spec struct {
	// Backup is the production backup: an Odoo zip, a pg_dump custom or
	// directory dump, plain .sql or .sql.gz, or a folder with db.dump,
	// manifest.json and filestore/.
	Backup string `yaml:"backup"`
	// SourceImage runs production's Odoo version: it serves the copy for
	// the "before" probes. Optional: without it, before probes are skipped
	// and before/after comparisons use what the database says.
	SourceImage string `yaml:"source_image"`
	// TargetImage is the Odoo image to upgrade to; what an approval binds.
	TargetImage   string `yaml:"target_image"`
	PostgresImage string `yaml:"postgres_image"`
	// Upgrade is the command the target image runs on the copy; "{db}" is
	// replaced with the copy's name.
	Upgrade UpgradeSpec `yaml:"upgrade"`
	// Addons are host folders of extra modules, mounted read-only into
	// every Odoo container and added to the addons path.
	Addons []string `yaml:"addons"`
	// Database is the copy's name inside the rehearsal PostgreSQL.
	Database string `yaml:"database"`
	// AdminLogin is checked against the copy's admin user (XML id
	// base.user_admin); empty takes whatever login that user has.
	AdminLogin    string       `yaml:"admin_login"`
	Scenarios     []string     `yaml:"scenarios"`
	BuiltinChecks *bool        `yaml:"builtin_checks"`
	Log           LogSpec      `yaml:"log"`
	Restore       RestoreSpec  `yaml:"restore"`
	Timeouts      Timeouts     `yaml:"timeouts"`
	Concurrency   int          `yaml:"concurrency"`
	Output        string       `yaml:"output"`
	Approval      ApprovalSpec `yaml:"approval"`

	// file is where the spec was read from: relative paths in it are
	// relative to its folder, and errors name it.
	file string
}

// UpgradeSpec is how the target image upgrades the copy.
type UpgradeSpec struct {
	Command []string `yaml:"command"`
}

// LogSpec judges the upgrade log.
type LogSpec struct {
	// Allow are regular expressions for ERROR lines a team knows to be
	// harmless; matched lines are reported, not judged.
	Allow []string `yaml:"allow"`
}

// RestoreSpec tunes the restore.
type RestoreSpec struct {
	// Allow are regular expressions for SQL errors the restore may pass
	// over (Odoo's own restore ignores them all; we ignore none by default).
	Allow []string `yaml:"allow"`
	Jobs  int      `yaml:"jobs"`
	// Cache keeps the restored golden copy in a labelled volume keyed by
	// the backup's sha256, so the next rehearsal of the same backup skips
	// the restore (`rehearse gc --cache` removes it).
	Cache bool `yaml:"cache"`
}

// Timeouts bound each phase.
type Timeouts struct {
	Restore   Duration `yaml:"restore"`
	Baseline  Duration `yaml:"baseline"`
	Upgrade   Duration `yaml:"upgrade"`
	Serve     Duration `yaml:"serve"`
	Scenarios Duration `yaml:"scenarios"`
}

// ApprovalSpec says where approvals are signed and stored.
type ApprovalSpec struct {
	KeyDir string `yaml:"key_dir"` // folder of approval.key (default: rehearse keys init's)
	Store  string `yaml:"store"`   // a folder or a postgres:// ledger
}

// Duration reads "90s", "30m", "2h" from YAML.
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a duration (use 90s, 30m, 2h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Defaults of a rehearsal.
const (
	DefaultDatabase    = "rehearsal"
	DefaultConcurrency = 4
	DefaultOutput      = "rehearse-runs"
)

// DefaultUpgradeCommand upgrades every module in place, as Odoo.sh does.
var DefaultUpgradeCommand = []string{"odoo", "-d", "{db}", "-u", "all", "--stop-after-init", "--no-http"}

var defaultTimeouts = Timeouts{
	Restore:   Duration(time.Hour),
	Baseline:  Duration(10 * time.Minute),
	Upgrade:   Duration(2 * time.Hour),
	Serve:     Duration(10 * time.Minute),
	Scenarios: Duration(30 * time.Minute),
}

// LoadSpec reads a rehearsal file strictly: an unknown key, a wrong type
// or a bad value is an error with file:line and what to do.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, exit.Input("rehearsal file: %v", err)
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, exit.Input("%s: the file is empty; it needs at least backup: and target_image:", path)
		}
		return nil, exit.Input("%s", yamlError(path, err))
	}
	var node yaml.Node
	_ = yaml.Unmarshal(data, &node)
	s.file = path
	if err := s.validate(lineFinder(&node)); err != nil {
		return nil, err
	}
	return &s, nil
}

// yamlError rewrites yaml.v3's "yaml: line 3: ..." as "file:3: ...".
func yamlError(path string, err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var parts []string
		for _, e := range te.Errors {
			parts = append(parts, path+":"+strings.TrimPrefix(e, "line "))
		}
		return strings.Join(parts, "\n")
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		return path + ":" + strings.TrimPrefix(msg, "line ")
	}
	return path + ": " + msg
}

// lineFinder returns the line of a top-level key (or 0).
func lineFinder(doc *yaml.Node) func(key string) int {
	return func(key string) int {
		if doc == nil || len(doc.Content) == 0 {
			return 0
		}
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i].Line
			}
		}
		return 0
	}
}

// Validate checks a spec built from flags (no file, no lines).
func (s *Spec) Validate() error { return s.validate(func(string) int { return 0 }) }

func (s *Spec) where(line func(string) int, key string) string {
	file := s.file
	if file == "" {
		if flag, ok := flagOf[key]; ok {
			return flag
		}
		return "--" + strings.ReplaceAll(key, "_", "-")
	}
	if l := line(key); l > 0 {
		return fmt.Sprintf("%s:%d: %s", file, l, key)
	}
	return fmt.Sprintf("%s: %s", file, key)
}

// flagOf names the `rehearse run` flag of a spec key whose flag is not
// simply --key.
var flagOf = map[string]string{"log": "--log-allow", "upgrade": "--upgrade-command", "restore": "--restore-allow"}

var dbNamePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$`)

func (s *Spec) validate(line func(string) int) error {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, s.where(line, key)+": "+fmt.Sprintf(format, args...))
	}
	if s.Backup == "" {
		bad("backup", "missing: give the production backup (zip, .dump, .sql, .sql.gz or a folder)")
	}
	if s.TargetImage == "" {
		bad("target_image", "missing: give the Odoo image to upgrade to (e.g. odoo:17.0)")
	}
	for _, img := range []struct{ key, ref string }{{"source_image", s.SourceImage}, {"target_image", s.TargetImage}, {"postgres_image", s.PostgresImage}} {
		if img.ref != "" && !imageRefPattern.MatchString(img.ref) {
			bad(img.key, "%q is not an image reference (e.g. odoo:17.0, registry.example.com/odoo:17.0, sha256:...)", img.ref)
		}
	}
	if s.Database != "" && !dbNamePattern.MatchString(s.Database) {
		bad("database", "%q: use letters, digits, _ . - (at most 63)", s.Database)
	}
	if s.Concurrency < 0 || s.Concurrency > 64 {
		bad("concurrency", "%d: use 1 to 64", s.Concurrency)
	}
	if s.Restore.Jobs < 0 || s.Restore.Jobs > 64 {
		bad("restore", "jobs %d: use 1 to 64", s.Restore.Jobs)
	}
	for _, p := range s.Log.Allow {
		if _, err := regexp.Compile(p); err != nil {
			bad("log", "allow pattern %q: %v", p, err)
		}
	}
	for _, p := range s.Restore.Allow {
		if _, err := regexp.Compile(p); err != nil {
			bad("restore", "allow pattern %q: %v", p, err)
		}
	}
	if len(s.Upgrade.Command) > 0 && !upgradeNamesDB(s.Upgrade.Command) {
		bad("upgrade", "command %q must name the copy with {db} (e.g. odoo -d {db} -u all --stop-after-init)", strings.Join(s.Upgrade.Command, " "))
	}
	for _, a := range s.Addons {
		st, err := os.Stat(s.Resolve(a))
		if err != nil || !st.IsDir() {
			bad("addons", "%s is not a folder", a)
		}
	}
	if len(problems) > 0 {
		return exit.Input("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// imageRefPattern is Docker's reference grammar: [host[:port]/]path[:tag][@digest],
// path components lower-case, or a bare image ID.
var imageRefPattern = regexp.MustCompile(`^(` +
	`([a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?/)?` + // registry host
	`[a-z0-9]+([._-]+[a-z0-9]+)*(/[a-z0-9]+([._-]+[a-z0-9]+)*)*` + // path
	`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` + // tag
	`(@sha256:[a-f0-9]{64})?` + // digest
	`|sha256:[a-f0-9]{64})$`)

func upgradeNamesDB(cmd []string) bool {
	for _, a := range cmd {
		if strings.Contains(a, "{db}") {
			return true
		}
	}
	return false
}

// Resolve makes a path of the spec absolute: relative to the spec file's
// folder, or to the working directory for flags.
func (s *Spec) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if s.file != "" {
		return filepath.Join(filepath.Dir(s.file), p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// withDefaults fills what the spec left out.
func (s *Spec) withDefaults() {
	if s.Database == "" {
		s.Database = DefaultDatabase
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.Output == "" {
		s.Output = DefaultOutput
	}
	if len(s.Upgrade.Command) == 0 {
		s.Upgrade.Command = DefaultUpgradeCommand
	}
	if s.BuiltinChecks == nil {
		on := true
		s.BuiltinChecks = &on
	}
	d := defaultTimeouts
	for _, f := range []struct {
		dst *Duration
		def Duration
	}{
		{&s.Timeouts.Restore, d.Restore}, {&s.Timeouts.Baseline, d.Baseline}, {&s.Timeouts.Upgrade, d.Upgrade},
		{&s.Timeouts.Serve, d.Serve}, {&s.Timeouts.Scenarios, d.Scenarios},
	} {
		if *f.dst == 0 {
			*f.dst = f.def
		}
	}
}

// UpgradeCommand is the upgrade command with the copy's name filled in.
func (s *Spec) UpgradeCommand() []string {
	out := make([]string, len(s.Upgrade.Command))
	for i, a := range s.Upgrade.Command {
		out[i] = strings.ReplaceAll(a, "{db}", s.Database)
	}
	return out
}
