package container

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// Spec describes a container of the rehearsal (an Odoo server, an upgrade
// run). It joins the run's internal network under Alias.
type Spec struct {
	Kind       string            // label and name part: "odoo-baseline", "odoo-upgrade", ...
	Image      string            // must exist locally
	Cmd        []string          // the image's entrypoint receives these
	Entrypoint []string          // rarely needed; empty keeps the image's
	Env        map[string]string // never put secrets here: use Files
	Files      []File            // copied in before start (secrets, configs)
	Alias      string            // host name on the internal network ("odoo")
	Port       int               // with Alias: the port the runner reaches through the relay
	Volumes    map[string]string // volume name → mount path
	Binds      map[string]string // host path → container path, read-only (extra addons)
	WaitFor    wait.Strategy     // optional readiness check
	ShmSize    int64
}

// File is copied into a container before it starts.
type File struct {
	Path    string
	Content []byte
	Mode    int64
}

// Container is a started container of the run.
type Container struct {
	rt       *Runtime
	tc       testcontainers.Container
	id       string
	name     string
	endpoint string
}

// Start creates and starts a container on the run's internal network. It
// never pulls: a missing image is an error naming the image.
func (r *Runtime) Start(ctx context.Context, spec Spec) (*Container, error) {
	if spec.Image == "" || spec.Kind == "" {
		return nil, fmt.Errorf("container spec needs Image and Kind")
	}
	if _, err := r.ImageID(ctx, spec.Image); err != nil {
		return nil, err
	}
	ports, err := r.exposedPorts(ctx, spec)
	if err != nil {
		return nil, err
	}
	netName, err := r.Network(ctx)
	if err != nil {
		return nil, err
	}
	var route string
	if spec.Port != 0 {
		route = fmt.Sprintf("%s:%d", spec.Alias, spec.Port)
		if !slices.Contains(r.relayRoutes, route) {
			return nil, fmt.Errorf("%s is not a relay target of this runtime (have %v)", route, r.relayRoutes)
		}
		if _, err := r.ensureRelay(ctx); err != nil {
			return nil, err
		}
	}
	name := r.name(spec.Kind)
	req := testcontainers.ContainerRequest{
		Image:      spec.Image,
		Name:       name,
		Cmd:        spec.Cmd,
		Entrypoint: spec.Entrypoint,
		Env:        spec.Env,
		Labels:     r.labels(spec.Kind),
		Networks:   []string{netName},
		WaitingFor: spec.WaitFor,
		// Containers of the run publish nothing: they sit on the internal
		// network and the runner reaches them through the relay. Without
		// an explicit port list testcontainers would expose the image's
		// ports, so list them, bound to loopback should Docker ever publish.
		ExposedPorts:       ports,
		HostConfigModifier: loopbackOnly(spec, ports),
	}
	if spec.Alias != "" {
		req.NetworkAliases = map[string][]string{netName: {spec.Alias}}
	}
	for vol, path := range spec.Volumes {
		req.Mounts = append(req.Mounts, testcontainers.VolumeMount(vol, testcontainers.ContainerMountTarget(path)))
	}
	for _, f := range spec.Files {
		req.Files = append(req.Files, testcontainers.ContainerFile{
			Reader: bytes.NewReader(f.Content), ContainerFilePath: f.Path, FileMode: f.Mode,
		})
	}
	tc, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		if tc != nil {
			_ = tc.Terminate(context.WithoutCancel(ctx))
		}
		return nil, exit.Infra("start %s (%s): %v", spec.Kind, spec.Image, err)
	}
	c := &Container{rt: r, tc: tc, id: tc.GetContainerID(), name: name}
	if route != "" {
		c.endpoint, err = r.relay.endpoint(route)
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// exposedPorts lists the image's ports and the spec's, so that each gets
// an explicit loopback binding (see Start).
func (r *Runtime) exposedPorts(ctx context.Context, spec Spec) ([]string, error) {
	in, err := r.docker.ImageInspect(ctx, spec.Image)
	if err != nil {
		return nil, exit.Infra("inspect image %s: %v", spec.Image, err)
	}
	seen := map[string]bool{}
	if spec.Port != 0 {
		seen[fmt.Sprintf("%d/tcp", spec.Port)] = true
	}
	if in.Config != nil {
		for p := range in.Config.ExposedPorts {
			seen[p] = true
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

func loopbackOnly(spec Spec, ports []string) func(*mcontainer.HostConfig) {
	return func(hc *mcontainer.HostConfig) {
		hc.PortBindings = loopbackBindings(ports)
		for host, target := range spec.Binds {
			hc.Binds = append(hc.Binds, host+":"+target+":ro")
		}
		if spec.ShmSize > 0 {
			hc.ShmSize = spec.ShmSize
		}
	}
}

// ID is the Docker container id.
func (c *Container) ID() string { return c.id }

// Name is the container's name (rehearse-<run>-<kind>-<n>).
func (c *Container) Name() string { return c.name }

// Endpoint is the runner's loopback address ("127.0.0.1:PORT") for the
// container's Alias:Port, through the relay; empty when Spec.Port was 0.
func (c *Container) Endpoint() string { return c.endpoint }

// Wait blocks until the container exits and returns its exit code.
func (c *Container) Wait(ctx context.Context) (int, error) {
	res := c.rt.docker.ContainerWait(ctx, c.id, client.ContainerWaitOptions{Condition: mcontainer.WaitConditionNotRunning})
	select {
	case w := <-res.Result:
		if w.Error != nil && w.Error.Message != "" {
			return -1, fmt.Errorf("wait for %s: %s", c.name, w.Error.Message)
		}
		return int(w.StatusCode), nil
	case err := <-res.Error:
		return -1, fmt.Errorf("wait for %s: %w", c.name, err)
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// Running reports whether the container is still running.
func (c *Container) Running(ctx context.Context) (bool, error) {
	st, err := c.tc.State(ctx)
	if err != nil {
		return false, err
	}
	return st.Running, nil
}

// Logs copies the container's stdout and stderr into w, following them
// until the container stops or ctx ends.
func (c *Container) Logs(ctx context.Context, w io.Writer) error {
	rc, err := c.rt.docker.ContainerLogs(ctx, c.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return fmt.Errorf("logs of %s: %w", c.name, err)
	}
	defer rc.Close()
	_, err = stdcopy.StdCopy(w, w, rc)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ExecResult is the outcome of a command run inside a container.
type ExecResult struct {
	ExitCode int
	Output   []byte // stdout and stderr, interleaved
}

// Exec runs cmd inside the container and waits for it.
func (c *Container) Exec(ctx context.Context, cmd []string, env ...string) (ExecResult, error) {
	opts := []tcexec.ProcessOption{tcexec.Multiplexed()}
	if len(env) > 0 {
		opts = append(opts, tcexec.WithEnv(env))
	}
	code, r, err := c.tc.Exec(ctx, cmd, opts...)
	if err != nil {
		return ExecResult{ExitCode: -1}, fmt.Errorf("exec %s in %s: %w", cmd[0], c.name, err)
	}
	out, err := io.ReadAll(r)
	return ExecResult{ExitCode: code, Output: out}, err
}

// CopyFile copies a host file into the container.
func (c *Container) CopyFile(ctx context.Context, hostPath, containerPath string) error {
	return c.tc.CopyFileToContainer(ctx, hostPath, containerPath, 0o644)
}

// CopyFileFrom copies a file out of the container to hostPath, streaming.
func (c *Container) CopyFileFrom(ctx context.Context, containerPath, hostPath string) error {
	rc, err := c.tc.CopyFileFromContainer(ctx, containerPath)
	if err != nil {
		return fmt.Errorf("copy %s out of %s: %w", containerPath, c.name, err)
	}
	defer rc.Close()
	return writeFileAtomic(hostPath, rc)
}

// Stop stops the container, giving it timeout to exit cleanly.
func (c *Container) Stop(ctx context.Context, timeout time.Duration) error {
	return c.tc.Stop(ctx, &timeout)
}

// Remove stops and removes the container (its named volumes stay).
func (c *Container) Remove(ctx context.Context) error {
	return c.tc.Terminate(ctx)
}

// Inspect returns Docker's view of the container (tests check that no
// secret shows there).
func (c *Container) Inspect(ctx context.Context) (mcontainer.InspectResponse, error) {
	res, err := c.rt.docker.ContainerInspect(ctx, c.id, client.ContainerInspectOptions{})
	return res.Container, err
}

// PublishedPorts lists the host bindings of the container's ports.
func (c *Container) PublishedPorts(ctx context.Context) ([]network.PortBinding, error) {
	in, err := c.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	var out []network.PortBinding
	if in.NetworkSettings != nil {
		for _, bs := range in.NetworkSettings.Ports {
			out = append(out, bs...)
		}
	}
	return out, nil
}

func shortErr(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
