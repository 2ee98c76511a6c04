package approval

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// Store keeps approvals. Stores only ever add: an approval is evidence,
// and evidence is not edited.
type Store interface {
	Put(ctx context.Context, a *Approval) error
	// All returns every stored approval with where it came from; the
	// verifier decides which to trust.
	All(ctx context.Context) ([]Stored, error)
	Close() error
}

// Stored is an approval as read back, or the reason it could not be read.
type Stored struct {
	Source   string // file path or ledger row
	Approval *Approval
	Err      error
}

// DefaultStoreDir is where approvals go when neither --store nor
// $REHEARSE_APPROVAL_STORE says otherwise.
const DefaultStoreDir = ".rehearse/approvals"

// DefaultStore returns $REHEARSE_APPROVAL_STORE, else DefaultStoreDir.
func DefaultStore() string {
	if s := os.Getenv("REHEARSE_APPROVAL_STORE"); s != "" {
		return s
	}
	return DefaultStoreDir
}

// OpenStore opens a store from its spec: a postgres:// or postgresql://
// URL for a team's ledger, otherwise a directory.
func OpenStore(ctx context.Context, spec string) (Store, error) {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		return OpenLedger(ctx, spec)
	}
	if spec == "" {
		spec = DefaultStoreDir
	}
	if fi, err := os.Stat(spec); err == nil && fi.Mode().IsRegular() {
		return FileStore{Path: spec}, nil
	}
	return DirStore{Dir: spec}, nil
}

// DirStore keeps one file per approval in a directory.
type DirStore struct{ Dir string }

// Put writes the approval under a new name; it never replaces a file.
func (s DirStore) Put(_ context.Context, a *Approval) error {
	data, err := a.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("approval store %s: %v", s.Dir, err)
	}
	// Time first so a listing reads in order; random last so concurrent
	// writers never collide.
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + safeName(a.KeyID) + "-" + rand.Text()[:8] + ".json"
	if err := report.WriteFileNew(filepath.Join(s.Dir, name), data, 0o644); err != nil {
		return fmt.Errorf("approval store %s: %v", s.Dir, err)
	}
	return nil
}

// All reads every *.json file of the directory. A file that is not an
// approval is returned with its error, so verify can say why it did not
// count.
func (s DirStore) All(_ context.Context) ([]Stored, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("approval store %s does not exist (give --store, or run a rehearsal that writes there)", s.Dir)
		}
		return nil, fmt.Errorf("approval store %s: %v", s.Dir, err)
	}
	var out []Stored
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(s.Dir, e.Name())
		data, err := os.ReadFile(path)
		st := Stored{Source: path, Err: err}
		if err == nil {
			st.Approval, st.Err = Parse(data)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Stored) int { return strings.Compare(a.Source, b.Source) })
	return out, nil
}

// Close does nothing: a directory holds no resources.
func (DirStore) Close() error { return nil }

// FileStore is a single approval file (e.g. a run directory's
// approval.json), read-only.
type FileStore struct{ Path string }

func (s FileStore) Put(context.Context, *Approval) error {
	return fmt.Errorf("%s is a single approval file, not a store", s.Path)
}

func (s FileStore) All(context.Context) ([]Stored, error) {
	data, err := os.ReadFile(s.Path)
	if err != nil {
		return nil, err
	}
	st := Stored{Source: s.Path}
	st.Approval, st.Err = Parse(data)
	return []Stored{st}, nil
}

func (FileStore) Close() error { return nil }

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}
