package approval

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// SigningKeyEnv holds the private key itself (PEM), for CI systems that
// hand secrets over as variables; it wins over the key directory.
const SigningKeyEnv = "REHEARSE_SIGNING_KEY"

// LoadSigningKey finds the key that signs approvals: $REHEARSE_SIGNING_KEY,
// else dir/approval.key (dir "" means DefaultKeyDir).
func LoadSigningKey(dir string) (ed25519.PrivateKey, error) {
	if pemText := os.Getenv(SigningKeyEnv); pemText != "" {
		key, err := ParsePrivateKey([]byte(pemText))
		if err != nil {
			return nil, fmt.Errorf("$%s: %v", SigningKeyEnv, err)
		}
		return key, nil
	}
	if dir == "" {
		dir = DefaultKeyDir()
	}
	path := filepath.Join(dir, PrivateKeyFile)
	key, err := LoadPrivateKey(path)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("no signing key at %s (create one with rehearse keys init, or set $%s)", path, SigningKeyEnv)
	}
	return key, err
}

// Grant is the last step of an approved rehearsal: it issues the approval,
// writes it into the run directory as approval.json (atomically) and
// records it in the store. It returns ErrNotApproved (wrapped) for any
// report that must not be approved, and writes nothing then.
func Grant(ctx context.Context, r *report.Report, key ed25519.PrivateKey, runDir string, store Store, now time.Time) (*Approval, error) {
	a, err := Issue(r, key, now)
	if err != nil {
		return nil, err
	}
	data, err := a.Marshal()
	if err != nil {
		return nil, err
	}
	if err := report.WriteFileAtomic(filepath.Join(runDir, FileName), data, 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %v", FileName, err)
	}
	if store != nil {
		if err := store.Put(ctx, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}
