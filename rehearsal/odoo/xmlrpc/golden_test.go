package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -update regenerates testdata/golden from Python's xmlrpc.client, the
// decoder Odoo itself uses, so the golden files are the reference
// implementation's reading of each capture, not ours.
var update = flag.Bool("update", false, "regenerate testdata/golden with python3's xmlrpc.client")

// pythonCanon prints, for each file given, Python's decoding of the body in
// the same canonical JSON that canon() builds from ours.
const pythonCanon = `
import sys, json, base64, xmlrpc.client
def canon(v):
    if isinstance(v, bool): return v
    if isinstance(v, int): return {"int": str(v)}
    if isinstance(v, float): return {"double": repr(v)}
    if isinstance(v, str): return v
    if v is None: return None
    if isinstance(v, (bytes, bytearray)): return {"base64": base64.b64encode(v).decode()}
    if isinstance(v, xmlrpc.client.Binary): return {"base64": base64.b64encode(v.data).decode()}
    if isinstance(v, xmlrpc.client.DateTime): return {"datetime": v.value}
    if isinstance(v, (list, tuple)): return [canon(x) for x in v]
    if isinstance(v, dict): return {k: canon(x) for k, x in v.items()}
    raise TypeError(type(v))
out = {}
for path in sys.argv[1:]:
    raw = open(path, 'rb').read()
    body = raw[raw.index(b'<?xml'):] if b'<?xml' in raw else raw
    try:
        params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        if method is None:
            out[path] = {"response": canon(params[0])}
        else:
            out[path] = {"method": method, "params": canon(list(params))}
    except xmlrpc.client.Fault as f:
        code = {"int": str(f.faultCode)} if isinstance(f.faultCode, int) else f.faultCode
        out[path] = {"fault": {"code": code, "string": f.faultString}}
    except Exception as e:
        out[path] = {"error": type(e).__name__}
json.dump(out, sys.stdout, sort_keys=True, indent=1, ensure_ascii=False)
`

// canon turns a decoded value into the JSON shape pythonCanon prints.
func canon(v any) any {
	switch x := v.(type) {
	case int64:
		return map[string]any{"int": strconvInt(x)}
	case float64:
		return map[string]any{"double": pyFloat(x)}
	case []byte:
		return map[string]any{"base64": base64.StdEncoding.EncodeToString(x)}
	case time.Time:
		return map[string]any{"datetime": x.Format("20060102T15:04:05")}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canon(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canon(e)
		}
		return out
	}
	return v
}

// captureBody strips the HTTP head the capture files keep.
func captureBody(raw []byte) []byte {
	if i := bytes.Index(raw, []byte("<?xml")); i >= 0 {
		return raw[i:]
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[i+4:]
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return raw[i+2:]
	}
	return raw
}

// decodeCanon is our reading of a capture, in the golden shape.
func decodeCanon(t *testing.T, name string, body []byte) map[string]any {
	t.Helper()
	if strings.HasSuffix(name, ".request.xml") {
		method, params, err := DecodeCall(body)
		require.NoError(t, err)
		return map[string]any{"method": method, "params": canon(params)}
	}
	v, err := DecodeResponse(body)
	var f *Fault
	switch {
	case errors.As(err, &f):
		var code any = map[string]any{"int": strconvInt(f.Code)}
		if f.CodeText != "" {
			code = f.CodeText
		}
		return map[string]any{"fault": map[string]any{"code": code, "string": f.String}}
	case err != nil:
		return map[string]any{"error": err.Error()}
	}
	return map[string]any{"response": canon(v)}
}

// captureSets are the folders of real wire captures: a small copy kept in
// the repository, and the full set in ../shared when it is there.
func captureDirs(t *testing.T) []string {
	dirs := []string{"testdata/captures"}
	shared := filepath.Join(repoRoot(t), "..", "shared", "odoo", "captures")
	if _, err := os.Stat(shared); err == nil {
		dirs = append(dirs, shared)
	} else {
		t.Logf("%s absent: golden tests use the %d-file copy in testdata/captures only", shared, countXML(t, dirs[0]))
	}
	return dirs
}

func countXML(t *testing.T, dir string) int {
	m, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	require.NoError(t, err)
	return len(m)
}

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func TestGoldenCaptures(t *testing.T) {
	goldenPath := "testdata/golden/captures.json"
	var golden map[string]map[string]any
	for _, dir := range captureDirs(t) {
		files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
		require.NoError(t, err)
		require.NotEmpty(t, files, dir)
		sort.Strings(files)
		if *update {
			regenerateGolden(t, goldenPath, files)
		}
		{
			raw, err := os.ReadFile(goldenPath)
			require.NoError(t, err, "run go test -run TestGoldenCaptures -update with ../shared present")
			require.NoError(t, json.Unmarshal(raw, &golden))
		}
		for _, path := range files {
			name := filepath.Base(path)
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				raw, err := os.ReadFile(path)
				require.NoError(t, err)
				want, ok := golden[name]
				require.True(t, ok, "no golden entry for %s: rerun with -update", name)
				got := decodeCanon(t, name, captureBody(raw))
				if _, isErr := want["error"]; isErr {
					// Python refused the body; so must we, without
					// comparing the wording of the two errors.
					require.Contains(t, got, "error", "python refused %s but we decoded it", name)
					return
				}
				assert.Equal(t, roundTripJSON(t, want), roundTripJSON(t, got))
			})
		}
	}
}

// TestGoldenRequestsReencode encodes each captured request back and checks
// that it decodes to the same call: our encoder writes what Odoo was sent.
func TestGoldenRequestsReencode(t *testing.T) {
	for _, dir := range captureDirs(t) {
		files, err := filepath.Glob(filepath.Join(dir, "*.request.xml"))
		require.NoError(t, err)
		for _, path := range files {
			t.Run(filepath.Base(dir)+"/"+filepath.Base(path), func(t *testing.T) {
				raw, err := os.ReadFile(path)
				require.NoError(t, err)
				method, params, err := DecodeCall(captureBody(raw))
				require.NoError(t, err)
				out, err := AppendCall(nil, method, params...)
				require.NoError(t, err)
				method2, params2, err := DecodeCall(out)
				require.NoError(t, err)
				assert.Equal(t, method, method2)
				assert.Equal(t, params, params2)
				if bytes.Contains(raw, []byte("<i8>")) {
					assert.Contains(t, string(out), "<i8>", "a big integer must travel as <i8>")
				}
			})
		}
	}
}

func regenerateGolden(t *testing.T, goldenPath string, files []string) {
	t.Helper()
	py, err := exec.LookPath("python3")
	require.NoError(t, err, "-update needs python3")
	out, err := exec.Command(py, append([]string{"-c", pythonCanon}, files...)...).Output()
	require.NoError(t, err)
	var byPath map[string]map[string]any
	require.NoError(t, json.Unmarshal(out, &byPath))
	merged := map[string]map[string]any{}
	if raw, err := os.ReadFile(goldenPath); err == nil {
		require.NoError(t, json.Unmarshal(raw, &merged))
	}
	for path, v := range byPath {
		merged[filepath.Base(path)] = v
	}
	buf, err := json.MarshalIndent(merged, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(goldenPath, append(buf, '\n'), 0o644))
}

func roundTripJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func strconvInt(n int64) string { return strconv.FormatInt(n, 10) }

// pyFloat formats f as Python's repr does, so golden files compare exactly.
func pyFloat(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, err := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if err != nil || exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
