package approval_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/odoo-rehearse/rehearse/rehearsal/approval"
	"github.com/odoo-rehearse/rehearse/rehearsal/report"
	"github.com/odoo-rehearse/rehearse/rehearsal/report/reporttest"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return pub, priv
}

func TestIssueRefusesWhatIsNotApproved(t *testing.T) {
	_, priv := newKey(t)
	for _, tc := range []struct {
		name   string
		mutate func(r *report.Report)
		want   string
	}{
		{"rejected verdict", func(r *report.Report) { *r = *reporttest.Failing() }, "verdict is rejected"},
		{"error verdict", func(r *report.Report) { r.Verdict = report.Error; r.Reasons = []string{"docker"} }, "verdict is error"},
		{"approved but a check failed", func(r *report.Report) { r.Checks[3].Status = report.CheckFail }, "has status fail"},
		{"approved but a phase failed", func(r *report.Report) { r.Phases[4].Status = report.PhaseFailed }, `phase "upgrade" failed`},
		{"approved with no checks", func(r *report.Report) { r.Checks = nil }, "no check ran"},
		{"target image is a tag", func(r *report.Report) { r.TargetImage.ID = "odoo:17.0" }, "target_image.id"},
		{"no backup hash", func(r *report.Report) { r.Backup.SHA256 = "" }, "backup.sha256"},
		{"short scenario digest", func(r *report.Report) { r.ScenarioSetDigest = "sha256:abc" }, "scenario_set_digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := reporttest.Passing()
			tc.mutate(r)
			a, err := approval.Issue(r, priv, now)
			require.ErrorIs(t, err, approval.ErrNotApproved)
			assert.Contains(t, err.Error(), tc.want)
			assert.Nil(t, a)
		})
	}
}

func TestApprovalBindsIdentitiesAndNoSecret(t *testing.T) {
	pub, priv := newKey(t)
	r := reporttest.Passing()
	// Secrets can sit anywhere in a report; none may travel in an approval.
	r.Backup.Path = "/home/ops/secret-backups/prod16.zip"
	r.Checks[0].Message = "login with password=hunter2 ok"
	r.Upgrade.Command = append(r.Upgrade.Command, "--db_password=s3cr3t")
	r.Artifacts["upgrade_log"] = "upgrade.log"

	a, err := approval.Issue(r, priv, now)
	require.NoError(t, err)
	data, err := a.Marshal()
	require.NoError(t, err)
	for _, secret := range []string{"hunter2", "s3cr3t", "secret-backups", "password"} {
		assert.NotContains(t, string(data), secret)
	}

	back, err := approval.Parse(data)
	require.NoError(t, err)
	p, err := back.Open([]ed25519.PublicKey{pub})
	require.NoError(t, err)
	assert.Equal(t, reporttest.TargetImageID, p.TargetImage.ID)
	assert.Equal(t, reporttest.SourceImageID, p.SourceImage.ID)
	assert.Equal(t, reporttest.BackupSHA256, p.Backup.SHA256)
	assert.Equal(t, "16.0-20230301", p.Backup.OdooVersion)
	assert.Equal(t, "17.0-20241105", p.TargetImage.OdooVersion)
	assert.Equal(t, reporttest.ScenarioSet, p.ScenarioSetDigest)
	assert.Equal(t, "approved", p.Verdict)
	assert.Equal(t, "v0.9.0", p.ToolVersion)
	assert.Equal(t, int64(41886), p.UpgradeMillis)
	assert.Equal(t, approval.KeyID(pub), p.KeyID)
	assert.Equal(t, "2026-11-25T09:00:00Z", p.IssuedAt)
}

// Every way an approval can be forged, mismatched or stale is refused, and
// the reason names what is wrong.
func TestVerifyRefusesForgedMismatchedAndStale(t *testing.T) {
	pub, priv := newKey(t)
	otherPub, otherPriv := newKey(t)
	good := func(t *testing.T) *approval.Approval {
		a, err := approval.Issue(reporttest.Passing(), priv, now.Add(-24*time.Hour))
		require.NoError(t, err)
		return a
	}
	payloadEdit := func(old, new string) func(t *testing.T) *approval.Approval {
		return func(t *testing.T) *approval.Approval {
			a := good(t)
			require.Contains(t, string(a.Payload), old)
			a.Payload = json.RawMessage(strings.Replace(string(a.Payload), old, new, 1))
			return a
		}
	}
	policy := approval.Policy{TargetImageID: reporttest.TargetImageID, MaxAge: 7 * 24 * time.Hour, Now: now}

	for _, tc := range []struct {
		name     string
		approval func(t *testing.T) *approval.Approval
		policy   func(p *approval.Policy)
		approved bool
		reason   string
	}{
		{name: "good", approval: good, approved: true},
		{name: "good with matching backup", approval: good, policy: func(p *approval.Policy) { p.BackupSHA256 = strings.ToUpper(reporttest.BackupSHA256) }, approved: true},
		{name: "tampered backup hash", approval: payloadEdit(reporttest.BackupSHA256, strings.Repeat("0", 64)), reason: "altered after signing"},
		{name: "tampered issue date", approval: payloadEdit("2026-11-24T09:00:00Z", "2026-11-25T08:00:00Z"), reason: "altered after signing"},
		{name: "tampered target image", approval: func(t *testing.T) *approval.Approval {
			a, err := approval.Issue(otherImage(), priv, now)
			require.NoError(t, err)
			a.Payload = json.RawMessage(strings.Replace(string(a.Payload), otherImage().TargetImage.ID, reporttest.TargetImageID, 1))
			return a
		}, reason: "altered after signing"},
		{name: "extra field in payload", approval: payloadEdit(`"backup":{`, `"admin_password":"x","backup":{`), reason: "altered after signing"},
		{name: "flipped signature bit", approval: func(t *testing.T) *approval.Approval {
			a := good(t)
			sig, _ := base64.StdEncoding.DecodeString(a.Signature)
			sig[10] ^= 1
			a.Signature = base64.StdEncoding.EncodeToString(sig)
			return a
		}, reason: "altered after signing"},
		{name: "garbage signature", approval: func(t *testing.T) *approval.Approval {
			a := good(t)
			a.Signature = "not base64!"
			return a
		}, reason: "not a base64 ed25519 signature"},
		{name: "signed by another key", approval: func(t *testing.T) *approval.Approval {
			a, err := approval.Issue(reporttest.Passing(), otherPriv, now)
			require.NoError(t, err)
			return a
		}, reason: "not a trusted key"},
		{name: "another key posing as the trusted one", approval: func(t *testing.T) *approval.Approval {
			a, err := approval.Issue(reporttest.Passing(), otherPriv, now)
			require.NoError(t, err)
			a.KeyID = approval.KeyID(pub)
			a.Payload = json.RawMessage(strings.Replace(string(a.Payload), approval.KeyID(otherPub), approval.KeyID(pub), 1))
			return a
		}, reason: "altered after signing"},
		{name: "signed rejection", approval: func(t *testing.T) *approval.Approval {
			a := good(t)
			p, err := a.Open([]ed25519.PublicKey{pub})
			require.NoError(t, err)
			p.Verdict = "rejected"
			signed, err := approval.Sign(*p, priv)
			require.NoError(t, err)
			return signed
		}, reason: `verdict is "rejected"`},
		{name: "expired", approval: good, policy: func(p *approval.Policy) { p.MaxAge = 12 * time.Hour }, reason: "expired: issued 2026-11-24T09:00:00Z, 1d ago, older than --max-age 12h0m0s"},
		{name: "from the future", approval: good, policy: func(p *approval.Policy) { p.Now = now.Add(-48 * time.Hour) }, reason: "in the future"},
		{name: "another backup", approval: good, policy: func(p *approval.Policy) { p.BackupSHA256 = strings.Repeat("a", 64) }, reason: "rehearsed on backup sha256 " + reporttest.BackupSHA256},
		{name: "another image", approval: func(t *testing.T) *approval.Approval {
			a, err := approval.Issue(otherImage(), priv, now)
			require.NoError(t, err)
			return a
		}, reason: "1 approvals in the store are for other images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := approval.DirStore{Dir: t.TempDir()}
			require.NoError(t, store.Put(t.Context(), tc.approval(t)))
			pol := policy
			if tc.policy != nil {
				tc.policy(&pol)
			}
			d, err := approval.Verify(t.Context(), store, []ed25519.PublicKey{pub}, pol)
			require.NoError(t, err)
			assert.Equal(t, tc.approved, d.Approved, d.Explain(pol))
			if tc.approved {
				require.NotNil(t, d.Match)
				assert.Equal(t, reporttest.TargetImageID, d.Match.TargetImage.ID)
				return
			}
			assert.Nil(t, d.Match)
			assert.Contains(t, d.Explain(pol), tc.reason)
		})
	}
}

func otherImage() *report.Report {
	r := reporttest.Passing()
	r.TargetImage.ID = "sha256:" + strings.Repeat("e", 64)
	return r
}

func TestVerifyPicksTheNewestGoodApprovalAmongBadOnes(t *testing.T) {
	pub, priv := newKey(t)
	dir := t.TempDir()
	store := approval.DirStore{Dir: dir}
	for _, issued := range []time.Time{now.Add(-30 * 24 * time.Hour), now.Add(-2 * time.Hour), now.Add(-26 * time.Hour)} {
		a, err := approval.Issue(reporttest.Passing(), priv, issued)
		require.NoError(t, err)
		require.NoError(t, store.Put(t.Context(), a))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk.json"), []byte("{not json"), 0o644))

	pol := approval.Policy{TargetImageID: reporttest.TargetImageID, MaxAge: 7 * 24 * time.Hour, Now: now}
	d, err := approval.Verify(t.Context(), store, []ed25519.PublicKey{pub}, pol)
	require.NoError(t, err)
	require.True(t, d.Approved)
	assert.Equal(t, now.Add(-2*time.Hour).Format(time.RFC3339), d.Match.IssuedAt)
	// The stale one and the junk file are still accounted for.
	assert.Len(t, d.Refusals, 2)
}

func TestVerifyOfMissingStoreIsAnError(t *testing.T) {
	pub, _ := newKey(t)
	_, err := approval.Verify(t.Context(), approval.DirStore{Dir: filepath.Join(t.TempDir(), "nope")}, []ed25519.PublicKey{pub}, approval.Policy{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not exist")
}

func TestDirStoreConcurrentWritersNeverCollide(t *testing.T) {
	_, priv := newKey(t)
	store := approval.DirStore{Dir: t.TempDir()}
	a, err := approval.Issue(reporttest.Passing(), priv, now)
	require.NoError(t, err)
	const writers = 32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() { errs <- store.Put(context.Background(), a) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	all, err := store.All(t.Context())
	require.NoError(t, err)
	assert.Len(t, all, writers)
	for _, st := range all {
		assert.NoError(t, st.Err)
	}
}

func TestCanonicalFormIsWhatIsSigned(t *testing.T) {
	pub, priv := newKey(t)
	a, err := approval.Issue(reporttest.Passing(), priv, now)
	require.NoError(t, err)

	// Re-indenting the payload does not change what it says: it still verifies.
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, a.Payload, "", "    "))
	reformatted := *a
	reformatted.Payload = pretty.Bytes()
	_, err = reformatted.Open([]ed25519.PublicKey{pub})
	require.NoError(t, err)

	// Ambiguous JSON is refused outright, before any signature check.
	for _, tc := range []struct{ name, payload, want string }{
		{"duplicate key", `{"verdict":"approved","verdict":"rejected"}`, "duplicate key"},
		{"float", `{"upgrade_ms":1.5}`, "only integers"},
		{"exponent", `{"upgrade_ms":1e3}`, "only integers"},
		{"trailing data", `{} {}`, "extra data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := *a
			bad.Payload = json.RawMessage(tc.payload)
			_, err := bad.Open([]ed25519.PublicKey{pub})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestKeyPair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	id, err := approval.GenerateKeyPair(dir)
	require.NoError(t, err)
	assert.Regexp(t, `^ed25519:[0-9a-f]{32}$`, id)

	fi, err := os.Stat(filepath.Join(dir, approval.PrivateKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(filepath.Join(dir, approval.PublicKeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	priv, err := approval.LoadPrivateKey(filepath.Join(dir, approval.PrivateKeyFile))
	require.NoError(t, err)
	pubs, err := approval.LoadPublicKeys(filepath.Join(dir, approval.PublicKeyFile))
	require.NoError(t, err)
	require.Len(t, pubs, 1)
	assert.Equal(t, id, approval.KeyID(pubs[0]))
	assert.Equal(t, priv.Public(), pubs[0])

	t.Run("refuses to overwrite", func(t *testing.T) {
		before, err := os.ReadFile(filepath.Join(dir, approval.PrivateKeyFile))
		require.NoError(t, err)
		_, err = approval.GenerateKeyPair(dir)
		require.ErrorIs(t, err, approval.ErrKeyExists)
		after, err := os.ReadFile(filepath.Join(dir, approval.PrivateKeyFile))
		require.NoError(t, err)
		assert.Equal(t, before, after)
	})
	t.Run("refuses a private key others can read", func(t *testing.T) {
		path := filepath.Join(dir, approval.PrivateKeyFile)
		require.NoError(t, os.Chmod(path, 0o644))
		t.Cleanup(func() { os.Chmod(path, 0o600) })
		_, err := approval.LoadPrivateKey(path)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "chmod 600")
	})
	t.Run("refuses a private key as public key", func(t *testing.T) {
		_, err := approval.LoadPublicKeys(filepath.Join(dir, approval.PrivateKeyFile))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "never the private key")
	})
	t.Run("trusts several public keys", func(t *testing.T) {
		dir2 := filepath.Join(t.TempDir(), "k2")
		_, err := approval.GenerateKeyPair(dir2)
		require.NoError(t, err)
		a, _ := os.ReadFile(filepath.Join(dir, approval.PublicKeyFile))
		b, _ := os.ReadFile(filepath.Join(dir2, approval.PublicKeyFile))
		both := filepath.Join(t.TempDir(), "trusted.pub")
		require.NoError(t, os.WriteFile(both, append(a, b...), 0o644))
		keys, err := approval.LoadPublicKeys(both)
		require.NoError(t, err)
		assert.Len(t, keys, 2)
	})
}

func TestParseAge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"2w", 14 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"0s", 0, false},
		{"", 0, false},
		{"seven days", 0, false},
		{"-1h", 0, false},
		{"7y", 0, false},
		{"99999999999d", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := approval.ParseAge(tc.in)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The claim that selects approvals is read leniently; a payload that
// claims one image in a differently-cased key must still be judged on
// what was signed.
func TestVerifyJudgesOnlyTheSignedImage(t *testing.T) {
	pub, priv := newKey(t)
	other := otherImage()
	a, err := approval.Issue(other, priv, now)
	require.NoError(t, err)
	// Same signature, one extra key that a case-insensitive reader might
	// take for target_image: the signature check must refuse it.
	a.Payload = json.RawMessage(strings.Replace(string(a.Payload), `"target_image":`,
		`"TARGET_IMAGE":{"id":"`+reporttest.TargetImageID+`","odoo_version":"","ref":""},"target_image":`, 1))
	store := approval.DirStore{Dir: t.TempDir()}
	require.NoError(t, store.Put(t.Context(), a))
	pol := approval.Policy{TargetImageID: reporttest.TargetImageID, MaxAge: time.Hour, Now: now}
	d, err := approval.Verify(t.Context(), store, []ed25519.PublicKey{pub}, pol)
	require.NoError(t, err)
	assert.False(t, d.Approved)
}
