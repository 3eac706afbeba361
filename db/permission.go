package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const permissionColumns = `'permission' AS object, key AS id, key, description, created_at FROM permissions`

// Permission returns one entry of the workspace's permission catalog.
func (s *DB) Permission(ctx context.Context, wsID, key string) (Permission, error) {
	var p Permission
	err := s.get(ctx, &p, `SELECT `+permissionColumns+` WHERE workspace_id = ? AND key = ?`+s.forUpdateIfTx(ctx), wsID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return p, NotFound("permission", key)
	}
	return p, wrap(err, "get permission %s", key)
}

// CreatePermission adds a key to the workspace's catalog, recording
// permission.created in sc's mode.
func (s *DB) CreatePermission(ctx context.Context, sc Scope, key, description string) (Permission, error) {
	p := Permission{Object: "permission", ID: key, Key: key, Description: description, CreatedAt: now()}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.exec(ctx, `INSERT INTO permissions (workspace_id, key, description, created_at) VALUES (?, ?, ?, ?)`,
			sc.WorkspaceID, p.Key, p.Description, p.CreatedAt)
		if isUniqueViolation(err) {
			return Conflict("permission.already_exists", "The catalog already has this permission", map[string]any{"key": key})
		}
		if err != nil {
			return wrap(err, "insert permission %s", key)
		}
		return s.record(ctx, sc, change{Type: "permission.created", TargetID: key, Data: p})
	})
	return p, err
}

// DeletePermission removes a key from the workspace's catalog, recording
// permission.deleted in sc's mode. A key that a role or an account
// membership holds stays: the foreign keys from role_permissions and
// membership_permissions refuse its deletion whatever the concurrency.
func (s *DB) DeletePermission(ctx context.Context, sc Scope, key string) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		p, err := s.Permission(ctx, sc.WorkspaceID, key)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `DELETE FROM permissions WHERE workspace_id = ? AND key = ?`, sc.WorkspaceID, key)
		if isForeignKeyViolation(err) {
			return Conflict("permission.in_use", "Roles or members hold this permission: take it from them first", map[string]any{"key": key})
		}
		if err != nil {
			return wrap(err, "delete permission %s", key)
		}
		return s.record(ctx, sc, change{Type: "permission.deleted", TargetID: key, Data: p})
	})
}

// MaxListItems is the most entries one list of a request may hold (the
// permissions of a membership or a role, those to add or remove): past it
// the request is 400 naming the list. Every list a query takes as
// parameters is bounded by it.
const MaxListItems = 500

// checkListLength refuses, under field, a list of more than MaxListItems
// entries.
func checkListLength(field string, n int) error {
	if n > MaxListItems {
		return Invalid(map[string]string{field: fmt.Sprintf("must hold at most %d entries", MaxListItems)})
	}
	return nil
}

// catalogKeys trims and sorts permission keys, each once, and refuses
// under field a list longer than MaxListItems (as sent) and keys that are
// not in the workspace's catalog.
func (s *DB) catalogKeys(ctx context.Context, wsID, field string, keys []string) ([]string, error) {
	if err := checkListLength(field, len(keys)); err != nil {
		return nil, err
	}
	trimmed := make([]string, len(keys))
	for i, k := range keys {
		trimmed[i] = strings.TrimSpace(k)
	}
	keys = SortedUnique(trimmed)
	if err := s.checkCatalog(ctx, wsID, field, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// checkCatalog refuses keys that are not in the workspace's catalog,
// naming them under field ("permissions", "add_permissions", …). The
// foreign keys to the catalog back it up under concurrency.
func (s *DB) checkCatalog(ctx context.Context, wsID, field string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var known []string
	if err := s.selectIn(ctx, &known, `SELECT key FROM permissions WHERE workspace_id = ? AND key IN (?)`, wsID, keys); err != nil {
		return wrap(err, "check permissions against the catalog")
	}
	if unknown := difference(keys, known); len(unknown) > 0 {
		return Invalid(map[string]string{field: "not in the permission catalog: " + strings.Join(unknown, ", ")})
	}
	return nil
}
