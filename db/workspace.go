package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Workspace is a tenant: a company running Roster for its accounts.
type Workspace struct {
	Object    string    `db:"object" json:"object"`
	ID        string    `db:"id" json:"id"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// BootstrapResult names what Bootstrap created or found.
type BootstrapResult struct {
	WorkspaceID string `json:"workspace_id"`
	UserID      string `json:"user_id"`
	StaffID     string `json:"workspace_membership_id"`
}

// DefaultPermissions is the permission catalog of a new workspace.
var DefaultPermissions = []Permission{
	{Key: "org.manage", Description: "Manage the organization's settings"},
	{Key: "members.read", Description: "See the members"},
	{Key: "members.manage", Description: "Add, change and remove members"},
	{Key: "billing.read", Description: "See billing"},
	{Key: "billing.manage", Description: "Change billing"},
}

// defaultRoles are the roles of a new workspace; "member" is the default.
var defaultRoles = []struct {
	slug, name, description string
	permissions             []string
	isDefault               bool
}{
	{"owner", "Owner", "Everything, including the organization's settings", []string{"billing.manage", "billing.read", "members.manage", "members.read", "org.manage"}, false},
	{"admin", "Admin", "Everything but the organization's settings", []string{"billing.manage", "billing.read", "members.manage", "members.read"}, false},
	{"member", "Member", "Sees members and billing", []string{"billing.read", "members.read"}, true},
}

// Bootstrap creates a workspace with its default catalog and roles and its
// first owner. Run again with the same arguments it returns the same ids;
// with the same workspace name but another owner or password it refuses.
func (s *DB) Bootstrap(ctx context.Context, in NewWorkspace) (BootstrapResult, error) {
	if err := in.Validate(); err != nil {
		return BootstrapResult{}, err
	}
	var res BootstrapResult
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var ws Workspace
		err := s.get(ctx, &ws, `SELECT 'workspace' AS object, id, name, created_at FROM workspaces WHERE name = ?`, in.Name)
		if err == nil {
			return s.bootstrapAgain(ctx, ws.ID, in.Email, in.Password, &res)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(err, "find workspace %q", in.Name)
		}
		ws.ID = NewID("ws")
		if err := s.createWorkspace(ctx, ws.ID, in.Name); err != nil {
			return err
		}
		hash, err := HashPassword(in.Password)
		if err != nil {
			return err
		}
		u, err := s.createUser(ctx, ws.ID, in.Email, "", hash)
		if err != nil {
			return err
		}
		staffID := NewID("wm")
		t := now()
		if _, err := s.exec(ctx, `INSERT INTO workspace_memberships (id, workspace_id, user_id, role, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, staffID, ws.ID, u.ID, RoleOwner, t, t); err != nil {
			return wrap(err, "insert owner of workspace %s", ws.ID)
		}
		res = BootstrapResult{WorkspaceID: ws.ID, UserID: u.ID, StaffID: staffID}
		return nil
	})
	return res, err
}

// bootstrapAgain answers a repeated bootstrap of an existing workspace.
func (s *DB) bootstrapAgain(ctx context.Context, wsID, email, password string, res *BootstrapResult) error {
	var row struct {
		UserID string         `db:"user_id"`
		WMID   string         `db:"wm_id"`
		Hash   sql.NullString `db:"password_hash"`
	}
	err := s.get(ctx, &row, `SELECT u.id AS user_id, wm.id AS wm_id, u.password_hash
		FROM users u JOIN workspace_memberships wm ON wm.user_id = u.id AND wm.workspace_id = u.workspace_id
		WHERE u.workspace_id = ? AND u.email_lower = ? AND wm.role = ?`, wsID, FoldEmail(email), RoleOwner)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrWorkspaceExists.Saying("a workspace of that name already exists with another owner")
	}
	if err != nil {
		return wrap(err, "find owner of workspace %s", wsID)
	}
	if !row.Hash.Valid || bcrypt.CompareHashAndPassword([]byte(row.Hash.String), []byte(password)) != nil {
		return ErrWorkspaceExists.Saying("a workspace of that name already exists; the password does not match its owner's")
	}
	*res = BootstrapResult{WorkspaceID: wsID, UserID: row.UserID, StaffID: row.WMID}
	return nil
}

// createWorkspace inserts a workspace with the default catalog and roles.
func (s *DB) createWorkspace(ctx context.Context, id, name string) error {
	t := now()
	if _, err := s.exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)`, id, name, t); err != nil {
		return wrap(err, "insert workspace")
	}
	for _, p := range DefaultPermissions {
		if _, err := s.exec(ctx, `INSERT INTO permissions (workspace_id, key, description, created_at) VALUES (?, ?, ?, ?)`,
			id, p.Key, p.Description, t); err != nil {
			return wrap(err, "insert permission %s", p.Key)
		}
	}
	for _, r := range defaultRoles {
		roleID := NewID("role")
		if _, err := s.exec(ctx, `INSERT INTO roles (id, workspace_id, slug, name, description, is_default, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, roleID, id, r.slug, r.name, r.description, r.isDefault, t, t); err != nil {
			return wrap(err, "insert role %s", r.slug)
		}
		if err := s.setRolePermissions(ctx, id, roleID, r.permissions); err != nil {
			return err
		}
	}
	return nil
}

// WorkspaceByID returns a workspace.
func (s *DB) WorkspaceByID(ctx context.Context, id string) (Workspace, error) {
	var ws Workspace
	err := s.get(ctx, &ws, `SELECT 'workspace' AS object, id, name, created_at FROM workspaces WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ws, ErrWorkspaceNotFound.For(id)
	}
	return ws, wrap(err, "get workspace %s", id)
}

// WorkspaceByRef returns a workspace named by its id or its name.
func (s *DB) WorkspaceByRef(ctx context.Context, ref string) (Workspace, error) {
	var ws Workspace
	err := s.get(ctx, &ws, `SELECT 'workspace' AS object, id, name, created_at FROM workspaces WHERE id = ? OR name = ?`, ref, ref)
	if errors.Is(err, sql.ErrNoRows) {
		return ws, ErrWorkspaceNotFound.For(ref)
	}
	return ws, wrap(err, "get workspace %s", ref)
}

// lockWorkspace serialises the changes of a workspace's roles and staff
// that read before they write. PostgreSQL locks the workspace's row FOR NO
// KEY UPDATE, which leaves inserts of rows referencing it free; SQLite's
// transactions hold the write lock already.
func (s *DB) lockWorkspace(ctx context.Context, wsID string) error {
	q := `SELECT id FROM workspaces WHERE id = ?`
	if s.Dialect == Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	var id string
	err := s.get(ctx, &id, q, wsID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrWorkspaceNotFound.For(wsID)
	}
	return wrap(err, "lock workspace %s", wsID)
}
