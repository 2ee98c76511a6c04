package credentials

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVerifyPasslibVectors checks hashes made by passlib itself (and one
// made by Odoo 16), so Verify agrees with the library Odoo uses.
func TestVerifyPasslibVectors(t *testing.T) {
	f, err := os.Open("testdata/passlib-vectors.txt")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		password, hash, ok := strings.Cut(line, "\t")
		require.True(t, ok, "vector line %q", line)
		n++
		t.Run(hash[:30], func(t *testing.T) {
			ok, err := Verify(hash, password)
			require.NoError(t, err)
			assert.True(t, ok, "passlib's hash must verify")
			if strings.Contains(hash, "$600000$") {
				return // 0.5 s a verification; the low-round vectors cover a wrong password
			}
			ok, err = Verify(hash, password+"x")
			require.NoError(t, err)
			assert.False(t, ok, "a wrong password must not verify")
		})
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 8, n)
}

// TestHashMatchesPythonHashlib computes PBKDF2-HMAC-SHA512 with Python's
// hashlib, an implementation independent of Go's, and compares checksums.
func TestHashMatchesPythonHashlib(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true and python3 is not on PATH: the independent hashlib comparison cannot run")
		}
		t.Skip("python3 not on PATH; the passlib vectors still cover Hash through Verify")
	}
	for _, tc := range []struct {
		password string
		rounds   int
		salt     string
	}{
		{"admin", 1, "00112233445566778899aabbccddeeff"},
		{"correct horse battery staple", 1000, "fefefefefefefefefefefefefefefefe"},
		{"pâsswörd-ü€", 25000, "0102"},
	} {
		t.Run(tc.password, func(t *testing.T) {
			salt, err := hex.DecodeString(tc.salt)
			require.NoError(t, err)
			hash, err := Hash(tc.password, tc.rounds, salt)
			require.NoError(t, err)

			script := `import sys, hashlib, base64
pw, rounds, salt = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
ab64 = lambda b: base64.b64encode(b).decode().rstrip("=").replace("+", ".")
dk = hashlib.pbkdf2_hmac("sha512", pw.encode("utf-8"), salt, rounds)
print("$pbkdf2-sha512$%d$%s$%s" % (rounds, ab64(salt), ab64(dk)))`
			cmd := exec.CommandContext(t.Context(), py, "-c", script, tc.password, strconv.Itoa(tc.rounds), tc.salt)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, stderr.String())
			assert.Equal(t, strings.TrimSpace(string(out)), hash)
		})
	}
}

func TestVerifyRejectsMalformed(t *testing.T) {
	good, err := Hash("pw", 3, []byte("saltsalt"))
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"other scheme", "$pbkdf2-sha256$3$" + parts[3] + "$" + parts[4]},
		{"bcrypt", "$2b$12$abcdefghijklmnopqrstuu"},
		{"plaintext", "admin"},
		{"zero rounds", "$pbkdf2-sha512$0$" + parts[3] + "$" + parts[4]},
		{"leading zero rounds", "$pbkdf2-sha512$03$" + parts[3] + "$" + parts[4]},
		{"negative rounds", "$pbkdf2-sha512$-3$" + parts[3] + "$" + parts[4]},
		{"empty salt", "$pbkdf2-sha512$3$$" + parts[4]},
		{"bad base64", "$pbkdf2-sha512$3$!!!$" + parts[4]},
		{"short checksum", "$pbkdf2-sha512$3$" + parts[3] + "$" + parts[4][:20]},
		{"extra field", good + "$x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := Verify(tc.hash, "pw")
			assert.ErrorIs(t, err, ErrMalformedHash)
			assert.False(t, ok)
		})
	}
	ok, err := Verify(good, "pw")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestHashRejectsBadParameters(t *testing.T) {
	_, err := Hash("pw", 0, []byte("salt"))
	assert.ErrorContains(t, err, "at least 1")
	_, err = Hash("pw", 1, nil)
	assert.ErrorContains(t, err, "salt")
}
