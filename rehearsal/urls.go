package rehearsal

import (
	"net/url"
	"strings"
)

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// redactURL hides a password in a connection URL before it is shown.
func redactURL(s string) string {
	if !isURL(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(a postgres URL)"
	}
	return u.Redacted()
}
