// Package backup knows the shapes an Odoo production backup comes in (Odoo
// zip, pg_dump custom and directory archives, plain SQL, gzipped SQL, a
// folder with db.dump + manifest.json + filestore/), inspects one without
// changing it, and hands the restore engine its dump and filestore as
// streams. Inspection reads every byte once for the sha256 and refuses, as
// bad input, anything that would break a restore or write outside the
// rehearsal's own space: zip-slip names, symlinks, zip bombs, truncated
// dumps, a dump from a newer PostgreSQL than the target.
package backup

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Format is the shape of a backup.
type Format string

// The formats rehearse reads.
const (
	FormatZip       Format = "zip"       // Odoo's database manager: dump.sql, manifest.json, filestore/
	FormatCustom    Format = "custom"    // pg_dump -Fc (file starts with PGDMP)
	FormatDirectory Format = "directory" // pg_dump -Fd (a folder with toc.dat)
	FormatFolder    Format = "folder"    // a folder with db.dump (or dump.sql), manifest.json, filestore/
	FormatSQL       Format = "sql"       // plain pg_dump output
	FormatSQLGz     Format = "sql.gz"    // the same, gzipped
)

// DumpKind is how the database dump inside a backup is written.
type DumpKind string

// Plain scripts are loaded by rehearse's own engine, archives by pg_restore.
const (
	DumpPlain   DumpKind = "plain"   // SQL script with COPY blocks
	DumpArchive DumpKind = "archive" // pg_dump custom or directory archive
)

// Backup is what inspection learned about a backup.
type Backup struct {
	Path   string `json:"path"`
	Format Format `json:"format"`
	// SHA256 of the file; for a folder, of its tree (see treeHash).
	SHA256 string `json:"sha256"`
	// Size on disk in bytes (the sum of the files for a folder).
	Size int64 `json:"size"`
	// DumpSize is the size of the database dump itself, uncompressed for a
	// zip or .sql.gz.
	DumpSize int64 `json:"dump_size"`
	// DumpPath is the dump inside the backup: the zip entry name, or the
	// path of db.dump / toc.dat's folder for folders.
	DumpPath string    `json:"dump_path"`
	DumpKind DumpKind  `json:"dump_kind"`
	Manifest *Manifest `json:"manifest,omitempty"`
	// Tables is the number of tables the dump creates.
	Tables int `json:"tables"`
	// Rows is the number of rows each table's COPY block carries, for
	// plain dumps (an archive's rows are counted when restored).
	Rows      map[string]int64 `json:"rows,omitempty"`
	Filestore Filestore        `json:"filestore"`
	// PGVersion is the server version the dump was taken from, and
	// PGDumpVersion the pg_dump that wrote it.
	PGVersion     string `json:"pg_version,omitempty"`
	PGDumpVersion string `json:"pg_dump_version,omitempty"`
	// ArchiveVersion is the pg_dump archive format version (custom and
	// directory formats), e.g. "1.14-0".
	ArchiveVersion string `json:"archive_version,omitempty"`
	// Warnings are what will break or change a restore, worded for the user.
	Warnings []string `json:"warnings"`

	// Features of a plain dump the restore must handle.
	HasRestrict           bool `json:"-"`
	HasTransactionTimeout bool `json:"-"`

	archiveMinor byte
	limits       limits
}

// Filestore counts the attachments stored beside the dump.
type Filestore struct {
	Present bool  `json:"present"`
	Files   int   `json:"files"`
	Bytes   int64 `json:"bytes"`
}

// PGMajor returns the major version of the server the dump came from, 0
// when unknown.
func (b *Backup) PGMajor() int { return major(b.PGVersion) }

func major(v string) int {
	v = strings.TrimSpace(v)
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(v)
	}
	n, _ := strconv.Atoi(v[:end])
	return n
}

func (b *Backup) warnf(format string, args ...any) {
	b.Warnings = append(b.Warnings, fmt.Sprintf(format, args...))
}

// Option tunes inspection.
type Option func(*options)

type options struct {
	targetPG int
	limits   limits
}

type limits struct {
	maxExpansion int64 // uncompressed bytes per compressed byte
	floor        int64 // expansion below this many bytes is never a bomb
}

// WithTargetPG names the PostgreSQL major version the backup will be
// restored into; a dump it cannot load is refused as bad input.
func WithTargetPG(major int) Option { return func(o *options) { o.targetPG = major } }

// WithMaxExpansion bounds how many bytes a compressed byte of the backup may
// expand to (default 200; real dumps compress 5-15x). Past it, the backup is
// treated as a zip bomb.
func WithMaxExpansion(ratio int64) Option {
	return func(o *options) { o.limits.maxExpansion = ratio }
}

// Inspect reads the backup at path, never writing to it, and reports what it
// holds. Bad input (unknown type, truncated, unsafe, unreadable by the
// target PostgreSQL) is an exit.Input error naming the file and the problem.
func Inspect(ctx context.Context, path string, opts ...Option) (*Backup, error) {
	o := options{limits: limits{maxExpansion: 200, floor: 64 << 20}}
	for _, opt := range opts {
		opt(&o)
	}
	b := &Backup{Path: path, Warnings: []string{}, limits: o.limits}
	if err := detect(ctx, b); err != nil {
		return nil, err
	}
	if err := b.CheckTarget(o.targetPG); err != nil {
		return nil, err
	}
	return b, nil
}
