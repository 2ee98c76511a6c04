package credentials

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The passlib "pbkdf2_sha512" scheme Odoo 12+ stores in res_users.password:
//
//	$pbkdf2-sha512$<rounds>$<salt, ab64>$<checksum, ab64>
//
// ab64 is standard base64 with "." instead of "+" and no padding. The
// checksum is 64 bytes (SHA-512's size), as passlib writes it.
const (
	scheme       = "pbkdf2-sha512"
	checksumSize = sha512.Size
	saltSize     = 16 // passlib's default
)

// ErrMalformedHash is returned by Verify for a string that is not a
// pbkdf2-sha512 hash in passlib's format.
var ErrMalformedHash = errors.New("not a passlib pbkdf2-sha512 hash")

var ab64 = base64.RawStdEncoding

func ab64Encode(b []byte) string {
	return strings.ReplaceAll(ab64.EncodeToString(b), "+", ".")
}

func ab64Decode(s string) ([]byte, error) {
	// passlib tolerates padding on input; so do we.
	s = strings.TrimRight(strings.ReplaceAll(s, ".", "+"), "=")
	return ab64.DecodeString(s)
}

// Hash returns password hashed as passlib's pbkdf2_sha512 does with the
// given rounds and salt.
func Hash(password string, rounds int, salt []byte) (string, error) {
	if rounds < 1 {
		return "", fmt.Errorf("pbkdf2-sha512 rounds must be at least 1, got %d", rounds)
	}
	if len(salt) == 0 {
		return "", errors.New("pbkdf2-sha512 needs a salt")
	}
	sum, err := pbkdf2.Key(sha512.New, password, salt, rounds, checksumSize)
	if err != nil {
		return "", fmt.Errorf("pbkdf2-sha512: %w", err)
	}
	return "$" + scheme + "$" + strconv.Itoa(rounds) + "$" + ab64Encode(salt) + "$" + ab64Encode(sum), nil
}

// Verify tells whether password matches hash, computing it as passlib
// does; any round count of at least 1 is accepted, as passlib accepts it.
func Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	// "", scheme, rounds, salt, checksum
	if len(parts) != 5 || parts[0] != "" || parts[1] != scheme {
		return false, ErrMalformedHash
	}
	rounds, err := strconv.Atoi(parts[2])
	if err != nil || rounds < 1 || parts[2][0] == '0' {
		return false, fmt.Errorf("%w: rounds %q", ErrMalformedHash, parts[2])
	}
	salt, err := ab64Decode(parts[3])
	if err != nil || len(salt) == 0 {
		return false, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	want, err := ab64Decode(parts[4])
	if err != nil || len(want) != checksumSize {
		return false, fmt.Errorf("%w: checksum", ErrMalformedHash)
	}
	got, err := pbkdf2.Key(sha512.New, password, salt, rounds, checksumSize)
	if err != nil {
		return false, fmt.Errorf("pbkdf2-sha512: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
