package approval

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/odoo-rehearse/rehearse/rehearsal/report"
)

// The key pair's file names in a key directory. The formats are the
// standard ones (PKCS #8 and PKIX in PEM), so openssl can read them too.
const (
	PrivateKeyFile = "approval.key"
	PublicKeyFile  = "approval.pub"
)

// DefaultKeyDir is where `rehearse keys init` puts a key pair and where
// signing and verifying look for it: $REHEARSE_KEY_DIR, else the user's
// configuration directory (~/.config/rehearse/keys on Linux). Never the
// working tree, where a private key would be one `git add .` from leaking.
func DefaultKeyDir() string {
	if d := os.Getenv("REHEARSE_KEY_DIR"); d != "" {
		return d
	}
	if cfg, err := os.UserConfigDir(); err == nil {
		return filepath.Join(cfg, "rehearse", "keys")
	}
	return filepath.Join(".rehearse", "keys")
}

// KeyID is the fingerprint of a public key: the first 128 bits of the
// SHA-256 of its raw bytes, in hex, prefixed with the algorithm.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:16])
}

func keyIDs(keys []ed25519.PublicKey) string {
	if len(keys) == 0 {
		return "none"
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = KeyID(k)
	}
	return strings.Join(ids, ", ")
}

// ErrKeyExists is returned by GenerateKeyPair when a key is already there:
// overwriting a signing key would orphan every approval it signed.
var ErrKeyExists = errors.New("key already exists")

// GenerateKeyPair makes a new ed25519 key pair in dir (created 0700 when
// missing): the private key 0600, the public key 0644. It never replaces
// an existing file, and leaves nothing behind when it fails.
func GenerateKeyPair(dir string) (keyID string, err error) {
	privPath, pubPath := filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("%w: %s (keep it, or move it away first; approvals it signed verify only with its public key)", ErrKeyExists, p)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	if err := writeNew(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return "", err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(privPath)
		return "", err
	}
	return KeyID(pub), nil
}

// writeNew creates path with data, failing if it exists; a crash never
// leaves a truncated file under the real name.
func writeNew(path string, data []byte, perm fs.FileMode) error {
	err := report.WriteFileNew(path, data, perm)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrKeyExists, path)
	}
	return err
}

// LoadPrivateKey reads a PEM PKCS #8 ed25519 private key. It refuses a key
// file that others can read: a signing key that leaked can approve anything.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o lets others read the signing key; run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return key, nil
}

// ParsePrivateKey reads a PEM PKCS #8 ed25519 private key (as CI secrets
// hold it).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" block (make one with rehearse keys init)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS #8 private key: %v", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an ed25519 key", k)
	}
	return priv, nil
}

// LoadPublicKeys reads one or more PEM PKIX ed25519 public keys from a
// file: several keys may be trusted while a signing key is rotated.
func LoadPublicKeys(path string) ([]ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys []ed25519.PublicKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("%s: PEM block %d is a %q, not a \"PUBLIC KEY\" (give the .pub file, never the private key)", path, n, block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d: %v", path, n, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s: PEM block %d is a %T, not an ed25519 key", path, n, k)
		}
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no PEM \"PUBLIC KEY\" block (make a key pair with rehearse keys init)", path)
	}
	return keys, nil
}
