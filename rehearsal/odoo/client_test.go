package odoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo/xmlrpc"
)

// capture returns the body of a real Odoo 16 answer kept in the codec's
// testdata (copied from ../shared/odoo/captures).
func capture(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("xmlrpc", "testdata", "captures", name+".response.xml"))
	require.NoError(t, err)
	i := bytes.Index(raw, []byte("<?xml"))
	require.GreaterOrEqual(t, i, 0)
	return raw[i:]
}

// replay serves one captured answer and records what it was sent.
type replay struct {
	mu       sync.Mutex
	paths    []string
	requests [][]any
}

func (r *replay) server(t *testing.T, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		_, params, err := xmlrpc.DecodeCall(raw)
		if !assert.NoError(t, err) {
			return
		}
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.Path)
		r.requests = append(r.requests, params)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Header().Set("Connection", "close")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(url, opts...)
	require.NoError(t, err)
	return c
}

func TestVersionAndLogin(t *testing.T) {
	var r replay
	c := newClient(t, r.server(t, capture(t, "common_version")).URL)
	v, err := c.Version(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "16.0", v.Serie)
	assert.Equal(t, "16.0-20230301", v.ServerVersion)
	assert.Equal(t, 16, v.Major())
	assert.Equal(t, "/xmlrpc/2/common", r.paths[0])

	c = newClient(t, r.server(t, capture(t, "common_authenticate_ok")).URL)
	s, err := c.Login(t.Context(), "demo16", "admin", "s3cret-pw")
	require.NoError(t, err)
	assert.Equal(t, int64(2), s.UID())
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", s, s, s, s), "s3cret-pw")
	assert.Equal(t, []any{"demo16", "admin", "s3cret-pw", map[string]any{}}, r.requests[1])

	c = newClient(t, r.server(t, capture(t, "common_authenticate_badpw")).URL)
	_, err = c.Authenticate(t.Context(), "demo16", "admin", "wrong-pw")
	var denied *AccessDenied
	require.ErrorAs(t, err, &denied, "Odoo answers False, not a fault")
	assert.NotContains(t, err.Error(), "wrong-pw")
}

func TestDBExist(t *testing.T) {
	for _, tc := range []struct {
		capture string
		want    bool
	}{{"db_exist_true", true}, {"db_exist_false", false}} {
		t.Run(tc.capture, func(t *testing.T) {
			var r replay
			ok, err := newClient(t, r.server(t, capture(t, tc.capture)).URL).DBExist(t.Context(), "prod16")
			require.NoError(t, err)
			assert.Equal(t, tc.want, ok)
			assert.Equal(t, "/xmlrpc/2/db", r.paths[0])
		})
	}
}

func TestFaultsAreTyped(t *testing.T) {
	for _, tc := range []struct {
		capture string
		kind    Kind
		as      func(error) bool
		message string
	}{
		{"object_bad_password", KindAccessDenied, func(err error) bool { var e *AccessDenied; return errors.As(err, &e) }, "Access Denied"},
		{"legacy_v1_object_bad_password", KindAccessDenied, func(err error) bool { var e *AccessDenied; return errors.As(err, &e) }, "Access Denied"},
		{"object_access_error_demo_user", KindAccessError, func(err error) bool { var e *AccessError; return errors.As(err, &e) }, "You are not allowed to create 'User'"},
		{"legacy_v1_access_error", KindAccessError, func(err error) bool { var e *AccessError; return errors.As(err, &e) }, "You are not allowed to create 'User'"},
		{"object_missing_model", KindUserError, func(err error) bool { var e *UserError; return errors.As(err, &e) }, "Object no.such.model doesn't exist"},
		{"legacy_v1_object_missing_model", KindUserError, func(err error) bool { var e *UserError; return errors.As(err, &e) }, "Object no.such.model doesn't exist"},
		{"object_validation_error_recursive", KindUserError, func(err error) bool { var e *UserError; return errors.As(err, &e) }, "recursive"},
		{"legacy_v1_object_validation", KindUserError, func(err error) bool { var e *UserError; return errors.As(err, &e) }, "recursive"},
		{"object_missing_error_write_deleted", KindMissing, func(err error) bool { var e *MissingError; return errors.As(err, &e) }, "Record does not exist"},
		{"object_bad_method", KindServer, func(err error) bool { var e *ServerError; return errors.As(err, &e) }, "AttributeError"},
		{"object_big_int_response_read_group_sum", KindServer, func(err error) bool { var e *ServerError; return errors.As(err, &e) }, "OverflowError: int exceeds XML-RPC limits"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			var r replay
			s := &Session{client: newClient(t, r.server(t, capture(t, tc.capture)).URL), db: "demo16", uid: 2, password: "pw-never-shown"}
			_, err := s.ExecuteKw(t.Context(), "res.partner", "write", []any{[]any{1}, map[string]any{"name": "x"}}, nil)
			require.Error(t, err)
			assert.True(t, tc.as(err), "%T is not the expected type", err)
			f, ok := FaultOf(err)
			require.True(t, ok)
			assert.Equal(t, tc.kind, f.Kind)
			assert.Contains(t, f.Message, tc.message)
			assert.Equal(t, "res.partner.write", f.Call)
			if tc.kind == KindServer {
				assert.Contains(t, f.Traceback, "Traceback (most recent call last)")
			} else {
				assert.Empty(t, f.Traceback)
			}
			assert.NotContains(t, err.Error(), "pw-never-shown")
		})
	}
}

func TestSearchHelpers(t *testing.T) {
	var r replay
	s := &Session{client: newClient(t, r.server(t, capture(t, "object_search_count_partner")).URL), db: "demo16", uid: 2, password: "admin"}
	n, err := s.SearchCount(t.Context(), "res.partner", []any{[]any{"is_company", "=", true}})
	require.NoError(t, err)
	assert.Equal(t, int64(38), n)
	assert.Equal(t, []any{"demo16", int64(2), "admin", "res.partner", "search_count",
		[]any{[]any{[]any{"is_company", "=", true}}}}, r.requests[0])

	s.client = newClient(t, r.server(t, capture(t, "object_search_read_sale_order")).URL)
	rows, err := s.SearchRead(t.Context(), "sale.order", nil, []string{"name", "partner_id"}, map[string]any{"limit": 3})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	id, name, ok := Many2one(rows[0]["partner_id"])
	assert.True(t, ok)
	assert.Equal(t, int64(10), id)
	assert.Equal(t, "Deco Addict", name)
	_, _, ok = Many2one(rows[0]["client_order_ref"])
	assert.False(t, ok, "False is an empty many2one")
	kw := r.requests[1][6].(map[string]any)
	assert.Equal(t, int64(3), kw["limit"])
	assert.Equal(t, []any{"name", "partner_id"}, kw["fields"])
}

func TestTransportFailures(t *testing.T) {
	big := capture(t, "object_search_read_sale_order")
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		opts    []Option
		check   func(t *testing.T, err error)
	}{
		{"answer above the cap", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(big) },
			[]Option{WithMaxResponseBytes(1000)},
			func(t *testing.T, err error) { var e *TooLargeError; assert.ErrorAs(t, err, &e) }},
		{"answer above the cap, no Content-Length", func(w http.ResponseWriter, _ *http.Request) {
			for range 10 {
				_, _ = w.Write(big)
				w.(http.Flusher).Flush()
			}
		}, []Option{WithMaxResponseBytes(5000)},
			func(t *testing.T, err error) { var e *TooLargeError; assert.ErrorAs(t, err, &e) }},
		{"HTTP 500 of a failed update", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte("<html>Internal Server Error</html>"))
		}, nil, func(t *testing.T, err error) {
			var e *HTTPError
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 500, e.Status)
			assert.Contains(t, e.Excerpt, "Internal Server Error")
		}},
		{"not XML-RPC", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>proxy</html>")) },
			nil, func(t *testing.T, err error) { assert.ErrorContains(t, err, "not XML-RPC") }},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, []Option{WithTimeout(100 * time.Millisecond)},
			func(t *testing.T, err error) { assert.ErrorIs(t, err, context.DeadlineExceeded) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			s := &Session{client: newClient(t, srv.URL, tc.opts...), db: "d", uid: 2, password: "p"}
			_, err := s.ExecuteKw(t.Context(), "res.partner", "search_read", []any{[]any{}}, nil)
			require.Error(t, err)
			tc.check(t, err)
		})
	}
}

// TestConcurrentCalls runs many calls at once through one client (run with
// -race): Odoo closes every connection, so concurrency is how checks go
// fast, and the client must be safe for it.
func TestConcurrentCalls(t *testing.T) {
	var r replay
	s := &Session{client: newClient(t, r.server(t, capture(t, "object_search_count_partner")).URL), db: "d", uid: 2, password: "p"}
	errs := make(chan error, 64)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			n, err := s.SearchCount(t.Context(), fmt.Sprintf("model.%d", i), nil)
			if err == nil && n != 38 {
				err = fmt.Errorf("got %d", n)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, r.requests, 64)
}

func TestNewRefusesBadURL(t *testing.T) {
	_, err := New("127.0.0.1:8069")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "http://"))
}
