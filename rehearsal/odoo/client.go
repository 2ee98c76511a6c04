// Package odoo talks to an Odoo server over its external API: version,
// authenticate, db_exist and execute_kw, with context-aware calls, typed
// faults and a cap on the size of answers. A Client and its Sessions are
// safe for concurrent use; real Odoo closes every connection, so checks
// gain speed from concurrency, not keep-alive.
//
// The wire format sits behind Transport: XMLRPC (every Odoo up to 19) is the
// default, and a JSON-2 transport for Odoo 19+ can be added without
// touching callers.
package odoo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Transport carries one call of Odoo's external API: service is "common",
// "object" or "db", method and args as Odoo's RPC dispatcher names them
// (execute_kw's args are db, uid, password, model, method, args, kwargs).
// It returns the decoded answer, or a typed fault (see errors.go).
type Transport interface {
	Call(ctx context.Context, service, method string, args []any) (any, error)
}

// Client is an Odoo server. Build it with New; it holds no login.
type Client struct {
	url       string
	transport Transport
	timeout   time.Duration
}

type config struct {
	httpClient *http.Client
	transport  Transport
	timeout    time.Duration
	maxBytes   int64
}

// Option configures a Client.
type Option func(*config)

// WithHTTPClient sets the HTTP client of the XML-RPC transport (for
// example one that dials a loopback relay).
func WithHTTPClient(c *http.Client) Option { return func(cfg *config) { cfg.httpClient = c } }

// WithTimeout bounds each call (default 2 minutes: loading the views of a
// big form can take tens of seconds on a cold registry). A deadline already
// on the context wins when it is sooner.
func WithTimeout(d time.Duration) Option { return func(cfg *config) { cfg.timeout = d } }

// WithMaxResponseBytes caps the size of one answer (default 256 MiB).
func WithMaxResponseBytes(n int64) Option { return func(cfg *config) { cfg.maxBytes = n } }

// WithTransport replaces the XML-RPC transport (e.g. with JSON-2).
func WithTransport(t Transport) Option { return func(cfg *config) { cfg.transport = t } }

// New returns a client for the Odoo server at baseURL
// (e.g. "http://127.0.0.1:8069").
func New(baseURL string, opts ...Option) (*Client, error) {
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("odoo: base URL %q: want http://host:port", baseURL)
	}
	cfg := config{timeout: 2 * time.Minute, maxBytes: 256 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.httpClient == nil {
		cfg.httpClient = &http.Client{}
	}
	url := strings.TrimRight(baseURL, "/")
	if cfg.transport == nil {
		cfg.transport = &XMLRPC{URL: url, HTTP: cfg.httpClient, MaxBytes: cfg.maxBytes}
	}
	return &Client{url: url, transport: cfg.transport, timeout: cfg.timeout}, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.url }

func (c *Client) call(ctx context.Context, service, method string, args ...any) (any, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	return c.transport.Call(ctx, service, method, args)
}

// VersionInfo is common.version().
type VersionInfo struct {
	ServerVersion string // "16.0-20230301", "saas~17.2+e"
	Serie         string // "16.0", "saas~17.2"
	Info          []any  // server_version_info: [16, 0, 0, "final", 0, ""]
	Protocol      int64
}

// Major is the major version (16 for "16.0", 17 for "saas~17.2"), or 0.
func (v VersionInfo) Major() int {
	if len(v.Info) > 0 {
		switch m := v.Info[0].(type) {
		case int64:
			return int(m)
		case string:
			return majorOf(m)
		}
	}
	return majorOf(v.Serie)
}

func majorOf(s string) int {
	s = strings.TrimPrefix(s, "saas~")
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// Version asks common.version(); it needs no login.
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	v, err := c.call(ctx, "common", "version")
	if err != nil {
		return VersionInfo{}, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return VersionInfo{}, fmt.Errorf("odoo common.version: answer is %T, not a struct", v)
	}
	vi := VersionInfo{}
	vi.ServerVersion, _ = m["server_version"].(string)
	vi.Serie, _ = m["server_serie"].(string)
	vi.Info, _ = m["server_version_info"].([]any)
	vi.Protocol, _ = m["protocol_version"].(int64)
	if vi.Serie == "" && vi.ServerVersion == "" {
		return VersionInfo{}, errors.New("odoo common.version: answer has no server_version")
	}
	return vi, nil
}

// Authenticate logs in and returns the user id. Odoo answers False, not a
// fault, to a wrong login or password: that comes back as *AccessDenied.
func (c *Client) Authenticate(ctx context.Context, db, login, password string) (int64, error) {
	v, err := c.call(ctx, "common", "authenticate", db, login, password, map[string]any{})
	if err != nil {
		return 0, err
	}
	switch uid := v.(type) {
	case int64:
		if uid > 0 {
			return uid, nil
		}
	case bool:
		if !uid {
			return 0, &AccessDenied{&Fault{Kind: KindAccessDenied, Call: "common.authenticate",
				Message: fmt.Sprintf("login %q refused on database %q (wrong login or password)", login, db)}}
		}
	}
	return 0, fmt.Errorf("odoo common.authenticate: unexpected answer %T", v)
}

// Login authenticates and returns a session for execute_kw.
func (c *Client) Login(ctx context.Context, db, login, password string) (*Session, error) {
	uid, err := c.Authenticate(ctx, db, login, password)
	if err != nil {
		return nil, err
	}
	return &Session{client: c, db: db, uid: uid, login: login, password: password}, nil
}

// DBExist asks db.db_exist. Check it before starting Odoo with -d: Odoo
// silently creates a missing database.
func (c *Client) DBExist(ctx context.Context, db string) (bool, error) {
	v, err := c.call(ctx, "db", "db_exist", db)
	if err != nil {
		return false, err
	}
	ok, isBool := v.(bool)
	if !isBool {
		return false, fmt.Errorf("odoo db.db_exist: unexpected answer %T", v)
	}
	return ok, nil
}

// Session is a logged-in user on one database. It keeps the password to
// sign each call (Odoo's external API is stateless) and never prints it.
type Session struct {
	client   *Client
	db       string
	uid      int64
	login    string
	password string
}

// DB, UID and Login describe the session.
func (s *Session) DB() string    { return s.db }
func (s *Session) UID() int64    { return s.uid }
func (s *Session) Login() string { return s.login }

// String keeps the password out of logs and %v.
func (s *Session) String() string {
	return fmt.Sprintf("odoo session %s@%s (uid %d)", s.login, s.db, s.uid)
}

// GoString keeps the password out of %#v.
func (s *Session) GoString() string { return s.String() }

// ExecuteKw calls model.method(*args, **kwargs) as the session's user.
// A nil kwargs sends none.
func (s *Session) ExecuteKw(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error) {
	if args == nil {
		args = []any{}
	}
	params := []any{s.db, s.uid, s.password, model, method, args}
	if kwargs != nil {
		params = append(params, kwargs)
	}
	v, err := s.client.call(ctx, "object", "execute_kw", params...)
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			f.Call = model + "." + method
		}
		return nil, err
	}
	return v, nil
}

// SearchCount counts the records matching domain.
func (s *Session) SearchCount(ctx context.Context, model string, domain []any) (int64, error) {
	v, err := s.ExecuteKw(ctx, model, "search_count", []any{orEmpty(domain)}, nil)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("odoo %s.search_count: answer is %T, not an int", model, v)
	}
	return n, nil
}

// Search returns the ids matching domain. Options go in kwargs (limit,
// offset, order, context).
func (s *Session) Search(ctx context.Context, model string, domain []any, kwargs map[string]any) ([]int64, error) {
	v, err := s.ExecuteKw(ctx, model, "search", []any{orEmpty(domain)}, kwargs)
	if err != nil {
		return nil, err
	}
	return ids(model+".search", v)
}

// SearchRead returns fields of the records matching domain.
func (s *Session) SearchRead(ctx context.Context, model string, domain []any, fields []string, kwargs map[string]any) ([]map[string]any, error) {
	kw := map[string]any{"fields": fields}
	for k, v := range kwargs {
		kw[k] = v
	}
	if fields == nil {
		kw["fields"] = []string{}
	}
	v, err := s.ExecuteKw(ctx, model, "search_read", []any{orEmpty(domain)}, kw)
	if err != nil {
		return nil, err
	}
	return records(model+".search_read", v)
}

// Read returns fields of the given records; a deleted id is left out, as
// Odoo does.
func (s *Session) Read(ctx context.Context, model string, recordIDs []int64, fields []string) ([]map[string]any, error) {
	if fields == nil {
		fields = []string{}
	}
	v, err := s.ExecuteKw(ctx, model, "read", []any{recordIDs, fields}, nil)
	if err != nil {
		return nil, err
	}
	return records(model+".read", v)
}

func orEmpty(domain []any) []any {
	if domain == nil {
		return []any{}
	}
	return domain
}

func ids(call string, v any) ([]int64, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("odoo %s: answer is %T, not a list", call, v)
	}
	out := make([]int64, len(list))
	for i, e := range list {
		n, ok := e.(int64)
		if !ok {
			return nil, fmt.Errorf("odoo %s: item %d is %T, not an id", call, i, e)
		}
		out[i] = n
	}
	return out, nil
}

func records(call string, v any) ([]map[string]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("odoo %s: answer is %T, not a list", call, v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("odoo %s: item %d is %T, not a record", call, i, e)
		}
		out[i] = m
	}
	return out, nil
}

// Many2one splits Odoo's [id, "display name"] pair; an empty many2one
// comes as False and gives ok == false.
func Many2one(v any) (id int64, name string, ok bool) {
	pair, isList := v.([]any)
	if !isList || len(pair) != 2 {
		return 0, "", false
	}
	id, ok = pair[0].(int64)
	name, _ = pair[1].(string)
	return id, name, ok
}
