package container

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	mcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
	"github.com/odoo-rehearse/rehearse/rehearsal/relay"
)

// relayContainer is the run's only door from the runner into the internal
// network; see package relay for why it exists and why it is safe.
type relayContainer struct {
	tc        testcontainers.Container
	host      string
	endpoints map[string]string // "alias:port" → "127.0.0.1:PORT"
}

const relayFirstPort = 15000

func (r *Runtime) ensureRelay(ctx context.Context) (*relayContainer, error) {
	r.mu.Lock()
	if r.relay != nil {
		defer r.mu.Unlock()
		return r.relay, nil
	}
	r.mu.Unlock()
	internal, err := r.Network(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.ensureRelayImage(ctx); err != nil {
		return nil, err
	}
	// The edge network exists only so Docker can publish the relay's ports
	// (it publishes none for containers on internal networks alone). Only
	// the relay joins it.
	edge := "rehearse-" + r.runID + "-edge"
	r.mu.Lock()
	err = r.createNetwork(ctx, edge, false)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	routes := make([]string, len(r.relayRoutes))
	exposed := make([]string, len(r.relayRoutes))
	for i, target := range r.relayRoutes {
		port := relayFirstPort + i
		routes[i] = fmt.Sprintf("%d=%s", port, target)
		exposed[i] = fmt.Sprintf("%d/tcp", port)
	}
	cmd := []string{"relay"}
	for _, rt := range routes {
		cmd = append(cmd, "--route", rt)
	}
	req := testcontainers.ContainerRequest{
		Image:        r.relayImage,
		Name:         r.name("relay"),
		Cmd:          cmd,
		Labels:       r.labels("relay"),
		Networks:     []string{edge, internal},
		ExposedPorts: exposed,
		// Published on loopback only: a copy of production must never
		// listen on every interface. testcontainers would bind every exposed
		// port on all interfaces unless a binding is given here.
		HostConfigModifier: func(hc *mcontainer.HostConfig) {
			hc.PortBindings = loopbackBindings(exposed)
		},
		WaitingFor: wait.ForLog(relay.ReadyLine),
	}
	tc, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		if tc != nil {
			_ = tc.Terminate(context.WithoutCancel(ctx))
		}
		return nil, exit.Infra("start relay (%s): %v", r.relayImage, err)
	}
	host, err := tc.Host(ctx)
	if err != nil {
		return nil, exit.Infra("relay host: %v", err)
	}
	rc := &relayContainer{tc: tc, host: host, endpoints: map[string]string{}}
	for i, target := range r.relayRoutes {
		mp, err := tc.MappedPort(ctx, exposed[i])
		if err != nil {
			return nil, exit.Infra("relay port %s: %v", exposed[i], err)
		}
		rc.endpoints[target] = net.JoinHostPort(host, mp.Port())
	}
	r.mu.Lock()
	r.relay = rc
	r.mu.Unlock()
	return rc, nil
}

func (rc *relayContainer) endpoint(route string) (string, error) {
	ep, ok := rc.endpoints[route]
	if !ok {
		return "", fmt.Errorf("no relay route to %s (have %s)", route, strings.Join(keys(rc.endpoints), ", "))
	}
	return ep, nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func loopbackBindings(exposed []string) network.PortMap {
	pm := network.PortMap{}
	for _, e := range exposed {
		pm[network.MustParsePort(e)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}}
	}
	return pm
}
