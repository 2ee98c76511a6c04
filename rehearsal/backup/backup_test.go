package backup_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup"
	"github.com/odoo-rehearse/rehearse/rehearsal/backup/backuptest"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func TestInspectFormats(t *testing.T) {
	dir := t.TempDir()
	d := backuptest.SQL(backuptest.Options{Partners: 5, Restrict: true})
	sqlPath := filepath.Join(dir, "prod.sql")
	require.NoError(t, os.WriteFile(sqlPath, []byte(d.SQL), 0o444))
	folder := filepath.Join(dir, "folder")
	require.NoError(t, os.MkdirAll(filepath.Join(folder, "filestore", "ab"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "dump.sql"), []byte(d.SQL), 0o444))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "manifest.json"), []byte(backuptest.Manifest("base")), 0o444))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "filestore", "ab", "abcdef"), []byte("12345"), 0o444))
	noFilestore := backuptest.Zip(t, dir, "nofs.zip", backuptest.File{Name: "dump.sql", Body: d.SQL}, backuptest.File{Name: "manifest.json", Body: backuptest.Manifest("base")})

	for _, tc := range []struct {
		name      string
		path      string
		format    backup.Format
		files     int
		bytes     int64
		manifest  bool
		warnings  []string
		noWarning string
	}{
		{"odoo zip", backuptest.OdooZip(t, dir, d), backup.FormatZip, 2, 29, true, []string{`\restrict`}, "filestore"},
		{"zip without filestore", noFilestore, backup.FormatZip, 0, 0, true, []string{"no filestore/ in the zip"}, ""},
		{"plain sql", sqlPath, backup.FormatSQL, 0, 0, false, []string{"carries no filestore"}, ""},
		{"sql.gz", backuptest.Gzip(t, dir, "prod.sql.gz", d.SQL), backup.FormatSQLGz, 0, 0, false, []string{"carries no filestore"}, ""},
		{"folder", folder, backup.FormatFolder, 1, 5, true, nil, "filestore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fileSum(t, tc.path)
			b, err := backup.Inspect(t.Context(), tc.path, backup.WithTargetPG(15))
			require.NoError(t, err)
			assert.Equal(t, tc.format, b.Format)
			assert.Equal(t, backup.DumpPlain, b.DumpKind)
			assert.Equal(t, 2, b.Tables)
			assert.Equal(t, d.Rows, b.Rows)
			assert.Equal(t, "15.18", b.PGVersion)
			assert.Equal(t, tc.files, b.Filestore.Files)
			assert.Equal(t, tc.bytes, b.Filestore.Bytes)
			assert.Equal(t, tc.manifest, b.Manifest != nil)
			assert.Len(t, b.SHA256, 64)
			if fi, _ := os.Stat(tc.path); !fi.IsDir() {
				assert.Equal(t, before, b.SHA256, "the sha256 is the file's")
			}
			for _, w := range tc.warnings {
				assert.Contains(t, strings.Join(b.Warnings, "\n"), w)
			}
			if tc.noWarning != "" {
				assert.NotContains(t, strings.Join(b.Warnings, "\n"), tc.noWarning)
			}
			assert.Equal(t, before, fileSum(t, tc.path), "inspection must not change the backup")
		})
	}
}

func TestInspectDetectsManifestDumpMismatch(t *testing.T) {
	d := backuptest.SQL(backuptest.Options{Partners: 1, Extra: `
CREATE TABLE public.ir_module_module (id integer, name character varying, state character varying);

COPY public.ir_module_module (id, name, state) FROM stdin;
1	base	installed
2	sale	installed
3	crm	uninstalled
\.

`})
	p := backuptest.Zip(t, t.TempDir(), "b.zip",
		backuptest.File{Name: "dump.sql", Body: d.SQL},
		backuptest.File{Name: "manifest.json", Body: backuptest.Manifest("base", "crm")},
		backuptest.File{Name: "filestore/ab/abcd", Body: "x"})
	b, err := backup.Inspect(t.Context(), p)
	require.NoError(t, err)
	all := strings.Join(b.Warnings, "\n")
	assert.Contains(t, all, "manifest.json lists module(s) not installed in the dump: crm")
	assert.Contains(t, all, "manifest.json does not list: sale")
	assert.Equal(t, []string{"base", "crm"}, b.Manifest.ModuleNames())
}

func TestInspectCustomArchive(t *testing.T) {
	p := filepath.Join(sharedDir(t), "odoo", "backups", "prod16.Fc.dump")
	b, err := backup.Inspect(t.Context(), p, backup.WithTargetPG(15))
	require.NoError(t, err)
	assert.Equal(t, backup.FormatCustom, b.Format)
	assert.Equal(t, backup.DumpArchive, b.DumpKind)
	assert.Equal(t, 491, b.Tables)
	assert.Equal(t, "1.14-0", b.ArchiveVersion)
	assert.Equal(t, 15, b.PGMajor())
	assert.Equal(t, fileSum(t, p), b.SHA256)
}

func TestInspectProd16Zip(t *testing.T) {
	p := filepath.Join(sharedDir(t), "odoo", "backups", "prod16.zip")
	b, err := backup.Inspect(t.Context(), p, backup.WithTargetPG(15))
	require.NoError(t, err)
	assert.Equal(t, backup.FormatZip, b.Format)
	assert.Equal(t, 491, b.Tables)
	assert.Len(t, b.Rows, 491)
	assert.Equal(t, 204, b.Filestore.Files)
	require.NotNil(t, b.Manifest)
	assert.Equal(t, "16.0", b.Manifest.MajorVersion)
	assert.Len(t, b.Manifest.Modules, 77)
	assert.True(t, b.HasRestrict)
	assert.NotContains(t, strings.Join(b.Warnings, "\n"), "mismatch", "the real manifest matches its dump")
}

// TestBadInput: every malformed backup is refused as bad input (exit 2),
// with a message naming the file and the problem, and the file unchanged.
func TestBadInput(t *testing.T) {
	good := backuptest.SQL(backuptest.Options{Partners: 3})
	cut := good.SQL[:strings.Index(good.SQL, "Partner 2")]
	manifest := backuptest.Manifest("base")

	for _, tc := range []struct {
		name string
		make func(t *testing.T, dir string) string
		want []string
	}{
		{"empty file", func(t *testing.T, dir string) string {
			return write(t, dir, "empty.zip", "")
		}, []string{"empty.zip", "empty (0 bytes)"}},
		{"unknown file type", func(t *testing.T, dir string) string {
			return write(t, dir, "photo.zip", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		}, []string{"photo.zip", "unknown file type"}},
		{"text that is not SQL", func(t *testing.T, dir string) string {
			return write(t, dir, "notes.sql", "Dear team, here is the backup.\n")
		}, []string{"notes.sql", "unknown file type"}},
		{"truncated zip", func(t *testing.T, dir string) string {
			p := backuptest.OdooZip(t, dir, good)
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			return write(t, dir, "truncated.zip", string(data[:len(data)*2/3]))
		}, []string{"truncated.zip", "not a readable zip", "truncated or corrupt"}},
		{"zip slip with ..", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "slip.zip", backuptest.File{Name: "dump.sql", Body: good.SQL}, backuptest.File{Name: "filestore/../../evil.sh", Body: "rm -rf /"})
		}, []string{"slip.zip", `"filestore/../../evil.sh"`, `climbs out`}},
		{"zip slip with an absolute path", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "abs.zip", backuptest.File{Name: "dump.sql", Body: good.SQL}, backuptest.File{Name: "/etc/cron.d/evil", Body: "x"})
		}, []string{"abs.zip", `"/etc/cron.d/evil"`, "absolute path"}},
		{"zip with a symlink", func(t *testing.T, dir string) string {
			return symlinkZip(t, dir, good.SQL)
		}, []string{"link.zip", `"filestore/ab/link"`, "symbolic link"}},
		{"folder with a symlink in the filestore", func(t *testing.T, dir string) string {
			f := filepath.Join(dir, "folder")
			require.NoError(t, os.MkdirAll(filepath.Join(f, "filestore"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(f, "dump.sql"), []byte(good.SQL), 0o444))
			require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(f, "filestore", "passwd")))
			return f
		}, []string{"filestore/passwd", "symbolic link"}},
		{"zip bomb", func(t *testing.T, dir string) string {
			return bombZip(t, dir)
		}, []string{"bomb.zip", "zip bomb"}},
		{"gzip bomb", func(t *testing.T, dir string) string {
			return backuptest.Gzip(t, dir, "bomb.sql.gz", good.SQL+strings.Repeat(" ", 80<<20))
		}, []string{"bomb.sql.gz", "gzip bomb"}},
		{"manifest not JSON", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "m.zip", backuptest.File{Name: "dump.sql", Body: good.SQL}, backuptest.File{Name: "manifest.json", Body: "{\n  \"version\": \"16.0\",\n  oops\n}"})
		}, []string{"m.zip: manifest.json", "not valid JSON", "line 3"}},
		{"manifest lacks keys", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "k.zip", backuptest.File{Name: "dump.sql", Body: good.SQL}, backuptest.File{Name: "manifest.json", Body: `{"odoo_dump": "1", "version": "16.0"}`})
		}, []string{"k.zip: manifest.json", "missing key(s) major_version, pg_version, modules"}},
		{"manifest with a wrong type", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "t.zip", backuptest.File{Name: "dump.sql", Body: good.SQL}, backuptest.File{Name: "manifest.json", Body: strings.Replace(manifest, `"pg_version": "15.0"`, `"pg_version": 15`, 1)})
		}, []string{"t.zip: manifest.json", `"pg_version"`}},
		{"zip without dump.sql", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "nodump.zip", backuptest.File{Name: "manifest.json", Body: manifest})
		}, []string{"nodump.zip", "no dump.sql"}},
		{"dump cut mid-COPY", func(t *testing.T, dir string) string {
			return backuptest.Zip(t, dir, "cut.zip", backuptest.File{Name: "dump.sql", Body: cut}, backuptest.File{Name: "manifest.json", Body: manifest})
		}, []string{"cut.zip: dump.sql", "truncated", "COPY block of public.res_partner"}},
		{"sql cut mid-statement", func(t *testing.T, dir string) string {
			return write(t, dir, "stmt.sql", good.SQL[:strings.Index(good.SQL, "CACHE 1;")])
		}, []string{"stmt.sql", "no closing semicolon"}},
		{"sql cut between statements", func(t *testing.T, dir string) string {
			return write(t, dir, "between.sql", good.SQL[:strings.Index(good.SQL, "--\n-- Name: res_partner res_partner_pkey")])
		}, []string{"between.sql", "dump complete", "cut short"}},
		{"truncated sql.gz", func(t *testing.T, dir string) string {
			p := backuptest.Gzip(t, dir, "full.sql.gz", good.SQL)
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			return write(t, dir, "half.sql.gz", string(data[:len(data)/2]))
		}, []string{"half.sql.gz", "truncated or corrupt"}},
		{"plain dump from a newer PostgreSQL", func(t *testing.T, dir string) string {
			return write(t, dir, "pg17.sql", backuptest.SQL(backuptest.Options{Partners: 1, Header: "17.2 (Debian 17.2-1)"}).SQL)
		}, []string{"pg17.sql", "PostgreSQL 17.2", "newer than the target PostgreSQL 15"}},
		{"archive from a newer pg_dump", func(t *testing.T, dir string) string {
			return write(t, dir, "pg17.dump", string(archiveHeader(16, "17.2", "17.2")))
		}, []string{"pg17.dump", "archive format 1.16", "newer than PostgreSQL 15's pg_restore"}},
		{"truncated archive", func(t *testing.T, dir string) string {
			h := archiveHeader(14, "15.18", "15.18")
			return write(t, dir, "cut.dump", string(h[:len(h)-6]))
		}, []string{"cut.dump", "truncated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := tc.make(t, dir)
			before := treeSums(t, dir)
			_, err := backup.Inspect(t.Context(), p, backup.WithTargetPG(15), backup.WithMaxExpansion(50))
			require.Error(t, err)
			assert.Equal(t, exit.CannotRun, exit.Code(err))
			var ee *exit.Error
			assert.ErrorAs(t, err, &ee)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, before, treeSums(t, dir), "nothing written, nothing changed")
		})
	}
}

func TestInspectMissingFile(t *testing.T) {
	_, err := backup.Inspect(t.Context(), filepath.Join(t.TempDir(), "nope.zip"))
	require.Error(t, err)
	assert.Equal(t, exit.CannotRun, exit.Code(err))
	assert.Contains(t, err.Error(), "nope.zip: no such file")
}

func TestWriteFilestoreTar(t *testing.T) {
	d := backuptest.SQL(backuptest.Options{Partners: 1})
	b, err := backup.Inspect(t.Context(), backuptest.OdooZip(t, t.TempDir(), d))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, b.WriteFilestore(t.Context(), &buf, "filestore/prod"))
	names := tarNames(t, &buf)
	assert.Equal(t, []string{
		"filestore/", "filestore/prod/", "filestore/prod/1c/",
		"filestore/prod/1c/1c7ef08e120b71507912699f35c87a57b165e9b9",
		"filestore/prod/8c/", "filestore/prod/8c/8c392bccccca6f16d32550295607b46d3928ac6b",
	}, names)
	require.Error(t, b.WriteFilestore(t.Context(), io.Discard, "../x"))
}

func TestOpenDumpStreamsTheSQL(t *testing.T) {
	d := backuptest.SQL(backuptest.Options{Partners: 2})
	dir := t.TempDir()
	for _, p := range []string{backuptest.OdooZip(t, dir, d), backuptest.Gzip(t, dir, "x.sql.gz", d.SQL), write(t, dir, "x.sql", d.SQL)} {
		b, err := backup.Inspect(t.Context(), p)
		require.NoError(t, err)
		r, err := b.OpenDump()
		require.NoError(t, err)
		got, err := io.ReadAll(r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		assert.Equal(t, d.SQL, string(got), p)
	}
}

// --- helpers

func sharedDir(t *testing.T) string { return backuptest.Shared(t) }

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(body), 0o444))
	return p
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	if fi.IsDir() {
		return ""
	}
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// treeSums maps every path under dir (symlinks as their target) to its sha256.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[p] = "-> " + target
		case fi.Mode().IsRegular():
			out[p] = fileSum(t, p)
		default:
			out[p] = "dir"
		}
		return nil
	}))
	return out
}

func symlinkZip(t *testing.T, dir, dump string) string {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("dump.sql")
	_, _ = w.Write([]byte(dump))
	h := &zip.FileHeader{Name: "filestore/ab/link", Method: zip.Store}
	h.SetMode(os.ModeSymlink | 0o777)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	_, _ = w.Write([]byte("/etc/passwd"))
	require.NoError(t, zw.Close())
	return write(t, dir, "link.zip", buf.String())
}

// bombZip holds one entry of 100 MiB of zeros, declared honestly: about
// 100 kB on disk.
func bombZip(t *testing.T, dir string) string {
	p := filepath.Join(dir, "bomb.zip")
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	w, err := zw.Create("dump.sql")
	require.NoError(t, err)
	zeros := make([]byte, 1<<20)
	for range 100 {
		_, err := w.Write(zeros)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return p
}

// archiveHeader is the start of a pg_dump custom archive of the given
// format minor version with no TOC entries.
func archiveHeader(minor byte, server, dumper string) []byte {
	var b bytes.Buffer
	b.WriteString("PGDMP")
	b.Write([]byte{1, minor, 0, 4, 8, 1})
	putInt := func(v int) {
		sign := byte(0)
		if v < 0 {
			sign, v = 1, -v
		}
		b.WriteByte(sign)
		_ = binary.Write(&b, binary.LittleEndian, uint32(v))
	}
	if minor >= 15 {
		b.WriteByte(0)
	} else {
		putInt(-1)
	}
	for _, v := range []int{1, 2, 3, 4, 5, 124, 0} {
		putInt(v)
	}
	for _, s := range []string{"prod", server, dumper} {
		putInt(len(s))
		b.WriteString(s)
	}
	putInt(0)
	return b.Bytes()
}

func tarNames(t *testing.T, r io.Reader) []string {
	t.Helper()
	var names []string
	tr := newTarReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		names = append(names, h.Name)
	}
	sort.Strings(names)
	return names
}
