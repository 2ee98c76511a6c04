// Package plaindump reads a plain-format pg_dump script (the dump.sql of an
// Odoo zip, a .sql or a .sql.gz) as a stream of statements, COPY blocks and
// psql meta-commands, without ever holding more than one statement or one
// row in memory. The restore engine needs the pieces apart to load COPY
// blocks concurrently and to schedule post-data statements; inspection uses
// the same reader so that what inspect reports is what restore will see.
package plaindump

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind tells what an Item is.
type Kind int

const (
	// Statement is one SQL statement ended by a semicolon.
	Statement Kind = iota
	// Copy is a `COPY ... FROM stdin;` statement; its rows follow and must be
	// read with Scanner.Row before the next call to Next.
	Copy
	// Meta is a psql meta-command line such as `\restrict KEY` or `\connect db`.
	Meta
)

func (k Kind) String() string {
	switch k {
	case Statement:
		return "statement"
	case Copy:
		return "copy"
	case Meta:
		return "meta-command"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Entry is what pg_dump says about the object that follows, in the comment
// header it writes before each TOC entry:
//
//	-- Name: res_users res_users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
//
// Type is pg_dump's own classification (TABLE, INDEX, FK CONSTRAINT, TABLE
// DATA, SEQUENCE SET, ...), far more reliable than guessing from SQL text.
type Entry struct {
	Name   string
	Type   string
	Schema string
}

// Item is one piece of the dump.
type Item struct {
	Kind  Kind
	Line  int    // line of the dump where the item starts (1-based)
	SQL   string // the statement, the COPY statement, or the meta-command line
	Entry Entry  // the pg_dump header comment before the item, if any
	// Table is the qualified table of a COPY item, as written in the dump.
	Table string
	// Columns is the column list of a COPY item, without parentheses.
	Columns string
}

// Scanner splits a dump. It is not safe for concurrent use.
type Scanner struct {
	r    *bufio.Reader
	line int // lines consumed so far

	entry    Entry
	inCopy   bool
	copyItem *Item
	copyRows int64
	long     []byte // a row longer than the reader's buffer
	stmt     []byte
	stmtLine int
	lex      lexer

	// What pg_dump wrote about itself, filled as the header goes by.
	DumpedFrom string // "15.18 (Debian 15.18-0+deb12u1)"
	DumpedBy   string
	// Complete is set once pg_dump's closing comment has been read: a
	// dump without it was cut short (disk full, killed transfer).
	Complete bool
	// Started is set when pg_dump's opening comment has been read.
	Started bool
}

// NewScanner reads a dump from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 1<<20)}
}

// Line returns the number of lines read so far.
func (s *Scanner) Line() int { return s.line }

// ErrTruncated is wrapped by errors about a dump that ends in the middle of
// a statement or a COPY block.
var ErrTruncated = errors.New("the dump is truncated")

// readLine returns the next line including its newline. The slice is valid
// until the next read. At the end of input it returns the last partial line
// (if any) and then io.EOF.
func (s *Scanner) readLine() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = s.r.ReadSlice('\n')
			s.long = append(s.long, b...)
		}
		b = s.long
	}
	if len(b) > 0 {
		s.line++
		if err == io.EOF {
			err = nil
		}
	}
	return b, err
}

// Next returns the next statement, COPY or meta-command; io.EOF at the end.
// The rows of a pending COPY item that were not read are skipped.
func (s *Scanner) Next() (*Item, error) {
	if s.inCopy {
		for {
			if _, err := s.Row(); err == io.EOF {
				break
			} else if err != nil {
				return nil, err
			}
		}
	}
	for {
		b, err := s.readLine()
		if err == io.EOF {
			if len(bytes.TrimSpace(s.stmt)) > 0 {
				return nil, fmt.Errorf("line %d: %w: the statement starting there has no closing semicolon", s.stmtLine, ErrTruncated)
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if len(s.stmt) == 0 {
			trimmed := bytes.TrimSpace(b)
			if len(trimmed) == 0 {
				continue
			}
			if bytes.HasPrefix(trimmed, []byte("--")) {
				s.headerComment(string(trimmed))
				continue
			}
			if trimmed[0] == '\\' {
				return &Item{Kind: Meta, Line: s.line, SQL: string(trimmed), Entry: s.entry}, nil
			}
			s.stmtLine = s.line
		}
		s.stmt = append(s.stmt, b...)
		if !s.lex.feed(b) {
			continue
		}
		sql := strings.TrimSpace(string(s.stmt))
		s.stmt = s.stmt[:0]
		s.lex.reset()
		it := &Item{Kind: Statement, Line: s.stmtLine, SQL: sql, Entry: s.entry}
		if table, cols, ok := copyFromStdin(sql); ok {
			it.Kind, it.Table, it.Columns = Copy, table, cols
			s.inCopy, s.copyItem, s.copyRows = true, it, 0
		}
		return it, nil
	}
}

// Row returns the next row of the current COPY block, with its newline;
// io.EOF after the block's `\.` terminator. The slice is valid until the
// next call.
func (s *Scanner) Row() ([]byte, error) {
	if !s.inCopy {
		return nil, io.EOF
	}
	b, err := s.readLine()
	if err == io.EOF {
		return nil, fmt.Errorf("line %d: %w: the COPY block of %s that starts at line %d has no \\. terminator (%d rows read)",
			s.line, ErrTruncated, s.copyItem.Table, s.copyItem.Line, s.copyRows)
	}
	if err != nil {
		return nil, err
	}
	if len(b) >= 2 && b[0] == '\\' && b[1] == '.' && len(bytes.TrimRight(b, "\r\n")) == 2 {
		s.inCopy = false
		return nil, io.EOF
	}
	if b[len(b)-1] != '\n' {
		// The last line of the input without a newline cannot be a row:
		// pg_dump ends every row with one.
		return nil, fmt.Errorf("line %d: %w: the COPY block of %s that starts at line %d ends in the middle of a row",
			s.line, ErrTruncated, s.copyItem.Table, s.copyItem.Line)
	}
	s.copyRows++
	return b, nil
}

// headerComment records pg_dump's comments that describe the dump or the
// next object.
func (s *Scanner) headerComment(c string) {
	c = strings.TrimSpace(strings.TrimPrefix(c, "--"))
	switch {
	case strings.HasPrefix(c, "Name: "), strings.HasPrefix(c, "Data for Name: "):
		s.entry = parseEntry(c)
	case strings.HasPrefix(c, "Dumped from database version "):
		s.DumpedFrom = strings.TrimPrefix(c, "Dumped from database version ")
	case strings.HasPrefix(c, "Dumped by pg_dump version "):
		s.DumpedBy = strings.TrimPrefix(c, "Dumped by pg_dump version ")
	case c == "PostgreSQL database dump complete":
		s.Complete = true
	case c == "PostgreSQL database dump":
		s.Started = true
	}
}

func parseEntry(c string) Entry {
	var e Entry
	c = strings.TrimPrefix(c, "Data for ")
	for _, part := range strings.Split(c, "; ") {
		k, v, ok := strings.Cut(part, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Name":
			e.Name = v
		case "Type":
			e.Type = v
		case "Schema":
			e.Schema = v
		}
	}
	return e
}

// copyFromStdin recognises `COPY table (cols) FROM stdin;`.
func copyFromStdin(sql string) (table, cols string, ok bool) {
	if len(sql) < 5 || !strings.EqualFold(sql[:5], "COPY ") {
		return "", "", false
	}
	body := strings.TrimSuffix(sql, ";")
	upper := strings.ToUpper(body)
	if !strings.HasSuffix(upper, " FROM STDIN") {
		return "", "", false
	}
	end := len(body) - len(" FROM stdin")
	if end < 5 {
		// "COPY FROM stdin" names no table: not a COPY pg_dump writes, and
		// slicing past it would panic (found by FuzzScanner).
		return "", "", false
	}
	head := strings.TrimSpace(body[5:end])
	if i := strings.IndexByte(head, '('); i >= 0 && strings.HasSuffix(head, ")") {
		return strings.TrimSpace(head[:i]), head[i+1 : len(head)-1], true
	}
	return head, "", true
}

// lexer follows PostgreSQL's lexical rules across the lines of one
// statement, so that a semicolon inside a string, a dollar-quoted function
// body or a comment does not end it. It is fed line by line and keeps its
// state, so a long function body is scanned once.
type lexer struct {
	state, depth int
	tag          []byte
	prev, prev2  byte // the two bytes before the current one, across feeds
	ended        bool // a terminating semicolon was seen and only blanks or comments followed
}

const (
	lexNormal = iota
	lexSingle
	lexEscaped // E'...' with backslash escapes
	lexDouble
	lexDollar
	lexLineComment
	lexBlockComment
)

func (l *lexer) reset() { *l = lexer{tag: l.tag[:0]} }

// feed scans the next line of the statement and reports whether the
// statement is complete.
func (l *lexer) feed(buf []byte) bool {
	for i := 0; i < len(buf); i++ {
		c := buf[i]
		switch l.state {
		case lexNormal:
			switch {
			case c == ';':
				l.ended = true
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			case c == '\'':
				l.ended = false
				if (l.prev == 'E' || l.prev == 'e') && !isIdent(l.prev2) {
					l.state = lexEscaped
				} else {
					l.state = lexSingle
				}
			case c == '"':
				l.ended, l.state = false, lexDouble
			case c == '-' && i+1 < len(buf) && buf[i+1] == '-':
				l.state = lexLineComment
			case c == '/' && i+1 < len(buf) && buf[i+1] == '*':
				l.state, l.depth = lexBlockComment, 1
				i++
			case c == '$' && !isIdent(l.prev):
				l.ended = false
				j := i + 1
				for j < len(buf) && isIdent(buf[j]) && !(j == i+1 && buf[j] >= '0' && buf[j] <= '9') {
					j++
				}
				if j < len(buf) && buf[j] == '$' {
					l.tag = append(l.tag[:0], buf[i:j+1]...)
					l.state = lexDollar
					i = j
					c = '$'
				}
			default:
				l.ended = false
			}
		case lexSingle:
			if c == '\'' {
				if i+1 < len(buf) && buf[i+1] == '\'' {
					i++
				} else {
					l.state = lexNormal
				}
			}
		case lexEscaped:
			if c == '\\' {
				i++
			} else if c == '\'' {
				if i+1 < len(buf) && buf[i+1] == '\'' {
					i++
				} else {
					l.state = lexNormal
				}
			}
		case lexDouble:
			if c == '"' {
				l.state = lexNormal
			}
		case lexDollar:
			if c == '$' && bytes.HasPrefix(buf[i:], l.tag) {
				i += len(l.tag) - 1
				l.state = lexNormal
			}
		case lexLineComment:
			if c == '\n' {
				l.state = lexNormal
			}
		case lexBlockComment:
			if c == '*' && i+1 < len(buf) && buf[i+1] == '/' {
				l.depth--
				i++
				if l.depth == 0 {
					l.state = lexNormal
				}
			} else if c == '/' && i+1 < len(buf) && buf[i+1] == '*' {
				l.depth++
				i++
			}
		}
		l.prev2, l.prev = l.prev, c
	}
	return l.ended && (l.state == lexNormal || l.state == lexLineComment)
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
