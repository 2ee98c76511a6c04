package odoo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/odoo/xmlrpc"
)

// Kind names the class of an Odoo fault, as scenarios spell it
// (`fault: access_error`).
type Kind string

// The kinds of fault Odoo answers with. On /xmlrpc/2 they are told apart
// by the fault code (1 server, 2 user/validation/missing, 3 access denied,
// 4 access error); on the legacy /xmlrpc/ endpoint by the text code
// ("warning -- UserError", "AccessDenied", …).
const (
	KindAccessDenied Kind = "access_denied" // bad login or password (code 3)
	KindAccessError  Kind = "access_error"  // ACLs or record rules refused (code 4)
	KindUserError    Kind = "user_error"    // UserError, ValidationError, RedirectWarning (code 2)
	KindMissing      Kind = "missing"       // MissingError: a record deleted or never there (code 2)
	KindServer       Kind = "server_error"  // any other exception, with its traceback (code 1)
)

// Kinds lists every kind, for validating scenario files.
var Kinds = []Kind{KindAccessDenied, KindAccessError, KindUserError, KindMissing, KindServer}

// Fault is a fault answered by Odoo, classified. Every typed error below
// wraps one, so `errors.As(err, &f)` with f a *Fault works for all kinds.
type Fault struct {
	Kind      Kind
	Code      string // the fault code as sent: "2", or "warning -- UserError"
	Message   string // what a person reads; for server errors, the exception line
	Traceback string // the Python traceback of a server error, else empty
	Call      string // what was called, e.g. "res.partner.write" or "common.authenticate"
}

func (f *Fault) Error() string {
	msg := f.Message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[:i]) + " …"
	}
	return fmt.Sprintf("odoo %s: %s: %s", f.Call, strings.ReplaceAll(string(f.Kind), "_", " "), msg)
}

// The typed faults. Use errors.As to tell them apart:
//
//	var denied *odoo.AccessDenied
//	if errors.As(err, &denied) { … }
type (
	AccessDenied struct{ *Fault }
	AccessError  struct{ *Fault }
	UserError    struct{ *Fault }
	MissingError struct{ *Fault }
	ServerError  struct{ *Fault }
)

func (e *AccessDenied) Unwrap() error { return e.Fault }
func (e *AccessError) Unwrap() error  { return e.Fault }
func (e *UserError) Unwrap() error    { return e.Fault }
func (e *MissingError) Unwrap() error { return e.Fault }
func (e *ServerError) Unwrap() error  { return e.Fault }

// FaultOf returns the Odoo fault inside err, if there is one.
func FaultOf(err error) (*Fault, bool) {
	var f *Fault
	ok := errors.As(err, &f)
	return f, ok
}

// classify turns a wire fault into the typed error of its kind.
func classify(call string, wf *xmlrpc.Fault) error {
	f := &Fault{Call: call, Message: wf.String}
	if wf.CodeText != "" {
		f.Code = wf.CodeText
		classifyText(f, wf)
	} else {
		f.Code = fmt.Sprint(wf.Code)
		switch wf.Code {
		case 2:
			f.Kind = KindUserError
			if isMissing(wf.String) {
				f.Kind = KindMissing
			}
		case 3:
			f.Kind = KindAccessDenied
		case 4:
			f.Kind = KindAccessError
		default:
			f.Kind = KindServer
			f.Traceback = wf.String
			f.Message = exceptionLine(wf.String)
		}
	}
	return typed(f)
}

// classifyText reads the legacy endpoint's text codes: "AccessDenied", or
// "warning -- <ExceptionName>\n\n<message>" with an empty faultString.
func classifyText(f *Fault, wf *xmlrpc.Fault) {
	code := wf.CodeText
	if code == "AccessDenied" {
		f.Kind = KindAccessDenied
		return
	}
	if rest, ok := strings.CutPrefix(code, "warning -- "); ok {
		name, msg, _ := strings.Cut(rest, "\n\n")
		f.Code = "warning -- " + name
		if f.Message == "" {
			f.Message = msg
		}
		switch name {
		case "AccessError":
			f.Kind = KindAccessError
		case "AccessDenied":
			f.Kind = KindAccessDenied
		case "MissingError":
			f.Kind = KindMissing
		default: // UserError, ValidationError, RedirectWarning, except_orm
			f.Kind = KindUserError
			if isMissing(f.Message) {
				f.Kind = KindMissing
			}
		}
		return
	}
	f.Kind = KindServer
	f.Traceback = wf.String
	f.Message = exceptionLine(wf.String)
	if f.Message == "" {
		f.Message = code
	}
}

// isMissing recognises MissingError, which /xmlrpc/2 sends with the same
// code 2 as a UserError.
func isMissing(msg string) bool {
	return strings.HasPrefix(msg, "Record does not exist or has been deleted") ||
		strings.HasPrefix(msg, "Missing document")
}

// exceptionLine picks "KeyError: 'x'" out of a Python traceback: the last
// line that is not indented and not a psycopg LINE/caret excerpt.
func exceptionLine(tb string) string {
	lines := strings.Split(strings.TrimRight(tb, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if l == "" || l[0] == ' ' || l[0] == '\t' || strings.HasPrefix(l, "LINE ") {
			continue
		}
		if strings.HasPrefix(l, "Traceback (most recent call last)") {
			break
		}
		return l
	}
	return strings.TrimSpace(tb)
}

func typed(f *Fault) error {
	switch f.Kind {
	case KindAccessDenied:
		return &AccessDenied{f}
	case KindAccessError:
		return &AccessError{f}
	case KindUserError:
		return &UserError{f}
	case KindMissing:
		return &MissingError{f}
	}
	return &ServerError{f}
}

// HTTPError is an answer that is not XML-RPC at all: Odoo answers 500 to
// every request while a failed update is loaded, 404 without a database
// router, and a proxy may answer with its own page.
type HTTPError struct {
	Status  int
	URL     string
	Excerpt string // the start of the body, for the report
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("odoo %s answered HTTP %d: %s", e.URL, e.Status, e.Excerpt)
}

// TooLargeError is an answer bigger than the client's cap
// (WithMaxResponseBytes): read no further rather than exhaust memory.
type TooLargeError struct {
	Limit int64
	Call  string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("odoo %s: answer larger than %d bytes (raise the cap with odoo.WithMaxResponseBytes or ask for fewer records)", e.Call, e.Limit)
}
