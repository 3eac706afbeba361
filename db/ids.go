package db

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/oklog/ulid/v2"
)

// NewID returns a new id: the prefix ("am", "acct", …), an underscore and a
// ULID, so ids sort by creation time.
func NewID(prefix string) string {
	return prefix + "_" + ulid.Make().String()
}

// HasPrefix reports whether id has the shape of an id with this prefix.
func HasPrefix(id, prefix string) bool {
	rest, ok := strings.CutPrefix(id, prefix+"_")
	if !ok || len(rest) != ulid.EncodedSize {
		return false
	}
	_, err := ulid.ParseStrict(rest)
	return err == nil
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomToken returns n random base62 characters from crypto/rand: each
// is a random byte below 248 (4 × 62) taken modulo 62, so that every
// character is as likely; the bytes above are dropped.
func RandomToken(n int) string {
	token := make([]byte, 0, n)
	random := make([]byte, n+n/8+4) // enough, most of the time, in one read
	for len(token) < n {
		rand.Read(random) // never fails (crypto/rand)
		for _, c := range random {
			if c < 248 && len(token) < n {
				token = append(token, base62[c%62])
			}
		}
	}
	return string(token)
}

// HashSecret is the SHA-256 of a secret, hex-encoded: how keys and invitation
// tokens are stored.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
