package container

import (
	"fmt"
	"os"
	"strconv"
)

// Labels on every resource of a run.
const (
	LabelRun     = "rehearse.run"     // the run id
	LabelKind    = "rehearse.kind"    // postgres, odoo, relay, network, volume, cache, ...
	LabelPID     = "rehearse.pid"     // the runner's process id, for gc's liveness check
	LabelHost    = "rehearse.host"    // the runner's host name, same reason
	LabelVersion = "rehearse.version" // the tool version that made it
)

// KindCache marks resources that outlive runs on purpose (the restore
// cache); GC removes them only when asked.
const KindCache = "cache"

func (r *Runtime) labels(kind string) map[string]string {
	l := map[string]string{
		LabelRun:  r.runID,
		LabelKind: kind,
		LabelPID:  strconv.Itoa(os.Getpid()),
		LabelHost: hostname(),
	}
	for k, v := range r.extraLabels {
		l[k] = v
	}
	return l
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func (r *Runtime) name(kind string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	return fmt.Sprintf("rehearse-%s-%s-%d", r.runID, kind, r.seq)
}
