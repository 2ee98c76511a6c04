package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

func TestRunDirHoldsEveryArtefact(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		r                          *report.Report
		verdict                    string
		tests, failures, errors    int
		failingCheckInSummary      string
		wantUpgradeEvidenceInJUnit bool
	}{
		{"passing", reporttest.Passing(), "Upgrade approved", 8 + 14, 0, 0, "", false},
		{"failing", reporttest.Failing(), "Upgrade rejected", 8 + 14, 1 + 2, 1, "posted invoices are untouched", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, report.WriteRunDir(dir, tc.r))

			// report.json reads back to the same report.
			back, err := report.Load(dir)
			require.NoError(t, err)
			assert.Equal(t, jsonOf(t, tc.r), jsonOf(t, back))
			raw := readFile(t, dir, report.JSONFile)
			assert.Contains(t, raw, `"schema": "rehearse.report/v1"`)

			// junit.xml: well-formed, one testcase per phase and per check.
			suites := parseJUnit(t, readFile(t, dir, report.JUnitFile))
			assert.Equal(t, tc.tests, suites.Tests)
			assert.Equal(t, tc.failures, suites.Failures)
			assert.Equal(t, tc.errors, suites.Errors)
			var cases int
			for _, s := range suites.Suites {
				cases += len(s.Cases)
			}
			assert.Equal(t, len(tc.r.Phases)+len(tc.r.Checks), cases)
			assert.Equal(t, tc.wantUpgradeEvidenceInJUnit, strings.Contains(readFile(t, dir, report.JUnitFile), "failing module: x_probe"))

			// summary.md: the verdict comes first.
			md := readFile(t, dir, report.MarkdownFile)
			firstLine, _, _ := strings.Cut(md, "\n")
			assert.Contains(t, firstLine, tc.verdict)
			assert.Contains(t, md, "Maintenance window (estimate)")
			assert.Contains(t, md, "| res.partner |")
			if tc.failingCheckInSummary != "" {
				assert.Contains(t, md, "### Failing checks (3)")
				assert.Contains(t, md, tc.failingCheckInSummary)
				assert.Less(t, strings.Index(md, "Failing checks"), strings.Index(md, "Before / after"))
			} else {
				assert.NotContains(t, md, "Failing checks")
			}

			// report.html: the verdict and the identities are on the page.
			html := readFile(t, dir, report.HTMLFile)
			assert.Contains(t, html, "<h1>"+tc.verdict+"</h1>")
			assert.Contains(t, html, reporttest.BackupSHA256)
			assert.Contains(t, html, reporttest.TargetImageID)
			assert.Contains(t, html, "<svg")

			// Nothing else was left in the directory (no temp files).
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			assert.ElementsMatch(t, []string{"report.json", "junit.xml", "summary.md", "report.html"}, names)
		})
	}
}

// Logs carry terminal colours, NULs, broken UTF-8 and text that looks like
// markup. JUnit must stay well-formed XML whatever a check or log says.
func TestJUnitSurvivesWeirdText(t *testing.T) {
	for _, tc := range []struct {
		name, text, visible string
	}{
		{"ansi colours", "\x1b[1;31mERROR\x1b[0m odoo.models", "ERROR odoo.models"},
		{"osc hyperlink", "\x1b]8;;http://x\x07link\x1b]8;;\x07 end", "link end"},
		{"nul and bell", "a\x00b\x07c", "abc"},
		{"vertical tab and form feed", "a\x0bb\x0cc", "abc"},
		{"cdata end", "]]> </failure><script>", "]]> </failure><script>"},
		{"invalid utf-8", "caf\xe9 \xed\xa0\x80", "caf\uFFFD \uFFFD\uFFFD\uFFFD"},
		{"non-characters", "x\uFFFEy\uFFFFz", "xyz"},
		{"c1 controls", "a\u0085b\u009bc", "abc"},
		{"carriage returns", "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"lone escape at end", "tail\x1b", "tail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reporttest.Failing()
			r.RunID = tc.text
			r.Phases[0].Name = tc.text
			r.Checks[len(r.Checks)-1].Status = report.CheckFail
			r.Checks[len(r.Checks)-1].Name = tc.text
			r.Checks[len(r.Checks)-1].Message = tc.text
			r.Checks[len(r.Checks)-1].Expected = tc.text
			r.Checks[len(r.Checks)-1].LogExcerpt = tc.text
			r.Upgrade.Tracebacks = []string{tc.text}

			var b bytes.Buffer
			require.NoError(t, report.WriteJUnit(&b, r))
			require.True(t, utf8.Valid(b.Bytes()), "junit.xml must be valid UTF-8")
			suites := parseJUnit(t, b.String())

			assert.Equal(t, tc.visible, suites.Suites[0].Cases[0].Name)
			last := lastCase(suites)
			require.NotNil(t, last.Failure)
			assert.Contains(t, last.Failure.Body, "expected: "+strings.ReplaceAll(tc.visible, "\n", "\n"))
			assert.NotContains(t, b.String(), "\x1b")
		})
	}
}

func TestMarkdownKeepsTablesAndEscapesMarkup(t *testing.T) {
	r := reporttest.Failing()
	r.Checks[len(r.Checks)-1].Name = "a | b <script>alert(1)</script> *bold*"
	r.Checks[len(r.Checks)-1].Status = report.CheckFail
	r.Checks[len(r.Checks)-1].Expected = "multi\nline `tick`"
	r.Checks[len(r.Checks)-1].LogExcerpt = "```\nbreak out of the fence\n```"
	var b bytes.Buffer
	require.NoError(t, report.WriteMarkdown(&b, r))
	md := b.String()

	assert.NotContains(t, md, "<script>")
	assert.Contains(t, md, "&lt;script&gt;")
	assert.Contains(t, md, `\*bold\*`)
	// Every row of the failing-checks table has exactly 6 cells.
	inTable := false
	for line := range strings.Lines(md) {
		line = strings.TrimRight(line, "\n")
		if strings.HasPrefix(line, "| scenario | check |") {
			inTable = true
			continue
		}
		if inTable && line == "" {
			break
		}
		if inTable {
			assert.Equal(t, 7, len(unescapedPipes.FindAllStringIndex(" "+line, -1)), "row %q", line)
		}
	}
	// Inside <summary> GitHub renders HTML, not Markdown: HTML escapes only.
	assert.Contains(t, md, "<summary>stock: pickings › a | b &lt;script&gt;alert(1)&lt;/script&gt; *bold* [after]</summary>")
	// The excerpt's own fence cannot close the block it sits in.
	assert.Contains(t, md, "````text\n```\nbreak out of the fence\n```\n````")
}

var unescapedPipes = regexp.MustCompile(`[^\\]\|`)

func TestMarkdownFitsTheStepSummary(t *testing.T) {
	r := reporttest.Many(30000)
	r.Checks[len(r.Checks)-1].Message = strings.Repeat("x", 2<<20)
	var b bytes.Buffer
	require.NoError(t, report.WriteMarkdown(&b, r))
	assert.LessOrEqual(t, b.Len(), 1<<20, "GitHub drops step summaries above 1 MiB")
	assert.True(t, strings.HasPrefix(b.String(), "## ❌ Upgrade rejected"))
	assert.Contains(t, b.String(), "more failing checks")
}

func TestHTMLEscapesAndIsSelfContained(t *testing.T) {
	r := reporttest.Failing()
	r.Checks[len(r.Checks)-1].Message = `<script>alert("x")</script><img src=http://evil/>`
	r.Checks[len(r.Checks)-1].Status = report.CheckError
	r.Modules.Added = []string{`"><iframe src="http://evil">`}
	var b bytes.Buffer
	require.NoError(t, report.WriteHTML(&b, r))
	html := b.String()

	assert.NotContains(t, html, "<script")
	assert.NotContains(t, html, "<img")
	assert.NotContains(t, html, "<iframe")
	assert.Contains(t, html, "&lt;script&gt;")
	// Hostile text is shown, never turned into a tag or an attribute.
	assert.Equal(t, 0, len(externalRef.FindAllString(html, -1)), "no tag may load anything")
}

// The page is one file: no tag loads anything, no style imports anything,
// and (for ordinary reports) no URL appears at all.
func TestHTMLIsSelfContained(t *testing.T) {
	for _, r := range []*report.Report{reporttest.Passing(), reporttest.Failing()} {
		var b bytes.Buffer
		require.NoError(t, report.WriteHTML(&b, r))
		html := b.String()
		assert.Empty(t, externalRef.FindAllString(html, -1))
		for _, ref := range []string{"url(", "@import", "http://", "https://", "<script", "<link"} {
			assert.NotContains(t, html, ref)
		}
	}
}

var externalRef = regexp.MustCompile(`<[a-zA-Z][^>]*\s(?:src|href|xlink:href|srcset|action|data)\s*=`)

func TestLoadRefusesBadReports(t *testing.T) {
	good := jsonOf(t, reporttest.Failing())
	approvedButFailing := strings.Replace(good, `"verdict": "rejected"`, `"verdict": "approved"`, 1)
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"syntax error", "{\n  \"schema\": \"rehearse.report/v1\",\n  \"run_id\": oops\n}", []string{"line 3, column", "report.json"}},
		{"truncated", good[:len(good)/2], []string{"truncated"}},
		{"unknown field", strings.Replace(good, `"run_id"`, `"run_idd": "x", "run_id"`, 1), []string{`unknown field "run_idd"`}},
		{"wrong type", strings.Replace(good, `"module_count": 77`, `"module_count": "77"`, 1), []string{"field backup.module_count", "line"}},
		{"other schema", strings.Replace(good, "rehearse.report/v1", "rehearse.report/v9", 1), []string{"field schema", "v9"}},
		{"approved but a check failed", approvedButFailing, []string{"field verdict", "approved, but"}},
		{"negative duration", strings.Replace(good, `"duration_seconds": 41.886`, `"duration_seconds": -1`, 1), []string{"non-negative"}},
		{"not json", "PK\x03\x04 a zip", []string{"line 1, column"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "report.json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			_, err := report.Load(path)
			require.Error(t, err)
			assert.Equal(t, exit.CannotRun, exit.Code(err))
			assert.Contains(t, err.Error(), path)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := report.Load(filepath.Join(t.TempDir(), "nope"))
		require.Error(t, err)
		assert.Equal(t, exit.CannotRun, exit.Code(err))
		assert.Contains(t, err.Error(), "no such report")
	})
}

func TestRewriteReplacesWholeFilesAndFailureLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, report.WriteRunDir(dir, reporttest.Many(500)))
	require.NoError(t, report.WriteRunDir(dir, reporttest.Passing()))
	back, err := report.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, report.Approved, back.Verdict, "the smaller report replaced the bigger one entirely")

	// A directory squatting on report.html makes the rename fail: the
	// error says so, and no temporary file stays behind.
	dir2 := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir2, report.HTMLFile), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir2, report.HTMLFile, "x"), nil, 0o644))
	err = report.WriteRunDir(dir2, reporttest.Passing())
	require.Error(t, err)
	assert.Equal(t, exit.CannotRun, exit.Code(err))
	matches, _ := filepath.Glob(filepath.Join(dir2, ".*tmp-*"))
	assert.Empty(t, matches)
}

func TestMaintenanceWindowEstimate(t *testing.T) {
	for _, tc := range []struct {
		upgrade, want time.Duration
	}{
		{42 * time.Second, 20 * time.Minute},                // 15 min minimum margin, rounded up
		{40 * time.Minute, time.Hour},                       // +50% = 60 min exactly
		{2 * time.Hour, 3 * time.Hour},                      // +50%
		{61 * time.Minute, 95 * time.Minute},                // 91.5 min rounded up to 95
		{29*time.Minute + 59*time.Second, 45 * time.Minute}, // 44m58.5s → 45m
	} {
		t.Run(tc.upgrade.String(), func(t *testing.T) {
			w := report.EstimateWindow(tc.upgrade)
			assert.Equal(t, tc.want, w.Estimate.Std())
			assert.Equal(t, tc.want-tc.upgrade, w.Margin.Std())
			assert.Contains(t, w.Basis, "estimate")
		})
	}
}

func TestDurationIsSecondsInJSON(t *testing.T) {
	var d report.Duration
	require.NoError(t, json.Unmarshal([]byte("41.886"), &d))
	assert.Equal(t, 41886*time.Millisecond, d.Std())
	b, err := json.Marshal(report.Duration(1500 * time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, "1.5", string(b))
	for _, bad := range []string{`"1m"`, "-2", "1e300"} {
		assert.Error(t, json.Unmarshal([]byte(bad), &d), bad)
	}
}

func TestReRenderIsIdenticalToRunDir(t *testing.T) {
	dir := t.TempDir()
	r := reporttest.Failing()
	// Clocks give nanoseconds; report.json keeps milliseconds.
	for i := range r.Phases {
		r.Phases[i].End = r.Phases[i].End.Add(time.Duration(i*12345+789) * time.Nanosecond)
		r.Phases[i].Duration = 0
	}
	r.Checks[0].Duration = report.Duration(123456789 * time.Nanosecond)
	r.Upgrade.Duration = report.Duration(41886123456 * time.Nanosecond)
	r.MaintenanceWindow = report.MaintenanceWindow{}
	require.NoError(t, report.WriteRunDir(dir, r))
	back, err := report.Load(dir)
	require.NoError(t, err)
	for _, f := range report.Formats {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, report.Render(&b, back, f))
			assert.Equal(t, readFile(t, dir, f.FileName()), b.String())
		})
	}
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, s string) junitDoc {
	t.Helper()
	// Decode token by token first: encoding/xml refuses characters that
	// XML 1.0 forbids, which is the property under test.
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "junit.xml is not well-formed")
	}
	var doc junitDoc
	require.NoError(t, xml.Unmarshal([]byte(s), &doc))
	return doc
}

func lastCase(d junitDoc) struct {
	Name    string `xml:"name,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
} {
	s := d.Suites[len(d.Suites)-1]
	return s.Cases[len(s.Cases)-1]
}

func jsonOf(t *testing.T, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.WriteJSON(&b, r))
	return b.String()
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(b)
}

// Only an approval is held to its evidence; the report of a failure is
// always readable, whatever it lacks.
func TestLoadReadsAnyFailureAsItIs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(r *report.Report)
	}{
		{"error without reasons", func(r *report.Report) { r.Verdict, r.Reasons = report.Error, nil }},
		{"rejected without checks", func(r *report.Report) { r.Checks, r.Reasons = nil, nil }},
		{"error with everything skipped", func(r *report.Report) {
			r.Verdict = report.Error
			for i := range r.Phases {
				r.Phases[i].Status = report.PhaseSkipped
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reporttest.Failing()
			tc.mutate(r)
			dir := t.TempDir()
			require.NoError(t, report.WriteRunDir(dir, r))
			back, err := report.Load(dir)
			require.NoError(t, err)
			assert.Equal(t, r.Verdict, back.Verdict)
		})
	}
}

// A secret that slipped into a log line, a fault or the upgrade command
// never reaches any file of the run directory.
func TestSecretsNeverReachTheRunDirectory(t *testing.T) {
	r := reporttest.Failing()
	r.Upgrade.Command = []string{"odoo", "--db_password", "Hunter2-cmd", "--db_password=Hunter2-eq", "-w", "Hunter2-w", "-d", "rehearsal"}
	r.Checks[len(r.Checks)-1].Status = report.CheckError
	r.Checks[len(r.Checks)-1].Message = "connect postgres://odoo:Hunter2-url@db:5432/rehearsal failed"
	r.Checks[len(r.Checks)-1].LogExcerpt = "env: PGPASSWORD=Hunter2-env HOST=db\nadmin_passwd = Hunter2-conf\n\"password\": \"Hunter2-json\""
	r.Reasons = append(r.Reasons, "ledger postgres://gate:Hunter2-reason@ledger/rehearse refused")
	r.Upgrade.Tracebacks = append(r.Upgrade.Tracebacks, "psycopg2.OperationalError: password=Hunter2-tb")
	dir := t.TempDir()
	require.NoError(t, report.WriteRunDir(dir, r))
	for _, f := range report.Formats {
		content := readFile(t, dir, f.FileName())
		assert.NotContains(t, content, "Hunter2", f.FileName())
	}
	// What is not a secret survives.
	back, err := report.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"odoo", "--db_password", "xxxxx", "--db_password=xxxxx", "-w", "xxxxx", "-d", "rehearsal"}, back.Upgrade.Command)
	assert.Contains(t, back.Checks[len(back.Checks)-1].Message, "postgres://odoo:xxxxx@db:5432/rehearsal")
	assert.Contains(t, back.Checks[len(back.Checks)-1].LogExcerpt, "HOST=db")
}
