package upgradelog

import (
	"bytes"
	"time"
)

// Level is the logging level of one Odoo log record.
type Level uint8

// Odoo's levels, plus the one Odoo adds for its test runner.
const (
	LevelUnknown Level = iota
	LevelDebug
	LevelInfo
	LevelWarning
	LevelError
	LevelCritical
)

func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "DEBUG"
	case LevelInfo:
		return "INFO"
	case LevelWarning:
		return "WARNING"
	case LevelError:
		return "ERROR"
	case LevelCritical:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// record is one parsed header line. Its byte slices alias the input and are
// valid only while the line is being handled: nothing is copied unless the
// record turns out to matter.
type record struct {
	at     int64 // milliseconds since the Unix epoch, UTC
	level  Level
	db     []byte
	logger []byte
	// textStart is where the logger name starts in the line: "logger:
	// message" is one contiguous slice for allow patterns.
	textStart int
	message   []byte // trailing spaces (perf_info is usually empty) removed
}

// parseRecord reads Odoo's default format:
//
//	2026-11-24 21:06:50,284 23854 INFO prod16 odoo.modules.loading: Loading module base (1/1)
//
// by hand rather than with a regexp, because every line of a multi-gigabyte
// log goes through here. Lines that do not start a record (traceback lines,
// output of other programs) return false.
func parseRecord(line []byte, r *record) bool {
	// "YYYY-MM-DD HH:MM:SS,mmm " is 24 bytes.
	if len(line) < 24 || line[4] != '-' || line[7] != '-' || line[10] != ' ' ||
		line[13] != ':' || line[16] != ':' || line[19] != ',' || line[23] != ' ' {
		return false
	}
	var f [7]int
	for i, span := range [7][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}, {20, 23}} {
		n, ok := digits(line[span[0]:span[1]])
		if !ok {
			return false
		}
		f[i] = n
	}
	r.at = epochMillis(f[0], f[1], f[2], f[3], f[4], f[5], f[6])
	rest := line[24:]

	// pid
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return false
	}
	if _, ok := digits(rest[:sp]); !ok {
		return false
	}
	rest = rest[sp+1:]

	// level; a terminal makes Odoo colour it with ANSI escapes.
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return false
	}
	r.level = parseLevel(rest[:sp])
	if r.level == LevelUnknown {
		return false
	}
	rest = rest[sp+1:]

	// database: "?" without one, "None" on some request threads.
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return false
	}
	r.db = rest[:sp]
	rest = rest[sp+1:]

	// logger name ends at the first ": ".
	r.textStart = len(line) - len(rest)
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 {
		// "logger:" with an empty message still is a record.
		if n := len(rest); n > 0 && rest[n-1] == ':' {
			r.logger, r.message = rest[:n-1], nil
			return true
		}
		return false
	}
	r.logger = rest[:colon]
	r.message = bytes.TrimRight(rest[colon+2:], " \r")
	return true
}

func digits(b []byte) (int, bool) {
	n := 0
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func parseLevel(b []byte) Level {
	if len(b) > 0 && b[0] == 0x1b {
		b = stripANSI(b)
	}
	switch string(b) { // no allocation: the compiler switches on the bytes
	case "INFO":
		return LevelInfo
	case "WARNING":
		return LevelWarning
	case "ERROR":
		return LevelError
	case "CRITICAL":
		return LevelCritical
	case "DEBUG":
		return LevelDebug
	}
	return LevelUnknown
}

// stripANSI keeps the letters of a coloured level such as
// "\x1b[1;31m\x1b[1;49mERROR\x1b[0m".
func stripANSI(b []byte) []byte {
	start, end := -1, -1
	for i := 0; i < len(b); i++ {
		if b[i] == 0x1b {
			for i < len(b) && b[i] != 'm' {
				i++
			}
			continue
		}
		if start < 0 {
			start = i
		} else if end != i {
			return nil // two runs of letters: not a level
		}
		end = i + 1
	}
	if start < 0 {
		return nil
	}
	return b[start:end]
}

// epochMillis converts a UTC civil time without time.Date's allocation-free
// but comparatively slow normalisation; Odoo's fields are always in range.
func epochMillis(y, mo, d, h, mi, s, ms int) int64 {
	// days from civil, Howard Hinnant's algorithm
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	m := mo
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era*146097 + doe - 719468)
	return ((days*24+int64(h))*60+int64(mi))*60000 + int64(s)*1000 + int64(ms)
}

func millisTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
