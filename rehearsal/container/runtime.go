package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/version"
)

// Runtime owns the Docker resources of one rehearsal run.
type Runtime struct {
	docker      *testcontainers.DockerClient
	runID       string
	extraLabels map[string]string
	relayImage  string
	relayRoutes []string // "alias:port" reachable through the relay
	volumeUID   int
	volumeGID   int

	mu       sync.Mutex
	seq      int
	network  string // internal network name, once created
	relay    *relayContainer
	networks []string
}

// Option configures a Runtime (functional options, as testcontainers does).
type Option func(*Runtime)

// WithRunID sets the run id that labels and names every resource; by
// default a new one is made (NewRunID).
func WithRunID(id string) Option { return func(r *Runtime) { r.runID = id } }

// WithLabels adds labels to every resource.
func WithLabels(l map[string]string) Option {
	return func(r *Runtime) {
		for k, v := range l {
			r.extraLabels[k] = v
		}
	}
}

// WithRelayImage sets the image the relay runs from. It must run the
// rehearse binary's `relay` command (see DefaultRelayImage).
func WithRelayImage(ref string) Option { return func(r *Runtime) { r.relayImage = ref } }

// WithRelayTargets replaces the services the runner can reach through the
// relay, as "alias:port" (default: postgres:5432 and odoo:8069).
func WithRelayTargets(targets ...string) Option {
	return func(r *Runtime) { r.relayRoutes = append([]string(nil), targets...) }
}

// WithVolumeOwner sets the uid:gid that files copied into volumes get
// (CopyToVolume). The official Odoo image runs as odoo (101:101), which
// must be able to write its filestore.
func WithVolumeOwner(uid, gid int) Option {
	return func(r *Runtime) { r.volumeUID, r.volumeGID = uid, gid }
}

// DefaultRelayImage is the relay image of this build of rehearse.
func DefaultRelayImage() string { return "rehearse/relay:" + version.Version }

var runIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{2,40}$`)

// NewRunID makes a run id that sorts by start time and is unique enough
// for two rehearsals started in the same second on one machine.
func NewRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// New connects to the Docker engine. It fails with a clear message (exit
// code 2) when the engine is unreachable.
func New(ctx context.Context, opts ...Option) (*Runtime, error) {
	r := &Runtime{
		extraLabels: map[string]string{LabelVersion: version.Version},
		relayImage:  DefaultRelayImage(),
		relayRoutes: []string{"postgres:5432", "odoo:8069"},
		volumeUID:   101,
		volumeGID:   101,
	}
	for _, o := range opts {
		o(r)
	}
	if r.runID == "" {
		r.runID = NewRunID()
	}
	if !runIDPattern.MatchString(r.runID) {
		return nil, exit.Input("run id %q: use 3-41 lower-case letters, digits and dashes", r.runID)
	}
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, exit.Infra("docker engine unreachable (is the daemon running, DOCKER_HOST right?): %v", err)
	}
	r.docker = docker
	return r, nil
}

// RunID is the id on every label and name of this run.
func (r *Runtime) RunID() string { return r.runID }

// Docker is the moby client, for the few callers that need more than the
// runtime offers (image identity for approvals, for instance).
func (r *Runtime) Docker() *client.Client { return r.docker.Client }

// ErrImageMissing is returned (wrapped) when an image is not present locally.
var ErrImageMissing = errors.New("image not found locally")

// missingImage says how to get the image; errors.Is(err, ErrImageMissing).
type missingImage string

func (m missingImage) Error() string {
	return fmt.Sprintf("image %s not found locally; run `make images` or `docker pull %s`", string(m), string(m))
}

func (m missingImage) Is(target error) bool { return target == ErrImageMissing }

// ImageID returns the ID of a local image. It never pulls: a missing
// image is ErrImageMissing with the commands that provide it.
func (r *Runtime) ImageID(ctx context.Context, ref string) (string, error) {
	return imageID(ctx, r.docker.Client, ref)
}

func imageID(ctx context.Context, docker *client.Client, ref string) (string, error) {
	res, err := docker.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", &exit.Error{Code: exit.CannotRun, Err: missingImage(ref)}
		}
		return "", exit.Infra("inspect image %s: %v", ref, err)
	}
	return res.ID, nil
}

// Network returns the run's internal network, creating it on first use.
// Internal=true: containers on it have no route to anything outside it.
func (r *Runtime) Network(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.network != "" {
		return r.network, nil
	}
	name := "rehearse-" + r.runID
	if err := r.createNetwork(ctx, name, true); err != nil {
		return "", err
	}
	r.network = name
	return name, nil
}

func (r *Runtime) createNetwork(ctx context.Context, name string, internal bool) error {
	labels := r.labels("network")
	for k, v := range testcontainers.GenericLabels() {
		labels[k] = v
	}
	_, err := r.docker.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver:   "bridge",
		Internal: internal,
		Labels:   labels,
	})
	if err != nil {
		return exit.Infra("create network %s: %v", name, err)
	}
	r.networks = append(r.networks, name)
	return nil
}

// Volume creates a labelled named volume for this run.
func (r *Runtime) Volume(ctx context.Context, purpose string) (string, error) {
	name := r.name(purpose)
	_, err := r.docker.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: r.labels("volume")})
	if err != nil {
		return "", exit.Infra("create volume %s: %v", name, err)
	}
	return name, nil
}

// Teardown removes every container, network and volume labelled with this
// run's id, including ones this process did not start (a child killed
// mid-create). It is safe to call more than once and with a cancelled
// parent context: callers pass context.WithoutCancel.
func (r *Runtime) Teardown(ctx context.Context) error {
	// A create that was in flight when the run was interrupted can finish
	// on the engine after we listed what to remove (the client gave up,
	// the daemon did not): sweep again until a listing comes back empty.
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var removed []Resource
		removed, err = removeRuns(ctx, r.docker.Client, map[string]bool{r.runID: true}, false)
		if err != nil || (len(removed) == 0 && attempt > 0) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 300 * time.Millisecond):
		}
	}
	r.mu.Lock()
	r.network, r.relay, r.networks = "", nil, nil
	r.mu.Unlock()
	return err
}

// Close releases the Docker client (not the resources: see Teardown).
func (r *Runtime) Close() error { return r.docker.Close() }
