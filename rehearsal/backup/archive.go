package backup

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/odoo-rehearse/rehearse/rehearsal/backup/archive"
	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

func inspectCustom(ctx context.Context, b *Backup) error {
	sum, err := hashFile(ctx, b.Path)
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	b.SHA256 = sum
	b.DumpPath, b.DumpKind, b.DumpSize = b.Path, DumpArchive, b.Size
	b.warnNoFilestore()
	return readTOC(b, b.Path, b.Path)
}

func readTOC(b *Backup, file, where string) error {
	f, err := os.Open(file)
	if err != nil {
		return exit.Input("backup %s: %v", where, err)
	}
	defer f.Close()
	toc, err := archive.Read(f)
	if err != nil {
		return exit.Input("backup %s: %v; take or download the backup again", where, err)
	}
	b.Tables = toc.Count("TABLE")
	b.PGVersion, b.PGDumpVersion = toc.ServerVersion, toc.DumpVersion
	b.ArchiveVersion = toc.VersionString()
	b.archiveMinor = toc.Version[1]
	return nil
}

// inspectFolder reads a pg_dump directory archive (toc.dat), or a folder
// laid out like an unpacked Odoo backup.
func inspectFolder(ctx context.Context, b *Backup) error {
	sum, size, err := treeHash(ctx, b.Path)
	if err != nil {
		return exit.Input("backup %s: %v", b.Path, err)
	}
	b.SHA256, b.Size = sum, size
	if isFile(filepath.Join(b.Path, "toc.dat")) {
		b.Format, b.DumpPath, b.DumpKind, b.DumpSize = FormatDirectory, b.Path, DumpArchive, size
		b.warnNoFilestore()
		return readTOC(b, filepath.Join(b.Path, "toc.dat"), filepath.Join(b.Path, "toc.dat"))
	}
	b.Format = FormatFolder
	manifest := filepath.Join(b.Path, "manifest.json")
	if isFile(manifest) {
		f, err := os.Open(manifest)
		if err != nil {
			return exit.Input("backup %s: %v", manifest, err)
		}
		b.Manifest, err = parseManifest(f, manifest)
		f.Close()
		if err != nil {
			return err
		}
	} else {
		b.warnf("no manifest.json: the Odoo version and module list are unknown")
	}
	if err := countFilestore(b, filepath.Join(b.Path, "filestore")); err != nil {
		return err
	}
	for _, name := range []string{"db.dump", "dump.sql"} {
		p := filepath.Join(b.Path, name)
		if !isFile(p) {
			continue
		}
		fi, _ := os.Stat(p)
		b.DumpPath, b.DumpSize = p, fi.Size()
		head, err := readHead(p, 4096)
		if err != nil {
			return exit.Input("backup %s: %v", p, err)
		}
		switch {
		case len(head) == 0:
			return exit.Input("backup %s: the dump is empty (0 bytes)", p)
		case string(head[:min(5, len(head))]) == "PGDMP":
			b.DumpKind = DumpArchive
			return readTOC(b, p, p)
		case looksLikeSQL(head):
			b.DumpKind = DumpPlain
			f, err := os.Open(p)
			if err != nil {
				return exit.Input("backup %s: %v", p, err)
			}
			defer f.Close()
			return inspectPlain(ctx, b, f, p)
		}
		return exit.Input("backup %s: unknown dump type (neither a pg_dump archive nor SQL)", p)
	}
	return exit.Input("backup %s: a folder backup needs toc.dat (pg_dump -Fd) or db.dump / dump.sql beside manifest.json and filestore/", b.Path)
}

func countFilestore(b *Backup, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		b.warnf("no filestore/ folder: attachments (invoices, images, assets) will be missing in the copy")
		return nil
	}
	b.Filestore.Present = true
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return exit.Input("backup %s: %v", p, err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return exit.Input("backup %s: is a symbolic link; a filestore holds only regular files", p)
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return exit.Input("backup %s: %v", p, err)
			}
			b.Filestore.Files++
			b.Filestore.Bytes += fi.Size()
		}
		return nil
	})
}

func isFile(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode().IsRegular()
}

// CheckTarget refuses, as bad input, a backup that a PostgreSQL of the
// given major version cannot load; 0 checks nothing.
func (b *Backup) CheckTarget(pgMajor int) error {
	if pgMajor <= 0 {
		return nil
	}
	if b.DumpKind == DumpArchive && b.archiveMinor > archive.MaxReadable(pgMajor) {
		return exit.Input("backup %s: archive format %s (from pg_dump %s) is newer than PostgreSQL %d's pg_restore reads; rehearse with a PostgreSQL image of version %d or newer",
			b.Path, b.ArchiveVersion, b.PGDumpVersion, pgMajor, max(b.PGMajor(), major(b.PGDumpVersion)))
	}
	if m := b.PGMajor(); m > pgMajor {
		return exit.Input("backup %s: dumped from PostgreSQL %s, newer than the target PostgreSQL %d; a dump does not load into an older server reliably: rehearse with a PostgreSQL %d image",
			b.Path, b.PGVersion, pgMajor, m)
	}
	if b.HasTransactionTimeout && pgMajor < 17 {
		// Restore skips the statement; say so where the user looks.
		b.warnf("target PostgreSQL %d: SET transaction_timeout will be skipped", pgMajor)
	}
	return nil
}

// warnNoFilestore is for formats that carry only the database.
func (b *Backup) warnNoFilestore() {
	b.warnf("a %s backup carries no filestore: attachments (invoices, images, assets) will be missing in the copy; an Odoo zip backup includes them", b.Format)
}
