package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

// User is a person of a workspace, known by email.
type User struct {
	ID           string         `db:"id" json:"id"`
	WorkspaceID  string         `db:"workspace_id" json:"-"`
	Email        string         `db:"email" json:"email"`
	Name         string         `db:"name" json:"name"`
	PasswordHash sql.NullString `db:"password_hash" json:"-"`
}

// Workspace roles of the staff.
const (
	RoleOwner   = "owner"
	RoleAdmin   = "admin"
	RoleSupport = "support"
)

// WorkspaceMembership is a user on the workspace's own staff.
type WorkspaceMembership struct {
	Object      string    `db:"object" json:"object"`
	ID          string    `db:"id" json:"id"`
	WorkspaceID string    `db:"workspace_id" json:"-"`
	UserID      string    `db:"user_id" json:"user_id"`
	Role        string    `db:"role" json:"role"`
	User        User      `db:"user" json:"user"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

// BootstrapResult names what Bootstrap created or found.
type BootstrapResult struct {
	WorkspaceID           string `json:"workspace_id"`
	UserID                string `json:"user_id"`
	WorkspaceMembershipID string `json:"workspace_membership_id"`
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

// FoldEmail is the form of an email address that users are matched on
// (the users.email_lower column): trimmed, and ASCII letters lower-cased.
// Nothing else is folded, so two addresses that differ in any other way
// are two people: Unicode's case rules would make the Kelvin sign "\u212A"
// the letter k, and "\u212Aelly@example.com" sign in as kelly@example.com.
// This is the one place emails are folded; SQL never lower-cases them
// (PostgreSQL's lower() follows Unicode, SQLite's does not).
func FoldEmail(email string) string {
	b := []byte(strings.TrimSpace(email))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// PasswordCost is bcrypt's cost for console passwords; tests lower it.
var PasswordCost = bcrypt.DefaultCost

// HashPassword hashes a console password with bcrypt.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("db: hash password: %w", err)
	}
	return string(h), nil
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
		wmID := NewID("wm")
		t := now()
		if _, err := s.exec(ctx, `INSERT INTO workspace_memberships (id, workspace_id, user_id, role, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, wmID, ws.ID, u.ID, RoleOwner, t, t); err != nil {
			return wrap(err, "insert owner of workspace %s", ws.ID)
		}
		res = BootstrapResult{WorkspaceID: ws.ID, UserID: u.ID, WorkspaceMembershipID: wmID}
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
	*res = BootstrapResult{WorkspaceID: wsID, UserID: row.UserID, WorkspaceMembershipID: row.WMID}
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

// createUser inserts a user; passwordHash may be "".
func (s *DB) createUser(ctx context.Context, wsID, email, name, passwordHash string) (User, error) {
	u := User{ID: NewID("usr"), WorkspaceID: wsID, Email: email, Name: name, PasswordHash: nullString(passwordHash)}
	t := now()
	_, err := s.exec(ctx, `INSERT INTO users (id, workspace_id, email, email_lower, name, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, wsID, email, FoldEmail(email), name, u.PasswordHash, t, t)
	return u, wrap(err, "insert user")
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

// HasOwner reports whether any workspace has an owner yet.
func (s *DB) HasOwner(ctx context.Context) (bool, error) {
	var n int
	err := s.get(ctx, &n, `SELECT COUNT(*) FROM workspace_memberships WHERE role = ?`, RoleOwner)
	return n > 0, wrap(err, "count owners")
}

const workspaceMembershipColumns = `'workspace_membership' AS object, wm.id, wm.workspace_id, wm.user_id, wm.role,
	wm.created_at, wm.updated_at, u.id AS "user.id", u.workspace_id AS "user.workspace_id",
	u.email AS "user.email", u.name AS "user.name", u.password_hash AS "user.password_hash"
	FROM workspace_memberships wm JOIN users u ON u.id = wm.user_id`

// StaffByEmail returns the workspace membership of the user with this email
// in the workspace; wsID may be "" when the email belongs to one workspace
// only.
func (s *DB) StaffByEmail(ctx context.Context, wsID, email string) (WorkspaceMembership, error) {
	var wms []WorkspaceMembership
	q := `SELECT ` + workspaceMembershipColumns + ` WHERE u.email_lower = ?`
	args := []any{FoldEmail(email)}
	if wsID != "" {
		q += ` AND wm.workspace_id = ?`
		args = append(args, wsID)
	}
	if err := s.selectAll(ctx, &wms, q+` LIMIT 2`, args...); err != nil {
		return WorkspaceMembership{}, wrap(err, "find staff by email")
	}
	if len(wms) != 1 {
		return WorkspaceMembership{}, ErrStaffNotFound.For(email)
	}
	return wms[0], nil
}

// StaffByID returns a workspace membership of the workspace.
func (s *DB) StaffByID(ctx context.Context, wsID, id string) (WorkspaceMembership, error) {
	var wm WorkspaceMembership
	err := s.get(ctx, &wm, `SELECT `+workspaceMembershipColumns+` WHERE wm.workspace_id = ? AND wm.id = ?`, wsID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return wm, ErrStaffNotFound.For(id)
	}
	return wm, wrap(err, "get workspace membership %s", id)
}

// findOrCreateUser returns the workspace's user with this email (compared
// as FoldEmail folds it), creating it with name when there is none. A
// concurrent creation of the same user is absorbed by the unique email: the
// insert waits for the other transaction and then does nothing, and the
// read after it sees the committed user.
func (s *DB) findOrCreateUser(ctx context.Context, wsID, email, name string) (User, error) {
	var u User
	t := now()
	if _, err := s.exec(ctx, `INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, email_lower) DO NOTHING`,
		NewID("usr"), wsID, email, FoldEmail(email), name, t, t); err != nil {
		return u, wrap(err, "insert user")
	}
	err := s.get(ctx, &u, `SELECT id, workspace_id, email, name, password_hash FROM users
		WHERE workspace_id = ? AND email_lower = ?`, wsID, FoldEmail(email))
	return u, wrap(err, "find user by email")
}

// CreateStaff is AddStaff acting with the workspace's full rights, as the
// command line and tests do.
func (s *DB) CreateStaff(ctx context.Context, wsID string, in NewStaff) (WorkspaceMembership, error) {
	return s.AddStaff(ctx, StaffEditor{WorkspaceID: wsID}, in)
}
