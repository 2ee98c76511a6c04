package restore

import (
	"strings"
	"testing"
)

// FuzzClassify feeds the post-data scheduler's statement reader arbitrary
// SQL and pg_dump entry types: it must never panic, and the names it
// returns come from the statement (a scheduler that invented a table
// would lock the wrong one).
func FuzzClassify(f *testing.F) {
	for _, s := range []struct{ sql, typ string }{
		{`CREATE INDEX res_partner_name_idx ON public.res_partner USING btree (name);`, "INDEX"},
		{`CREATE UNIQUE INDEX IF NOT EXISTS "x""y" ON ONLY "public"."Odd Table" (a);`, "INDEX"},
		{`ALTER TABLE ONLY public.res_partner ADD CONSTRAINT res_partner_pkey PRIMARY KEY (id);`, "CONSTRAINT"},
		{`ALTER TABLE ONLY public.res_partner ADD CONSTRAINT res_partner_company_id_fkey FOREIGN KEY (company_id) REFERENCES public.res_company(id) ON DELETE SET NULL;`, "FK CONSTRAINT"},
		{`ALTER INDEX public.p_idx ATTACH PARTITION public.c_idx;`, "INDEX ATTACH"},
		{`CREATE TRIGGER t AFTER INSERT ON public.x FOR EACH ROW EXECUTE FUNCTION f();`, "TRIGGER"},
		{`COMMENT ON TABLE public.x IS 'a; b';`, "COMMENT"},
		{`SELECT pg_catalog.setval('public.x_id_seq', 42, true);`, "SEQUENCE SET"},
		{`ALTER TABLE "`, ""},
		{`CREATE INDEX `, "INDEX"},
	} {
		f.Add(s.sql, s.typ)
	}
	f.Fuzz(func(t *testing.T, sql, entryType string) {
		kind, table, refs := classify(sql, entryType)
		if kind == notPost && (table != "" || len(refs) > 0) {
			t.Fatalf("a statement left in order names table %q refs %v", table, refs)
		}
		for _, name := range append([]string{table}, refs...) {
			if name == "" {
				continue
			}
			if bare := strings.ReplaceAll(strings.ReplaceAll(name, `"`, ""), ".", ""); !containsLetters(sql, bare) {
				t.Fatalf("name %q is not in %q", name, sql)
			}
		}
	})
}

// containsLetters says every character of name occurs in sql (a name is
// read from the statement, unquoted and case-folded by PostgreSQL rules).
func containsLetters(sql, name string) bool {
	upper := strings.ToUpper(sql)
	for _, r := range strings.ToUpper(name) {
		if !strings.ContainsRune(upper, r) {
			return false
		}
	}
	return true
}
