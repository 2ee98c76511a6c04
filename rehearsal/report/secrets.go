package report

import "regexp"

// Secrets must never reach a report, yet free text from logs, faults and
// commands can carry them: a connection URL with its password, an
// `--db_password=...` argument, a PGPASSWORD=... environment dump. Normalize
// passes every free-text field through scrub before anything is rendered or
// written. It is a net under the pipeline, not a licence to log secrets.
var (
	urlPassword = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@`)
	keyPassword = regexp.MustCompile(`(?i)(\b[a-z_]*(?:password|passwd|secret|token)\b["']?\s*(?:=|:)\s*["']?)[^\s"',;&]+`)
	argPassword = regexp.MustCompile(`(?i)^--?(?:db_password|password|w)$`)
)

const redacted = "xxxxx"

func scrub(s string) string {
	if s == "" {
		return s
	}
	s = urlPassword.ReplaceAllString(s, "${1}"+redacted+"@")
	return keyPassword.ReplaceAllString(s, "${1}"+redacted)
}

// scrubCommand also hides the value that follows a password flag given
// as two arguments (odoo --db_password SECRET).
func scrubCommand(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if i > 0 && argPassword.MatchString(args[i-1]) {
			out[i] = redacted
			continue
		}
		out[i] = scrub(a)
	}
	return out
}

func (r *Report) scrubSecrets() {
	r.Reasons = scrubAll(r.Reasons)
	for i := range r.Phases {
		r.Phases[i].Reason = scrub(r.Phases[i].Reason)
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		c.Expected, c.Got, c.Message, c.LogExcerpt = scrub(c.Expected), scrub(c.Got), scrub(c.Message), scrub(c.LogExcerpt)
	}
	r.Upgrade.Command = scrubCommand(r.Upgrade.Command)
	for i := range r.Upgrade.ErrorLines {
		r.Upgrade.ErrorLines[i].Text = scrub(r.Upgrade.ErrorLines[i].Text)
	}
	for i := range r.Upgrade.AllowedErrorLines {
		r.Upgrade.AllowedErrorLines[i].Text = scrub(r.Upgrade.AllowedErrorLines[i].Text)
	}
	r.Upgrade.Tracebacks = scrubAll(r.Upgrade.Tracebacks)
	r.Backup.Path = scrub(r.Backup.Path)
	r.SourceImage.Ref, r.TargetImage.Ref = scrub(r.SourceImage.Ref), scrub(r.TargetImage.Ref)
}

func scrubAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = scrub(s)
	}
	return ss
}
