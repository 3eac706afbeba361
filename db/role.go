package db

import (
	"context"
	"database/sql"
	"errors"
	"sort"
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

// Role is a named set of permissions of a workspace.
type Role struct {
	Object      string    `db:"object" json:"object"`
	ID          string    `db:"id" json:"id"`
	WorkspaceID string    `db:"workspace_id" json:"-"`
	Slug        string    `db:"slug" json:"slug"`
	Name        string    `db:"name" json:"name"`
	Description string    `db:"description" json:"description"`
	Permissions []string  `db:"-" json:"permissions"`
	IsDefault   bool      `db:"is_default" json:"is_default"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

const roleColumns = `'role' AS object, id, workspace_id, slug, name, description, is_default, created_at, updated_at FROM roles`

// ListPermissions returns the workspace's permission catalog, by key.
func (s *DB) ListPermissions(ctx context.Context, wsID string) ([]Permission, error) {
	var ps []Permission
	err := s.selectAll(ctx, &ps, `SELECT 'permission' AS object, key AS id, key, description, created_at
		FROM permissions WHERE workspace_id = ? ORDER BY key`, wsID)
	return ps, wrap(err, "list permissions")
}

// ListRoles returns the workspace's roles with their permissions, oldest first.
func (s *DB) ListRoles(ctx context.Context, wsID string) ([]Role, error) {
	var roles []Role
	if err := s.selectAll(ctx, &roles, `SELECT `+roleColumns+` WHERE workspace_id = ? ORDER BY id`, wsID); err != nil {
		return nil, wrap(err, "list roles")
	}
	var rps []struct {
		RoleID string `db:"role_id"`
		Key    string `db:"permission_key"`
	}
	if err := s.selectAll(ctx, &rps, `SELECT role_id, permission_key FROM role_permissions
		WHERE workspace_id = ? ORDER BY permission_key`, wsID); err != nil {
		return nil, wrap(err, "list role permissions")
	}
	byRole := make(map[string][]string, len(roles))
	for _, rp := range rps {
		byRole[rp.RoleID] = append(byRole[rp.RoleID], rp.Key)
	}
	for i := range roles {
		roles[i].Permissions = nonNil(byRole[roles[i].ID])
	}
	return roles, nil
}

// RoleByRef returns the workspace's role named by id or slug.
func (s *DB) RoleByRef(ctx context.Context, wsID, ref string) (Role, error) {
	var r Role
	err := s.get(ctx, &r, `SELECT `+roleColumns+` WHERE workspace_id = ? AND (id = ? OR slug = ?)`, wsID, ref, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return r, NotFound("role", ref)
	}
	if err != nil {
		return r, wrap(err, "get role %s", ref)
	}
	r.Permissions, err = s.rolePermissions(ctx, r.ID)
	return r, err
}

// rolePermissions returns the sorted permission keys of a role.
func (s *DB) rolePermissions(ctx context.Context, roleID string) ([]string, error) {
	var keys []string
	err := s.selectAll(ctx, &keys, `SELECT permission_key FROM role_permissions WHERE role_id = ? ORDER BY permission_key`, roleID)
	return nonNil(keys), wrap(err, "list permissions of role %s", roleID)
}

// setRolePermissions replaces a role's permissions.
func (s *DB) setRolePermissions(ctx context.Context, wsID, roleID string, keys []string) error {
	if _, err := s.exec(ctx, `DELETE FROM role_permissions WHERE role_id = ?`, roleID); err != nil {
		return wrap(err, "clear permissions of role %s", roleID)
	}
	for _, k := range keys {
		if _, err := s.exec(ctx, `INSERT INTO role_permissions (role_id, workspace_id, permission_key) VALUES (?, ?, ?)`,
			roleID, wsID, k); err != nil {
			return wrap(err, "add permission %s to role %s", k, roleID)
		}
	}
	return nil
}

// SortedUnique returns the strings sorted, each once, never nil.
func SortedUnique(xs []string) []string {
	out := make([]string, 0, len(xs))
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// nonNil turns a nil slice into an empty one, so it encodes as [].
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
