package db

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
)

// webhookKeyName is the name of the server secret that encrypts webhook
// signing secrets when no ROSTER_SECRET_KEY is given.
const webhookKeyName = "webhook_secret_key"

// secretBox encrypts the secrets Roster must read back (webhook signing
// secrets, and the stored answers of idempotent requests, which can carry
// a secret shown once) with AES-256-GCM under the server key; a sealed secret is
// "v1:" and the base64 of the nonce and the ciphertext.
type secretBox struct{ aead cipher.AEAD }

// newSecretBox makes the box of a key: any string or bytes, stretched to
// 32 bytes by SHA-256.
func newSecretBox(key []byte) *secretBox {
	sum := sha256.Sum256(key)
	block, _ := aes.NewCipher(sum[:]) // a 32-byte key never fails
	aead, _ := cipher.NewGCM(block)   // nor does GCM over AES
	return &secretBox{aead: aead}
}

// seal encrypts a secret.
func (b *secretBox) seal(plain string) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand)
	return "v1:" + base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// errSecretKey is a sealed secret the server key does not open: the key
// changed since it was sealed.
var errSecretKey = errors.New("db: a sealed secret does not open with the server key (was ROSTER_SECRET_KEY changed?)")

// open decrypts a sealed secret.
func (b *secretBox) open(sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	n := b.aead.NonceSize()
	if err != nil || !strings.HasPrefix(sealed, "v1:") || len(raw) < n {
		return "", errSecretKey
	}
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errSecretKey
	}
	return string(plain), nil
}

// secretKeys holds the box of a DB: set by UseSecretKey, or read from the
// database's server secret the first time it is needed.
type secretKeys struct {
	mu  sync.Mutex
	box *secretBox
}

// UseSecretKey sets the key webhook secrets are encrypted with (from
// ROSTER_SECRET_KEY). Without it the first use reads, or generates, the
// database's own (see SecretKeyFromDatabase).
func (s *DB) UseSecretKey(key string) {
	s.secrets.mu.Lock()
	defer s.secrets.mu.Unlock()
	s.secrets.box = newSecretBox([]byte(key))
}

// SecretKeyFromDatabase makes the key webhook secrets are encrypted with
// the database's server secret, generated on the first start of any
// process; generated says whether this call generated it.
func (s *DB) SecretKeyFromDatabase(ctx context.Context) (generated bool, err error) {
	key, generated, err := s.serverSecret(ctx, webhookKeyName)
	if err != nil {
		return false, err
	}
	s.secrets.mu.Lock()
	defer s.secrets.mu.Unlock()
	s.secrets.box = newSecretBox(key)
	return generated, nil
}

// box is the DB's secret box, from the database's key unless one is set.
func (s *DB) box(ctx context.Context) (*secretBox, error) {
	s.secrets.mu.Lock()
	b := s.secrets.box
	s.secrets.mu.Unlock()
	if b != nil {
		return b, nil
	}
	if _, err := s.SecretKeyFromDatabase(ctx); err != nil {
		return nil, err
	}
	return s.box(ctx)
}
