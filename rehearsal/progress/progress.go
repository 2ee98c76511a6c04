// Package progress shows a rehearsal's phases while they run: a live list
// with elapsed times on a terminal, plain timestamped lines in CI logs
// (CI=true or no TTY), where redrawing would make a mess.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Display receives what the runner does. Safe for concurrent use.
type Display interface {
	// Plan lists the phases to come, in order.
	Plan(phases []string)
	Start(phase string)
	// Status says what a running phase is doing now ("loading module sale
	// (34/77)"); frequent calls are fine.
	Status(phase, detail string)
	End(phase string, status string, reason string)
	// Note prints a line that is not about one phase.
	Note(format string, args ...any)
	Close()
}

// Auto picks the live display for a terminal, plain lines otherwise.
func Auto(f *os.File) Display {
	if os.Getenv("CI") != "true" && term.IsTerminal(int(f.Fd())) {
		return NewLive(f)
	}
	return NewPlain(f)
}

type phaseState struct {
	name    string
	status  string // "", running, passed, failed, skipped
	detail  string
	reason  string
	start   time.Time
	elapsed time.Duration
}

// Plain writes one timestamped line per event, and a status line at most
// every StatusEvery for a long phase.
type Plain struct {
	mu          sync.Mutex
	w           io.Writer
	now         func() time.Time
	StatusEvery time.Duration
	phases      map[string]*phaseState
	lastStatus  map[string]time.Time
}

// NewPlain writes plain lines to w.
func NewPlain(w io.Writer) *Plain {
	return &Plain{w: w, now: time.Now, StatusEvery: 10 * time.Second, phases: map[string]*phaseState{}, lastStatus: map[string]time.Time{}}
}

func (p *Plain) line(format string, args ...any) {
	fmt.Fprintf(p.w, "%s %s\n", p.now().UTC().Format("2006-01-02T15:04:05Z"), fmt.Sprintf(format, args...))
}

func (p *Plain) Plan(phases []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("plan: %s", strings.Join(phases, " → "))
}

func (p *Plain) Start(phase string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phases[phase] = &phaseState{name: phase, status: "running", start: p.now()}
	p.line("%s: started", phase)
}

func (p *Plain) Status(phase, detail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.phases[phase]
	if !ok || detail == st.detail {
		return
	}
	st.detail = detail
	if now := p.now(); now.Sub(p.lastStatus[phase]) >= p.StatusEvery {
		p.lastStatus[phase] = now
		p.line("%s: %s (%s)", phase, detail, round(now.Sub(st.start)))
	}
}

func (p *Plain) End(phase, status, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var elapsed time.Duration
	if st, ok := p.phases[phase]; ok {
		elapsed = p.now().Sub(st.start)
	}
	if reason != "" {
		p.line("%s: %s in %s: %s", phase, status, round(elapsed), reason)
	} else {
		p.line("%s: %s in %s", phase, status, round(elapsed))
	}
}

func (p *Plain) Note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line(format, args...)
}

func (p *Plain) Close() {}

// Live redraws the phase list in place on a terminal.
type Live struct {
	mu     sync.Mutex
	w      io.Writer
	width  int // a line longer than the terminal would wrap and break the redraw
	order  []string
	phases map[string]*phaseState
	drawn  int
	notes  []string
	stop   chan struct{}
	done   chan struct{}
}

// NewLive redraws on w (a terminal) four times a second.
func NewLive(w io.Writer) *Live {
	l := &Live{w: w, width: 120, phases: map[string]*phaseState{}, stop: make(chan struct{}), done: make(chan struct{})}
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			l.width = cols
		}
	}
	go l.tick()
	return l
}

func (l *Live) tick() {
	defer close(l.done)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			l.draw()
			l.mu.Unlock()
		}
	}
}

func (l *Live) Plan(phases []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.order = append([]string(nil), phases...)
	for _, p := range phases {
		if _, ok := l.phases[p]; !ok {
			l.phases[p] = &phaseState{name: p}
		}
	}
	l.draw()
}

func (l *Live) get(phase string) *phaseState {
	st, ok := l.phases[phase]
	if !ok {
		st = &phaseState{name: phase}
		l.phases[phase] = st
		l.order = append(l.order, phase)
	}
	return st
}

func (l *Live) Start(phase string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.get(phase)
	st.status, st.start = "running", time.Now()
	l.draw()
}

func (l *Live) Status(phase, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(phase).detail = detail
}

func (l *Live) End(phase, status, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.get(phase)
	if !st.start.IsZero() {
		st.elapsed = time.Since(st.start)
	}
	st.status, st.reason, st.detail = status, reason, ""
	l.draw()
}

func (l *Live) Note(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notes = append(l.notes, fmt.Sprintf(format, args...))
	l.draw()
}

func (l *Live) Close() {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draw()
}

var marks = map[string]string{"": "·", "running": "▶", "passed": "✓", "failed": "✗", "skipped": "–",
	"approved": "✓", "rejected": "✗", "error": "✗"}

func (l *Live) draw() {
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn) // back to the top of the list
	}
	lines := 0
	for _, n := range l.notes {
		// Notes stay above the list. Each row is cleared before it is
		// written, so a long note is cut into rows here rather than left
		// to the terminal's wrapping.
		for _, row := range rows(n, l.width-1) {
			fmt.Fprintf(&b, "\r\x1b[2K%s\n", row)
		}
	}
	l.notes = nil
	for _, name := range l.order {
		st := l.phases[name]
		elapsed := st.elapsed
		if st.status == "running" {
			elapsed = time.Since(st.start)
		}
		line := fmt.Sprintf("%s %-12s", marks[st.status], name)
		if st.status != "" {
			line += fmt.Sprintf(" %8s", round(elapsed))
		}
		if st.detail != "" {
			line += "  " + st.detail
		}
		if st.reason != "" {
			line += "  " + st.reason
		}
		fmt.Fprintf(&b, "\r\x1b[2K%s\n", fit(line, l.width))
		lines++
	}
	l.drawn = lines
	io.WriteString(l.w, b.String())
}

func round(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Minute).String()
	}
}

// fit cuts a line to the terminal's width, so it takes one row.
func fit(line string, width int) string {
	r := []rune(line)
	if len(r) < width {
		return line
	}
	return string(r[:width-2]) + "…"
}

func rows(s string, width int) []string {
	r := []rune(s)
	var out []string
	for len(r) > width {
		out = append(out, string(r[:width]))
		r = r[width:]
	}
	return append(out, string(r))
}
