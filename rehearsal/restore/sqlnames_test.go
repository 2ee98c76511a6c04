package restore

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		sql, entry string
		kind       postKind
		table      string
		refs       []string
	}{
		{"ALTER TABLE ONLY public.res_partner\n    ADD CONSTRAINT res_partner_pkey PRIMARY KEY (id);", "CONSTRAINT", constraint, "public.res_partner", nil},
		{"ALTER TABLE ONLY public.sale_order\n    ADD CONSTRAINT sale_order_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES public.res_partner(id) ON DELETE RESTRICT;", "FK CONSTRAINT", foreignKey, "public.sale_order", []string{"public.res_partner"}},
		{`ALTER TABLE ONLY public."Odd Name" ADD CONSTRAINT "fk x" FOREIGN KEY (a) REFERENCES public."Other ""T"""(id);`, "FK CONSTRAINT", foreignKey, `public."Odd Name"`, []string{`public."Other ""T"""`}},
		{"CREATE UNIQUE INDEX res_users_login_key ON public.res_users USING btree (login);", "INDEX", index, "public.res_users", nil},
		{"CREATE INDEX IF NOT EXISTS \"idx on\" ON ONLY public.parent USING btree (a);", "INDEX", index, "public.parent", nil},
		{"CREATE TRIGGER t BEFORE UPDATE ON public.x FOR EACH ROW EXECUTE FUNCTION f();", "TRIGGER", misc, "", nil},
		{"CREATE OR REPLACE VIEW public.v AS SELECT 1;", "RULE", misc, "", nil},
		{"ALTER INDEX public.parent_pkey ATTACH PARTITION public.child_pkey;", "INDEX ATTACH", attach, "", nil},
		{"CREATE TABLE public.late (a int);", "TABLE", notPost, "", nil},
		{"INSERT INTO public.x VALUES (1);", "", notPost, "", nil},
	} {
		kind, table, refs := classify(tc.sql, tc.entry)
		assert.Equal(t, tc.kind, kind, tc.sql)
		assert.Equal(t, tc.table, table, tc.sql)
		assert.Equal(t, tc.refs, refs, tc.sql)
	}
}

func TestConstraintName(t *testing.T) {
	assert.Equal(t, "res_partner_company_id_fkey", constraintName("ALTER TABLE ONLY public.res_partner\n    ADD CONSTRAINT res_partner_company_id_fkey FOREIGN KEY (company_id) REFERENCES public.res_company(id);"))
	assert.Equal(t, `"a b"`, constraintName(`ALTER TABLE x ADD CONSTRAINT "a b" FOREIGN KEY (c) REFERENCES y(id);`))
}

func TestPgRestoreErrors(t *testing.T) {
	out := []byte(`pg_restore: while PROCESSING TOC:
pg_restore: from TOC entry 215; 1259 16390 TABLE x odoo
pg_restore: error: could not execute query: ERROR:  relation "x" already exists
Command was: CREATE TABLE public.x (
    id integer
);
pg_restore: warning: errors ignored on restore: 1
`)
	errs := pgRestoreErrors(out)
	if assert.Len(t, errs, 1) {
		assert.Equal(t, `could not execute query: ERROR:  relation "x" already exists`, errs[0].Message)
		assert.Equal(t, "CREATE TABLE public.x ( id integer );", errs[0].Statement)
	}
}
