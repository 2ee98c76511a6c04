package upgradelog

import (
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logSource produces an endless-looking upgrade log without holding it:
// module after module, each with file loads, a migration, an un-allowed
// ERROR with a traceback and the loaded line.
type logSource struct {
	module, limit int
	buf           []byte
}

func (s *logSource) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.module == s.limit {
			return 0, io.EOF
		}
		s.module++
		m := s.module
		s.buf = fmt.Appendf(s.buf[:0], "2026-11-24 21:06:50,284 1 INFO db odoo.modules.loading: Loading module m%d (%d/%d) \n", m, m, s.limit)
		s.buf = fmt.Appendf(s.buf, "2026-11-24 21:06:50,285 1 INFO db odoo.modules.migration: module m%d: Running migration [>16.0.1.0.%d] pre-migrate \n", m, m)
		for f := range 20 {
			s.buf = fmt.Appendf(s.buf, "2026-11-24 21:06:50,286 1 INFO db odoo.modules.loading: loading m%d/views/v%d.xml \n", m, f)
		}
		s.buf = fmt.Appendf(s.buf, "2026-11-24 21:06:50,287 1 ERROR db odoo.addons.m%d: failure %d \nTraceback (most recent call last):\n", m, m)
		for range 30 {
			s.buf = fmt.Appendf(s.buf, "  File \"/opt/odoo/addons/m%d/models.py\", line 1, in f\n", m)
		}
		s.buf = fmt.Appendf(s.buf, "2026-11-24 21:06:50,300 1 INFO db odoo.modules.loading: Module m%d loaded in 0.02s, 10 queries (+10 other) \n", m)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// The parser's memory must not grow with the log: every list is capped.
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams ~100 MB of log; skipped with -short")
	}
	p := New()
	// Past every cap first (5000 modules and migrations, 100 problems).
	n, err := io.Copy(onlyWriter{p}, &logSource{limit: 6000})
	require.NoError(t, err)
	base := heapInUse()

	more, err := io.Copy(onlyWriter{p}, &logSource{limit: 24000})
	require.NoError(t, err)
	grown := int64(heapInUse()) - int64(base)

	v := p.Judge(0)
	require.Equal(t, int64(n+more), v.Bytes)
	require.Greater(t, v.Bytes, int64(100<<20), "the log must be large for the test to mean anything")
	assert.Len(t, v.Problems, 100)
	assert.Equal(t, 30000-100, v.ProblemsDropped)
	assert.Len(t, v.Modules, 5000)
	assert.Equal(t, 25000, v.ModulesDropped)
	assert.Equal(t, 25000, v.MigrationsDropped)
	assert.Less(t, grown, int64(2<<20), "heap grew by %d bytes over %d MB of log", grown, more>>20)
}
