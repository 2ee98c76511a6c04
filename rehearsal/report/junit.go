package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// JUnit XML as CI systems read it (the Jenkins/Surefire dialect GitHub,
// GitLab and Jenkins all accept): one suite for the pipeline's phases and
// one per scenario, one testcase per phase and per check.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// maxJUnitExcerptLines bounds the log excerpt of one testcase: CI pages
// choke on megabytes of log in a test result, and the full log is an
// artefact of the run.
const maxJUnitExcerptLines = 60

// WriteJUnit renders the report as JUnit XML. All text goes through
// clean, so a log full of escape sequences and NUL bytes still yields a
// well-formed document.
func WriteJUnit(w io.Writer, r *Report) error {
	out := junitSuites{Name: "rehearse " + clean(r.RunID), Time: seconds(r.Duration().Seconds())}

	phases := junitSuite{
		Name:      "rehearse.phases",
		Timestamp: timestamp(r.StartedAt),
		Properties: []junitProperty{
			{"run_id", clean(r.RunID)},
			{"verdict", string(r.Verdict)},
			{"tool_version", clean(r.ToolVersion)},
			{"backup_sha256", clean(r.Backup.SHA256)},
			{"source_image", clean(imageLabel(r.SourceImage))},
			{"target_image", clean(imageLabel(r.TargetImage))},
			{"scenario_set_digest", clean(r.ScenarioSetDigest)},
		},
	}
	var total float64
	for _, p := range r.Phases {
		c := junitCase{ClassName: "rehearse.phase", Name: clean(p.Name), Time: seconds(p.Duration.Std().Seconds())}
		total += p.Duration.Std().Seconds()
		switch p.Status {
		case PhaseFailed:
			c.Failure = &junitProblem{Message: firstLine(clean(p.Reason)), Type: "phase failed", Body: clean(p.Reason)}
			if p.Name == "upgrade" {
				c.Failure.Body = strings.TrimSpace(c.Failure.Body + "\n\n" + upgradeEvidence(&r.Upgrade))
			}
		case PhaseSkipped:
			c.Skipped = &junitProblem{Message: clean(p.Reason)}
		}
		phases.add(c)
	}
	phases.Time = seconds(total)
	out.Suites = append(out.Suites, phases)

	index := map[string]int{}
	for _, ch := range r.Checks {
		name := "scenario." + clean(ch.Scenario)
		i, ok := index[name]
		if !ok {
			i = len(out.Suites)
			index[name] = i
			out.Suites = append(out.Suites, junitSuite{Name: name, Timestamp: timestamp(r.StartedAt)})
		}
		c := junitCase{
			ClassName: name + "." + clean(ch.Phase),
			Name:      clean(checkTitle(ch)),
			Time:      seconds(ch.Duration.Std().Seconds()),
		}
		problem := &junitProblem{Message: firstLine(clean(checkMessage(ch))), Body: checkEvidence(ch)}
		switch ch.Status {
		case CheckFail:
			problem.Type = "check failed"
			c.Failure = problem
		case CheckError:
			problem.Type = "check error"
			c.Error = problem
		}
		out.Suites[i].add(c)
	}
	for i := range out.Suites {
		s := &out.Suites[i]
		if s.Time == "" {
			var t float64
			for _, c := range s.Cases {
				f, _ := strconv.ParseFloat(c.Time, 64)
				t += f
			}
			s.Time = seconds(t)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// checkTitle names a check the way people scan a list of them.
func checkTitle(c Check) string {
	parts := make([]string, 0, 3)
	for _, p := range []string{c.Step, c.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	title := strings.Join(parts, " › ")
	if c.Phase != "" {
		title += " [" + c.Phase + "]"
	}
	return title
}

func checkMessage(c Check) string {
	if c.Message != "" {
		return c.Message
	}
	if c.Expected != "" || c.Got != "" {
		return "expected " + c.Expected + ", got " + c.Got
	}
	return string(c.Status)
}

// checkEvidence is the body of a failure: what was expected, what came
// back, and the end of the log around it.
func checkEvidence(c Check) string {
	var b strings.Builder
	if c.Message != "" {
		b.WriteString(clean(c.Message) + "\n\n")
	}
	if c.Expected != "" || c.Got != "" {
		b.WriteString("expected: " + clean(c.Expected) + "\n")
		b.WriteString("got:      " + clean(c.Got) + "\n")
	}
	if c.LogExcerpt != "" {
		b.WriteString("\nlog excerpt:\n" + excerpt(c.LogExcerpt, maxJUnitExcerptLines) + "\n")
	}
	return b.String()
}

func upgradeEvidence(u *Upgrade) string {
	var b strings.Builder
	if u.ExitCode != nil {
		fmt.Fprintf(&b, "exit code: %d\n", *u.ExitCode)
	}
	if u.FailingModule != "" {
		fmt.Fprintf(&b, "failing module: %s\n", clean(u.FailingModule))
	}
	for _, l := range u.ErrorLines {
		fmt.Fprintf(&b, "log line %d: %s\n", l.Line, clean(l.Text))
	}
	for _, tb := range u.Tracebacks {
		b.WriteString("\n" + excerpt(tb, maxJUnitExcerptLines) + "\n")
	}
	return b.String()
}

func imageLabel(i Image) string {
	switch {
	case i.Ref != "" && i.ID != "":
		return i.Ref + " (" + i.ID + ")"
	case i.ID != "":
		return i.ID
	default:
		return i.Ref
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}
