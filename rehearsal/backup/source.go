package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// OpenDump opens the plain SQL dump of a backup as a stream: the zip entry
// decompressed on the fly, the gunzipped file, or the file itself. Nothing
// is extracted to disk or read whole into memory.
func (b *Backup) OpenDump() (io.ReadCloser, error) {
	if b.DumpKind != DumpPlain {
		return nil, fmt.Errorf("backup %s: the dump is a pg_dump archive; restore it with pg_restore", b.Path)
	}
	switch b.Format {
	case FormatZip:
		zr, err := openZip(b)
		if err != nil {
			return nil, err
		}
		for _, f := range zr.File {
			if f.Name == b.DumpPath {
				r, err := f.Open()
				if err != nil {
					zr.Close()
					return nil, exit.Input("backup %s: %s: %v", b.Path, f.Name, err)
				}
				return readCloser{r, func() error { r.Close(); return zr.Close() }}, nil
			}
		}
		zr.Close()
		return nil, exit.Input("backup %s: %s disappeared since inspection", b.Path, b.DumpPath)
	case FormatSQLGz:
		f, err := os.Open(b.Path)
		if err != nil {
			return nil, err
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, exit.Input("backup %s: not a readable gzip file (%v)", b.Path, err)
		}
		bounded := &boundedReader{r: gz, limit: b.limits.expansion(b.Size), path: b.Path, ratio: b.limits.maxExpansion}
		return readCloser{bounded, func() error { gz.Close(); return f.Close() }}, nil
	default:
		return os.Open(b.DumpPath)
	}
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// WriteFilestore writes the backup's filestore as a tar stream whose entries
// sit under dir (e.g. "filestore/prod" so that, unpacked in a volume mounted
// at /var/lib/odoo, Odoo finds them at /var/lib/odoo/filestore/prod). Entry
// names were vetted at inspection and are checked again here; the stream
// holds regular files and their parent folders only, owned by uid/gid 101
// (the odoo user of the official image) so Odoo can write beside them.
func (b *Backup) WriteFilestore(ctx context.Context, w io.Writer, dir string) error {
	dir = strings.Trim(path.Clean(dir), "/")
	if err := safeName(dir); err != nil {
		return fmt.Errorf("filestore folder: %v", err)
	}
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	mkdirs := func(name string) error {
		var parts []string
		for p := path.Dir(name); p != "." && !dirs[p]; p = path.Dir(p) {
			parts = append(parts, p)
		}
		for i := len(parts) - 1; i >= 0; i-- {
			dirs[parts[i]] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: parts[i] + "/", Mode: 0o755, Uid: odooUID, Gid: odooUID, ModTime: time.Unix(0, 0)}); err != nil {
				return err
			}
		}
		return nil
	}
	add := func(rel string, size int64, r io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := safeName(rel); err != nil {
			return exit.Input("backup %s: filestore: %v", b.Path, err)
		}
		name := rel
		if dir != "." {
			name = dir + "/" + rel
		}
		if err := mkdirs(name); err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, Uid: odooUID, Gid: odooUID, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	if err := mkdirs(dir + "/x"); dir != "." && err != nil {
		return err
	}
	switch b.Format {
	case FormatZip:
		zr, err := openZip(b)
		if err != nil {
			return err
		}
		defer zr.Close()
		for _, f := range zr.File {
			rel, ok := strings.CutPrefix(f.Name, "filestore/")
			if !ok || rel == "" || f.FileInfo().IsDir() {
				continue
			}
			r, err := f.Open()
			if err != nil {
				return exit.Input("backup %s: %s: %v", b.Path, f.Name, err)
			}
			err = add(rel, int64(f.UncompressedSize64), r)
			r.Close()
			if err != nil {
				return err
			}
		}
	case FormatFolder:
		root := filepath.Join(b.Path, "filestore")
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == root {
					return nil
				}
				return err
			}
			if d.Type()&fs.ModeSymlink != 0 {
				return exit.Input("backup %s: is a symbolic link; a filestore holds only regular files", p)
			}
			if !d.Type().IsRegular() {
				return nil
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			return add(filepath.ToSlash(rel), fi.Size(), f)
		})
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

// odooUID is the uid and gid of the odoo user in the official image.
const odooUID = 101
