package upgradelog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/odoo-rehearse/rehearse/fixtures/shared"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// manifestNoise is the harmless ERROR a buggy core patch logs once per
// module in the real prod16 logs.
var manifestNoise = regexp.MustCompile(`^odoo\.modules\.module: Error in check_manifest_dependencies: unhashable type`)

// sharedLogs returns ../shared/odoo/logs (see fixtures/shared).
func sharedLogs(t *testing.T) string {
	return shared.Path(t, "odoo/logs")
}

func judgeFile(t *testing.T, path string, exit int, opts ...Option) Verdict {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p := New(opts...)
	_, err = p.Write(data)
	require.NoError(t, err)
	return p.Judge(exit)
}

func kinds(v Verdict) []ReasonKind {
	var ks []ReasonKind
	for _, r := range v.Reasons {
		ks = append(ks, r.Kind)
	}
	return ks
}

func TestRealLogs(t *testing.T) {
	logs := sharedLogs(t)

	t.Run("update-all with its 77 harmless errors not allowed fails", func(t *testing.T) {
		path := filepath.Join(logs, "update-all-prod16.log")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, 77, strings.Count(string(raw), " ERROR "), "precondition: FACTS.md says 77 ERROR lines")

		v := judgeFile(t, path, 0)
		assert.False(t, v.OK)
		assert.Equal(t, []ReasonKind{ReasonError}, kinds(v))
		assert.Len(t, v.Problems, 77)
		assert.Contains(t, v.Reasons[0].Message, "77 ERROR")
		assert.Empty(t, v.FailedModule, "a run that completed has no failing module")
	})

	t.Run("update-all with the noise allowed is OK", func(t *testing.T) {
		path := filepath.Join(logs, "update-all-prod16.log")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		v := judgeFile(t, path, 0, WithAllow(manifestNoise))
		require.True(t, v.OK, "reasons: %v", v.Reasons)
		require.Len(t, v.Allowed, 1)
		assert.Equal(t, 77, v.Allowed[0].Count)
		assert.Equal(t, "odoo.modules.module: Error in check_manifest_dependencies: unhashable type: 'dict'", v.Allowed[0].First)
		assert.Empty(t, v.Problems)

		assert.Equal(t, strings.Count(string(raw), "odoo.modules.loading: Module "), len(v.Modules))
		assert.Equal(t, 77, v.ModulesTotal)
		assert.Equal(t, ModuleLoad{Name: "base", Index: 1, Duration: Duration(4050 * time.Millisecond), Queries: 7060}, v.Modules[0])
		assert.Equal(t, "uom", v.Modules[1].Name)
		assert.Equal(t, 2, v.Modules[1].Index)
		assert.True(t, v.RegistryLoaded)
		assert.Equal(t, Duration(41886*time.Millisecond), v.RegistryTime)
		assert.Equal(t, Duration((4050+35500)*time.Millisecond), v.ModulesLoadTime)
		assert.Equal(t, 4, v.Warnings)
		assert.Equal(t, int64(strings.Count(string(raw), "\n")), v.Lines)
		assert.Equal(t, time.Date(2026, 11, 24, 21, 6, 49, 989e6, time.UTC), v.Start)
		assert.Equal(t, time.Date(2026, 11, 24, 21, 7, 32, 152e6, time.UTC), v.End)
	})

	t.Run("install is OK once the noise is allowed", func(t *testing.T) {
		v := judgeFile(t, filepath.Join(logs, "install-prod16.log"), 0, WithAllow(manifestNoise))
		require.True(t, v.OK, "reasons: %v", v.Reasons)
		assert.Equal(t, 68, v.Allowed[0].Count)
		assert.Equal(t, 77, v.ModulesTotal, "N of the last (i/N): the second loading pass")
	})

	t.Run("failing migration names module and migration", func(t *testing.T) {
		v := judgeFile(t, filepath.Join(logs, "probe-3-update-failing-migration.log"), 255, WithAllow(manifestNoise))
		assert.False(t, v.OK)
		assert.Equal(t, "x_probe", v.FailedModule)
		require.NotNil(t, v.FailedMigration)
		assert.Equal(t, Migration{
			Module: "x_probe", Version: "16.0.1.0.2", Stage: "pre", Script: "pre-migrate",
			At:       time.Date(2026, 11, 24, 21, 8, 58, 174e6, time.UTC),
			Estimate: Duration(2 * time.Millisecond), Finished: false,
		}, *v.FailedMigration)
		assert.True(t, v.TransientStatesReset)
		assert.True(t, v.RegistryFailed)
		assert.Equal(t, "prod16_probe", v.DatabaseInitFailed)
		assert.ElementsMatch(t, []ReasonKind{ReasonExitCode, ReasonCritical, ReasonRegistryFailed, ReasonInitFailed, ReasonTransientReset, ReasonError}, kinds(v))

		var critical *Problem
		for i := range v.Problems {
			if v.Problems[i].Level == "CRITICAL" {
				critical = &v.Problems[i]
			}
		}
		require.NotNil(t, critical)
		assert.Equal(t, "x_probe", critical.Module)
		assert.True(t, strings.HasPrefix(critical.Traceback, "Traceback (most recent call last):"))
		assert.True(t, strings.HasSuffix(critical.Traceback, "Exception: x_probe: simulated migration failure"))
		assert.Equal(t, 25, strings.Count(critical.Traceback, "\n")+1)
	})

	t.Run("a neutralize log is not an upgrade log", func(t *testing.T) {
		v := judgeFile(t, filepath.Join(logs, "neutralize-prod16.log"), 0)
		assert.Equal(t, []ReasonKind{ReasonRegistryNotReady}, kinds(v))
		v = judgeFile(t, filepath.Join(logs, "neutralize-prod16.log"), 0, WithoutRegistryCheck())
		assert.True(t, v.OK)
	})
}

func TestSyntheticLogs(t *testing.T) {
	for _, tc := range []struct {
		file     string
		exit     int
		opts     []Option
		kinds    []ReasonKind
		module   string
		validate func(t *testing.T, v Verdict)
	}{
		{
			file: "invalid-module-name.log", exit: 0,
			kinds: []ReasonKind{ReasonInvalidModules},
			validate: func(t *testing.T, v Verdict) {
				assert.Equal(t, []string{"nosuchmodule", "sale_custm"}, v.InvalidModuleNames)
				assert.Contains(t, v.Reasons[0].Message, "nosuchmodule, sale_custm")
			},
		},
		{
			file: "new-database.log", exit: 0,
			kinds: []ReasonKind{ReasonNewDatabase},
			validate: func(t *testing.T, v Verdict) {
				assert.True(t, v.NewDatabase)
				assert.True(t, v.RegistryLoaded)
			},
		},
		{
			file: "couldnt-load-module.log", exit: 255,
			kinds:  []ReasonKind{ReasonExitCode, ReasonCritical, ReasonRegistryFailed, ReasonInitFailed, ReasonTransientReset, ReasonError},
			module: "sale_margin_custom",
			validate: func(t *testing.T, v Verdict) {
				assert.Equal(t, "rehearsal", v.DatabaseInitFailed)
				require.Len(t, v.Problems, 4)
				assert.Equal(t, "Couldn't load module sale_margin_custom", v.Problems[0].Message)
				assert.Equal(t, "No module named 'phonenumbers'", v.Problems[1].Message)
				assert.Contains(t, v.Problems[2].Traceback, "import phonenumbers")
				assert.Contains(t, v.Reasons[1].Message, "3 CRITICAL")
				assert.Len(t, v.Modules, 2)
				assert.Nil(t, v.FailedMigration)
			},
		},
		{
			file: "view-error.log", exit: 255,
			kinds:  []ReasonKind{ReasonExitCode, ReasonCritical, ReasonRegistryFailed, ReasonInitFailed, ReasonTransientReset, ReasonError},
			module: "x_sale_report",
			validate: func(t *testing.T, v Verdict) {
				require.Len(t, v.Migrations, 2)
				assert.Equal(t, Migration{Module: "sale", Version: "17.0.1.2", Stage: "pre", Script: "pre-migrate",
					At: time.Date(2026, 3, 2, 10, 0, 0, 302e6, time.UTC), Estimate: Duration(1500 * time.Millisecond), Finished: true}, v.Migrations[0])
				assert.Equal(t, "post", v.Migrations[1].Stage)
				assert.Equal(t, Duration(600*time.Millisecond), v.Migrations[1].Estimate)
				assert.True(t, v.Migrations[1].Finished)
				assert.Nil(t, v.FailedMigration, "the migrations of sale finished before x_sale_report failed")
				last := v.Problems[len(v.Problems)-1]
				assert.Contains(t, last.Traceback, `Field "margin_percent_x" does not exist in model "sale.order"`)
				assert.Contains(t, last.Traceback, `'xmlid': 'view_order_form_x'}`)
				assert.Equal(t, "view_order_form_x", last.ViewXMLID)
				assert.Contains(t, v.Summary(), "in module x_sale_report")
			},
		},
		{
			file: "inconsistent-states.log", exit: 0,
			kinds: []ReasonKind{ReasonInconsistent, ReasonError},
			validate: func(t *testing.T, v Verdict) {
				assert.Equal(t, []string{"l10n_fr_fec", "x_connector"}, v.InconsistentModules)
			},
		},
		{
			file: "inconsistent-states.log", exit: 0, opts: []Option{WithErrorsTolerated()},
			kinds: []ReasonKind{ReasonInconsistent},
		},
		{
			file: "coloured-tty.log", exit: 0,
			kinds: []ReasonKind{ReasonError},
			validate: func(t *testing.T, v Verdict) {
				require.Len(t, v.Problems, 1)
				assert.Equal(t, "odoo.addons.base.models.ir_cron", v.Problems[0].Logger)
				assert.Equal(t, "base", v.Problems[0].Module)
				assert.True(t, v.RegistryLoaded)
			},
		},
		{
			file: "coloured-tty.log", exit: 0, opts: []Option{WithAllow(regexp.MustCompile(`ir_cron: Call from cron`))},
			kinds: nil,
			validate: func(t *testing.T, v Verdict) {
				assert.True(t, v.OK)
				assert.Equal(t, []AllowedCount{{Pattern: "ir_cron: Call from cron", Count: 1,
					First: "odoo.addons.base.models.ir_cron: Call from cron Mail: Email Queue Manager for server action #4 failed in Job #3"}}, v.Allowed)
			},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			v := judgeFile(t, filepath.Join("testdata", tc.file), tc.exit, tc.opts...)
			assert.Equal(t, tc.kinds, kinds(v))
			assert.Equal(t, len(tc.kinds) == 0, v.OK)
			assert.Equal(t, tc.module, v.FailedModule)
			if tc.validate != nil {
				tc.validate(t, v)
			}
		})
	}
}

func TestInitDBFromEitherLogger(t *testing.T) {
	for _, logger := range []string{"odoo.modules.loading", "odoo.modules.db"} {
		t.Run(logger, func(t *testing.T) {
			p := New()
			_, _ = p.WriteString("2026-03-02 10:00:00,480 7 INFO typo " + logger + ": init db \n" +
				"2026-03-02 10:00:05,905 7 INFO typo odoo.modules.registry: Registry loaded in 5.420s \n")
			v := p.Judge(0)
			assert.Equal(t, []ReasonKind{ReasonNewDatabase}, kinds(v))
		})
	}
	p := New()
	_, _ = p.WriteString("2026-03-02 10:00:00,480 7 INFO db odoo.addons.x: init db done by a module \n" +
		"2026-03-02 10:00:05,905 7 INFO db odoo.modules.registry: Registry loaded in 5.420s \n")
	assert.True(t, p.Judge(0).OK, "only Odoo's loader saying exactly \"init db\" is the trap")
}

func TestExitCodeAloneFails(t *testing.T) {
	p := New()
	_, _ = p.WriteString("2026-03-02 10:00:00,301 7 INFO db odoo.modules.loading: Loading module stock (9/40) \n")
	v := p.Judge(137) // killed: OOM, no record of why
	assert.False(t, v.OK)
	assert.Equal(t, []ReasonKind{ReasonExitCode}, kinds(v))
	assert.Equal(t, "stock", v.FailedModule, "the module still loading when the log stops")
	assert.Equal(t, "upgrade failed in module stock: odoo exited with code 137", v.Summary())
}

// The verdict must not depend on how the stream was cut into writes.
func TestChunkingDoesNotChangeTheVerdict(t *testing.T) {
	files, err := filepath.Glob("testdata/*.log")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			whole := New(WithAllow(manifestNoise))
			_, _ = whole.Write(data)
			want := whole.Judge(255)

			for _, size := range []int{1, 2, 7, 64} {
				p := New(WithAllow(manifestNoise))
				for rest := data; len(rest) > 0; {
					n := min(len(rest), 1+rng.IntN(size))
					_, _ = p.Write(rest[:n])
					rest = rest[n:]
				}
				assert.Equal(t, want, p.Judge(255), "chunks up to %d bytes", size)
			}
		})
	}
}

func TestProgressIsReportedLive(t *testing.T) {
	var seen []Progress
	p := New(WithProgress(func(pr Progress) { seen = append(seen, pr) }))
	lines := []string{
		"2026-03-02 10:00:00,301 7 INFO db odoo.modules.loading: Loading module sale (17/30) \n",
		"2026-03-02 10:00:00,302 7 INFO db odoo.modules.migration: module sale: Running migration [>17.0.1.2] pre-migrate \n",
		"2026-03-02 10:00:01,302 7 INFO db odoo.modules.loading: Module sale loaded in 1.00s, 10 queries (+10 other) \n",
		"2026-03-02 10:00:01,303 7 INFO db odoo.sql_db: nothing that moves the display \n",
	}
	for _, l := range lines {
		_, _ = p.WriteString(l)
	}
	require.Len(t, seen, 3, "one report per write that moved progress")
	assert.Equal(t, Progress{Module: "sale", Index: 17, Total: 30, At: time.Date(2026, 3, 2, 10, 0, 0, 301e6, time.UTC)}, seen[0])
	assert.Equal(t, "sale pre-migrate 17.0.1.2", seen[1].Migration)
	assert.Equal(t, Progress{Total: 30, Index: 17, Loaded: 1, At: time.Date(2026, 3, 2, 10, 0, 1, 302e6, time.UTC)}, seen[2])
	assert.Equal(t, time.Date(2026, 3, 2, 10, 0, 1, 303e6, time.UTC), p.Progress().At)
}

func TestCapsKeepMemoryFlat(t *testing.T) {
	var log bytes.Buffer
	for i := range 500 {
		log.WriteString("2026-03-02 10:00:00,301 7 ERROR db odoo.http: boom \n")
		for range 50 {
			log.WriteString("  File \"x.py\", line 1, in f\n")
		}
		_ = i
	}
	log.WriteString("2026-03-02 10:00:00,301 7 INFO db odoo.http: " + strings.Repeat("x", 1<<20) + "\n")
	log.WriteString("2026-03-02 10:00:00,302 7 ERROR db odoo.http: after the long line \n")

	p := New(WithMaxProblems(10), WithTracebackLimit(5, 1<<10))
	for rest := log.Bytes(); len(rest) > 0; {
		n := min(len(rest), 4096)
		_, _ = p.Write(rest[:n])
		rest = rest[n:]
	}
	v := p.Judge(0)
	assert.Len(t, v.Problems, 10)
	assert.Equal(t, 491, v.ProblemsDropped)
	assert.Equal(t, 5, strings.Count(v.Problems[0].Traceback, "\n")+1)
	assert.True(t, v.Problems[0].TracebackTruncated)
	assert.Contains(t, v.Reasons[0].Message, "501 ERROR")
	assert.LessOrEqual(t, cap(p.carry), 64<<10+4096, "an over-long line is not held whole")
}

func TestParseRecord(t *testing.T) {
	for _, tc := range []struct {
		line   string
		ok     bool
		level  Level
		db     string
		logger string
		msg    string
	}{
		{"2026-11-24 21:06:50,284 23854 INFO prod16 odoo.modules.loading: Loading module base (1/1) ", true, LevelInfo, "prod16", "odoo.modules.loading", "Loading module base (1/1)"},
		{"2026-11-24 21:06:50,284 23854 WARNING ? odoo: x: y", true, LevelWarning, "?", "odoo", "x: y"},
		{"2026-11-24 21:06:50,284 1 ERROR None werkzeug:", true, LevelError, "None", "werkzeug", ""},
		{"  File \"/opt/odoo/src/odoo/service/server.py\", line 1299, in preload_registries", false, 0, "", "", ""},
		{"2026-11-24 21:06:50,284 pid INFO db x: y", false, 0, "", "", ""},
		{"2026-11-24 21:06:50,284 1 NOTICE db x: y", false, 0, "", "", ""},
		{"2026-11-24 21:06:50.284 1 INFO db x: y", false, 0, "", "", ""},
		{"", false, 0, "", "", ""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			var r record
			ok := parseRecord([]byte(tc.line), &r)
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, tc.level, r.level)
			assert.Equal(t, tc.db, string(r.db))
			assert.Equal(t, tc.logger, string(r.logger))
			assert.Equal(t, tc.msg, string(r.message))
			assert.Equal(t, time.Date(2026, 11, 24, 21, 6, 50, 284e6, time.UTC), millisTime(r.at))
		})
	}
}

// A live display reads Progress while the log streams in.
func TestProgressWhileWriting(t *testing.T) {
	p := New()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			_, _ = fmt.Fprintf(p, "2026-03-02 10:00:00,301 7 INFO db odoo.modules.loading: Loading module m%d (%d/2000) \n", i, i+1)
		}
	}()
	last := 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		pr := p.Progress()
		require.GreaterOrEqual(t, pr.Index, last, "progress never goes back")
		last = pr.Index
	}
	assert.Equal(t, 2000, p.Progress().Index)
	assert.Equal(t, "m1999", p.Progress().Module)
}

func TestVerdictJSON(t *testing.T) {
	v := judgeFile(t, filepath.Join("testdata", "view-error.log"), 255)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, false, back["ok"])
	assert.Equal(t, "x_sale_report", back["failed_module"])
	migs := back["migrations"].([]any)
	assert.Equal(t, 1.5, migs[0].(map[string]any)["estimate"], "durations are seconds, as numbers")
	assert.Equal(t, "2026-03-02T10:00:00.1Z", back["start"])
	problems := back["problems"].([]any)
	require.Len(t, problems, 2)
	assert.Equal(t, "view_order_form_x", problems[1].(map[string]any)["view_xmlid"])
}
