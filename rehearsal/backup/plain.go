package backup

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/plaindump"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// inspectSQLFile inspects a .sql or .sql.gz file in one pass that also
// computes the sha256.
func inspectSQLFile(ctx context.Context, b *Backup, gz bool) error {
	f, err := os.Open(b.Path)
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	defer f.Close()
	h := newHasher()
	var r io.Reader = io.TeeReader(ctxReader{ctx, f}, h)
	where := b.Path
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return exit.Input("backup %s: not a readable gzip file (%v)", b.Path, err)
		}
		defer zr.Close()
		zr.Multistream(true)
		r = &boundedReader{r: zr, limit: b.limits.expansion(b.Size), path: b.Path, ratio: b.limits.maxExpansion}
	}
	counted := &countingReader{r: r}
	b.DumpPath, b.DumpKind = b.Path, DumpPlain
	b.warnNoFilestore()
	if err := inspectPlain(ctx, b, counted, where); err != nil {
		return err
	}
	// Drain what the scanner left (trailing blanks) so the hash covers the file.
	if _, err := io.Copy(io.Discard, counted); err != nil {
		return plainReadError(where, err)
	}
	b.DumpSize = counted.n
	b.SHA256 = h.sum()
	return nil
}

// inspectPlain streams a plain dump once: tables, rows per table, what pg_dump
// says of itself, the features that break other loaders, and the installed
// modules to compare with the manifest.
func inspectPlain(ctx context.Context, b *Backup, r io.Reader, where string) error {
	s := plaindump.NewScanner(r)
	b.Rows = map[string]int64{}
	var modules map[string]bool
	statements := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return plainReadError(where, err)
		}
		statements++
		switch it.Kind {
		case plaindump.Meta:
			switch cmd, _, _ := strings.Cut(it.SQL, " "); cmd {
			case `\restrict`, `\unrestrict`:
				b.HasRestrict = true
			case `\connect`, `\c`:
			default:
				b.warnf("%s line %d: psql meta-command %s is not supported by rehearse's loader", where, it.Line, cmd)
			}
		case plaindump.Statement:
			if hasPrefixFold(it.SQL, "CREATE TABLE ") || hasPrefixFold(it.SQL, "CREATE UNLOGGED TABLE ") {
				b.Tables++
			}
			if hasPrefixFold(it.SQL, "SET transaction_timeout") {
				b.HasTransactionTimeout = true
			}
		case plaindump.Copy:
			installed := it.Table == "public.ir_module_module"
			var nameCol, stateCol int
			if installed {
				nameCol, stateCol = columnIndex(it.Columns, "name"), columnIndex(it.Columns, "state")
				installed = nameCol >= 0 && stateCol >= 0
				modules = map[string]bool{}
			}
			var n int64
			for {
				row, err := s.Row()
				if err == io.EOF {
					break
				}
				if err != nil {
					return plainReadError(where, err)
				}
				n++
				if installed {
					if f := fields(row); max(nameCol, stateCol) < len(f) && f[stateCol] == "installed" {
						modules[f[nameCol]] = true
					}
				}
			}
			b.Rows[it.Table] += n
		}
	}
	if statements == 0 {
		return exit.Input("backup %s: holds no SQL statement; it is not a database dump", where)
	}
	if s.Started && !s.Complete {
		return exit.Input("backup %s: pg_dump's closing line \"-- PostgreSQL database dump complete\" is missing after line %d: the dump was cut short; take or download it again",
			where, s.Line())
	}
	b.PGVersion, b.PGDumpVersion = s.DumpedFrom, s.DumpedBy
	if b.HasRestrict {
		b.warnf("the dump has psql \\restrict/\\unrestrict lines (pg_dump 2025 security releases): a psql older than those releases fails on them; rehearse skips them")
	}
	if b.HasTransactionTimeout {
		b.warnf("the dump sets transaction_timeout (pg_dump 17+), which PostgreSQL 16 and older reject; rehearse skips it on an older target")
	}
	if b.Manifest != nil && modules != nil {
		compareModules(b, modules)
	}
	return nil
}

func compareModules(b *Backup, installed map[string]bool) {
	var onlyManifest, onlyDump []string
	for m := range b.Manifest.Modules {
		if !installed[m] {
			onlyManifest = append(onlyManifest, m)
		}
	}
	for m := range installed {
		if _, ok := b.Manifest.Modules[m]; !ok {
			onlyDump = append(onlyDump, m)
		}
	}
	sort.Strings(onlyManifest)
	sort.Strings(onlyDump)
	if len(onlyManifest) > 0 {
		b.warnf("manifest/dump mismatch: manifest.json lists module(s) not installed in the dump: %s; the manifest may belong to another backup", strings.Join(onlyManifest, ", "))
	}
	if len(onlyDump) > 0 {
		b.warnf("manifest/dump mismatch: the dump has installed module(s) manifest.json does not list: %s; the manifest may belong to another backup", strings.Join(onlyDump, ", "))
	}
}

func plainReadError(where string, err error) error {
	var ee *exit.Error
	switch {
	case errors.As(err, &ee):
		return err
	case errors.Is(err, plaindump.ErrTruncated):
		return exit.Input("backup %s: %v; take or download the backup again", where, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return exit.Input("backup %s: the compressed data is truncated or corrupt (%v); download the backup again", where, err)
	}
	return exit.Input("backup %s: %v", where, err)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// columnIndex finds a column in a COPY column list ("id, name, state").
func columnIndex(cols, name string) int {
	for i, c := range strings.Split(cols, ",") {
		if strings.Trim(strings.TrimSpace(c), `"`) == name {
			return i
		}
	}
	return -1
}

// fields splits a COPY text row on tabs (escaped tabs are `\t`, never raw).
func fields(row []byte) []string {
	row = bytes.TrimRight(row, "\r\n")
	parts := bytes.Split(row, []byte{'\t'})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// boundedReader fails once more than limit bytes came out of a
// decompressor: a gzip bomb stops here instead of filling memory or disk.
type boundedReader struct {
	r     io.Reader
	n     int64
	limit int64
	ratio int64
	path  string
}

func (b *boundedReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.limit {
		return n, exit.Input("backup %s: expands to more than %d bytes, over %d times its size (a gzip bomb?); raise the expansion limit only if you trust the file",
			b.path, b.limit, b.ratio)
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
