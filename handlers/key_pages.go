package handlers

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"roster/db"
	"roster/views"
)

// KeyStore is what the API keys page needs of the database.
type KeyStore interface {
	ListAPIKeys(ctx context.Context, sc db.Scope) ([]db.APIKey, error)
	CreateAPIKey(ctx context.Context, sc db.Scope, in db.NewAPIKey) (db.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, sc db.Scope, id string) (db.APIKey, error)
	RollAPIKey(ctx context.Context, sc db.Scope, id string, grace time.Duration) (db.APIKey, string, error)
}

// KeyPages serves the console's API keys page and its confirmations.
type KeyPages struct {
	*Console
	Store KeyStore
}

var keyLabels = labels{"kind": "The kind", "name": "The name", "scopes": "The scopes", "grace": "The time"}

// List answers GET /api-keys: the mode's keys, newest first, and once, the
// secret of the key just created or rolled.
func (h *KeyPages) List(c *fiber.Ctx) error {
	return h.list(c, fiber.StatusOK, views.Form{})
}

func (h *KeyPages) list(c *fiber.Ctx, status int, f views.Form) error {
	p := PrincipalOf(c)
	keys, err := h.Store.ListAPIKeys(ctx(c), p.Scope)
	if err != nil {
		return err
	}
	v := views.KeysPage{Live: p.Scope.Live, Keys: keys, Now: time.Now(), CanWrite: p.MayChange(), Scopes: db.Scopes, Form: f}
	var nk views.NewKey
	if !isFragment(c) && newKeyOnce.pop(h.Console, c, &nk) {
		v.NewKey = &nk
	}
	return h.render(c, status, "API keys", "api-keys", views.Keys(v))
}

// Create answers POST /api-keys: a key of the session's mode.
func (h *KeyPages) Create(c *fiber.Ctx) error {
	f := formOf(c, "kind", "name")
	scopes := formMulti(c, f, "scopes")
	if f.Invalid() {
		return h.list(c, statusFormErrors, f)
	}
	in := db.NewAPIKey{Kind: f.Value("kind"), Name: f.Value("name"), Scopes: scopes}
	k, secret, err := h.Store.CreateAPIKey(ctx(c), PrincipalOf(c).Scope, in)
	if f, ok := refused(f, err, keyLabels); ok {
		return h.list(c, statusFormErrors, f)
	}
	if err != nil {
		return err
	}
	if err := h.putNewKey(c, k, secret); err != nil {
		return err
	}
	h.flash(c, "Created the "+db.ModeName(k.Livemode)+" "+k.Kind+" key "+k.Prefix+"…")
	return Redirect(c, "/api-keys")
}

// Confirm answers GET /api-keys/{id}/revoke and /roll: the page that asks
// first, for browsers without scripts (with them, hx-confirm asks).
func (h *KeyPages) Confirm(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, err := h.find(c)
		if err != nil {
			return err
		}
		f := views.Form{Values: map[string]string{"grace": "24h"}}
		return h.render(c, fiber.StatusOK, capitalize(action)+" key", "api-keys", views.KeyConfirmation(views.KeyConfirm{Key: k, Action: action, Form: f}))
	}
}

// Revoke answers POST /api-keys/{id}/revoke.
func (h *KeyPages) Revoke(c *fiber.Ctx) error {
	k, err := h.Store.RevokeAPIKey(ctx(c), PrincipalOf(c).Scope, c.Params("id"))
	if err != nil {
		return err
	}
	h.flash(c, "Revoked the key "+k.Prefix+"…; it no longer works.")
	return Redirect(c, "/api-keys")
}

// graces are the choices of how long a rolled key keeps working.
var graces = map[string]time.Duration{"0": 0, "1h": time.Hour, "24h": 24 * time.Hour, "168h": 7 * 24 * time.Hour}

// Roll answers POST /api-keys/{id}/roll: a new key now, the old one until
// the chosen grace ends.
func (h *KeyPages) Roll(c *fiber.Ctx) error {
	f := formOf(c, "grace")
	grace, ok := graces[f.Value("grace")]
	if !ok {
		k, err := h.find(c)
		if err != nil {
			return err
		}
		f.Errors["grace"] = "Choose how long the old key keeps working."
		return h.render(c, statusFormErrors, "Roll key", "api-keys", views.KeyConfirmation(views.KeyConfirm{Key: k, Action: "roll", Form: f}))
	}
	k, secret, err := h.Store.RollAPIKey(ctx(c), PrincipalOf(c).Scope, c.Params("id"), grace)
	if err != nil {
		return err
	}
	if err := h.putNewKey(c, k, secret); err != nil {
		return err
	}
	h.flash(c, "Rolled the key: "+k.Prefix+"… replaces it.")
	return Redirect(c, "/api-keys")
}

// find returns the key named by the path, of the session's mode.
func (h *KeyPages) find(c *fiber.Ctx) (db.APIKey, error) {
	id := c.Params("id")
	keys, err := h.Store.ListAPIKeys(ctx(c), PrincipalOf(c).Scope)
	if err != nil {
		return db.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return db.APIKey{}, db.ErrAPIKeyNotFound.For(id)
}

// newKeyOnce is where a new key's secret waits for the keys page.
var newKeyOnce = once{slot: NewKeySlot, cookie: "roster_new_key", path: "/api-keys"}

// putNewKey keeps a new key's secret for the next keys page.
func (h *KeyPages) putNewKey(c *fiber.Ctx, k db.APIKey, secret string) error {
	return newKeyOnce.put(h.Console, c, views.NewKey{ID: k.ID, Secret: secret, Kind: k.Kind, Name: k.Name})
}

// seal encrypts plain with AES-256-GCM under key (32 bytes), nonce first.
func seal(key, plain []byte) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, nil)), nil
}

// unseal decrypts what seal made under the same key.
func unseal(key []byte, sealed string) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return nil, errors.New("handlers: not a sealed value")
	}
	return aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
}

// gcm is AES-GCM under key.
func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("handlers: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
