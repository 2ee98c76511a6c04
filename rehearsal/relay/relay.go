// Package relay forwards TCP connections from published ports to services
// on a rehearsal's internal network.
//
// Why a relay: the copy of production must not be able to reach the outside
// world, so PostgreSQL and Odoo sit on a Docker network created with
// Internal=true. Docker publishes no ports for containers attached only to
// such a network, and dialling container IPs from the host works on a Linux
// engine but not on Docker Desktop or a remote engine. The relay is a
// container of our own attached to the internal network and to one ordinary
// bridge network, publishing its listeners on 127.0.0.1 only. It forwards
// each listener to one fixed service (host:port) named at start, so it is
// no general proxy: nothing on the internal network can use it to reach
// anything outside, and nothing off this machine can reach the copy.
// Targets are resolved per connection, so when the Odoo container behind
// the alias "odoo" is replaced (baseline, then upgrade, then serve), new
// connections reach the new one.
package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Route forwards connections accepted on ListenPort to Target ("host:port").
type Route struct {
	ListenPort int
	Target     string
}

// ParseRoute reads "LISTEN=HOST:PORT", e.g. "15432=postgres:5432".
func ParseRoute(s string) (Route, error) {
	listen, target, ok := strings.Cut(s, "=")
	if !ok {
		return Route{}, fmt.Errorf("relay route %q: want LISTEN_PORT=HOST:PORT", s)
	}
	port, err := strconv.Atoi(listen)
	if err != nil || port < 1 || port > 65535 {
		return Route{}, fmt.Errorf("relay route %q: listen port must be 1-65535", s)
	}
	if _, _, err := net.SplitHostPort(target); err != nil {
		return Route{}, fmt.Errorf("relay route %q: target: %v", s, err)
	}
	return Route{ListenPort: port, Target: target}, nil
}

func (r Route) String() string { return fmt.Sprintf("%d=%s", r.ListenPort, r.Target) }

// ReadyLine is printed once every listener is up; the runtime waits for it.
const ReadyLine = "relay: listening"

// Serve listens on every route (on all interfaces of the relay container:
// inside it, that is the internal network and the publishing bridge) and
// forwards until ctx ends.
func Serve(ctx context.Context, routes []Route, log io.Writer) error {
	if len(routes) == 0 {
		return errors.New("relay: no routes")
	}
	var lc net.ListenConfig
	listeners := make([]net.Listener, 0, len(routes))
	for _, r := range routes {
		l, err := lc.Listen(ctx, "tcp", fmt.Sprintf(":%d", r.ListenPort))
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("relay: listen %d: %w", r.ListenPort, err)
		}
		listeners = append(listeners, l)
	}
	fmt.Fprintf(log, "%s %s\n", ReadyLine, formatRoutes(routes))

	var wg sync.WaitGroup
	for i, l := range listeners {
		wg.Add(1)
		go func(l net.Listener, target string) {
			defer wg.Done()
			accept(ctx, l, target, log)
		}(l, routes[i].Target)
	}
	<-ctx.Done()
	for _, l := range listeners {
		l.Close()
	}
	wg.Wait()
	return nil
}

func formatRoutes(routes []Route) string {
	parts := make([]string, len(routes))
	for i, r := range routes {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

func accept(ctx context.Context, l net.Listener, target string, log io.Writer) {
	var conns sync.WaitGroup
	defer conns.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			return // listener closed at shutdown
		}
		conns.Add(1)
		go func() {
			defer conns.Done()
			if err := forward(ctx, c, target); err != nil {
				fmt.Fprintf(log, "relay: %s: %v\n", target, err)
			}
		}()
	}
}

// forward copies bytes both ways and propagates half-closes, so protocols
// that end a request with a write-close (HTTP/1.0 clients, COPY streams)
// behave exactly as on a direct connection.
func forward(ctx context.Context, in net.Conn, target string) error {
	defer in.Close()
	d := net.Dialer{Timeout: 10 * time.Second}
	out, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return err
	}
	defer out.Close()
	stop := context.AfterFunc(ctx, func() { in.Close(); out.Close() })
	defer stop()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	<-done
	return nil
}
