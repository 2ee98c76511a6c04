package report

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ansiEscape matches the terminal escape sequences Odoo's coloured log
// handler and Python tracebacks put in logs: CSI (colours, cursor), OSC
// (titles, hyperlinks, ended by BEL or ST) and the two-byte escapes.
var ansiEscape = regexp.MustCompile(`\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])`)

// clean makes text from logs and from Odoo safe to put in XML, Markdown and
// HTML: escape sequences are removed (so "\x1b[31mERROR" reads "ERROR"),
// invalid UTF-8 becomes U+FFFD, and control characters that XML 1.0 forbids
// are dropped. Escaping for the target format is still the renderer's job.
func clean(s string) string {
	if s == "" {
		return s
	}
	s = ansiEscape.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune('\uFFFD')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r == '\r':
			b.WriteByte('\n')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// C0/C1 controls: invisible, and C0 ones are invalid in XML 1.0.
		case r == 0xfffe || r == 0xffff:
			// Not XML characters either.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// excerpt keeps the last n lines of a log excerpt (the end of a traceback
// is the part that names the error) and says how many were cut.
func excerpt(s string, n int) string {
	s = strings.TrimRight(clean(s), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	cut := len(lines) - n
	return "… (" + strconv.Itoa(cut) + " earlier lines cut; the full log is in the run directory)\n" + strings.Join(lines[cut:], "\n")
}
