package xmlrpc

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendCall appends a methodCall for method and params to dst, in the
// layout Python's xmlrpc.client writes (what Odoo has always been fed).
//
// Go values map as: nil → <nil/> (Odoo accepts it in requests), bool,
// integers (<int> within 32 bits, <i8> beyond: Odoo reads both, Python's
// client would refuse the big ones), floats (NaN and ±Inf refused), string,
// []byte → <base64>, time.Time → <dateTime.iso8601>, slices and arrays →
// <array>, maps with string keys → <struct> (keys sorted, so the bytes are
// reproducible). Anything else is refused with the path to the bad value.
func AppendCall(dst []byte, method string, params ...any) ([]byte, error) {
	dst = append(dst, "<?xml version='1.0'?>\n<methodCall>\n<methodName>"...)
	dst = appendEscaped(dst, method)
	dst = append(dst, "</methodName>\n<params>\n"...)
	for i, p := range params {
		var err error
		dst = append(dst, "<param>\n"...)
		if dst, err = appendValue(dst, p, 0); err != nil {
			return nil, fmt.Errorf("xml-rpc: param %d: %w", i, err)
		}
		dst = append(dst, "</param>\n"...)
	}
	return append(dst, "</params>\n</methodCall>\n"...), nil
}

// AppendResponse appends a methodResponse carrying v.
func AppendResponse(dst []byte, v any) ([]byte, error) {
	dst = append(dst, "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"...)
	dst, err := appendValue(dst, v, 0)
	if err != nil {
		return nil, fmt.Errorf("xml-rpc: response: %w", err)
	}
	return append(dst, "</param>\n</params>\n</methodResponse>\n"...), nil
}

// AppendFault appends a methodResponse carrying f, its code as an int or,
// when CodeText is set, as a string the way the legacy endpoint sends it.
func AppendFault(dst []byte, f *Fault) []byte {
	var code any = f.Code
	if f.CodeText != "" {
		code = f.CodeText
	}
	dst = append(dst, "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n"...)
	dst, _ = appendValue(dst, map[string]any{"faultCode": code, "faultString": f.String}, 0)
	return append(dst, "</fault>\n</methodResponse>\n"...)
}

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("values nested deeper than %d", maxDepth)
	}
	dst = append(dst, "<value>"...)
	var err error
	switch x := v.(type) {
	case nil:
		dst = append(dst, "<nil/>"...)
	case bool:
		if x {
			dst = append(dst, "<boolean>1</boolean>"...)
		} else {
			dst = append(dst, "<boolean>0</boolean>"...)
		}
	case string:
		if dst, err = appendString(dst, x); err != nil {
			return nil, err
		}
	case int:
		dst = appendInt(dst, int64(x))
	case int64:
		dst = appendInt(dst, x)
	case int32:
		dst = appendInt(dst, int64(x))
	case float64:
		if dst, err = appendDouble(dst, x); err != nil {
			return nil, err
		}
	case []byte:
		dst = append(dst, "<base64>"...)
		dst = base64.StdEncoding.AppendEncode(dst, x)
		dst = append(dst, "</base64>"...)
	case time.Time:
		dst = append(dst, "<dateTime.iso8601>"...)
		dst = x.AppendFormat(dst, "20060102T15:04:05")
		dst = append(dst, "</dateTime.iso8601>"...)
	case []any:
		dst = append(dst, "<array><data>\n"...)
		for i, item := range x {
			if dst, err = appendValue(dst, item, depth+1); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		dst = append(dst, "</data></array>"...)
	case map[string]any:
		dst = append(dst, "<struct>\n"...)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if dst, err = appendMember(dst, k, x[k], depth); err != nil {
				return nil, err
			}
		}
		dst = append(dst, "</struct>"...)
	default:
		if dst, err = appendReflect(dst, reflect.ValueOf(v), depth); err != nil {
			return nil, err
		}
	}
	return append(dst, "</value>\n"...), nil
}

func appendMember(dst []byte, k string, v any, depth int) ([]byte, error) {
	if !validText(k) {
		return nil, fmt.Errorf("struct key %q holds a character XML cannot carry", k)
	}
	dst = append(dst, "<member>\n<name>"...)
	dst = appendEscaped(dst, k)
	dst = append(dst, "</name>\n"...)
	dst, err := appendValue(dst, v, depth+1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k, err)
	}
	return append(dst, "</member>\n"...), nil
}

// appendReflect covers typed slices and maps ([]int, []string,
// map[string]string, …) that callers naturally build for domains and values.
func appendReflect(dst []byte, rv reflect.Value, depth int) ([]byte, error) {
	var err error
	switch rv.Kind() {
	case reflect.Int8, reflect.Int16:
		return appendInt(dst, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d does not fit in XML-RPC's 64-bit <i8>", u)
		}
		return appendInt(dst, int64(u)), nil
	case reflect.Float32:
		return appendDouble(dst, rv.Float())
	case reflect.String:
		return appendString(dst, rv.String())
	case reflect.Bool:
		if rv.Bool() {
			return append(dst, "<boolean>1</boolean>"...), nil
		}
		return append(dst, "<boolean>0</boolean>"...), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return append(dst, "<array><data>\n</data></array>"...), nil
		}
		dst = append(dst, "<array><data>\n"...)
		for i := range rv.Len() {
			if dst, err = appendValue(dst, rv.Index(i).Interface(), depth+1); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return append(dst, "</data></array>"...), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("cannot encode %s: struct keys must be strings", rv.Type())
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			switch as, bs := a.String(), b.String(); {
			case as < bs:
				return -1
			case as > bs:
				return 1
			}
			return 0
		})
		dst = append(dst, "<struct>\n"...)
		for _, k := range keys {
			if dst, err = appendMember(dst, k.String(), rv.MapIndex(k).Interface(), depth); err != nil {
				return nil, err
			}
		}
		return append(dst, "</struct>"...), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, "<nil/>"...), nil
		}
		return appendReflect(dst, rv.Elem(), depth)
	case reflect.Invalid:
		return append(dst, "<nil/>"...), nil
	}
	return nil, fmt.Errorf("cannot encode a %s as XML-RPC", rv.Type())
}

func appendInt(dst []byte, n int64) []byte {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		dst = append(dst, "<int>"...)
		dst = strconv.AppendInt(dst, n, 10)
		return append(dst, "</int>"...)
	}
	dst = append(dst, "<i8>"...)
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, "</i8>"...)
}

func appendDouble(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("cannot encode %v: XML-RPC doubles are finite", f)
	}
	dst = append(dst, "<double>"...)
	// Python writes repr(float); 'g' with -1 precision round-trips the same.
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	return append(dst, "</double>"...), nil
}

func appendString(dst []byte, s string) ([]byte, error) {
	if !validText(s) {
		return nil, fmt.Errorf("string holds a character XML cannot carry (control character or invalid UTF-8): %q", clip(s))
	}
	dst = append(dst, "<string>"...)
	dst = appendEscaped(dst, s)
	return append(dst, "</string>"...), nil
}

// validText reports whether s can travel in an XML 1.0 document: Odoo's
// expat parser rejects control characters and invalid UTF-8 outright.
func validText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

func appendEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\r': // a raw CR would be read back as LF
			esc = "&#13;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}
