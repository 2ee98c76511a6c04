// Package xmlrpc is an XML-RPC codec for the dialect Odoo speaks (see
// ../shared/odoo/FACTS.md): faults whose code is an int on /xmlrpc/2 and a
// string on the legacy /xmlrpc/ endpoint, <nil/> and <i8> accepted, big
// integers refused with a clear error, datetimes left as the strings Odoo
// sends.
//
// The decoder is a hand-written scanner over the XML-RPC subset rather than
// encoding/xml: a real search_read answer is megabytes of tiny elements, and
// a general XML tokenizer spends most of its time allocating tokens nobody
// keeps (see BenchmarkDecodeSearchRead for the figures against Python).
//
// Values decode to: nil, bool, int64, float64, string, []byte (base64),
// time.Time (dateTime.iso8601), []any and map[string]any.
package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds nesting so that a hostile or broken body cannot exhaust
// the stack; Odoo's deepest real answers (get_views) nest a few levels.
const maxDepth = 200

// Fault is an XML-RPC fault as the server sent it. Odoo's /xmlrpc/2 sends
// an int code; the legacy /xmlrpc/ endpoint sends a string such as
// "warning -- UserError\n\n<message>" or "AccessDenied".
type Fault struct {
	Code     int64  // numeric faultCode; 0 when the code is text
	CodeText string // faultCode when the server sent a string
	String   string // faultString
}

func (f *Fault) Error() string {
	if f.CodeText != "" {
		return fmt.Sprintf("xml-rpc fault %q: %s", firstLine(f.CodeText), firstLine(f.String))
	}
	return fmt.Sprintf("xml-rpc fault %d: %s", f.Code, firstLine(f.String))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// SyntaxError reports a body that is not XML-RPC, with the byte offset where
// reading stopped.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("xml-rpc: %s at byte %d", e.Msg, e.Offset)
}

// DecodeResponse decodes a methodResponse. A fault comes back as a *Fault
// error; a body that is not XML-RPC as a *SyntaxError.
func DecodeResponse(data []byte) (any, error) {
	d := newDecoder(data)
	if err := d.prolog(); err != nil {
		return nil, err
	}
	if err := d.expectOpen("methodResponse"); err != nil {
		return nil, err
	}
	name, closing, empty, err := d.tag()
	if err != nil {
		return nil, err
	}
	if closing || empty {
		return nil, d.errorf("empty methodResponse")
	}
	var v any
	switch name {
	case "params":
		if err := d.expectOpen("param"); err != nil {
			return nil, err
		}
		if v, err = d.valueElem(0); err != nil {
			return nil, err
		}
		if err := d.expectClose("param"); err != nil {
			return nil, err
		}
		if err := d.expectClose("params"); err != nil {
			return nil, err
		}
	case "fault":
		fv, err := d.valueElem(0)
		if err != nil {
			return nil, err
		}
		if err := d.expectClose("fault"); err != nil {
			return nil, err
		}
		if err := d.expectClose("methodResponse"); err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, faultOf(fv)
	default:
		return nil, d.errorf("unexpected <%s> in methodResponse", name)
	}
	if err := d.expectClose("methodResponse"); err != nil {
		return nil, err
	}
	return v, d.end()
}

func faultOf(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return &SyntaxError{Msg: fmt.Sprintf("fault value is %T, not a struct", v)}
	}
	f := &Fault{}
	switch c := m["faultCode"].(type) {
	case int64:
		f.Code = c
	case string:
		f.CodeText = c
	default:
		return &SyntaxError{Msg: fmt.Sprintf("faultCode is %T, want int or string", c)}
	}
	f.String, _ = m["faultString"].(string)
	return f
}

// DecodeCall decodes a methodCall (what a client sends). The runner never
// needs it; it is what lets the golden tests read the captured requests and
// the stand-in read ours.
func DecodeCall(data []byte) (method string, params []any, err error) {
	d := newDecoder(data)
	if err := d.prolog(); err != nil {
		return "", nil, err
	}
	if err := d.expectOpen("methodCall"); err != nil {
		return "", nil, err
	}
	if err := d.expectOpen("methodName"); err != nil {
		return "", nil, err
	}
	method, err = d.text()
	if err != nil {
		return "", nil, err
	}
	method = strings.TrimSpace(method)
	if err := d.expectClose("methodName"); err != nil {
		return "", nil, err
	}
	name, closing, empty, err := d.tag()
	if err != nil {
		return "", nil, err
	}
	params = []any{}
	switch {
	case closing && name == "methodCall":
		return method, params, d.end()
	case name != "params" || closing:
		return "", nil, d.errorf("unexpected <%s> in methodCall", name)
	case empty:
	default:
		for {
			name, closing, empty, err := d.tag()
			if err != nil {
				return "", nil, err
			}
			if closing && name == "params" {
				break
			}
			if name != "param" || closing || empty {
				return "", nil, d.errorf("unexpected <%s> in params", name)
			}
			v, err := d.valueElem(0)
			if err != nil {
				return "", nil, err
			}
			params = append(params, v)
			if err := d.expectClose("param"); err != nil {
				return "", nil, err
			}
		}
	}
	if err := d.expectClose("methodCall"); err != nil {
		return "", nil, err
	}
	return method, params, d.end()
}

type decoder struct {
	data []byte
	pos  int
	// keys interns struct member names: a search_read of 10,000 records
	// repeats the same twenty names 10,000 times.
	keys map[string]string
}

func newDecoder(data []byte) *decoder {
	return &decoder{data: data, keys: make(map[string]string, 64)}
}

func (d *decoder) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func onlySpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// misc skips whitespace, comments and processing instructions. A DOCTYPE
// is refused: XML-RPC has none, and entity declarations are an attack.
func (d *decoder) misc() error {
	for {
		for d.pos < len(d.data) && isSpace(d.data[d.pos]) {
			d.pos++
		}
		rest := d.data[d.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			i := bytes.Index(rest, []byte("?>"))
			if i < 0 {
				return d.errorf("unterminated processing instruction")
			}
			d.pos += i + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			i := bytes.Index(rest[4:], []byte("-->"))
			if i < 0 {
				return d.errorf("unterminated comment")
			}
			d.pos += 4 + i + 3
		case bytes.HasPrefix(rest, []byte("<!")) && !bytes.HasPrefix(rest, []byte("<![CDATA[")):
			return d.errorf("DOCTYPE and declarations are not allowed in XML-RPC")
		default:
			return nil
		}
	}
}

func (d *decoder) prolog() error {
	// A UTF-8 byte order mark is legal before the declaration.
	if bytes.HasPrefix(d.data, []byte("\xef\xbb\xbf")) {
		d.pos = 3
	}
	return d.misc()
}

func (d *decoder) end() error {
	if err := d.misc(); err != nil {
		return err
	}
	if d.pos != len(d.data) {
		return d.errorf("trailing data after the document")
	}
	return nil
}

// tag reads the next element tag, skipping whitespace, comments and
// attributes. Text other than whitespace before it is an error.
func (d *decoder) tag() (name string, closing, empty bool, err error) {
	if err := d.misc(); err != nil {
		return "", false, false, err
	}
	if d.pos >= len(d.data) {
		return "", false, false, d.errorf("unexpected end of document")
	}
	if d.data[d.pos] != '<' {
		return "", false, false, d.errorf("unexpected text")
	}
	d.pos++
	if d.pos < len(d.data) && d.data[d.pos] == '/' {
		closing = true
		d.pos++
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '>' || c == '/' || isSpace(c) {
			break
		}
		d.pos++
	}
	if d.pos == start {
		return "", false, false, d.errorf("empty tag name")
	}
	name = tagName(d.data[start:d.pos])
	// Attributes carry nothing in XML-RPC; skip them, honouring quotes.
	var quote byte
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '/':
			empty = true
		case c == '>':
			d.pos++
			if closing && empty {
				return "", false, false, d.errorf("malformed closing tag </%s/>", name)
			}
			return name, closing, empty, nil
		case !isSpace(c):
			empty = false
		}
		d.pos++
	}
	return "", false, false, d.errorf("unterminated tag <%s", name)
}

// tagName maps the element names of XML-RPC to constants so that the common
// case allocates nothing.
func tagName(b []byte) string {
	switch string(b) {
	case "value":
		return "value"
	case "member":
		return "member"
	case "name":
		return "name"
	case "string":
		return "string"
	case "int":
		return "int"
	case "boolean":
		return "boolean"
	case "array":
		return "array"
	case "data":
		return "data"
	case "struct":
		return "struct"
	case "double":
		return "double"
	case "i4":
		return "i4"
	case "i8":
		return "i8"
	case "nil":
		return "nil"
	case "param":
		return "param"
	case "params":
		return "params"
	}
	return string(b)
}

func (d *decoder) expectOpen(want string) error {
	name, closing, empty, err := d.tag()
	if err != nil {
		return err
	}
	if name != want || closing || empty {
		return d.errorf("expected <%s>, found %s", want, describe(name, closing, empty))
	}
	return nil
}

func (d *decoder) expectClose(want string) error {
	name, closing, _, err := d.tag()
	if err != nil {
		return err
	}
	if name != want || !closing {
		return d.errorf("expected </%s>, found %s", want, describe(name, closing, false))
	}
	return nil
}

func describe(name string, closing, empty bool) string {
	switch {
	case closing:
		return "</" + name + ">"
	case empty:
		return "<" + name + "/>"
	}
	return "<" + name + ">"
}

// rawText returns the character data up to the next markup that is not a
// CDATA section, and whether it needs decoding (entities, CDATA, CR).
func (d *decoder) rawText() (raw []byte, plain bool, err error) {
	start := d.pos
	plain = true
	for {
		i := bytes.IndexByte(d.data[d.pos:], '<')
		if i < 0 {
			return nil, false, d.errorf("unexpected end of document in text")
		}
		seg := d.data[d.pos : d.pos+i]
		if plain && (bytes.IndexByte(seg, '&') >= 0 || bytes.IndexByte(seg, '\r') >= 0) {
			plain = false
		}
		d.pos += i
		if bytes.HasPrefix(d.data[d.pos:], []byte("<![CDATA[")) {
			j := bytes.Index(d.data[d.pos:], []byte("]]>"))
			if j < 0 {
				return nil, false, d.errorf("unterminated CDATA section")
			}
			d.pos += j + 3
			plain = false
			continue
		}
		if bytes.HasPrefix(d.data[d.pos:], []byte("<!--")) {
			j := bytes.Index(d.data[d.pos:], []byte("-->"))
			if j < 0 {
				return nil, false, d.errorf("unterminated comment")
			}
			d.pos += j + 3
			plain = false
			continue
		}
		return d.data[start:d.pos], plain, nil
	}
}

// text reads character data and decodes it.
func (d *decoder) text() (string, error) {
	raw, plain, err := d.rawText()
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw), nil
	}
	return d.unescape(raw)
}

// unescape resolves entities, CDATA sections and comments, and normalises
// line ends as an XML parser must (Python's expat does the same).
func (d *decoder) unescape(raw []byte) (string, error) {
	var sb strings.Builder
	sb.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '<' && bytes.HasPrefix(raw[i:], []byte("<![CDATA[")):
			j := bytes.Index(raw[i:], []byte("]]>"))
			sb.Write(normaliseCR(raw[i+9 : i+j]))
			i += j + 3
		case c == '<': // a comment, the only other markup rawText lets through
			j := bytes.Index(raw[i:], []byte("-->"))
			i += j + 3
		case c == '\r':
			sb.WriteByte('\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c == '&':
			j := bytes.IndexByte(raw[i:], ';')
			if j < 0 || j > 12 {
				return "", d.errorf("unterminated entity reference")
			}
			ent := string(raw[i+1 : i+j])
			switch ent {
			case "lt":
				sb.WriteByte('<')
			case "gt":
				sb.WriteByte('>')
			case "amp":
				sb.WriteByte('&')
			case "quot":
				sb.WriteByte('"')
			case "apos":
				sb.WriteByte('\'')
			default:
				r, ok := charRef(ent)
				if !ok {
					return "", d.errorf("unknown entity &%s;", ent)
				}
				sb.WriteRune(r)
			}
			i += j + 1
		default:
			sb.WriteByte(c)
			i++
		}
	}
	return sb.String(), nil
}

func normaliseCR(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

func charRef(ent string) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if ent[1] == 'x' || ent[1] == 'X' {
		n, err = strconv.ParseUint(ent[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(ent[1:], 10, 32)
	}
	if err != nil || n == 0 || n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, false
	}
	return rune(n), true
}

// valueElem reads <value>…</value>.
func (d *decoder) valueElem(depth int) (any, error) {
	name, closing, empty, err := d.tag()
	if err != nil {
		return nil, err
	}
	if name != "value" || closing {
		return nil, d.errorf("expected <value>, found %s", describe(name, closing, empty))
	}
	if empty {
		return "", nil
	}
	return d.valueBody(depth)
}

// valueBody reads what follows <value>, through </value>. A value with no
// type element is a string, whitespace included.
func (d *decoder) valueBody(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.errorf("values nested deeper than %d", maxDepth)
	}
	start := d.pos
	raw, plain, err := d.rawText()
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(d.data[d.pos:], []byte("</value>")) {
		d.pos += len("</value>")
		if plain {
			return string(raw), nil
		}
		return d.unescape(raw)
	}
	if !onlySpace(raw) {
		if plain {
			d.pos = start
			return nil, d.errorf("text mixed with a typed value")
		}
		// Comments or CDATA before the typed element: only whitespace may remain.
		s, err := d.unescape(raw)
		if err != nil {
			return nil, err
		}
		if strings.TrimLeft(s, " \t\n") != "" || bytes.Contains(raw, []byte("<![CDATA[")) {
			d.pos = start
			return nil, d.errorf("text mixed with a typed value")
		}
	}
	name, closing, empty, err := d.tag()
	if err != nil {
		return nil, err
	}
	if closing {
		return nil, d.errorf("unexpected </%s> in <value>", name)
	}
	v, err := d.typed(name, empty, depth)
	if err != nil {
		return nil, err
	}
	if err := d.expectClose("value"); err != nil {
		return nil, err
	}
	return v, nil
}

func (d *decoder) typed(name string, empty bool, depth int) (any, error) {
	switch name {
	case "nil", "ex:nil":
		if !empty {
			if err := d.expectClose(name); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case "struct":
		m := make(map[string]any, 8)
		if empty {
			return m, nil
		}
		return m, d.members(m, depth)
	case "array":
		if empty {
			return []any{}, nil
		}
		return d.array(depth)
	}
	var s string
	if !empty {
		raw, plain, err := d.rawText()
		if err != nil {
			return nil, err
		}
		if plain {
			if name == "string" {
				s = string(raw)
			} else {
				s = unsafeString(raw) // parsed below, never kept
			}
		} else if s, err = d.unescape(raw); err != nil {
			return nil, err
		}
		if err := d.expectClose(name); err != nil {
			return nil, err
		}
	}
	switch name {
	case "string":
		return s, nil
	case "int", "i4", "i8", "ex:i8":
		return d.integer(s)
	case "boolean":
		switch strings.TrimSpace(s) {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, d.errorf("boolean must be 0 or 1, got %q", clip(s))
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, d.errorf("bad double %q", clip(s))
		}
		return f, nil
	case "dateTime.iso8601":
		t, err := parseISO8601(strings.TrimSpace(s))
		if err != nil {
			return nil, d.errorf("bad dateTime.iso8601 %q", clip(s))
		}
		return t, nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(stripSpace(s))
		if err != nil {
			return nil, d.errorf("bad base64: %v", err)
		}
		return b, nil
	}
	return nil, d.errorf("unknown value type <%s>", name)
}

// integer parses an XML-RPC integer. Python accepts any size; Go keeps
// int64, and a bigger number is refused by name rather than wrapped.
func (d *decoder) integer(s string) (int64, error) {
	t := strings.TrimSpace(s)
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, d.errorf("integer %s does not fit in 64 bits", clip(t))
		}
		return 0, d.errorf("bad integer %q", clip(s))
	}
	return n, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return strings.Clone(s)
}

func stripSpace(s string) string {
	if strings.IndexAny(s, " \t\r\n") < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

func parseISO8601(s string) (time.Time, error) {
	for _, layout := range []string{"20060102T15:04:05", "2006-01-02T15:04:05", "20060102T150405", "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date")
}

func (d *decoder) array(depth int) ([]any, error) {
	name, closing, empty, err := d.tag()
	if err != nil {
		return nil, err
	}
	if name != "data" || closing {
		return nil, d.errorf("expected <data> in <array>, found %s", describe(name, closing, empty))
	}
	items := []any{}
	if !empty {
		for {
			name, closing, empty, err := d.tag()
			if err != nil {
				return nil, err
			}
			if closing && name == "data" {
				break
			}
			if name != "value" || closing {
				return nil, d.errorf("expected <value> in <data>, found %s", describe(name, closing, empty))
			}
			var v any = ""
			if !empty {
				if v, err = d.valueBody(depth + 1); err != nil {
					return nil, err
				}
			}
			items = append(items, v)
		}
	}
	return items, d.expectClose("array")
}

func (d *decoder) members(m map[string]any, depth int) error {
	for {
		name, closing, empty, err := d.tag()
		if err != nil {
			return err
		}
		if closing && name == "struct" {
			return nil
		}
		if name != "member" || closing || empty {
			return d.errorf("expected <member> in <struct>, found %s", describe(name, closing, empty))
		}
		if err := d.expectOpen("name"); err != nil {
			return err
		}
		raw, plain, err := d.rawText()
		if err != nil {
			return err
		}
		var key string
		if plain {
			key = d.intern(raw)
		} else if key, err = d.unescape(raw); err != nil {
			return err
		}
		if err := d.expectClose("name"); err != nil {
			return err
		}
		v, err := d.valueElem(depth + 1)
		if err != nil {
			return err
		}
		if err := d.expectClose("member"); err != nil {
			return err
		}
		m[key] = v
	}
}

func (d *decoder) intern(b []byte) string {
	if s, ok := d.keys[string(b)]; ok { // no allocation: the compiler special-cases this lookup
		return s
	}
	s := string(b)
	if len(d.keys) < 4096 {
		d.keys[s] = s
	}
	return s
}

// unsafeString views b as a string without copying, for text that is parsed
// into a number and then dropped.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
