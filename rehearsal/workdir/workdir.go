// Package workdir gives each run a private scratch folder (extracted
// backups, dumps in transit) that is removed at the end of the run, and
// that `rehearse gc` removes when the run was killed before it could.
package workdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	prefix    = "rehearse-"
	ownerFile = ".rehearse-owner"
)

// Base is where run folders are made: $REHEARSE_WORKDIR, else the
// system's temporary folder.
func Base() string {
	if d := os.Getenv("REHEARSE_WORKDIR"); d != "" {
		return d
	}
	return os.TempDir()
}

// Dir is one run's scratch folder.
type Dir struct {
	Path string
}

// New makes the run's folder (mode 0700: it will hold a copy of
// production data) and records the owning process for gc.
func New(runID string) (*Dir, error) {
	if err := os.MkdirAll(Base(), 0o755); err != nil {
		return nil, fmt.Errorf("work dir base %s: %w", Base(), err)
	}
	p := filepath.Join(Base(), prefix+runID)
	if err := os.Mkdir(p, 0o700); err != nil {
		return nil, fmt.Errorf("work dir: %w", err)
	}
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%d %s\n", os.Getpid(), host)
	if err := os.WriteFile(filepath.Join(p, ownerFile), []byte(owner), 0o600); err != nil {
		os.RemoveAll(p)
		return nil, fmt.Errorf("work dir: %w", err)
	}
	return &Dir{Path: p}, nil
}

// Remove deletes the folder and everything in it.
func (d *Dir) Remove() error { return os.RemoveAll(d.Path) }

// Leftover is a run folder found by GC.
type Leftover struct {
	Path  string
	Alive bool
}

// GC removes the folders of runs whose process is gone (on this host),
// or all run folders with all. dryRun only lists them.
func GC(dryRun, all bool) ([]Leftover, error) {
	entries, err := os.ReadDir(Base())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []Leftover
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(Base(), e.Name())
		owner, err := os.ReadFile(filepath.Join(p, ownerFile))
		if err != nil {
			continue // not a run folder of ours
		}
		l := Leftover{Path: p, Alive: alive(string(owner))}
		if l.Alive && !all {
			continue
		}
		out = append(out, l)
		if !dryRun {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return out, errors.Join(errs...)
}

func alive(owner string) bool {
	fields := strings.Fields(owner)
	if len(fields) != 2 {
		return false
	}
	if host, _ := os.Hostname(); host != fields[1] {
		return true // another machine's run: cannot tell, keep it
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// GCRun removes the folder of one run, named by the user (`rehearse gc
// --run ID`), whether or not its process is alive, as container.GC does
// for the run's Docker resources: without it a run killed with SIGKILL
// kept its scratch copy of production after `gc --run`.
func GCRun(runID string, dryRun bool) ([]Leftover, error) {
	if runID == "" || strings.ContainsAny(runID, `/\`) || strings.Contains(runID, "..") {
		return nil, fmt.Errorf("run id %q: not a run id", runID)
	}
	p := filepath.Join(Base(), prefix+runID)
	owner, err := os.ReadFile(filepath.Join(p, ownerFile))
	if err != nil {
		return nil, nil // no folder of ours for this run
	}
	l := Leftover{Path: p, Alive: alive(string(owner))}
	if dryRun {
		return []Leftover{l}, nil
	}
	return []Leftover{l}, os.RemoveAll(p)
}
