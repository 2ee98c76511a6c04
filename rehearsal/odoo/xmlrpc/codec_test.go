package xmlrpc

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func response(value string) []byte {
	return []byte("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + value + "\n</param>\n</params>\n</methodResponse>\n")
}

func TestDecodeValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  any
	}{
		{"int", "<value><int>38</int></value>", int64(38)},
		{"i4 negative", "<value><i4>-7</i4></value>", int64(-7)},
		{"i8", "<value><i8>1099511627776</i8></value>", int64(1099511627776)},
		{"False for an empty field", "<value><boolean>0</boolean></value>", false},
		{"true", "<value><boolean>1</boolean></value>", true},
		{"nil accepted", "<value><nil/></value>", nil},
		{"untyped value is a string, spaces kept", "<value>  a b </value>", "  a b "},
		{"empty value", "<value></value>", ""},
		{"self-closed value", "<value/>", ""},
		{"empty string element", "<value><string/></value>", ""},
		{"entities", "<value><string>&lt;p&gt;R&amp;D &#233;t&#xE9; &quot;x&apos;</string></value>", "<p>R&D été \"x'"},
		{"CDATA", "<value><string>a<![CDATA[<b>&]]>c</string></value>", "a<b>&c"},
		{"CRLF normalised", "<value><string>a\r\nb\rc</string></value>", "a\nb\nc"},
		{"double", "<value><double>1740.0</double></value>", 1740.0},
		{"many2one", "<value><array><data><value><int>10</int></value><value><string>Deco Addict</string></value></data></array></value>",
			[]any{int64(10), "Deco Addict"}},
		{"empty array", "<value><array><data>\n</data></array></value>", []any{}},
		{"empty struct", "<value><struct></struct></value>", map[string]any{}},
		{"datetime as Odoo sends it: a string", "<value><string>2026-10-24 21:03:00</string></value>", "2026-10-24 21:03:00"},
		{"dateTime.iso8601", "<value><dateTime.iso8601>20261024T21:03:00</dateTime.iso8601></value>", time.Date(2026, 10, 24, 21, 3, 0, 0, time.UTC)},
		{"base64", "<value><base64>aGVs\nbG8=</base64></value>", []byte("hello")},
		{"comment between elements", "<value><!-- x --><int>1</int></value>", int64(1)},
		{"struct", "<value><struct><member><name>id</name><value><int>1</int></value></member><member><name>note</name><value><boolean>0</boolean></value></member></struct></value>",
			map[string]any{"id": int64(1), "note": false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeResponse(response(tc.value))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"int beyond 64 bits", response("<value><int>99999999999999999999</int></value>"), "does not fit in 64 bits"},
		{"i8 beyond 64 bits", response("<value><i8>-99999999999999999999</i8></value>"), "does not fit in 64 bits"},
		{"bad int", response("<value><int>12a</int></value>"), "bad integer"},
		{"bad boolean", response("<value><boolean>yes</boolean></value>"), "boolean must be 0 or 1"},
		{"unknown type", response("<value><decimal>1</decimal></value>"), "unknown value type <decimal>"},
		{"DOCTYPE (entity expansion)", []byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodResponse/>`), "DOCTYPE"},
		{"unknown entity", response("<value><string>&nbsp;</string></value>"), "unknown entity"},
		{"truncated", response("<value><string>abc")[:60], "unterminated"},
		{"trailing garbage", append(response("<value><int>1</int></value>"), "<x/>"...), "trailing data"},
		{"text mixed with type", response("<value>x<int>1</int></value>"), "text mixed"},
		{"HTML error page", []byte("<!doctype html>\n<html><title>500</title></html>"), "DOCTYPE"},
		{"empty body", []byte(""), "end of document"},
		{"deep nesting", response(strings.Repeat("<value><array><data>", 300) + strings.Repeat("</data></array></value>", 300)), "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse(tc.body)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDecodeFaults(t *testing.T) {
	fault := func(code string) []byte {
		return []byte("<?xml version='1.0'?><methodResponse><fault><value><struct>" +
			"<member><name>faultCode</name><value>" + code + "</value></member>" +
			"<member><name>faultString</name><value><string>Access Denied</string></value></member>" +
			"</struct></value></fault></methodResponse>")
	}
	for _, tc := range []struct {
		name     string
		body     []byte
		code     int64
		codeText string
	}{
		{"int code on /xmlrpc/2", fault("<int>3</int>"), 3, ""},
		{"string code on legacy /xmlrpc/", fault("<string>AccessDenied</string>"), 0, "AccessDenied"},
		{"untyped string code", fault("warning -- UserError\n\nNope"), 0, "warning -- UserError\n\nNope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse(tc.body)
			var f *Fault
			require.ErrorAs(t, err, &f)
			assert.Equal(t, tc.code, f.Code)
			assert.Equal(t, tc.codeText, f.CodeText)
			assert.Equal(t, "Access Denied", f.String)
		})
	}
}

func TestEncodeCall(t *testing.T) {
	out, err := AppendCall(nil, "execute_kw", "db", 2, "pw", "res.partner", "search_count",
		[]any{[]any{[]any{"parent_id", "=", nil}, []any{"id", "=", int64(1) << 40}}},
		map[string]any{"context": map[string]string{"lang": "fr_FR"}, "limit": uint8(3), "z": 1.5, "b": []byte("hi"), "names": []string{"a<b", "c&d\re"}})
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, "<value><nil/></value>")
	assert.Contains(t, s, "<i8>1099511627776</i8>")
	assert.Contains(t, s, "<string>a&lt;b</string>")
	assert.Contains(t, s, "<string>c&amp;d&#13;e</string>")
	assert.Less(t, strings.Index(s, "<name>b</name>"), strings.Index(s, "<name>context</name>"), "struct keys are sorted")

	method, params, err := DecodeCall(out)
	require.NoError(t, err)
	assert.Equal(t, "execute_kw", method)
	require.Len(t, params, 7)
	kw := params[6].(map[string]any)
	assert.Equal(t, []any{"a<b", "c&d\re"}, kw["names"], "a CR survives the trip")
	assert.Equal(t, int64(3), kw["limit"])
	assert.Equal(t, []byte("hi"), kw["b"])
}

func TestEncodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"NaN", math.NaN(), "finite"},
		{"uint64 beyond int64", uint64(math.MaxUint64), "does not fit"},
		{"control character", "a\x00b", "cannot carry"},
		{"invalid UTF-8", "\xff", "cannot carry"},
		{"non-string map key", map[int]string{1: "a"}, "keys must be strings"},
		{"channel", make(chan int), "cannot encode"},
		{"nested path named", map[string]any{"vals": []any{1, math.Inf(1)}}, "vals: [1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AppendCall(nil, "m", tc.value)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// FuzzDecode checks that no body makes the decoder panic or hang, and that
// whatever it accepts survives an encode/decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/captures/*.xml")
	for _, p := range seeds {
		raw, err := os.ReadFile(p)
		if err == nil {
			f.Add(captureBody(raw))
		}
	}
	f.Add(response("<value><array><data><value><nil/></value><value>x</value></data></array></value>"))
	f.Add(response("<value><string><![CDATA[a]]>&#x1F600;</string></value>"))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := DecodeResponse(body)
		if err != nil {
			var f *Fault
			var se *SyntaxError
			if !errors.As(err, &f) && !errors.As(err, &se) {
				t.Fatalf("error of unexpected type %T: %v", err, err)
			}
			return
		}
		out, err := AppendResponse(nil, v)
		if err != nil {
			return // e.g. a control character decoded from &#1; cannot be sent back
		}
		v2, err := DecodeResponse(out)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v\n%s", err, out)
		}
		assert.Equal(t, v, v2)
		_, _, _ = DecodeCall(body)
	})
}
