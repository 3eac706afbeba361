package db

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
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

// RandomToken returns n random base62 characters from crypto/rand.
func RandomToken(n int) string {
	var b strings.Builder
	b.Grow(n)
	max := big.NewInt(int64(len(base62)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("db: crypto/rand failed: " + err.Error())
		}
		b.WriteByte(base62[i.Int64()])
	}
	return b.String()
}

// HashSecret is the SHA-256 of a secret, hex-encoded: how keys and invitation
// tokens are stored.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
