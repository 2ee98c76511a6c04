package upgradelog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"
)

// benchLog is a ~100 MB synthetic `-u all` log shaped like the real one:
// per module a Loading line, file loading lines, a migration, a noisy
// ERROR with a traceback now and then, and the loaded line.
var benchLog = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.Grow(105 << 20)
	ts := time.Date(2026, 11, 24, 21, 6, 49, 0, time.UTC)
	stamp := func() string {
		ts = ts.Add(3 * time.Millisecond)
		return ts.Format("2006-01-02 15:04:05") + fmt.Sprintf(",%03d", ts.Nanosecond()/1e6)
	}
	for m := 0; b.Len() < 100<<20; m++ {
		name := fmt.Sprintf("module_%d", m)
		fmt.Fprintf(&b, "%s 23854 INFO prod16 odoo.modules.loading: Loading module %s (%d/100000) \n", stamp(), name, m+1)
		fmt.Fprintf(&b, "%s 23854 INFO prod16 odoo.modules.migration: module %s: Running migration [>16.0.1.0.2] pre-migrate \n", stamp(), name)
		for f := range 12 {
			fmt.Fprintf(&b, "%s 23854 INFO prod16 odoo.modules.loading: loading %s/views/view_%d.xml \n", stamp(), name, f)
		}
		fmt.Fprintf(&b, "%s 23854 WARNING prod16 odoo.modules.module: Missing `license` key in manifest for '%s', defaulting to LGPL-3 \n", stamp(), name)
		fmt.Fprintf(&b, "%s 23854 ERROR prod16 odoo.modules.module: Error in check_manifest_dependencies: unhashable type: 'dict' \n", stamp())
		if m%10 == 0 {
			fmt.Fprintf(&b, "%s 23854 ERROR prod16 odoo.addons.%s.models: computing stock valuation failed \n", stamp(), name)
			b.WriteString("Traceback (most recent call last):\n")
			for range 8 {
				fmt.Fprintf(&b, "  File \"/opt/odoo/src/odoo/addons/%s/models/x.py\", line 42, in _compute\n    raise ValueError(x)\n", name)
			}
			b.WriteString("ValueError: x\n")
		}
		fmt.Fprintf(&b, "%s 23854 INFO prod16 odoo.modules.loading: Module %s loaded in 0.15s, 83 queries (+83 other) \n", stamp(), name)
	}
	fmt.Fprintf(&b, "%s 23854 INFO prod16 odoo.modules.registry: Registry loaded in 41.886s \n", stamp())
	return b.Bytes()
})

// naiveJudge is the obvious alternative: bufio.Scanner and a regexp per
// line, then one regexp per marker on the lines whose level matters.
type naiveJudge struct {
	errors, criticals, modules int
	loading                    string
	allowed                    int
}

var (
	naiveLine    = regexp.MustCompile(`^(\S+ \S+) (\d+) (\S+) (\S+) ([^ :]+): (.*)$`)
	naiveLoading = regexp.MustCompile(`^Loading module (\S+) \((\d+)/(\d+)\)`)
	naiveLoaded  = regexp.MustCompile(`^Module (\S+) loaded in ([\d.]+)s, (\d+) queries`)
	naiveMigrate = regexp.MustCompile(`^module (\S+): Running migration \[(.*)\] (\S+)`)
)

func (n *naiveJudge) run(r io.Reader, allow *regexp.Regexp) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := naiveLine.FindSubmatch(sc.Bytes())
		if m == nil {
			continue
		}
		msg := bytes.TrimRight(m[6], " ")
		switch string(m[3]) {
		case "INFO":
			if l := naiveLoading.FindSubmatch(msg); l != nil {
				n.loading = string(l[1])
			} else if naiveLoaded.Match(msg) {
				n.modules++
			} else {
				naiveMigrate.FindSubmatch(msg)
			}
		case "ERROR":
			if allow.Match(append(append(m[5], ": "...), msg...)) {
				n.allowed++
			} else {
				n.errors++
			}
		case "CRITICAL":
			n.criticals++
		}
	}
}

// BenchmarkParse streams the synthetic log through the naive judge, then
// through the Parser in 32 KiB writes (what io.Copy does with a
// container's log stream); the stream run reports how many times faster it
// was than the naive one ("x-vs-naive") and both report MB/s and allocs.
func BenchmarkParse(b *testing.B) {
	data := benchLog()
	var naive time.Duration
	b.Run("naive-regexp", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var n naiveJudge
			n.run(bytes.NewReader(data), manifestNoise)
			if n.errors == 0 {
				b.Fatal("naive judge saw no errors")
			}
		}
		naive = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			p := New(WithAllow(manifestNoise))
			buf := make([]byte, 32<<10)
			_, _ = io.CopyBuffer(onlyWriter{p}, bytes.NewReader(data), buf)
			if v := p.Judge(0); v.OK || v.ProblemsDropped == 0 {
				b.Fatalf("unexpected verdict: %s", v.Summary())
			}
		}
		if stream := b.Elapsed() / time.Duration(b.N); naive > 0 && stream > 0 {
			b.ReportMetric(naive.Seconds()/stream.Seconds(), "x-vs-naive")
		}
	})
}

// onlyWriter hides WriteString/ReadFrom so io.Copy really streams.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(b []byte) (int, error) { return o.w.Write(b) }
