package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"
)

// Key kinds.
const (
	KeySecret      = "secret"
	KeyPublishable = "publishable"
)

// Scopes a secret key may be limited to.
var Scopes = []string{
	"memberships:read", "memberships:write", "accounts:read", "accounts:write",
	"roles:read", "roles:write", "staff:read", "staff:write", "events:read",
	"webhooks:read", "webhooks:write",
}

// APIKey is a credential of one workspace and one mode. Its secret is never
// stored: only its SHA-256 hash and a short prefix to recognise it by.
type APIKey struct {
	Object      string     `db:"object" json:"object"`
	ID          string     `db:"id" json:"id"`
	WorkspaceID string     `db:"workspace_id" json:"-"`
	Kind        string     `db:"kind" json:"kind"`
	Name        string     `db:"name" json:"name"`
	Prefix      string     `db:"prefix" json:"prefix"`
	ScopeText   string     `db:"scopes" json:"-"`
	Scopes      []string   `db:"-" json:"scopes"`
	Livemode    bool       `db:"livemode" json:"livemode"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt  *time.Time `db:"last_used_at" json:"last_used_at"`
	ExpiresAt   *time.Time `db:"expires_at" json:"expires_at"`
	RevokedAt   *time.Time `db:"revoked_at" json:"revoked_at"`
	// CreatedBy is the user who created the key, "" for a key made by the
	// command line, which acts for the workspace.
	CreatedBy string `db:"created_by" json:"-"`
	// Creator is the creator as a staff member now: its StaffID is "" when
	// they are no longer on the staff.
	Creator KeyCreator `db:"creator" json:"-"`
}

// KeyCreator is the key's creator as a staff member now.
type KeyCreator struct {
	StaffID string `db:"staff_id"`
	Role    string `db:"role"`
	Email   string `db:"email"`
}

// Orphaned reports whether the key was created by someone who has since
// left the workspace's staff: such a key stops working.
func (k APIKey) Orphaned() bool { return k.CreatedBy != "" && k.Creator.StaffID == "" }

// Active reports whether the key can still be used at t.
func (k APIKey) Active(t time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || k.ExpiresAt.After(t))
}

// HasScope reports whether a secret key may act within scope: a key without
// a scope list has them all.
func (k APIKey) HasScope(scope string) bool {
	if len(k.Scopes) == 0 {
		return true
	}
	for _, s := range k.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// apiKeyColumns read a key with its creator as a staff member now,
// in the one query that authenticates it.
const apiKeyColumns = `'api_key' AS object, k.id, k.workspace_id, k.kind, k.name, k.prefix, k.scopes, k.livemode,
	k.created_at, k.last_used_at, k.expires_at, k.revoked_at, COALESCE(k.created_by, '') AS created_by,
	COALESCE(wm.id, '') AS "creator.staff_id", COALESCE(wm.role, '') AS "creator.role",
	COALESCE(u.email, '') AS "creator.email"
	FROM api_keys k
	LEFT JOIN workspace_memberships wm ON wm.workspace_id = k.workspace_id AND wm.user_id = k.created_by
	LEFT JOIN users u ON u.workspace_id = wm.workspace_id AND u.id = wm.user_id`

// KeyPrefix is the start of a key's secret: kind and mode.
func KeyPrefix(kind string, live bool) string {
	p := "sk_"
	if kind == KeyPublishable {
		p = "pk_"
	}
	if live {
		return p + "live_"
	}
	return p + "test_"
}

// CreateAPIKey creates a key in the scope and returns it with its secret,
// which is shown this once and never again. The user acting in ctx, if any,
// is recorded as its creator.
func (s *DB) CreateAPIKey(ctx context.Context, sc Scope, in NewAPIKey) (APIKey, string, error) {
	if err := in.Validate(); err != nil {
		return APIKey{}, "", err
	}
	var k APIKey
	var secret string
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		k, secret, err = s.insertAPIKey(ctx, sc, in)
		if err != nil {
			return err
		}
		return s.record(ctx, sc, change{Type: "api_key.created", TargetID: k.ID, Data: k})
	})
	return k, secret, err
}

// insertAPIKey writes a new key of a validated kind, name and scopes, in
// the caller's transaction, and indexes its secret's hash in
// api_key_lookup, where APIKeyBySecret finds its workspace.
func (s *DB) insertAPIKey(ctx context.Context, sc Scope, in NewAPIKey) (APIKey, string, error) {
	scopes := SortedUnique(in.Scopes)
	secret := KeyPrefix(in.Kind, sc.Live) + RandomToken(40)
	k := APIKey{
		Object: "api_key", ID: NewID("key"), WorkspaceID: sc.WorkspaceID, Kind: in.Kind, Name: in.Name,
		Prefix: secret[:len(KeyPrefix(in.Kind, sc.Live))+4], ScopeText: strings.Join(scopes, " "), Scopes: scopes,
		Livemode: sc.Live, CreatedAt: now(),
	}
	var createdBy *string
	if a := actorFrom(ctx).actor; a.Type == "user" {
		k.CreatedBy, createdBy = a.ID, &a.ID
	}
	_, err := s.exec(ctx, `INSERT INTO api_keys (id, workspace_id, livemode, kind, name, secret_hash, prefix, scopes, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.WorkspaceID, k.Livemode, k.Kind, k.Name, HashSecret(secret), k.Prefix, k.ScopeText, k.CreatedAt, createdBy)
	if err != nil {
		return APIKey{}, "", wrap(err, "insert api key")
	}
	_, err = s.exec(ctx, `INSERT INTO api_key_lookup (secret_hash, workspace_id, key_id) VALUES (?, ?, ?)`,
		HashSecret(secret), k.WorkspaceID, k.ID)
	return k, secret, wrap(err, "index api key %s", k.ID)
}

// APIKeyBySecret returns the active key whose secret this is: its
// workspace and id from api_key_lookup, then the key in its workspace.
func (s *DB) APIKeyBySecret(ctx context.Context, secret string) (APIKey, error) {
	hash := HashSecret(secret)
	if k, ok := s.keys.get(hash); ok {
		return k, nil
	}
	var ref struct {
		WorkspaceID string `db:"workspace_id"`
		KeyID       string `db:"key_id"`
	}
	var k APIKey
	err := s.get(ctx, &ref, `SELECT workspace_id, key_id FROM api_key_lookup WHERE secret_hash = ?`, hash)
	if err == nil {
		err = s.get(ctx, &k, `SELECT `+apiKeyColumns+` WHERE k.workspace_id = ? AND k.id = ? AND k.secret_hash = ?`,
			ref.WorkspaceID, ref.KeyID, hash)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrAPIKeyNotFound
	}
	if err != nil {
		return k, wrap(err, "find api key")
	}
	k.Scopes = splitScopes(k.ScopeText)
	if !k.Active(time.Now()) {
		return k, ErrAPIKeyNotFound
	}
	s.keys.put(hash, k)
	return k, nil
}

// TouchAPIKey notes that a key was used, at most once a minute per key.
func (s *DB) TouchAPIKey(ctx context.Context, k APIKey) error {
	t := now()
	if k.LastUsedAt != nil && t.Sub(*k.LastUsedAt) < time.Minute {
		return nil
	}
	s.keys.touched(k.ID, t)
	_, err := s.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE workspace_id = ? AND id = ?`, t, k.WorkspaceID, k.ID)
	return wrap(err, "touch api key %s", k.ID)
}

// ListAPIKeys returns the scope's keys, newest first.
func (s *DB) ListAPIKeys(ctx context.Context, sc Scope) ([]APIKey, error) {
	var ks []APIKey
	if err := s.selectAll(ctx, &ks, `SELECT `+apiKeyColumns+` WHERE k.workspace_id = ? AND k.livemode = ? ORDER BY k.id DESC`,
		sc.WorkspaceID, sc.Live); err != nil {
		return nil, wrap(err, "list api keys")
	}
	for i := range ks {
		ks[i].Scopes = splitScopes(ks[i].ScopeText)
	}
	return ks, nil
}

// apiKey returns one key of the scope.
func (s *DB) apiKey(ctx context.Context, sc Scope, id string) (APIKey, error) {
	var k APIKey
	err := s.get(ctx, &k, `SELECT `+apiKeyColumns+` WHERE k.workspace_id = ? AND k.livemode = ? AND k.id = ?`, sc.WorkspaceID, sc.Live, id)
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrAPIKeyNotFound.For(id)
	}
	k.Scopes = splitScopes(k.ScopeText)
	return k, wrap(err, "get api key %s", id)
}

// RevokeAPIKey stops a key from working.
func (s *DB) RevokeAPIKey(ctx context.Context, sc Scope, id string) (APIKey, error) {
	defer s.keys.forget(id) // after the commit: this process stops trusting the key at once
	var k APIKey
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if k, err = s.apiKey(ctx, sc, id); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		t := now()
		k.RevokedAt = &t
		if _, err := s.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			t, sc.WorkspaceID, sc.Live, id); err != nil {
			return wrap(err, "revoke api key %s", id)
		}
		return s.record(ctx, sc, change{Type: "api_key.revoked", TargetID: k.ID, Data: k, Previous: map[string]any{"revoked_at": nil}})
	})
	return k, err
}

// RollAPIKey replaces a key with a new one of the same kind, name and
// scopes; the old key keeps working for grace (zero: not at all), then stops.
// The user who rolls it, who holds the new secret, is the new key's creator.
func (s *DB) RollAPIKey(ctx context.Context, sc Scope, id string, grace time.Duration) (APIKey, string, error) {
	defer s.keys.forget(id) // after the commit: the old key's new expiry applies at once here
	var k APIKey
	var secret string
	err := s.WithTx(ctx, func(ctx context.Context) error {
		old, err := s.apiKey(ctx, sc, id)
		if err != nil {
			return err
		}
		if !old.Active(time.Now()) {
			return ErrKeyInactive.For(id)
		}
		expires := now().Add(grace)
		if _, err := s.exec(ctx, `UPDATE api_keys SET expires_at = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
			expires, sc.WorkspaceID, sc.Live, id); err != nil {
			return wrap(err, "expire api key %s", id)
		}
		if k, secret, err = s.insertAPIKey(ctx, sc, NewAPIKey{Kind: old.Kind, Name: old.Name, Scopes: old.Scopes}); err != nil {
			return err
		}
		return s.record(ctx, sc, change{Type: "api_key.rolled", TargetID: k.ID, Data: k,
			Previous: map[string]any{"id": old.ID, "expires_at": expires}})
	})
	return k, secret, err
}

func splitScopes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

// keyCacheTTL is how long this process trusts a key it looked up: the
// spec lets a revoked key work for up to 5 seconds on other processes, and
// the process that revokes or rolls a key forgets it at once.
const keyCacheTTL = 3 * time.Second

// keyCache keeps recently authenticated keys by the hash of their secret,
// sparing the lookup that every API request would otherwise make.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	key APIKey
	at  time.Time
}

// get returns a key looked up less than keyCacheTTL ago that is still active.
func (c *keyCache) get(hash string) (APIKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || time.Since(e.at) > keyCacheTTL || !e.key.Active(time.Now()) {
		return APIKey{}, false
	}
	return e.key, true
}

// put remembers a key; the cache is emptied rather than grown past a bound.
func (c *keyCache) put(hash string, k APIKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10000 {
		c.m = make(map[string]cachedKey)
	}
	c.m[hash] = cachedKey{key: k, at: time.Now()}
}

// touched notes a key's new last use, so the cached copy does not ask for
// another write.
func (c *keyCache) touched(id string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.key.ID == id {
			e.key.LastUsedAt = &t
			c.m[h] = e
		}
	}
}

// forgetCreatedBy drops the keys a user created, whose rights changed with
// the user's workspace role.
func (c *keyCache) forgetCreatedBy(userID string) {
	if userID == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.key.CreatedBy == userID {
			delete(c.m, h)
		}
	}
}

// forget drops a key that was revoked or rolled.
func (c *keyCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.key.ID == id {
			delete(c.m, h)
		}
	}
}
