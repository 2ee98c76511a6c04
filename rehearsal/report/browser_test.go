package report_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

// The HTML report is what a release manager opens: it must render in a
// real browser, not only parse. This renders a passing and a failing
// report in headless Chromium (Debian package "chromium") and checks the
// screenshot and the DOM the browser built.
//
// `make check-report` runs it and keeps the screenshots in
// out/check-report (REHEARSE_REPORT_SCREENSHOTS).
func TestReportRendersInChromium(t *testing.T) {
	browser := findChromium(t)
	const width, height = 1280, 2000
	for _, tc := range []struct {
		name    string
		r       *report.Report
		verdict string
		banner  color.RGBA
	}{
		{"passing", reporttest.Passing(), "Upgrade approved", color.RGBA{0x1a, 0x7f, 0x37, 0xff}},
		{"failing", reporttest.Failing(), "Upgrade rejected", color.RGBA{0xcf, 0x22, 0x2e, 0xff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // most of a headless start is waiting, not computing
			dir := t.TempDir()
			require.NoError(t, report.WriteRunDir(dir, tc.r))
			page := "file://" + filepath.Join(dir, report.HTMLFile)

			shot := filepath.Join(dir, "screenshot.png")
			// One browser start gives both the picture and the DOM.
			dom := runChromium(t, browser, "--screenshot="+shot, "--dump-dom", "--window-size=1280,2000", "--hide-scrollbars", page)
			f, err := os.Open(shot)
			require.NoError(t, err, "chromium wrote no screenshot")
			img, err := png.Decode(f)
			f.Close()
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, width, height), img.Bounds())

			// The verdict banner is painted in the verdict's colour: the
			// page's inline CSS was applied.
			assert.Equal(t, tc.banner, rgba(img.At(20, 20)), "banner colour at the top left")
			// Not a blank page: many colours, a fair share of ink.
			colours, ink := inkAndColours(img)
			assert.Greater(t, colours, 20, "distinct colours")
			assert.Greater(t, ink, 0.03, "share of non-white pixels")

			assert.Contains(t, dom, "<h1>"+tc.verdict+"</h1>")
			assert.Equal(t, len(tc.r.Phases), strings.Count(dom, "<rect "), "one timeline bar per phase")
			assert.Contains(t, dom, reporttest.TargetImageID)
			if tc.r.Verdict == report.Rejected {
				assert.Contains(t, dom, "posted invoices are untouched")
				assert.Contains(t, dom, "Exception: x_probe: simulated migration failure")
			}

			if keep := os.Getenv("REHEARSE_REPORT_SCREENSHOTS"); keep != "" {
				require.NoError(t, os.MkdirAll(keep, 0o755))
				data, err := os.ReadFile(shot)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(keep, tc.name+".png"), data, 0o644))
				html, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(keep, tc.name+".html"), html, 0o644))
			}
		})
	}
}

func findChromium(t *testing.T) string {
	t.Helper()
	// Debian's chromium first; then Google Chrome, preinstalled on GitHub's
	// Ubuntu runners; Ubuntu's chromium-browser last: it is a snap, whose
	// private /tmp cannot see the test's files.
	for _, name := range []string{os.Getenv("REHEARSE_CHROMIUM"), "chromium", "google-chrome", "google-chrome-stable", "chromium-browser"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must install it: apt-get install -y chromium")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); the browser check of report.html did not run")
	return ""
}

// runChromium runs headless Chromium with everything that could reach the
// network turned off: the page is self-contained, so any fetch is a bug,
// and tests dial nothing but loopback.
func runChromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-domain-reliability", "--metrics-recording-only",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
		"--force-device-scale-factor=1",
	}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "chromium failed: %s", stderr.String())
	return stdout.String()
}

func rgba(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

func inkAndColours(img image.Image) (int, float64) {
	seen := map[color.RGBA]bool{}
	var ink, total int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			c := rgba(img.At(x, y))
			seen[c] = true
			total++
			if c.R < 240 || c.G < 240 || c.B < 240 {
				ink++
			}
		}
	}
	return len(seen), float64(ink) / float64(total)
}
