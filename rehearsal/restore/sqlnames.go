package restore

import (
	"strings"
)

// What the post-data scheduler needs to know of a statement: which tables
// it locks, and how hard. Names are compared as pg_dump writes them
// (schema-qualified, quoted when needed), which is consistent within a dump.

// readName reads a possibly qualified, possibly quoted SQL name at the
// start of s and returns it and the rest.
func readName(s string) (name, rest string) {
	s = strings.TrimLeft(s, " \t\r\n")
	i := 0
	for i < len(s) {
		if s[i] == '"' {
			j := i + 1
			for j < len(s) {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
			continue
		}
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ';' || c == ',' {
			break
		}
		i++
	}
	if i > len(s) {
		i = len(s)
	}
	return s[:i], s[i:]
}

// skipWords drops the given keywords, in order, when present.
func skipWords(s string, words ...string) string {
	for _, w := range words {
		t := strings.TrimLeft(s, " \t\r\n")
		if len(t) > len(w) && strings.EqualFold(t[:len(w)], w) && (t[len(w)] == ' ' || t[len(w)] == '\n' || t[len(w)] == '\t') {
			s = t[len(w):]
		}
	}
	return s
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// postKind classifies a statement of the post-data section.
type postKind int

const (
	notPost    postKind = iota
	constraint          // ALTER TABLE ... ADD CONSTRAINT (primary key, unique, check, exclude)
	index               // CREATE [UNIQUE] INDEX
	foreignKey          // ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY
	attach              // ALTER INDEX ... ATTACH PARTITION: after indexes, before foreign keys
	misc                // triggers, rules, comments, policies, ACLs: last, in dump order
)

// miscTypes are pg_dump TOC types of the post-data section (and what
// follows it) that the loader runs last, in dump order.
var miscTypes = map[string]bool{
	"TRIGGER": true, "RULE": true, "POLICY": true, "ROW SECURITY": true, "COMMENT": true,
	"MATERIALIZED VIEW DATA": true, "EVENT TRIGGER": true, "PUBLICATION": true,
	"PUBLICATION TABLE": true, "PUBLICATION TABLES IN SCHEMA": true, "SUBSCRIPTION": true,
	"STATISTICS": true, "ACL": true, "DEFAULT ACL": true, "SECURITY LABEL": true,
}

// classify tells how a statement that comes after the data section is
// scheduled; notPost means it must run in order, after the data loaded so
// far (a hand-written dump may create a table between COPY blocks).
func classify(sql, entryType string) (kind postKind, table string, refs []string) {
	switch {
	case hasPrefixFold(sql, "CREATE INDEX "), hasPrefixFold(sql, "CREATE UNIQUE INDEX "):
		rest := skipWords(sql, "CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", "IF NOT EXISTS")
		_, rest = readName(rest) // index name
		rest = skipWords(rest, "ON", "ONLY")
		table, _ = readName(rest)
		return index, table, nil
	case hasPrefixFold(sql, "ALTER TABLE ") && containsFold(sql, " ADD CONSTRAINT "):
		table, _ = readName(skipWords(sql, "ALTER", "TABLE", "ONLY"))
		if i := indexFold(sql, " FOREIGN KEY "); i >= 0 {
			if j := indexFold(sql[i:], " REFERENCES "); j >= 0 {
				ref, _ := readName(sql[i+j+len(" REFERENCES "):])
				refs = []string{ref}
			}
			return foreignKey, table, refs
		}
		return constraint, table, nil
	case hasPrefixFold(sql, "ALTER INDEX ") && containsFold(sql, " ATTACH PARTITION "):
		return attach, "", nil
	case miscTypes[entryType]:
		return misc, "", nil
	case hasPrefixFold(sql, "CREATE TRIGGER "), hasPrefixFold(sql, "CREATE CONSTRAINT TRIGGER "),
		hasPrefixFold(sql, "CREATE RULE "), hasPrefixFold(sql, "CREATE POLICY "),
		hasPrefixFold(sql, "COMMENT ON "), hasPrefixFold(sql, "GRANT "), hasPrefixFold(sql, "REVOKE "),
		hasPrefixFold(sql, "REFRESH MATERIALIZED VIEW "):
		return misc, "", nil
	}
	return notPost, "", nil
}

func indexFold(s, sub string) int { return strings.Index(strings.ToUpper(s), strings.ToUpper(sub)) }

func containsFold(s, sub string) bool { return indexFold(s, sub) >= 0 }
