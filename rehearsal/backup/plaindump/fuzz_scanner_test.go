package plaindump

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzScanner feeds the dump splitter arbitrary scripts: it must never
// panic or loop, line numbers only grow, and every statement and row it
// returns is text that was in the input, in order. What restore runs is
// exactly what the dump held, or an error.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 15.18\nSET x = 1;\n" +
		"-- Name: res_partner; Type: TABLE; Schema: public; Owner: -\nCREATE TABLE public.res_partner (id integer);\n" +
		"COPY public.res_partner (id, name) FROM stdin;\n1\tA\n2\tB\\tC\n\\.\n\\restrict abc\nSELECT 'a;b' AS \"x;y\";\n" +
		"CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n/* c; */ SELECT 1; -- done\n" +
		"--\n-- PostgreSQL database dump complete\n--\n"))
	f.Add([]byte("COPY t (a) FROM stdin;\nrow without end"))
	f.Add([]byte("SELECT $$ unterminated"))
	f.Add([]byte("SELECT E'\\'';\nSELECT 1"))
	f.Add([]byte("\\.\n\\connect db\r\nCOPY \"odd\"\"name\" FROM stdin;\r\n\\.\r\n"))
	f.Add([]byte(strings.Repeat("x", 1<<16) + ";\n"))
	f.Fuzz(func(t *testing.T, dump []byte) {
		s := NewScanner(bytes.NewReader(dump))
		last := 0
		for steps := 0; ; steps++ {
			if steps > len(dump)+2 {
				t.Fatalf("more items than input bytes: the scanner loops")
			}
			it, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !strings.Contains(err.Error(), "line ") {
					t.Fatalf("error without a line: %v", err)
				}
				return
			}
			if it.Line < last || it.Line > s.Line() {
				t.Fatalf("item at line %d after line %d (read %d)", it.Line, last, s.Line())
			}
			last = it.Line
			if it.Kind == Statement && !bytes.Contains(dump, []byte(firstLine(it.SQL))) {
				t.Fatalf("statement %q is not in the input", it.SQL)
			}
			if it.Kind != Copy {
				continue
			}
			for {
				row, err := s.Row()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if !errors.Is(err, ErrTruncated) {
						t.Fatalf("a COPY block that does not end is ErrTruncated, got %v", err)
					}
					return
				}
				if !bytes.Contains(dump, row) {
					t.Fatalf("row %q is not in the input", row)
				}
			}
		}
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(line, "\r")
}
