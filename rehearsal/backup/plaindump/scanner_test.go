package plaindump_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/plaindump"
)

type got struct {
	Kind  plaindump.Kind
	Line  int
	SQL   string
	Type  string
	Table string
	Rows  []string
}

func scan(t *testing.T, dump string) ([]got, error) {
	t.Helper()
	s := plaindump.NewScanner(strings.NewReader(dump))
	var out []got
	for {
		it, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		g := got{Kind: it.Kind, Line: it.Line, SQL: it.SQL, Type: it.Entry.Type, Table: it.Table}
		if it.Kind == plaindump.Copy {
			for {
				row, err := s.Row()
				if err == io.EOF {
					break
				}
				if err != nil {
					return out, err
				}
				g.Rows = append(g.Rows, string(row))
			}
		}
		out = append(out, g)
	}
}

func TestScannerSplitsLikePostgres(t *testing.T) {
	for _, tc := range []struct {
		name string
		dump string
		want []got
	}{
		{"semicolons in strings, identifiers and comments", "SELECT 'a;b', \"x;y\" -- c;\n, 1;\nSELECT 2; -- trailing\n",
			[]got{{Kind: plaindump.Statement, Line: 1, SQL: "SELECT 'a;b', \"x;y\" -- c;\n, 1;"}, {Kind: plaindump.Statement, Line: 3, SQL: "SELECT 2; -- trailing"}}},
		{"doubled quotes and E-strings", "SELECT 'it''s;', E'\\';still', 'end';\n",
			[]got{{Kind: plaindump.Statement, Line: 1, SQL: "SELECT 'it''s;', E'\\';still', 'end';"}}},
		{"dollar quotes with tags", "CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN; RETURN 1; $x$ END;\n$body$;\nSELECT $1;\n",
			[]got{{Kind: plaindump.Statement, Line: 1, SQL: "CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN; RETURN 1; $x$ END;\n$body$;"}, {Kind: plaindump.Statement, Line: 4, SQL: "SELECT $1;"}}},
		{"nested block comments", "SELECT /* a /* b; */ c; */ 1;\n",
			[]got{{Kind: plaindump.Statement, Line: 1, SQL: "SELECT /* a /* b; */ c; */ 1;"}}},
		{"meta-commands and pg_dump headers", "\\restrict KEY\n--\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE public.t (a int);\n\\unrestrict KEY\n",
			[]got{{Kind: plaindump.Meta, Line: 1, SQL: "\\restrict KEY"}, {Kind: plaindump.Statement, Line: 6, SQL: "CREATE TABLE public.t (a int);", Type: "TABLE"}, {Kind: plaindump.Meta, Line: 7, SQL: "\\unrestrict KEY", Type: "TABLE"}}},
		{"COPY rows with escapes", "-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: -\nCOPY public.t (a, b) FROM stdin;\n1\tx\\ny;\n2\t\\.not-end\n\\.\nSELECT 1;\n",
			[]got{{Kind: plaindump.Copy, Line: 2, SQL: "COPY public.t (a, b) FROM stdin;", Type: "TABLE DATA", Table: "public.t", Rows: []string{"1\tx\\ny;\n", "2\t\\.not-end\n"}}, {Kind: plaindump.Statement, Line: 6, SQL: "SELECT 1;", Type: "TABLE DATA"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := scan(t, tc.dump)
			require.NoError(t, err)
			assert.Equal(t, tc.want, out)
		})
	}
}

func TestScannerRowLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	out, err := scan(t, "COPY public.a (b) FROM stdin;\n"+long+"\n\\.\n")
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Len(t, out[0].Rows, 1)
	assert.Equal(t, long+"\n", out[0].Rows[0])
}

func TestScannerTruncation(t *testing.T) {
	for _, tc := range []struct{ name, dump, want string }{
		{"cut inside a COPY block", "COPY public.a (b) FROM stdin;\n1\n2\n", "COPY block of public.a that starts at line 1 has no \\. terminator (2 rows read)"},
		{"cut inside a row", "COPY public.a (b) FROM stdin;\n1\n2", "ends in the middle of a row"},
		{"cut inside a statement", "SELECT 1;\nCREATE TABLE x (\n  a int", "line 2: the dump is truncated: the statement starting there has no closing semicolon"},
		{"cut inside a dollar quote", "CREATE FUNCTION f() AS $$ SELECT 1; ", "no closing semicolon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scan(t, tc.dump)
			require.Error(t, err)
			assert.True(t, errors.Is(err, plaindump.ErrTruncated))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
