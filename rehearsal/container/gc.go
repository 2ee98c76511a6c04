package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// Resource is one labelled Docker object of a run.
type Resource struct {
	Type  string // container, network, volume
	ID    string
	Name  string
	RunID string
	Kind  string
	Alive bool // the run's process is still running on this host
}

// GCOptions selects what GC removes.
type GCOptions struct {
	DryRun bool   // list, remove nothing
	All    bool   // also runs whose process is alive (or on another host)
	Cache  bool   // also the restore cache (rehearse.kind=cache)
	RunID  string // only this run
}

// GC removes the resources that dead runs left: a run is dead when its
// process (labels rehearse.pid, rehearse.host) no longer exists on this
// host. Runs of live processes and runs started on other hosts are left
// alone unless All is set, so gc is safe beside a rehearsal in progress.
func GC(ctx context.Context, opts GCOptions) ([]Resource, error) {
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, exit.Infra("docker engine unreachable: %v", err)
	}
	defer docker.Close()
	found, err := listResources(ctx, docker.Client)
	if err != nil {
		return nil, err
	}
	var selected []Resource
	for _, r := range found {
		switch {
		case opts.RunID != "" && r.RunID != opts.RunID:
		case r.Kind == KindCache && !opts.Cache:
		case r.Alive && !opts.All && opts.RunID == "":
		default:
			selected = append(selected, r)
		}
	}
	if opts.DryRun {
		return selected, nil
	}
	if err := removeResources(ctx, docker.Client, selected); err != nil {
		return selected, err
	}
	// A run killed while Docker was creating something for it: the engine
	// can finish that create after our listing. Sweep those runs again
	// until nothing of them is left (as Teardown does).
	runs := map[string]bool{}
	for _, r := range selected {
		runs[r.RunID] = true
	}
	for attempt := 0; attempt < 4 && len(runs) > 0; attempt++ {
		select {
		case <-ctx.Done():
			return selected, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 300 * time.Millisecond):
		}
		late, err := removeRuns(ctx, docker.Client, runs, opts.Cache)
		if err != nil {
			return selected, err
		}
		if len(late) == 0 {
			break
		}
		selected = append(selected, late...)
	}
	return selected, nil
}

// removeRuns removes every resource of the given runs (cache included
// only when withCache).
func removeRuns(ctx context.Context, docker *client.Client, runs map[string]bool, withCache bool) ([]Resource, error) {
	found, err := listResources(ctx, docker)
	if err != nil {
		return nil, err
	}
	var selected []Resource
	for _, r := range found {
		if runs[r.RunID] && (withCache || r.Kind != KindCache) {
			selected = append(selected, r)
		}
	}
	return selected, removeResources(ctx, docker, selected)
}

func listResources(ctx context.Context, docker *client.Client) ([]Resource, error) {
	filter := client.Filters{}.Add("label", LabelRun)
	var out []Resource
	cs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return nil, exit.Infra("list containers: %v", err)
	}
	for _, c := range cs.Items {
		name := c.ID[:12]
		if len(c.Names) > 0 {
			name = c.Names[0][1:]
		}
		out = append(out, resource("container", c.ID, name, c.Labels))
	}
	ns, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return nil, exit.Infra("list networks: %v", err)
	}
	for _, n := range ns.Items {
		out = append(out, resource("network", n.ID, n.Name, n.Labels))
	}
	vs, err := docker.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		return nil, exit.Infra("list volumes: %v", err)
	}
	for _, v := range vs.Items {
		out = append(out, resource("volume", v.Name, v.Name, v.Labels))
	}
	order := map[string]int{"container": 0, "network": 1, "volume": 2}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].RunID != out[j].RunID {
			return out[i].RunID < out[j].RunID
		}
		return order[out[i].Type] < order[out[j].Type]
	})
	return out, nil
}

func resource(typ, id, name string, labels map[string]string) Resource {
	return Resource{
		Type: typ, ID: id, Name: name,
		RunID: labels[LabelRun], Kind: labels[LabelKind],
		Alive: processAlive(labels[LabelHost], labels[LabelPID]),
	}
}

// processAlive answers for this host only; a run from another host (a
// shared engine) counts as alive, since we cannot tell.
func processAlive(host, pidLabel string) bool {
	if host != hostname() {
		return true
	}
	pid, err := strconv.Atoi(pidLabel)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeResources removes containers first (they hold networks and
// volumes), then networks, then volumes, and reports every failure.
func removeResources(ctx context.Context, docker *client.Client, rs []Resource) error {
	var errs []error
	for _, typ := range []string{"container", "network", "volume"} {
		for _, r := range rs {
			if r.Type != typ {
				continue
			}
			var err error
			switch typ {
			case "container":
				_, err = docker.ContainerRemove(ctx, r.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			case "network":
				_, err = docker.NetworkRemove(ctx, r.ID, client.NetworkRemoveOptions{})
			case "volume":
				_, err = docker.VolumeRemove(ctx, r.ID, client.VolumeRemoveOptions{Force: true})
			}
			if err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove %s %s: %w", typ, r.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return exit.Infra("%v", errors.Join(errs...))
	}
	return nil
}
