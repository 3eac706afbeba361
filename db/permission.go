package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// Permission is an entry of a workspace's permission catalog.
type Permission struct {
	Object      string    `db:"object" json:"object"`
	ID          string    `db:"id" json:"id"`
	Key         string    `db:"key" json:"key"`
	Description string    `db:"description" json:"description"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

const permissionColumns = `'permission' AS object, key AS id, key, description, created_at FROM permissions`

// Permission returns one entry of the workspace's permission catalog.
func (s *DB) Permission(ctx context.Context, wsID, key string) (Permission, error) {
	return s.permission(ctx, wsID, key, "")
}

// lockPermission reads an entry of the catalog for a change and locks it
// until the transaction ends (see forUpdate).
func (s *DB) lockPermission(ctx context.Context, wsID, key string) (Permission, error) {
	return s.permission(ctx, wsID, key, s.forUpdate())
}

// permission reads an entry of the catalog, the query ending with lock.
func (s *DB) permission(ctx context.Context, wsID, key, lock string) (Permission, error) {
	var p Permission
	err := s.get(ctx, &p, `SELECT `+permissionColumns+` WHERE workspace_id = ? AND key = ?`+lock, wsID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrPermissionNotFound.For(key)
	}
	return p, wrap(err, "get permission %s", key)
}

// CreatePermission adds a key to the workspace's catalog, recording
// permission.created in sc's mode.
func (s *DB) CreatePermission(ctx context.Context, sc Scope, in NewPermission) (Permission, error) {
	if err := in.Validate(); err != nil {
		return Permission{}, err
	}
	p := Permission{Object: "permission", ID: in.Key, Key: in.Key, Description: in.Description, CreatedAt: now()}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.exec(ctx, `INSERT INTO permissions (workspace_id, key, description, created_at) VALUES (?, ?, ?, ?)`,
			sc.WorkspaceID, p.Key, p.Description, p.CreatedAt)
		if isUniqueViolation(err) {
			return ErrPermissionExists.With(map[string]any{"key": p.Key})
		}
		if err != nil {
			return wrap(err, "insert permission %s", p.Key)
		}
		return s.record(ctx, sc, change{Type: "permission.created", TargetID: p.Key, Data: p})
	})
	return p, err
}

// DeletePermission removes a key from the workspace's catalog, recording
// permission.deleted in sc's mode. A key that a role or an account
// membership holds stays: the foreign keys from role_permissions and
// membership_permissions refuse its deletion whatever the concurrency. A
// system permission stays whoever holds it (permission.system).
func (s *DB) DeletePermission(ctx context.Context, sc Scope, key string) error {
	if IsSystemPermission(key) {
		return ErrPermissionSystem.With(map[string]any{"key": key})
	}
	return s.WithTx(ctx, func(ctx context.Context) error {
		p, err := s.lockPermission(ctx, sc.WorkspaceID, key)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `DELETE FROM permissions WHERE workspace_id = ? AND key = ?`, sc.WorkspaceID, key)
		if isForeignKeyViolation(err) {
			return ErrPermissionInUse.With(map[string]any{"key": key})
		}
		if err != nil {
			return wrap(err, "delete permission %s", key)
		}
		return s.record(ctx, sc, change{Type: "permission.deleted", TargetID: key, Data: p})
	})
}

// catalogKeys sorts validated permission keys, each once, and refuses
// under field the keys that are not in the workspace's catalog.
func (s *DB) catalogKeys(ctx context.Context, wsID, field string, keys []string) ([]string, error) {
	keys = SortedUnique(keys)
	if err := s.checkCatalog(ctx, wsID, field, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// checkCatalog refuses keys that are not in the workspace's catalog,
// naming them under field ("permissions", "add_permissions", …). The
// foreign keys to the catalog back it up under concurrency.
func (s *DB) checkCatalog(ctx context.Context, wsID, field string, keys []string) error {
	known, err := s.knownKeys(ctx, wsID, keys)
	if err != nil {
		return err
	}
	return inCatalog(field, keys, known)
}

// knownKeys returns which keys of a list are in the workspace's catalog.
func (s *DB) knownKeys(ctx context.Context, wsID string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var known []string
	err := s.selectAll(ctx, &known, s.dialect(knownKeysQuery), wsID, listArg(keys))
	return known, wrap(err, "check permissions against the catalog")
}

// inCatalog refuses, under field, the keys that are not among known (the
// catalog's keys of a list that holds them).
func inCatalog(field string, keys, known []string) error {
	if unknown := difference(keys, known); len(unknown) > 0 {
		return notInCatalog(field, unknown...)
	}
	return nil
}

// knownKeysQuery reads which keys of a list are in a workspace's catalog.
var knownKeysQuery = listing(`SELECT key FROM permissions WHERE workspace_id = ? AND key IN (?)`)

// notInCatalog refuses, under field, permission keys the catalog lacks.
func notInCatalog(field string, keys ...string) error {
	return Invalid(map[string]string{field: "not in the permission catalog: " + strings.Join(keys, ", ")})
}

// ListPermissions returns the workspace's permission catalog, by key.
func (s *DB) ListPermissions(ctx context.Context, wsID string) ([]Permission, error) {
	var ps []Permission
	err := s.selectAll(ctx, &ps, `SELECT `+permissionColumns+` WHERE workspace_id = ? ORDER BY key`, wsID)
	return ps, wrap(err, "list permissions")
}
