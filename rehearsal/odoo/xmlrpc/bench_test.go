package xmlrpc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// searchReadBody builds a search_read answer shaped like Odoo's sale.order
// rows (many2one pairs, False for empty fields, string datetimes, doubles,
// x2many id lists, HTML notes), at least minBytes long.
func searchReadBody(tb testing.TB, minBytes int) []byte {
	tb.Helper()
	var rows []any
	states := []string{"draft", "sent", "sale", "done", "cancel"}
	for size, i := 0, 1; size < minBytes; i++ {
		row := map[string]any{
			"id":               i,
			"name":             fmt.Sprintf("S%05d", i),
			"partner_id":       []any{10 + i%50, fmt.Sprintf("Customer %d, Deco & Addict", i%50)},
			"date_order":       "2026-10-24 21:03:00",
			"validity_date":    false,
			"commitment_date":  false,
			"amount_untaxed":   float64(i%997) * 1.25,
			"amount_tax":       float64(i%97) * 0.15,
			"amount_total":     float64(i%997)*1.25 + float64(i%97)*0.15,
			"state":            states[i%len(states)],
			"invoice_status":   "to invoice",
			"user_id":          []any{2, "Mitchell Admin"},
			"team_id":          []any{1, "Sales"},
			"company_id":       []any{1, "My Company (San Francisco)"},
			"currency_id":      []any{2, "USD"},
			"client_order_ref": false,
			"tag_ids":          []any{1, 2, i % 7},
			"order_line":       []any{i * 3, i*3 + 1, i*3 + 2},
			"note":             "<p>Terms &amp; conditions: payment within 30 days</p>",
			"create_date":      "2026-11-24 21:01:48",
			"write_date":       "2026-11-24 21:03:19",
			"origin":           false,
		}
		rows = append(rows, row)
		size += 1500 // rough size of one encoded row; checked below
		if i%1000 == 0 {
			body, err := AppendResponse(nil, rows)
			if err != nil {
				tb.Fatal(err)
			}
			size = len(body)
		}
	}
	body, err := AppendResponse(nil, rows)
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// pythonLoads times xmlrpc.client.loads on the same bytes inside Python,
// so process start-up and file reading are not counted against it.
const pythonLoads = `
import sys, time, xmlrpc.client
data = open(sys.argv[1], 'rb').read()
xmlrpc.client.loads(data)
n, start = 0, time.perf_counter()
while True:
    xmlrpc.client.loads(data)
    n += 1
    el = time.perf_counter() - start
    if el > 2.0 and n >= 3:
        break
print(el / n * 1e9)
`

// BenchmarkDecodeSearchRead decodes a ≥5 MB search_read answer and reports
// Python's xmlrpc.client.loads on the same bytes side by side (target: at
// least 2× its throughput). Run: make bench-xmlrpc.
func BenchmarkDecodeSearchRead(b *testing.B) {
	body := searchReadBody(b, 5<<20)
	pyNs := pythonNsPerOp(b, body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := DecodeResponse(body); err != nil {
			b.Fatal(err)
		}
	}
	goNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if pyNs > 0 {
		b.ReportMetric(pyNs/1e6, "python-ms/op")
		b.ReportMetric(pyNs/goNs, "x-python")
		b.Logf("%.1f MB body: Go %.1f ms/op (%.0f MB/s), Python xmlrpc.client.loads %.1f ms/op (%.0f MB/s): %.2f× Python",
			float64(len(body))/1e6, goNs/1e6, float64(len(body))/goNs*1e3, pyNs/1e6, float64(len(body))/pyNs*1e3, pyNs/goNs)
	}
}

func pythonNsPerOp(b *testing.B, body []byte) float64 {
	b.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		b.Logf("python3 not found: no side-by-side figure")
		return 0
	}
	path := filepath.Join(b.TempDir(), "search_read.xml")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command(py, "-c", pythonLoads, path).Output()
	if err != nil {
		b.Fatalf("python3: %v", err)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python3 printed %q", out)
	}
	b.Logf("python3 timing took %s", time.Since(start).Round(time.Millisecond))
	return ns
}
