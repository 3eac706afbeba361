package db

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Role is a named set of permissions of a workspace.
type Role struct {
	Object      string   `db:"object" json:"object"`
	ID          string   `db:"id" json:"id"`
	WorkspaceID string   `db:"workspace_id" json:"-"`
	Slug        string   `db:"slug" json:"slug"`
	Name        string   `db:"name" json:"name"`
	Description string   `db:"description" json:"description"`
	Permissions []string `db:"-" json:"permissions"`
	IsDefault   bool     `db:"is_default" json:"is_default"`
	// Version counts the role's changes: its ETag and its events' data.version.
	Version   int64     `db:"version" json:"version"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

// asMembershipRole is the role as a membership shows it.
func (r Role) asMembershipRole() MembershipRole {
	return MembershipRole{ID: r.ID, Slug: r.Slug, Name: r.Name, Permissions: r.Permissions, IsDefault: r.IsDefault}
}

// roleSQL reads roles with the space-separated keys of their permissions
// (read with keyList), open to more "AND …" conditions; its argument is the
// workspace id.
var roleSQL = aggregating(`SELECT 'role' AS object, r.id, r.workspace_id, r.slug, r.name, r.description,
	r.is_default, r.version, r.created_at, r.updated_at,
	(SELECT string_agg(rp.permission_key, ' ') FROM role_permissions rp
		WHERE rp.workspace_id = r.workspace_id AND rp.role_id = r.id) AS role_keys
	FROM roles r WHERE r.workspace_id = ?`)

// roleRow is a row of roleSQL.
type roleRow struct {
	Role
	Keys sql.NullString `db:"role_keys"`
}

// ListRoles returns the workspace's roles with their permissions, oldest first.
func (s *DB) ListRoles(ctx context.Context, wsID string) ([]Role, error) {
	roles, err := s.roles(ctx, ` ORDER BY r.id`, wsID)
	return roles, wrap(err, "list roles")
}

// RoleByRef returns the workspace's role named by id or slug.
func (s *DB) RoleByRef(ctx context.Context, wsID, ref string) (Role, error) {
	roles, err := s.roles(ctx, ` AND (r.id = ? OR r.slug = ?)`, wsID, ref, ref)
	if err != nil {
		return Role{}, wrap(err, "get role %s", ref)
	}
	if len(roles) == 0 {
		return Role{}, ErrRoleNotFound.For(ref)
	}
	return roles[0], nil
}

// defaultRole returns the workspace's default role; ok is false when it
// has none.
func (s *DB) defaultRole(ctx context.Context, wsID string) (r Role, ok bool, err error) {
	roles, err := s.roles(ctx, ` AND r.is_default`, wsID)
	if err != nil || len(roles) == 0 {
		return Role{}, false, wrap(err, "get the default role of workspace %s", wsID)
	}
	return roles[0], true, nil
}

// roles reads the roles of roleSQL narrowed by more, with their permissions.
// Inside a bulk request each distinct read is made once (see
// withRoleCache).
func (s *DB) roles(ctx context.Context, more string, args ...any) ([]Role, error) {
	if roles, ok := cachedRoles(ctx, more, args); ok {
		return roles, nil
	}
	var rows []roleRow
	if err := s.selectAll(ctx, &rows, s.dialect(roleSQL)+more, args...); err != nil {
		return nil, err
	}
	roles := make([]Role, len(rows))
	for i, row := range rows {
		roles[i] = row.Role
		roles[i].Permissions = keyList(row.Keys)
	}
	cacheRoles(ctx, more, args, roles)
	return roles, nil
}

// setRolePermissions replaces a role's permissions.
func (s *DB) setRolePermissions(ctx context.Context, wsID, roleID string, keys []string) error {
	if _, err := s.exec(ctx, `DELETE FROM role_permissions WHERE workspace_id = ? AND role_id = ?`, wsID, roleID); err != nil {
		return wrap(err, "clear permissions of role %s", roleID)
	}
	for _, k := range keys {
		_, err := s.exec(ctx, `INSERT INTO role_permissions (role_id, workspace_id, permission_key) VALUES (?, ?, ?)`, roleID, wsID, k)
		if isForeignKeyViolation(err) {
			return notInCatalog("permissions", k)
		}
		if err != nil {
			return wrap(err, "add permission %s to role %s", k, roleID)
		}
	}
	return nil
}

// OwnerRoleSlug is the slug of the role every workspace starts with and
// keeps: it cannot be deleted.
const OwnerRoleSlug = "owner"

// CreateRole adds a role to the workspace of sc, recording role.created in
// sc's mode. A new default role takes the flag from the current one.
func (s *DB) CreateRole(ctx context.Context, sc Scope, in NewRole) (Role, error) {
	if err := in.Validate(); err != nil {
		return Role{}, err
	}
	t := now()
	r := Role{Object: "role", ID: NewID("role"), WorkspaceID: sc.WorkspaceID, Slug: in.Slug, Name: in.Name,
		Description: in.Description, IsDefault: in.IsDefault, Version: 1, CreatedAt: t, UpdatedAt: t}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, sc.WorkspaceID); err != nil {
			return err
		}
		var err error
		if r.Permissions, err = s.catalogKeys(ctx, sc.WorkspaceID, "permissions", in.Permissions); err != nil {
			return err
		}
		if r.IsDefault {
			if err := s.clearDefaultRole(ctx, sc); err != nil {
				return err
			}
		}
		_, err = s.exec(ctx, `INSERT INTO roles (id, workspace_id, slug, name, description, is_default, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.WorkspaceID, r.Slug, r.Name, r.Description, r.IsDefault, t, t)
		if isUniqueViolation(err) {
			return ErrRoleExists.With(map[string]any{"slug": r.Slug})
		}
		if err != nil {
			return wrap(err, "insert role %s", r.Slug)
		}
		if err := s.setRolePermissions(ctx, sc.WorkspaceID, r.ID, r.Permissions); err != nil {
			return err
		}
		return s.record(ctx, sc, change{Type: "role.created", TargetID: r.ID, Data: r})
	})
	return r, err
}

// UpdateRole changes a role named by id or slug, recording role.updated
// with the fields as they were. Making a role the default takes the flag
// from the current default in the same transaction; the default role
// cannot give it up otherwise, so exactly one role is always the default.
func (s *DB) UpdateRole(ctx context.Context, sc Scope, ref string, p RolePatch) (Role, error) {
	if err := p.Validate(); err != nil {
		return Role{}, err
	}
	var r Role
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, sc.WorkspaceID); err != nil {
			return err
		}
		var err error
		if r, err = s.RoleByRef(ctx, sc.WorkspaceID, ref); err != nil {
			return err
		}
		prev, err := s.patchRole(ctx, sc, &r, p)
		if err != nil || len(prev) == 0 {
			return err
		}
		prev["updated_at"], r.UpdatedAt = r.UpdatedAt, now()
		r.Version++
		if _, err := s.exec(ctx, `UPDATE roles SET name = ?, description = ?, is_default = ?, version = ?, updated_at = ?
			WHERE workspace_id = ? AND id = ?`, r.Name, r.Description, r.IsDefault, r.Version, r.UpdatedAt, sc.WorkspaceID, r.ID); err != nil {
			return wrap(err, "update role %s", r.ID)
		}
		return s.record(ctx, sc, change{Type: "role.updated", TargetID: r.ID, Data: r, Previous: prev})
	})
	return r, err
}

// patchRole applies p to r (and its permissions and the default flag to the
// database) and returns the fields that changed, as they were.
func (s *DB) patchRole(ctx context.Context, sc Scope, r *Role, p RolePatch) (map[string]any, error) {
	prev := map[string]any{}
	if p.Name != nil && *p.Name != r.Name {
		prev["name"], r.Name = r.Name, *p.Name
	}
	if p.Description != nil && *p.Description != r.Description {
		prev["description"], r.Description = r.Description, *p.Description
	}
	if p.Permissions != nil {
		keys, err := s.catalogKeys(ctx, r.WorkspaceID, "permissions", *p.Permissions)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(keys, r.Permissions) {
			if err := s.setRolePermissions(ctx, r.WorkspaceID, r.ID, keys); err != nil {
				return nil, err
			}
			prev["permissions"], r.Permissions = r.Permissions, keys
		}
	}
	if p.IsDefault != nil && *p.IsDefault != r.IsDefault {
		if !*p.IsDefault {
			return nil, Invalid(map[string]string{"is_default": "cannot be false on the default role: make another role the default instead"})
		}
		if r.Slug == OwnerRoleSlug {
			return nil, Invalid(map[string]string{"is_default": "cannot be true on the owner role: members added without a role would become owners"})
		}
		if err := s.clearDefaultRole(ctx, sc); err != nil {
			return nil, err
		}
		prev["is_default"], r.IsDefault = false, true
	}
	return prev, nil
}

// clearDefaultRole takes the default flag off the workspace's default role,
// recording role.updated for it; the caller gives the flag to another role
// in the same transaction.
func (s *DB) clearDefaultRole(ctx context.Context, sc Scope) error {
	r, ok, err := s.defaultRole(ctx, sc.WorkspaceID)
	if err != nil || !ok {
		return err
	}
	prev := map[string]any{"is_default": true, "updated_at": r.UpdatedAt}
	r.IsDefault, r.UpdatedAt = false, now()
	r.Version++
	if _, err := s.exec(ctx, `UPDATE roles SET is_default = ?, version = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		false, r.Version, r.UpdatedAt, sc.WorkspaceID, r.ID); err != nil {
		return wrap(err, "clear the default flag of role %s", r.ID)
	}
	return s.record(ctx, sc, change{Type: "role.updated", TargetID: r.ID, Data: r, Previous: prev})
}

// DeleteRole deletes a role named by id or slug, recording role.deleted.
// The owner role and the default role stay; a role that any account
// membership holds (in either mode) stays, which the foreign key from the
// memberships to their role enforces whatever the concurrency.
func (s *DB) DeleteRole(ctx context.Context, sc Scope, ref string) error {
	return s.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockWorkspace(ctx, sc.WorkspaceID); err != nil {
			return err
		}
		r, err := s.RoleByRef(ctx, sc.WorkspaceID, ref)
		if err != nil {
			return err
		}
		details := map[string]any{"id": r.ID, "slug": r.Slug}
		switch {
		case r.Slug == OwnerRoleSlug:
			return ErrRolePermanent.With(details)
		case r.IsDefault:
			return ErrRoleIsDefault.With(details)
		}
		_, err = s.exec(ctx, `DELETE FROM roles WHERE workspace_id = ? AND id = ?`, sc.WorkspaceID, r.ID)
		if isForeignKeyViolation(err) {
			return ErrRoleInUse.With(details)
		}
		if err != nil {
			return wrap(err, "delete role %s", r.ID)
		}
		return s.record(ctx, sc, change{Type: "role.deleted", TargetID: r.ID, Data: r})
	})
}

// roleOrDefault returns the workspace's role named by ref, or its default
// role when ref is "".
func (s *DB) roleOrDefault(ctx context.Context, wsID, ref string) (Role, error) {
	if ref != "" {
		return s.RoleByRef(ctx, wsID, ref)
	}
	r, ok, err := s.defaultRole(ctx, wsID)
	if err == nil && !ok {
		err = fmt.Errorf("db: workspace %s has no default role", wsID)
	}
	return r, err
}
