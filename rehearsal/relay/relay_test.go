package relay

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Route
		wantErr string
	}{
		{in: "15432=postgres:5432", want: Route{15432, "postgres:5432"}},
		{in: "18069=odoo:8069", want: Route{18069, "odoo:8069"}},
		{in: "15432", wantErr: "want LISTEN_PORT=HOST:PORT"},
		{in: "0=postgres:5432", wantErr: "listen port must be 1-65535"},
		{in: "x=postgres:5432", wantErr: "listen port must be 1-65535"},
		{in: "15432=postgres", wantErr: "target"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRoute(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// syncBuffer lets the test read the relay's log while it writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// An upper-casing echo server stands for the service behind the relay; it
// answers only after the client half-closes, which proves CloseWrite is
// propagated.
func TestForwardsBothWaysWithHalfClose(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer backend.Close()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				all, _ := io.ReadAll(c)
				c.Write(bytes.ToUpper(all))
			}()
		}
	}()

	port := freePort(t)
	ctx, cancel := context.WithCancel(t.Context())
	log := &syncBuffer{}
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, []Route{{port, backend.Addr().String()}}, log)
	}()
	require.Eventually(t, func() bool { return strings.Contains(log.String(), ReadyLine) }, 5*time.Second, 10*time.Millisecond)

	for i := range 3 { // several connections through one listener
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err)
		fmt.Fprintf(c, "hello %d", i)
		require.NoError(t, c.(*net.TCPConn).CloseWrite())
		got, err := io.ReadAll(bufio.NewReader(c))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("HELLO %d", i), string(got))
		c.Close()
	}

	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("relay did not stop when its context ended")
	}
}

func TestUnreachableTargetClosesClient(t *testing.T) {
	dead := freePort(t) // nothing listens there
	port := freePort(t)
	log := &syncBuffer{}
	go Serve(t.Context(), []Route{{port, fmt.Sprintf("127.0.0.1:%d", dead)}}, log)
	require.Eventually(t, func() bool { return strings.Contains(log.String(), ReadyLine) }, 5*time.Second, 10*time.Millisecond)

	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the client sees a closed connection, not a hang")
	assert.Eventually(t, func() bool { return strings.Contains(log.String(), "connection refused") }, 5*time.Second, 10*time.Millisecond)
}
