// Package approval issues and checks the signed record that says: this
// exact target image passed a rehearsal on this exact production backup,
// with this set of scenarios. The production pipeline trusts a deploy only
// through `rehearse verify`, which checks such a record by itself: the
// signature (ed25519 over canonical JSON), the key, the image ID, the
// backup and the age.
//
// An approval holds identities, versions, digests and timings only: no
// path, host, log line or message, so that no secret of the rehearsal can
// ever travel in one.
package approval

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/version"
)

// Schema tags the envelope; PayloadSchema tags what is signed.
const (
	Schema        = "rehearse.approval/v1"
	PayloadSchema = "rehearse.approval.payload/v1"
	// FileName is the approval's name in a run directory.
	FileName = "approval.json"
	// Algorithm is the only signature algorithm of v1.
	Algorithm = "ed25519"
)

// Payload is what an approval binds. Every field is signed.
type Payload struct {
	Schema      string `json:"schema"`
	KeyID       string `json:"key_id"`
	RunID       string `json:"run_id"`
	ToolVersion string `json:"tool_version"`
	Verdict     string `json:"verdict"`
	IssuedAt    string `json:"issued_at"` // RFC 3339, UTC
	StartedAt   string `json:"started_at"`
	FinishedAt  string `json:"finished_at"`

	Backup      Backup `json:"backup"`
	SourceImage Image  `json:"source_image"`
	TargetImage Image  `json:"target_image"`

	ScenarioSetDigest string `json:"scenario_set_digest"`
	// Timings in milliseconds (integers keep the canonical form simple).
	UpgradeMillis           int64 `json:"upgrade_ms"`
	MaintenanceWindowMillis int64 `json:"maintenance_window_estimate_ms"`
	Checks                  int64 `json:"checks_passed"`
}

// Backup is the backup's identity: its content hash, not its path.
type Backup struct {
	SHA256          string `json:"sha256"`
	Size            int64  `json:"size"`
	Format          string `json:"format"`
	OdooVersion     string `json:"odoo_version"`
	PostgresVersion string `json:"postgres_version"`
}

// Image is an image's identity: the ID is what is checked, the reference
// and Odoo's own version are for people reading the record.
type Image struct {
	Ref         string `json:"ref"`
	ID          string `json:"id"`
	OdooVersion string `json:"odoo_version"`
}

// Approval is a signed payload as stored and exchanged.
type Approval struct {
	Schema    string          `json:"schema"`
	KeyID     string          `json:"key_id"`
	Algorithm string          `json:"algorithm"`
	Payload   json.RawMessage `json:"payload"`
	Signature string          `json:"signature"` // base64 (standard, padded)
}

var (
	imageID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	sha256H = regexp.MustCompile(`^[0-9a-f]{64}$`)
	digest  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// IsSHA256 reports whether s is a sha256 in lowercase hex (as a backup's
// hash is written in reports).
func IsSHA256(s string) bool { return sha256H.MatchString(s) }

// IsImageID reports whether s is a full image ID ("sha256:<64 hex>").
func IsImageID(s string) bool { return imageID.MatchString(s) }

// ErrNotApproved is returned by Issue for a report that must not be
// approved; the message says why.
var ErrNotApproved = errors.New("not approvable")

// Issue signs an approval for a report, and refuses unless the report's
// verdict is approved, its evidence agrees (report.Validate), and the
// identities an approval binds are all present and well-formed.
func Issue(r *report.Report, key ed25519.PrivateKey, now time.Time) (*Approval, error) {
	if r.Verdict != report.Approved {
		return nil, fmt.Errorf("%w: the verdict is %s", ErrNotApproved, r.Verdict)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotApproved, err)
	}
	for _, c := range r.Checks {
		if c.Status != report.CheckPass {
			return nil, fmt.Errorf("%w: check %q did not pass", ErrNotApproved, c.Name)
		}
	}
	for _, f := range []struct {
		name, value string
		ok          *regexp.Regexp
	}{
		{"backup.sha256", r.Backup.SHA256, sha256H},
		{"target_image.id", r.TargetImage.ID, imageID},
		{"source_image.id", r.SourceImage.ID, imageID},
		{"scenario_set_digest", r.ScenarioSetDigest, digest},
	} {
		if !f.ok.MatchString(f.value) {
			return nil, fmt.Errorf("%w: report field %s is %q, not a full digest", ErrNotApproved, f.name, f.value)
		}
	}
	pub := key.Public().(ed25519.PublicKey)
	p := Payload{
		Schema:      PayloadSchema,
		KeyID:       KeyID(pub),
		RunID:       r.RunID,
		ToolVersion: r.ToolVersion,
		Verdict:     string(report.Approved),
		IssuedAt:    now.UTC().Format(time.RFC3339),
		StartedAt:   r.StartedAt.UTC().Format(time.RFC3339),
		FinishedAt:  r.FinishedAt.UTC().Format(time.RFC3339),
		Backup: Backup{
			SHA256: r.Backup.SHA256, Size: r.Backup.Size, Format: r.Backup.Format,
			OdooVersion: r.Backup.OdooVersion, PostgresVersion: r.Backup.PostgresVersion,
		},
		SourceImage:             Image(r.SourceImage),
		TargetImage:             Image(r.TargetImage),
		ScenarioSetDigest:       r.ScenarioSetDigest,
		UpgradeMillis:           r.Upgrade.Duration.Std().Milliseconds(),
		MaintenanceWindowMillis: r.MaintenanceWindow.Estimate.Std().Milliseconds(),
		Checks:                  int64(len(r.Checks)),
	}
	if p.ToolVersion == "" {
		p.ToolVersion = version.Version
	}
	return Sign(p, key)
}

// Sign signs a payload as it is. Issue is the way to approve a rehearsal;
// Sign exists for tests and tools that need a payload Issue would refuse.
func Sign(p Payload, key ed25519.PrivateKey) (*Approval, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	canon, err := canonical(raw)
	if err != nil {
		return nil, err
	}
	return &Approval{
		Schema:    Schema,
		KeyID:     p.KeyID,
		Algorithm: Algorithm,
		Payload:   canon,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, canon)),
	}, nil
}

// Marshal writes the approval as stored: indented envelope, payload in its
// canonical (signed) form.
func (a *Approval) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Parse reads a stored approval. It checks the envelope's shape only;
// Open checks the signature.
func Parse(data []byte) (*Approval, error) {
	var a Approval
	if err := decodeStrict(data, &a); err != nil {
		return nil, fmt.Errorf("not an approval: %v", err)
	}
	if a.Schema != Schema {
		return nil, fmt.Errorf("not an approval: schema %q is not %q", a.Schema, Schema)
	}
	return &a, nil
}

// Open verifies the approval's signature against the trusted keys and
// returns the payload it signs. It fails when the key is not trusted, the
// signature does not match the payload (anything was altered), or the
// payload is not exactly the canonical form of a v1 payload.
func (a *Approval) Open(trusted []ed25519.PublicKey) (*Payload, error) {
	if a.Algorithm != Algorithm {
		return nil, fmt.Errorf("algorithm %q is not %s", a.Algorithm, Algorithm)
	}
	var key ed25519.PublicKey
	for _, k := range trusted {
		if KeyID(k) == a.KeyID {
			key = k
		}
	}
	if key == nil {
		return nil, fmt.Errorf("signed by key %s, which is not a trusted key (trusted: %s)", a.KeyID, keyIDs(trusted))
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(a.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, errors.New("the signature is not a base64 ed25519 signature")
	}
	canon, err := canonical(a.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload is not canonical JSON: %v", err)
	}
	if !ed25519.Verify(key, canon, sig) {
		return nil, errors.New("the signature does not match the payload: the approval was altered after signing, or signed by another key")
	}
	var p Payload
	if err := decodeStrict(canon, &p); err != nil {
		return nil, fmt.Errorf("signed payload is not a v1 payload: %v", err)
	}
	// The struct must say exactly what was signed: no field decoded from a
	// differently-cased key, none dropped.
	again, err := json.Marshal(p)
	if err == nil {
		again, err = canonical(again)
	}
	if err != nil || !bytes.Equal(again, canon) {
		return nil, errors.New("signed payload is not in the v1 form")
	}
	if p.Schema != PayloadSchema {
		return nil, fmt.Errorf("payload schema %q is not %q", p.Schema, PayloadSchema)
	}
	if p.KeyID != a.KeyID {
		return nil, fmt.Errorf("the payload names key %s but the envelope names %s", p.KeyID, a.KeyID)
	}
	return &p, nil
}

// Issued returns the time the approval was issued.
func (p *Payload) Issued() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, p.IssuedAt)
	if err != nil {
		return time.Time{}, fmt.Errorf("issued_at %q is not an RFC 3339 time", p.IssuedAt)
	}
	return t, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("extra data after the JSON value")
	}
	return nil
}
