package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"strings"
)

// GitHub refuses a job step summary above 1 MiB and shows nothing at all
// then; the summary stays well below, cutting the longest lists first.
const (
	maxSummaryBytes       = 1000 * 1024
	maxSummaryChecks      = 50
	maxSummaryCounts      = 40
	maxSummaryExcerptLine = 25
)

// WriteMarkdown renders the summary for $GITHUB_STEP_SUMMARY or a pull
// request comment: the verdict first, then what failed, the before/after
// table, phase timings and the maintenance-window estimate.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b bytes.Buffer
	renderMarkdown(&b, r, maxSummaryChecks, maxSummaryExcerptLine)
	if b.Len() > maxSummaryBytes {
		// Enormous check messages: keep the verdict and tables, drop excerpts.
		b.Reset()
		renderMarkdown(&b, r, 10, 0)
	}
	if b.Len() > maxSummaryBytes {
		cut := bytes.LastIndexByte(b.Bytes()[:maxSummaryBytes-200], '\n')
		b.Truncate(max(cut, 0))
		b.WriteString("\n\n_Summary cut to fit the step summary limit; see report.html in the run artefacts._\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func renderMarkdown(b *bytes.Buffer, r *Report, maxChecks, excerptLines int) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("## %s %s\n\n", verdictIcon(r.Verdict), verdictHeadline(r.Verdict))
	p("**%s → %s** · run `%s` · rehearse %s · %s\n\n",
		mdText(orDash(r.SourceImage.Ref)), mdText(orDash(r.TargetImage.Ref)),
		mdCode(r.RunID), mdText(r.ToolVersion), humanDuration(r.Duration()))
	if len(r.Reasons) > 0 {
		for _, reason := range r.Reasons {
			p("- %s\n", mdText(reason))
		}
		p("\n")
	}

	pass, fail, errored := r.CheckTally()
	p("Checks: **%d passed**, **%d failed**, **%d errored**.", pass, fail, errored)
	if r.Upgrade.ExitCode != nil {
		p(" Upgrade exit code **%d**, %d unexpected ERROR lines (%d allowed by pattern).",
			*r.Upgrade.ExitCode, len(r.Upgrade.ErrorLines), len(r.Upgrade.AllowedErrorLines))
	}
	p("\n\n")

	if failing := r.FailingChecks(); len(failing) > 0 {
		p("### Failing checks (%d)\n\n", len(failing))
		p("| scenario | check | when | status | expected | got |\n|---|---|---|---|---|---|\n")
		shown := failing[:min(len(failing), maxChecks)]
		for _, c := range shown {
			p("| %s | %s | %s | %s | %s | %s |\n", mdCell(c.Scenario), mdCell(checkTitleNoPhase(c)), mdCell(c.Phase),
				c.Status, mdCell(c.Expected), mdCell(c.Got))
		}
		if len(failing) > len(shown) {
			p("\n_…and %d more failing checks: see report.html or junit.xml._\n", len(failing)-len(shown))
		}
		p("\n")
		if excerptLines > 0 {
			for _, c := range shown {
				if c.Message == "" && c.LogExcerpt == "" {
					continue
				}
				p("<details><summary>%s: %s</summary>\n\n", htmlText(c.Scenario), htmlText(checkTitle(c)))
				if c.Message != "" {
					p("%s\n\n", mdText(c.Message))
				}
				if c.LogExcerpt != "" {
					p("%s\n", mdFence(excerpt(c.LogExcerpt, excerptLines)))
				}
				p("</details>\n\n")
			}
		}
	}

	if u := r.Upgrade; u.FailingModule != "" || len(u.ErrorLines) > 0 || len(u.Tracebacks) > 0 {
		p("### Upgrade log\n\n")
		if u.FailingModule != "" {
			p("Failing module: `%s`\n\n", mdCode(u.FailingModule))
		}
		if len(u.ErrorLines) > 0 {
			var lines []string
			for _, l := range u.ErrorLines[:min(len(u.ErrorLines), 20)] {
				lines = append(lines, fmt.Sprintf("%6d: %s", l.Line, l.Text))
			}
			if len(u.ErrorLines) > 20 {
				lines = append(lines, fmt.Sprintf("… and %d more", len(u.ErrorLines)-20))
			}
			p("%s\n\n", mdFence(clean(strings.Join(lines, "\n"))))
		}
		if len(u.Tracebacks) > 0 && excerptLines > 0 {
			p("<details><summary>Traceback (%d in the log)</summary>\n\n%s\n</details>\n\n", len(u.Tracebacks), mdFence(excerpt(u.Tracebacks[0], excerptLines)))
		}
	}

	if len(r.RecordCounts) > 0 {
		p("### Before / after\n\n| model | before | after | delta |\n|---|--:|--:|--:|\n")
		for _, c := range r.RecordCounts[:min(len(r.RecordCounts), maxSummaryCounts)] {
			p("| %s | %d | %d | %s |\n", mdCell(c.Model), c.Before, c.After, signed(c.Delta))
		}
		if len(r.RecordCounts) > maxSummaryCounts {
			p("\n_…and %d more models in report.html._\n", len(r.RecordCounts)-maxSummaryCounts)
		}
		p("\n")
	}

	m := r.Modules
	if m.InstalledBefore > 0 || m.InstalledAfter > 0 {
		p("### Modules\n\nInstalled: %d → %d; %d added, %d removed, %d upgraded.\n\n",
			m.InstalledBefore, m.InstalledAfter, len(m.Added), len(m.Removed), len(m.Upgraded))
		if len(m.Added) > 0 {
			p("- added: %s\n", mdList(m.Added))
		}
		if len(m.Removed) > 0 {
			p("- removed: %s\n", mdList(m.Removed))
		}
		p("\n")
	}

	if len(r.Phases) > 0 {
		p("### Phases\n\n| phase | status | duration | note |\n|---|---|--:|---|\n")
		for _, ph := range r.Phases {
			p("| %s | %s %s | %s | %s |\n", mdCell(ph.Name), phaseIcon(ph.Status), ph.Status, ph.Duration, mdCell(firstLine(ph.Reason)))
		}
		p("\n")
	}

	if mw := r.MaintenanceWindow; mw.Estimate > 0 {
		p("### Maintenance window (estimate)\n\n**about %s** — %s. Measured on this rehearsal, not a guarantee.\n\n",
			mw.Estimate, mdText(mw.Basis))
	}

	p("### Identity\n\n| | |\n|---|---|\n")
	p("| backup | %s (%s, %s, Odoo %s, PostgreSQL %s, %d modules) |\n", mdCell(r.Backup.Path), mdCell(r.Backup.Format),
		ByteSize(r.Backup.Size), mdCell(orDash(r.Backup.OdooVersion)), mdCell(orDash(r.Backup.PostgresVersion)), r.Backup.ModuleCount)
	p("| backup sha256 | `%s` |\n", mdCode(r.Backup.SHA256))
	p("| source image | %s `%s` (Odoo %s) |\n", mdCell(r.SourceImage.Ref), mdCode(r.SourceImage.ID), mdCell(orDash(r.SourceImage.OdooVersion)))
	p("| target image | %s `%s` (Odoo %s) |\n", mdCell(r.TargetImage.Ref), mdCode(r.TargetImage.ID), mdCell(orDash(r.TargetImage.OdooVersion)))
	p("| scenario set | `%s` |\n", mdCode(r.ScenarioSetDigest))
}

func verdictIcon(v Verdict) string {
	switch v {
	case Approved:
		return "✅"
	case Rejected:
		return "❌"
	default:
		return "⚠️"
	}
}

// verdictHeadline is the sentence every output opens with.
func verdictHeadline(v Verdict) string {
	switch v {
	case Approved:
		return "Upgrade approved"
	case Rejected:
		return "Upgrade rejected"
	default:
		return "Could not rehearse (no verdict on the upgrade)"
	}
}

func phaseIcon(s PhaseStatus) string {
	switch s {
	case PhasePassed:
		return "✅"
	case PhaseFailed:
		return "❌"
	default:
		return "⏭️"
	}
}

func checkTitleNoPhase(c Check) string {
	c.Phase = ""
	return checkTitle(c)
}

// mdText escapes text for Markdown outside code: GitHub renders inline
// HTML, so <, > and & become entities; Markdown's own punctuation is
// backslash-escaped so a module called *foo* stays literal.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '#', '|', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// htmlText escapes text inside an HTML element (<summary>), where GitHub
// does not process Markdown and a backslash escape would show.
func htmlText(s string) string { return html.EscapeString(clean(s)) }

// mdCell is mdText for a table cell: one line, bounded length.
func mdCell(s string) string {
	s = clean(s)
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > 160 {
		s = string([]rune(s)[:159]) + "…"
	}
	return mdText(s)
}

// mdCode is text inside a `code span`: backticks cannot be escaped there,
// so they are replaced.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ").Replace(clean(s))
}

// mdFence puts text in a fenced block whose fence is longer than any
// backtick run inside it.
func mdFence(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + "text\n" + s + "\n" + fence
}

func mdList(names []string) string {
	const maxNames = 30
	var parts []string
	for _, n := range names[:min(len(names), maxNames)] {
		parts = append(parts, "`"+mdCode(n)+"`")
	}
	if len(names) > maxNames {
		parts = append(parts, fmt.Sprintf("and %d more", len(names)-maxNames))
	}
	return strings.Join(parts, ", ")
}

func signed(n int64) string {
	if n > 0 {
		return fmt.Sprintf("+%d", n)
	}
	return fmt.Sprintf("%d", n)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ByteSize writes a size the way people read it (1.5 MiB).
func ByteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
