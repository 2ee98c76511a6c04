// Package archive reads the header and table of contents of a pg_dump
// archive (custom format `-Fc`, or the toc.dat of a directory format
// `-Fd`), so that a backup can be inspected, and refused early when the
// target's pg_restore cannot read it, without a PostgreSQL at hand.
//
// The layout follows pg_backup_archiver.c (ReadHead, ReadToc); archive
// versions 1.12 to 1.16 (PostgreSQL 9.6 to 17+) are understood.
package archive

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Format of the archive as written in its header.
type Format byte

// Archive formats (pg_backup.h ArchiveFormat).
const (
	FormatCustom    Format = 1
	FormatTar       Format = 3
	FormatDirectory Format = 5
)

// Header is what the archive says about itself.
type Header struct {
	Version       [3]byte // archive format version, e.g. 1.14.0
	IntSize       int
	OffSize       int
	Format        Format
	DBName        string
	ServerVersion string // "15.18 (Debian 15.18-0+deb12u1)"
	DumpVersion   string // pg_dump's version
}

// VersionString is the archive version as pg_restore -l prints it.
func (h Header) VersionString() string {
	return fmt.Sprintf("%d.%d-%d", h.Version[0], h.Version[1], h.Version[2])
}

// MaxReadable is the newest archive version a pg_restore of the given
// PostgreSQL major version reads. pg_restore refuses newer archives with
// "unsupported version (1.x) in file header".
func MaxReadable(pgMajor int) (minor byte) {
	switch {
	case pgMajor >= 17:
		return 16
	case pgMajor == 16:
		return 15
	case pgMajor >= 12:
		return 14
	case pgMajor >= 11:
		return 13
	default:
		return 12
	}
}

// Entry is one TOC entry.
type Entry struct {
	DumpID    int
	HadDumper bool
	Tag       string // object name, e.g. "res_users" or "res_users res_users_pkey"
	Desc      string // "TABLE", "TABLE DATA", "INDEX", "FK CONSTRAINT", ...
	Section   int
	Namespace string
	Defn      string
	CopyStmt  string
}

// TOC is a parsed archive header and table of contents.
type TOC struct {
	Header
	Entries []Entry
}

// ErrNotArchive is returned when the input does not start with PGDMP.
var ErrNotArchive = errors.New("not a pg_dump archive (no PGDMP signature)")

type reader struct {
	r   *bufio.Reader
	h   *Header
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	b, err := r.r.ReadByte()
	if err != nil {
		r.err = err
	}
	return b
}

func (r *reader) int() int {
	sign := r.byte()
	var v uint64
	for i := 0; i < r.h.IntSize; i++ {
		v |= uint64(r.byte()) << (8 * i)
	}
	if sign != 0 {
		return -int(v)
	}
	return int(v)
}

const maxString = 256 << 20 // a TOC string (a function body, a view) bigger than this is corruption

func (r *reader) str() (s string, null bool) {
	n := r.int()
	if r.err != nil {
		return "", true
	}
	if n < 0 {
		return "", true
	}
	if n > maxString {
		r.err = fmt.Errorf("string of %d bytes in the table of contents", n)
		return "", true
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = err
		return "", true
	}
	return string(b), false
}

func (r *reader) s() string { s, _ := r.str(); return s }

// Read parses the header and TOC from the start of an archive. It reads
// only the table of contents, never the data.
func Read(in io.Reader) (*TOC, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	magic := make([]byte, 5)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "PGDMP" {
		return nil, ErrNotArchive
	}
	t := &TOC{}
	r := &reader{r: br, h: &t.Header}
	t.Version[0], t.Version[1] = r.byte(), r.byte()
	if t.Version[0] > 1 || t.Version[1] > 0 {
		t.Version[2] = r.byte()
	}
	if r.err != nil {
		return nil, truncated(r.err)
	}
	if t.Version[0] != 1 || t.Version[1] < 12 {
		return nil, fmt.Errorf("archive version %s is not supported (pg_dump 9.6 or newer writes 1.12+)", t.VersionString())
	}
	t.IntSize = int(r.byte())
	t.OffSize = int(r.byte())
	t.Format = Format(r.byte())
	if r.err != nil {
		return nil, truncated(r.err)
	}
	if t.IntSize < 1 || t.IntSize > 8 || t.OffSize < 1 || t.OffSize > 8 {
		return nil, fmt.Errorf("archive header is corrupt (integer size %d, offset size %d)", t.IntSize, t.OffSize)
	}
	minor := t.Version[1]
	if minor >= 15 {
		r.byte() // compression algorithm
	} else {
		r.int() // compression level
	}
	for range 7 { // creation time: sec, min, hour, mday, mon, year, isdst
		r.int()
	}
	t.DBName = r.s()
	t.ServerVersion = r.s()
	t.DumpVersion = r.s()
	n := r.int()
	if r.err != nil {
		return nil, truncated(r.err)
	}
	if n < 0 || n > 50_000_000 {
		return nil, fmt.Errorf("archive header is corrupt (%d TOC entries)", n)
	}
	t.Entries = make([]Entry, 0, min(n, 1<<16))
	for range n {
		var e Entry
		e.DumpID = r.int()
		e.HadDumper = r.int() != 0
		r.s() // table oid
		r.s() // oid
		e.Tag = r.s()
		e.Desc = r.s()
		e.Section = r.int()
		e.Defn = r.s()
		r.s() // drop statement
		e.CopyStmt = r.s()
		e.Namespace = r.s()
		r.s() // tablespace
		if minor >= 14 {
			r.s() // table access method
		}
		if minor >= 16 {
			r.int() // relkind
		}
		r.s() // owner
		r.s() // "false": WITH OIDS, long gone
		for { // dependencies, ended by a NULL string
			if _, null := r.str(); null {
				break
			}
		}
		switch t.Format {
		case FormatCustom:
			r.byte() // data state
			for range t.OffSize {
				r.byte()
			}
		case FormatDirectory, FormatTar:
			r.s() // file name of the entry's data
		default:
			return nil, fmt.Errorf("archive format %d is not supported", t.Format)
		}
		if r.err != nil {
			return nil, truncated(r.err)
		}
		t.Entries = append(t.Entries, e)
	}
	return t, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the archive is truncated inside its table of contents")
	}
	return err
}

// Count returns how many entries have the given description.
func (t *TOC) Count(desc string) int {
	n := 0
	for _, e := range t.Entries {
		if e.Desc == desc {
			n++
		}
	}
	return n
}
