package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// The files of a run directory, as CI scripts and the Action find them.
const (
	JSONFile     = "report.json"
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
	HTMLFile     = "report.html"
)

// Format names a rendering of a report.
type Format string

const (
	FormatJSON     Format = "json"
	FormatJUnit    Format = "junit"
	FormatMarkdown Format = "md"
	FormatHTML     Format = "html"
)

// Formats lists every format in the order a run directory is written:
// report.json first, so the others can always be re-rendered from it.
var Formats = []Format{FormatJSON, FormatJUnit, FormatMarkdown, FormatHTML}

// FileName is the file a format is written to in a run directory.
func (f Format) FileName() string {
	switch f {
	case FormatJSON:
		return JSONFile
	case FormatJUnit:
		return JUnitFile
	case FormatMarkdown:
		return MarkdownFile
	case FormatHTML:
		return HTMLFile
	}
	return ""
}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	if s == "markdown" {
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("unknown report format %q (use html, md, junit or json)", s)
}

// Render writes the report in one format.
func Render(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	}
	return fmt.Errorf("unknown report format %q", f)
}

// WriteJSON writes the report in its versioned JSON form.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteRunDir writes report.json, junit.xml, summary.md and report.html
// into dir. Each file is rendered in memory first and then replaces the
// old one atomically, so a reader (or a crash) never sees half a report;
// the report is normalized first so every rendering shows the same thing.
func WriteRunDir(dir string, r *Report) error {
	r.Normalize()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return exit.Infra("run directory %s: %v", dir, err)
	}
	rendered := make(map[Format][]byte, len(Formats))
	for _, f := range Formats {
		var b bytes.Buffer
		if err := Render(&b, r, f); err != nil {
			return exit.Infra("rendering %s: %v", f.FileName(), err)
		}
		rendered[f] = b.Bytes()
	}
	for _, f := range Formats {
		if err := WriteFileAtomic(filepath.Join(dir, f.FileName()), rendered[f], 0o644); err != nil {
			return exit.Infra("writing the report: %v", err)
		}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and then renamed over path: readers see the old file or
// the new one, never a torn one.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return stage(path, data, perm, os.Rename)
}

// WriteFileNew is WriteFileAtomic for files that must never be replaced
// (keys, recorded approvals): the synced temporary file is hard-linked to
// path, which fails with fs.ErrExist when path exists, even when two
// writers race.
func WriteFileNew(path string, data []byte, perm os.FileMode) error {
	return stage(path, data, perm, os.Link)
}

// stage writes data to a synced temporary file beside path and hands it
// to place (rename or link); the temporary name never outlives the call.
func stage(path string, data []byte, perm os.FileMode, place func(tmp, path string) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // after a rename there is nothing left to remove
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = place(tmp.Name(), path); err != nil {
		return err
	}
	// The new name is durable only once the directory entry is.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Load reads a report.json (or the run directory holding one) and checks
// it. Errors are bad input naming the file, and the line and column or the
// field that is wrong.
func Load(path string) (*Report, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, JSONFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, exit.Input("%s: no such report (give a run directory or its report.json)", path)
		}
		return nil, exit.Input("%s: %v", path, err)
	}
	return Parse(path, data)
}

// Parse decodes a report.json. Unknown fields are refused: within v1 a
// field only exists once this package knows it, and a typo must not pass
// silently.
func Parse(name string, data []byte) (*Report, error) {
	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err == nil && probe.Schema != Schema {
		return nil, exit.Input("%s: field schema: %q is not %q (this rehearse reads %s reports)", name, probe.Schema, Schema, Schema)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, exit.Input("%s: %s (the file is not a rehearse report, or was edited by hand)", name, describeJSONError(data, err))
	}
	if dec.More() {
		return nil, exit.Input("%s: %s: extra data after the report", name, position(data, dec.InputOffset()))
	}
	if err := r.Validate(); err != nil {
		return nil, exit.Input("%s: %v", name, err)
	}
	return &r, nil
}

func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return position(data, syn.Offset) + ": " + syn.Error()
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: field %s: %s is not a %s", position(data, typ.Offset), typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "unexpected end of file: the report is truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "unknown " + strings.TrimPrefix(err.Error(), "json: unknown ")
	}
	return err.Error()
}

// position turns a byte offset into "line L, column C".
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}
