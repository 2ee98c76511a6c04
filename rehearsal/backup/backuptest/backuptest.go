// Package backuptest builds small, real-shaped backups for tests: a
// pg_dump-style plain script with COPY blocks and post-data, wrapped as an
// Odoo zip, a .sql, a .sql.gz or a folder. The SQL is what pg_dump 15 writes
// for a two-table Odoo-like schema, so the restore engine and PostgreSQL
// see a true dump, and the row counts are known.
package backuptest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"github.com/odoo-rehearse/rehearse/fixtures/shared"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Dump is a plain dump and what it holds.
type Dump struct {
	SQL  string
	Rows map[string]int64 // rows per qualified table
}

// Options shape the generated dump.
type Options struct {
	Partners int    // rows in res_partner
	Header   string // "Dumped from" version, default "15.18"
	Restrict bool   // write \restrict / \unrestrict like the 2025 pg_dump releases
	Extra    string // extra SQL inserted before the data section
	// CommentBytes pads each partner's comment, to make large dumps.
	CommentBytes int
}

// SQL returns a pg_dump-style plain dump.
func SQL(o Options) Dump {
	var b strings.Builder
	rows := Write(&b, o)
	return Dump{SQL: b.String(), Rows: rows}
}

// Write streams the dump SQL returns to w (large dumps never sit in
// memory) and returns the rows per table.
func Write(w io.Writer, o Options) map[string]int64 {
	if o.Header == "" {
		o.Header = "15.18"
	}
	b := bufio.NewWriterSize(w, 1<<20)
	defer b.Flush()
	b.WriteString("--\n-- PostgreSQL database dump\n--\n\n")
	if o.Restrict {
		b.WriteString("\\restrict 6wU2Xd9gNIG91QK5KB2zq1gHAoB6KCij\n\n")
	}
	fmt.Fprintf(b, "-- Dumped from database version %s\n-- Dumped by pg_dump version %s\n\n", o.Header, o.Header)
	b.WriteString(`SET statement_timeout = 0;
SET lock_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET client_min_messages = warning;

--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

--
-- Name: touch_write_date(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.touch_write_date() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.write_date := now(); -- a semicolon; inside a body
    RETURN NEW;
END;
$$;

--
-- Name: res_company; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.res_company (
    id integer NOT NULL,
    name character varying NOT NULL
);

--
-- Name: res_company_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.res_company_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: res_company_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.res_company_id_seq OWNED BY public.res_company.id;

--
-- Name: res_partner; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.res_partner (
    id integer NOT NULL,
    name character varying,
    company_id integer,
    comment text,
    write_date timestamp without time zone
);

COMMENT ON COLUMN public.res_partner.comment IS 'Notes; with ''quotes''';

--
-- Name: res_partner_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.res_partner_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.res_partner_id_seq OWNED BY public.res_partner.id;

--
-- Name: res_company id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.res_company ALTER COLUMN id SET DEFAULT nextval('public.res_company_id_seq'::regclass);

--
-- Name: res_partner id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.res_partner ALTER COLUMN id SET DEFAULT nextval('public.res_partner_id_seq'::regclass);

`)
	b.WriteString(o.Extra)
	b.WriteString(`
--
-- Data for Name: res_company; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.res_company (id, name) FROM stdin;
1	My Company
2	Tab\there; and a semicolon
\.


--
-- Data for Name: res_partner; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.res_partner (id, name, company_id, comment, write_date) FROM stdin;
`)
	pad := strings.Repeat("lorem ipsum ", o.CommentBytes/12+1)[:o.CommentBytes]
	for i := 1; i <= o.Partners; i++ {
		fmt.Fprintf(b, "%d\tPartner %d\t%d\tline one\\nline two; '$$'%s\t2024-01-0%d 10:00:00\n", i, i, 1+i%2, pad, 1+i%9)
	}
	b.WriteString(`\.


--
-- Name: res_company_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.res_company_id_seq', 2, true);

`)
	fmt.Fprintf(b, "SELECT pg_catalog.setval('public.res_partner_id_seq', %d, true);\n", max(o.Partners, 1))
	b.WriteString(`

--
-- Name: res_company res_company_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.res_company
    ADD CONSTRAINT res_company_pkey PRIMARY KEY (id);

--
-- Name: res_partner res_partner_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.res_partner
    ADD CONSTRAINT res_partner_pkey PRIMARY KEY (id);

--
-- Name: res_partner_name_index; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX res_partner_name_index ON public.res_partner USING btree (name);

--
-- Name: res_partner_name_trgm; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX res_partner_name_trgm ON public.res_partner USING gin (name public.gin_trgm_ops);

--
-- Name: res_partner res_partner_touch; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER res_partner_touch BEFORE UPDATE ON public.res_partner FOR EACH ROW EXECUTE FUNCTION public.touch_write_date();

--
-- Name: res_partner res_partner_company_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.res_partner
    ADD CONSTRAINT res_partner_company_id_fkey FOREIGN KEY (company_id) REFERENCES public.res_company(id) ON DELETE SET NULL;

--
-- PostgreSQL database dump complete
--

`)
	if o.Restrict {
		b.WriteString("\\unrestrict 6wU2Xd9gNIG91QK5KB2zq1gHAoB6KCij\n\n")
	}
	return map[string]int64{"public.res_company": 2, "public.res_partner": int64(o.Partners)}
}

// Manifest is an Odoo 16 manifest.json listing the given modules.
func Manifest(modules ...string) string {
	var m strings.Builder
	for i, name := range modules {
		if i > 0 {
			m.WriteString(",\n")
		}
		fmt.Fprintf(&m, "        %q: \"16.0.1.0\"", name)
	}
	return `{
    "odoo_dump": "1",
    "db_name": "prod",
    "version": "16.0-20230301",
    "version_info": [16, 0, 0, "final", 0, ""],
    "major_version": "16.0",
    "pg_version": "15.0",
    "modules": {
` + m.String() + `
    }
}`
}

// File is one zip entry.
type File struct {
	Name string
	Body string
}

// Zip writes a zip of the files in dir and returns its path.
func Zip(t testing.TB, dir, name string, files ...File) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.Name)
		require.NoError(t, err)
		_, err = w.Write([]byte(f.Body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o444))
	return p
}

// OdooZip writes an Odoo-style backup zip with the dump, a manifest and two
// filestore files.
func OdooZip(t testing.TB, dir string, d Dump) string {
	return Zip(t, dir, "backup.zip",
		File{"dump.sql", d.SQL},
		File{"manifest.json", Manifest("base", "web")},
		File{"filestore/1c/1c7ef08e120b71507912699f35c87a57b165e9b9", "attachment one"},
		File{"filestore/8c/8c392bccccca6f16d32550295607b46d3928ac6b", "attachment two!"},
	)
}

// Gzip writes body gzipped to dir/name.
func Gzip(t testing.TB, dir, name, body string) string {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, err := zw.Write([]byte(body))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o444))
	return p
}

// Shared returns ../shared next to the repository (real Odoo backups
// in odoo/backups), by the rule of fixtures/shared.
func Shared(t testing.TB) string {
	t.Helper()
	return filepath.Dir(filepath.Dir(shared.Path(t, "odoo/backups")))
}
