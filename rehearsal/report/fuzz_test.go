package report_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// Whatever bytes a log or a check puts in a report, junit.xml stays
// well-formed UTF-8 XML and the HTML and Markdown renderings succeed.
// `go test` runs the seeds; `go test -fuzz FuzzRenderingsOfAnyText` explores.
func FuzzRenderingsOfAnyText(f *testing.F) {
	for _, seed := range []string{
		"", "\x00", "\x1b[31mred\x1b[0m", "\x1b]8;;x\x07", "]]>", "<![CDATA[", "\xff\xfe", "\xed\xa0\x80",
		"\uFFFE", "a\rb", "&amp;", "</testcase>", "`|`", "\x1b", "\x1b[", strings.Repeat("\n", 200),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := reporttest.Failing()
		r.RunID = s
		r.Reasons = append(r.Reasons, s)
		r.Phases[4].Reason = s
		c := &r.Checks[len(r.Checks)-1]
		c.Status, c.Name, c.Expected, c.Got, c.Message, c.LogExcerpt = report.CheckFail, s, s, s, s, s
		r.Upgrade.Tracebacks = append(r.Upgrade.Tracebacks, s)
		r.Modules.Added = append(r.Modules.Added, s)

		var b bytes.Buffer
		require.NoError(t, report.WriteJUnit(&b, r))
		require.True(t, utf8.Valid(b.Bytes()))
		dec := xml.NewDecoder(&b)
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		require.NoError(t, report.WriteHTML(io.Discard, r))
		var md bytes.Buffer
		require.NoError(t, report.WriteMarkdown(&md, r))
		require.True(t, strings.HasPrefix(md.String(), "## ❌ Upgrade rejected"))
	})
}

// report.json from anywhere never panics the reader: it loads or it is
// refused as bad input.
func FuzzParse(f *testing.F) {
	var good bytes.Buffer
	require.NoError(f, report.WriteJSON(&good, reporttest.Failing()))
	f.Add(good.Bytes())
	f.Add([]byte(`{"schema":"rehearse.report/v1"}`))
	f.Add([]byte(`{"schema":"rehearse.report/v1","run_id":"x","verdict":"approved","checks":[{"status":"pass"}],"upgrade":{"duration_seconds":1e308}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.Parse("report.json", data)
		if err != nil {
			require.Contains(t, err.Error(), "report.json")
			return
		}
		require.NoError(t, r.Validate())
		require.NoError(t, report.WriteJUnit(io.Discard, r))
		require.NoError(t, report.WriteHTML(io.Discard, r))
		require.NoError(t, report.WriteMarkdown(io.Discard, r))
	})
}
