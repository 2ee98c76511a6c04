package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlainLinesCarryTimesAndThrottleStatus(t *testing.T) {
	var buf bytes.Buffer
	p := NewPlain(&buf)
	clock := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }

	p.Plan([]string{"restore", "upgrade"})
	p.Start("upgrade")
	clock = clock.Add(11 * time.Second)
	p.Status("upgrade", "loading module sale (3/77)")
	clock = clock.Add(time.Second)
	p.Status("upgrade", "loading module stock (4/77)") // within 10 s: not printed
	clock = clock.Add(20 * time.Second)
	p.Status("upgrade", "loading module crm (5/77)")
	p.End("upgrade", "failed", "exit 255 in module crm")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5, buf.String())
	assert.Equal(t, "2026-11-24T10:00:00Z plan: restore → upgrade", lines[0])
	assert.Equal(t, "2026-11-24T10:00:00Z upgrade: started", lines[1])
	assert.Equal(t, "2026-11-24T10:00:11Z upgrade: loading module sale (3/77) (11s)", lines[2])
	assert.Equal(t, "2026-11-24T10:00:32Z upgrade: loading module crm (5/77) (32s)", lines[3])
	assert.Equal(t, "2026-11-24T10:00:32Z upgrade: failed in 32s: exit 255 in module crm", lines[4])
	assert.NotContains(t, buf.String(), "\x1b[", "no escape codes in CI logs")
}

func TestLiveRedrawsThePhaseList(t *testing.T) {
	var buf bytes.Buffer
	l := NewLive(&buf)
	l.Plan([]string{"restore", "upgrade", "serve"})
	l.Start("restore")
	l.End("restore", "passed", "")
	l.Start("upgrade")
	l.Status("upgrade", "loading module sale (3/77)")
	l.Close()
	out := buf.String()
	assert.Contains(t, out, "\x1b[3A", "moves back up over the three phase lines")
	last := out[strings.LastIndex(out, "\x1b[3A"):]
	assert.Contains(t, last, "✓ restore")
	assert.Contains(t, last, "▶ upgrade")
	assert.Contains(t, last, "loading module sale (3/77)")
	assert.Contains(t, last, "· serve")
}

func TestLiveKeepsEveryRowWithinTheTerminal(t *testing.T) {
	var buf bytes.Buffer
	l := NewLive(&buf)
	l.width = 20
	l.Plan([]string{"network"})
	l.Note("backup: a warning that is much longer than twenty columns")
	l.Start("network")
	l.End("network", "failed", "image rehearse/nope:1 not found locally")
	l.Close()
	for _, row := range strings.Split(buf.String(), "\n") {
		row = row[strings.LastIndex(row, "\x1b[2K")+1:]
		assert.LessOrEqual(t, len([]rune(strings.TrimPrefix(row, "[2K"))), 20, "row %q", row)
	}
	assert.Contains(t, buf.String(), "backup: a warning t")
}
