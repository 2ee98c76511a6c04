package odoo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo/xmlrpc"
)

// XMLRPC is the transport over /xmlrpc/2/<service>, which every Odoo from
// 8.0 to 19.0 serves (deprecated from 19, planned to go in 22).
type XMLRPC struct {
	URL      string       // base URL, no trailing slash
	HTTP     *http.Client // safe for concurrent use
	MaxBytes int64        // answers larger than this are refused
}

// bufPool recycles request and response buffers: a check run fires
// hundreds of calls, some answering megabytes.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Call implements Transport.
func (t *XMLRPC) Call(ctx context.Context, service, method string, args []any) (any, error) {
	call := service + "." + method
	body, err := xmlrpc.AppendCall(nil, method, args...)
	if err != nil {
		return nil, fmt.Errorf("odoo %s: %w", call, err)
	}
	url := t.URL + "/xmlrpc/2/" + service
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("odoo %s: %w", call, err)
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := t.HTTP.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("odoo %s: %w", call, ctxErr)
		}
		return nil, fmt.Errorf("odoo %s: %w", call, err)
	}
	defer resp.Body.Close()

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 8<<20 { // keep the pool from pinning huge buffers
			bufPool.Put(buf)
		}
	}()
	limit := t.MaxBytes
	if limit <= 0 {
		limit = 256 << 20
	}
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit, Call: call}
	}
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("odoo %s: %w", call, ctxErr)
		}
		return nil, fmt.Errorf("odoo %s: reading the answer: %w", call, err)
	}
	if n > limit {
		return nil, &TooLargeError{Limit: limit, Call: call}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &HTTPError{Status: resp.StatusCode, URL: url, Excerpt: excerpt(buf.Bytes())}
	}
	v, err := xmlrpc.DecodeResponse(buf.Bytes())
	if err != nil {
		var wf *xmlrpc.Fault
		if errors.As(err, &wf) {
			return nil, classify(call, wf)
		}
		return nil, fmt.Errorf("odoo %s: answer is not XML-RPC (%w): %s", call, err, excerpt(buf.Bytes()))
	}
	return v, nil
}

func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b[:min(len(b), 200)])), " ")
	if len(b) > 200 {
		s += " …"
	}
	return s
}
