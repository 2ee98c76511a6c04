package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/exit"
)

// Manifest is Odoo's manifest.json, as written by its database manager
// (odoo/service/db.py dump_db_manifest).
type Manifest struct {
	OdooDump     string            `json:"odoo_dump"`
	DBName       string            `json:"db_name"`
	Version      string            `json:"version"`
	VersionInfo  []any             `json:"version_info"`
	MajorVersion string            `json:"major_version"`
	PGVersion    string            `json:"pg_version"`
	Modules      map[string]string `json:"modules"`
}

// ModuleNames returns the installed modules, sorted.
func (m *Manifest) ModuleNames() []string {
	names := make([]string, 0, len(m.Modules))
	for n := range m.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// requiredKeys are the keys a restore and the rehearsal rely on: the Odoo
// version picks the source image, the modules are compared with the dump.
var requiredKeys = []string{"version", "major_version", "pg_version", "modules"}

const maxManifest = 16 << 20

// parseManifest reads manifest.json; where names the file for the user
// ("prod.zip: manifest.json").
func parseManifest(r io.Reader, where string) (*Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, exit.Input("%s: cannot read: %v", where, err)
	}
	if len(data) > maxManifest {
		return nil, exit.Input("%s: larger than %d MiB, not an Odoo manifest", where, maxManifest>>20)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, exit.Input("%s: not valid JSON (%s); restore the manifest.json Odoo wrote or remove it", where, jsonErrorAt(data, err))
	}
	var missing []string
	for _, k := range requiredKeys {
		if v, ok := raw[k]; !ok || string(v) == "null" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, exit.Input("%s: missing key(s) %s; an Odoo manifest has odoo_dump, db_name, version, version_info, major_version, pg_version and modules",
			where, strings.Join(missing, ", "))
	}
	m := &Manifest{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, exit.Input("%s: key %q holds a JSON %s where Odoo writes a %s", where, te.Field, te.Value, te.Type)
		}
		return nil, exit.Input("%s: %s", where, jsonErrorAt(data, err))
	}
	return m, nil
}

// jsonErrorAt turns a JSON error into "line L, column C: message".
func jsonErrorAt(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err.Error()
	}
	off := int(se.Offset)
	if off > len(data) {
		off = len(data)
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}
