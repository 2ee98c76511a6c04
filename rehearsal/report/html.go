package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

// The page is one self-contained file: styles inline, the timeline as
// inline SVG, no scripts, fonts or images fetched from anywhere, so it can
// be mailed, attached to a ticket or opened from a CI artefact offline.
var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"clean":    clean,
	"excerpt":  func(s string) string { return excerpt(s, 80) },
	"title":    checkTitleNoPhase,
	"headline": verdictHeadline,
	"signed":   signed,
	"bytes":    ByteSize,
	"dash":     orDash,
	"human":    humanDuration,
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"deref":    func(p *int) int { return *p },
}).Parse(htmlSource))

// WriteHTML renders the one-page report for release managers.
func WriteHTML(w io.Writer, r *Report) error {
	pass, fail, errored := r.CheckTally()
	v := htmlView{
		R:        r,
		Failing:  r.FailingChecks(),
		Pass:     pass,
		Fail:     fail,
		Errored:  errored,
		Timeline: timeline(r),
	}
	if err := htmlPage.Execute(w, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

type htmlView struct {
	R                   *Report
	Failing             []Check
	Pass, Fail, Errored int
	Timeline            timelineView
}

// timelineView lays the phases out on a time axis for the inline SVG.
type timelineView struct {
	Width, Height int
	Bars          []timelineBar
	Ticks         []timelineTick
}

type timelineBar struct {
	Name, Label, Status string
	X, Y, W             float64
	TextX               float64
	Anchor              string // "start", or "end" when the label goes left of a bar near the edge
}

type timelineTick struct {
	X      float64
	Label  string
	Anchor string
}

const (
	timelineWidth = 900
	timelineLabel = 150 // room for phase names on the left
	timelineRow   = 26
)

func timeline(r *Report) timelineView {
	tv := timelineView{Width: timelineWidth, Height: timelineRow*len(r.Phases) + 30}
	if len(r.Phases) == 0 {
		return tv
	}
	start, end := r.StartedAt, r.FinishedAt
	for _, p := range r.Phases {
		if !p.Start.IsZero() && (start.IsZero() || p.Start.Before(start)) {
			start = p.Start
		}
		if p.End.After(end) {
			end = p.End
		}
	}
	span := end.Sub(start).Seconds()
	if span <= 0 {
		span = 1
	}
	scale := float64(timelineWidth-timelineLabel-10) / span
	for i, p := range r.Phases {
		x := float64(timelineLabel)
		if !p.Start.IsZero() {
			x += p.Start.Sub(start).Seconds() * scale
		}
		w := max(p.Duration.Std().Seconds()*scale, 2) // a skipped phase still shows as a tick
		bar := timelineBar{
			Name:   clean(p.Name),
			Label:  p.Duration.String(),
			Status: string(p.Status),
			X:      x,
			Y:      float64(i*timelineRow + 4),
			W:      w,
			TextX:  x + w + 4,
			Anchor: "start",
		}
		if bar.TextX > timelineWidth-60 {
			bar.TextX, bar.Anchor = x-4, "end"
		}
		bar.X, bar.W, bar.TextX = round2(bar.X), round2(bar.W), round2(bar.TextX)
		tv.Bars = append(tv.Bars, bar)
	}
	for i := 0; i <= 4; i++ {
		frac := float64(i) / 4
		anchor := "middle"
		if i == 4 {
			anchor = "end"
		}
		tv.Ticks = append(tv.Ticks, timelineTick{
			X:      round2(timelineLabel + frac*float64(timelineWidth-timelineLabel-10)),
			Label:  humanDuration(time.Duration(frac * span * float64(time.Second))),
			Anchor: anchor,
		})
	}
	return tv
}

// round2 keeps SVG coordinates to a hundredth of a pixel: finer is noise.
func round2(f float64) float64 { return math.Round(f*100) / 100 }
