package backup

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// safeName rejects zip entry names that would land outside the folder they
// are extracted to (zip slip) or mean different things on different systems.
func safeName(name string) error {
	switch {
	case name == "":
		return errors.New("an entry has an empty name")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("entry %q has a NUL byte in its name", name)
	case strings.Contains(name, `\`):
		return fmt.Errorf("entry %q uses backslashes; zip names are slash-separated", name)
	case strings.HasPrefix(name, "/"), len(name) > 1 && name[1] == ':':
		return fmt.Errorf("entry %q is an absolute path", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return fmt.Errorf("entry %q climbs out of the archive with \"..\"", name)
		}
	}
	return nil
}

// openZip opens and vets a zip: names, symlinks, duplicate entries, and the
// expansion ratio that marks a zip bomb. archive/zip then refuses to read
// more than an entry's declared size, so the check on declared sizes holds.
func openZip(b *Backup) (*zip.ReadCloser, error) {
	zr, err := zip.OpenReader(b.Path)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, exit.Input("backup %s: not a readable zip (%v); the file is truncated or corrupt, download it again", b.Path, err)
		}
		return nil, exit.Input("backup %s: %v", b.Path, err)
	}
	fail := func(format string, args ...any) (*zip.ReadCloser, error) {
		zr.Close()
		return nil, exit.Input("backup %s: "+format, append([]any{b.Path}, args...)...)
	}
	seen := make(map[string]bool, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		if err := safeName(f.Name); err != nil {
			return fail("%v; refusing to extract it", err)
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			return fail("entry %q is a symbolic link; an Odoo backup holds only regular files", f.Name)
		}
		clean := path.Clean(f.Name)
		if seen[clean] {
			return fail("entry %q appears twice; the archive is ambiguous", f.Name)
		}
		seen[clean] = true
		total += f.UncompressedSize64
	}
	if limit := b.limits.expansion(b.Size); total > uint64(limit) {
		return fail("its entries expand to %d bytes, more than %d times the %d-byte file (a zip bomb?); raise the expansion limit only if you trust the file",
			total, b.limits.maxExpansion, b.Size)
	}
	return zr, nil
}

func (l limits) expansion(compressed int64) int64 {
	if l.maxExpansion <= 0 {
		return 1<<63 - 1
	}
	limit := compressed * l.maxExpansion
	if limit/l.maxExpansion != compressed || limit < 0 {
		return 1<<63 - 1
	}
	return max(limit, l.floor)
}

func inspectZip(ctx context.Context, b *Backup) error {
	sum, err := hashFile(ctx, b.Path)
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	b.SHA256 = sum
	zr, err := openZip(b)
	if err != nil {
		return err
	}
	defer zr.Close()
	var dump, manifest *zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == "dump.sql":
			dump = f
		case f.Name == "manifest.json":
			manifest = f
		case strings.HasPrefix(f.Name, "filestore/") && !f.FileInfo().IsDir():
			b.Filestore.Present = true
			b.Filestore.Files++
			b.Filestore.Bytes += int64(f.UncompressedSize64)
		}
	}
	if dump == nil {
		return exit.Input("backup %s: the zip has no dump.sql; an Odoo backup zip holds dump.sql, manifest.json and filestore/", b.Path)
	}
	b.DumpPath, b.DumpKind, b.DumpSize = dump.Name, DumpPlain, int64(dump.UncompressedSize64)
	if manifest != nil {
		r, err := manifest.Open()
		if err != nil {
			return exit.Input("backup %s: manifest.json: %v", b.Path, err)
		}
		b.Manifest, err = parseManifest(r, b.Path+": manifest.json")
		r.Close()
		if err != nil {
			return err
		}
	} else {
		b.warnf("no manifest.json: the Odoo version and module list are unknown; rehearse cannot check them against the dump")
	}
	if !b.Filestore.Present {
		b.warnf("no filestore/ in the zip: attachments (invoices, images, assets) will be missing in the copy; back up with the filestore")
	}
	r, err := dump.Open()
	if err != nil {
		return exit.Input("backup %s: dump.sql: %v", b.Path, err)
	}
	defer r.Close()
	return inspectPlain(ctx, b, r, b.Path+": dump.sql")
}
