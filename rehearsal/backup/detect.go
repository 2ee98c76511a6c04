package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// detect finds the format of b.Path from its content, never its name, and
// inspects it accordingly.
func detect(ctx context.Context, b *Backup) error {
	fi, err := os.Lstat(b.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return exit.Input("backup %s: no such file or folder", b.Path)
	}
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// A symlink given on the command line is the user's choice; follow it.
		if fi, err = os.Stat(b.Path); err != nil {
			return exit.Input("backup %s: %v", b.Path, err)
		}
	}
	if fi.IsDir() {
		return inspectFolder(ctx, b)
	}
	if !fi.Mode().IsRegular() {
		return exit.Input("backup %s: not a regular file or folder", b.Path)
	}
	b.Size = fi.Size()
	if b.Size == 0 {
		return exit.Input("backup %s: the file is empty (0 bytes); the download or copy of the backup did not complete", b.Path)
	}
	head, err := readHead(b.Path, 4096)
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		b.Format = FormatZip
		return inspectZip(ctx, b)
	case bytes.HasPrefix(head, []byte("PGDMP")):
		b.Format = FormatCustom
		return inspectCustom(ctx, b)
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		b.Format = FormatSQLGz
		return inspectSQLFile(ctx, b, true)
	case looksLikeSQL(head):
		b.Format = FormatSQL
		return inspectSQLFile(ctx, b, false)
	}
	return exit.Input("backup %s: unknown file type (not an Odoo zip, a pg_dump archive, SQL or gzipped SQL); give the file Odoo's database manager or pg_dump produced", b.Path)
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return buf[:m], nil
}

// looksLikeSQL accepts text whose first token, past comments, is one a SQL
// dump starts with.
func looksLikeSQL(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// The head may cut a multi-byte rune; drop up to 3 trailing bytes.
	for i := 0; i < 4 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	if !utf8.Valid(head) {
		return false
	}
	rest := head
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if bytes.HasPrefix(rest, []byte("--")) {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				return len(rest) == len(head) // only a comment fits the head: accept a long header
			}
			rest = rest[i+1:]
			continue
		}
		break
	}
	word := rest
	if i := bytes.IndexAny(word, " \t\r\n;("); i >= 0 {
		word = word[:i]
	}
	switch string(bytes.ToUpper(word)) {
	case "SET", "SELECT", "CREATE", "ALTER", "COPY", "INSERT", "BEGIN", "START", "COMMENT", "DROP", "GRANT", "REVOKE",
		`\RESTRICT`, `\CONNECT`, `\C`, `\SET`:
		return true
	}
	return len(rest) == 0 && len(head) > 0
}

// hashFile streams the file through sha256.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// treeHash is the sha256 of a folder backup: over every regular file in
// lexical path order, the relative slash path, a NUL, the size in decimal,
// a NUL, and the content. Renaming, moving, or changing any file changes it.
func treeHash(ctx context.Context, root string) (sum string, size int64, err error) {
	h := sha256.New()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link; a backup folder must hold only regular files", p)
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		rel, _ := filepath.Rel(root, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), fi.Size())
		n, err := io.Copy(h, ctxReader{ctx, f})
		size += n
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), size, err
}
