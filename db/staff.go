package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Workspace roles of the staff.
const (
	RoleOwner   = "owner"
	RoleAdmin   = "admin"
	RoleSupport = "support"
)

// StaffMember is a user on the workspace's own staff: the one concept the
// API calls a workspace membership (/v1/workspace-memberships) and the
// console its team (/team). Go code calls it staff in every layer.
type StaffMember struct {
	Object      string    `db:"object" json:"object"`
	ID          string    `db:"id" json:"id"`
	WorkspaceID string    `db:"workspace_id" json:"-"`
	UserID      string    `db:"user_id" json:"user_id"`
	Role        string    `db:"role" json:"role"`
	User        User      `db:"user" json:"user"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
}

const staffColumns = `'workspace_membership' AS object, wm.id, wm.workspace_id, wm.user_id, wm.role,
	wm.created_at, wm.updated_at, u.id AS "user.id", u.workspace_id AS "user.workspace_id",
	u.email AS "user.email", u.name AS "user.name", u.password_hash AS "user.password_hash"
	FROM workspace_memberships wm JOIN users u ON u.workspace_id = wm.workspace_id AND u.id = wm.user_id`

// StaffRoles are the console roles a staff member can have.
var StaffRoles = []string{RoleOwner, RoleAdmin, RoleSupport}

// StaffEditor is who changes a workspace's staff: a person on its staff
// (StaffID), an API key (ByKey: with its creator's StaffID, or "" for a
// key made by the command line), or the system (neither), which acts with
// an owner's rights without a self.
type StaffEditor struct {
	WorkspaceID string
	StaffID     string
	ByKey       bool
}

// staffEvents is the scope staff events are recorded in: staff is changed
// in live mode only.
func (ed StaffEditor) staffEvents() Scope { return Scope{WorkspaceID: ed.WorkspaceID, Live: true} }

// ListStaff returns a page of the workspace's staff, oldest first.
func (s *DB) ListStaff(ctx context.Context, wsID string, page Page) ([]StaffMember, error) {
	var list []StaffMember
	err := s.selectAll(ctx, &list, `SELECT `+staffColumns+` WHERE wm.workspace_id = ? AND wm.id > ?
		ORDER BY wm.id LIMIT ?`, wsID, page.After, page.fetch())
	return list, wrap(err, "list staff")
}

// StaffStatus is a member of a workspace's staff and the status of their
// membership of one account: "" when they have none.
type StaffStatus struct {
	StaffMember
	Status string `db:"account_status"`
}

// StaffOfAccount returns a page of the workspace's staff, oldest first,
// each with the status of their membership of the account in sc's mode.
func (s *DB) StaffOfAccount(ctx context.Context, sc Scope, accountID string, page Page) ([]StaffStatus, error) {
	var staff []StaffStatus
	err := s.selectAll(ctx, &staff, `SELECT COALESCE(am.status, '') AS account_status, `+staffColumns+`
		LEFT JOIN account_memberships am ON am.workspace_id = wm.workspace_id AND am.livemode = ?
			AND am.account_id = ? AND am.user_id = wm.user_id
		WHERE wm.workspace_id = ? AND wm.id > ? ORDER BY wm.id LIMIT ?`,
		sc.Live, accountID, sc.WorkspaceID, page.After, page.fetch())
	return staff, wrap(err, "list staff with their status in account %s", accountID)
}

// AddStaff puts the user with this email (created with the name when new)
// on the workspace's staff with a console role, and gives them the
// password when one is set; without one, a person who has none is emailed
// a link to set it, when in.JoinURL is set. Only an owner grants owner.
func (s *DB) AddStaff(ctx context.Context, ed StaffEditor, in NewStaff) (StaffMember, error) {
	if err := in.Validate(); err != nil {
		return StaffMember{}, err
	}
	var hash string
	if in.Password != "" {
		var err error
		if hash, err = HashPassword(in.Password); err != nil {
			return StaffMember{}, err
		}
	}
	var sm StaffMember
	err := s.WithTx(ctx, func(ctx context.Context) error {
		editorRole, err := s.lockStaff(ctx, ed)
		if err != nil {
			return err
		}
		if in.Role == RoleOwner {
			if err := ed.mayTouchOwner(editorRole); err != nil {
				return err
			}
		}
		u, err := s.findOrCreateUser(ctx, ed.WorkspaceID, in.Email, in.Name)
		if err != nil {
			return err
		}
		t := now()
		sm = StaffMember{Object: "workspace_membership", ID: NewID("wm"), WorkspaceID: ed.WorkspaceID, UserID: u.ID, Role: in.Role, User: u, CreatedAt: t, UpdatedAt: t}
		_, err = s.exec(ctx, `INSERT INTO workspace_memberships (id, workspace_id, user_id, role, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sm.ID, ed.WorkspaceID, u.ID, in.Role, t, t)
		if isUniqueViolation(err) {
			return ErrAlreadyStaff.With(map[string]any{"email": in.Email})
		}
		if err != nil {
			return wrap(err, "insert staff member")
		}
		switch {
		case hash != "":
			if err := s.setPasswordHash(ctx, ed.WorkspaceID, u.ID, hash); err != nil {
				return err
			}
		case !u.PasswordHash.Valid && in.JoinURL != nil:
			if err := s.inviteStaff(ctx, ed.WorkspaceID, u, in.Role, in.JoinURL); err != nil {
				return err
			}
		}
		return s.record(ctx, ed.staffEvents(), change{Type: "workspace_membership.created", TargetID: sm.ID, Data: sm})
	})
	return sm, err
}

// ChangeStaffRole gives a staff member another console role. Nobody
// changes their own role, only an owner grants or takes away owner, and the
// workspace keeps at least one owner.
func (s *DB) ChangeStaffRole(ctx context.Context, ed StaffEditor, id string, in StaffChange) (StaffMember, error) {
	if err := in.Validate(); err != nil {
		return StaffMember{}, err
	}
	role := in.Role
	var sm StaffMember
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var editorRole string
		var err error
		if sm, editorRole, err = s.staffTarget(ctx, ed, id); err != nil {
			return err
		}
		if err := s.mayTake(ctx, ed, editorRole, sm, role); err != nil || sm.Role == role {
			return err
		}
		prev := map[string]any{"role": sm.Role, "updated_at": sm.UpdatedAt}
		sm.Role, sm.UpdatedAt = role, now()
		if _, err := s.exec(ctx, `UPDATE workspace_memberships SET role = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
			role, sm.UpdatedAt, ed.WorkspaceID, id); err != nil {
			return wrap(err, "change role of staff member %s", id)
		}
		return s.record(ctx, ed.staffEvents(), change{Type: "workspace_membership.updated", TargetID: sm.ID, Data: sm, Previous: prev})
	})
	s.keys.forgetCreatedBy(sm.UserID) // their keys' rights changed with them
	return sm, err
}

// RemoveStaff takes a staff member off the staff (the user and
// their account memberships stay; the API keys they created stop). Nobody removes themselves, only an owner
// removes an owner, and the workspace keeps at least one owner.
func (s *DB) RemoveStaff(ctx context.Context, ed StaffEditor, id string) error {
	var sm StaffMember
	defer func() { s.keys.forgetCreatedBy(sm.UserID) }() // their keys stop with them
	return s.WithTx(ctx, func(ctx context.Context) error {
		var editorRole string
		var err error
		if sm, editorRole, err = s.staffTarget(ctx, ed, id); err != nil {
			return err
		}
		if err := s.mayTake(ctx, ed, editorRole, sm, ""); err != nil {
			return err
		}
		if _, err := s.exec(ctx, `DELETE FROM workspace_memberships WHERE workspace_id = ? AND id = ?`, ed.WorkspaceID, id); err != nil {
			return wrap(err, "delete staff member %s", id)
		}
		return s.record(ctx, ed.staffEvents(), change{Type: "workspace_membership.deleted", TargetID: sm.ID, Data: sm})
	})
}

// The refusals of the staff's rules.
var (
	errOwnerGrant = ErrForbidden.Saying("Only an owner may grant or take away the workspace role owner").
			With(map[string]any{"role": RoleOwner, "reason": "owner_only"})
	errOwnerByKey = ErrForbidden.Saying("API keys never grant or take away the workspace role owner: an owner does it in the console").
			With(map[string]any{"role": RoleOwner, "reason": "owner_only"})
	errSelfChange = ErrForbidden.Saying("Nobody changes their own workspace role or removes themselves: ask another owner or admin")
	errNoLonger   = ErrForbidden.Saying("You are no longer on the workspace's staff")
)

// lockStaff takes the workspace's lock for a staff change and returns the
// editor's current role: a person's, a key's creator's, or RoleOwner for the
// system and for a key from the command line (mayTouchOwner still keeps
// every key away from the role owner).
func (s *DB) lockStaff(ctx context.Context, ed StaffEditor) (string, error) {
	if err := s.lockWorkspace(ctx, ed.WorkspaceID); err != nil {
		return "", err
	}
	role := RoleOwner
	if ed.StaffID != "" {
		editor, err := s.StaffByID(ctx, ed.WorkspaceID, ed.StaffID)
		if errors.Is(err, ErrStaffNotFound) {
			return "", errNoLonger
		}
		if err != nil {
			return "", err
		}
		role = editor.Role
	}
	return role, nil
}

// mayTouchOwner refuses an editor that grants, takes away or changes the
// workspace role owner unless it is an owner in person or the system.
func (ed StaffEditor) mayTouchOwner(editorRole string) error {
	switch {
	case ed.ByKey:
		return errOwnerByKey
	case editorRole != RoleOwner:
		return errOwnerGrant
	}
	return nil
}

// staffTarget locks the workspace and returns the membership a change is
// about and the editor's role.
func (s *DB) staffTarget(ctx context.Context, ed StaffEditor, id string) (StaffMember, string, error) {
	editorRole, err := s.lockStaff(ctx, ed)
	if err != nil {
		return StaffMember{}, "", err
	}
	sm, err := s.StaffByID(ctx, ed.WorkspaceID, id)
	return sm, editorRole, err
}

// mayTake refuses to move wm from its role to role ("" for off the staff)
// when that grants or takes owner and the editor is no owner in person
// (asked first, so that a key reaching for owner always hears why), when
// wm is the editor's own, or when it takes the workspace's last owner away.
func (s *DB) mayTake(ctx context.Context, ed StaffEditor, editorRole string, sm StaffMember, role string) error {
	touchesOwner := sm.Role == RoleOwner || role == RoleOwner
	if touchesOwner {
		if err := ed.mayTouchOwner(editorRole); err != nil {
			return err
		}
	}
	if sm.ID == ed.StaffID {
		return errSelfChange
	}
	if sm.Role != RoleOwner || role == RoleOwner {
		return nil
	}
	var owners int
	if err := s.get(ctx, &owners, `SELECT COUNT(*) FROM workspace_memberships WHERE workspace_id = ? AND role = ?`,
		ed.WorkspaceID, RoleOwner); err != nil {
		return wrap(err, "count owners of workspace %s", ed.WorkspaceID)
	}
	if owners <= 1 {
		return ErrLastStaffOwner.For(sm.ID)
	}
	return nil
}

// StaffByUser returns the staff member who is this user of the workspace.
func (s *DB) StaffByUser(ctx context.Context, wsID, userID string) (StaffMember, error) {
	var sm StaffMember
	err := s.get(ctx, &sm, `SELECT `+staffColumns+` WHERE wm.workspace_id = ? AND wm.user_id = ?`, wsID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return sm, ErrStaffNotFound.For(userID)
	}
	return sm, wrap(err, "get staff member of user %s", userID)
}

// StaffByEmail returns the staff member who is the user with this email
// in the workspace; wsID may be "" when the email belongs to one workspace
// only.
func (s *DB) StaffByEmail(ctx context.Context, wsID, email string) (StaffMember, error) {
	var list []StaffMember
	var err error
	if wsID == "" {
		list, err = s.staffWithEmail(ctx, email)
	} else {
		list, err = s.staffWithEmailIn(ctx, wsID, email)
	}
	if err != nil {
		return StaffMember{}, err
	}
	if len(list) != 1 {
		return StaffMember{}, ErrStaffNotFound.For(email)
	}
	return list[0], nil
}

// staffWithEmail returns the staff members, of every workspace, whose user
// has this email, oldest first: the workspaces where the email is a
// user's come from user_email_lookup, and each is read with its workspace.
func (s *DB) staffWithEmail(ctx context.Context, email string) ([]StaffMember, error) {
	var wsIDs []string
	if err := s.selectAll(ctx, &wsIDs, `SELECT workspace_id FROM user_email_lookup WHERE email_lower = ?`,
		FoldEmail(email)); err != nil {
		return nil, wrap(err, "find the workspaces of an email")
	}
	var staff []StaffMember
	for _, wsID := range wsIDs {
		in, err := s.staffWithEmailIn(ctx, wsID, email)
		if err != nil {
			return nil, err
		}
		staff = append(staff, in...)
	}
	slices.SortFunc(staff, func(a, b StaffMember) int { return strings.Compare(a.ID, b.ID) })
	return staff, nil
}

// staffWithEmailIn returns the staff member of the workspace whose user
// has this email, if any.
func (s *DB) staffWithEmailIn(ctx context.Context, wsID, email string) ([]StaffMember, error) {
	var staff []StaffMember
	err := s.selectAll(ctx, &staff, `SELECT `+staffColumns+` WHERE wm.workspace_id = ? AND u.email_lower = ?`, wsID, FoldEmail(email))
	return staff, wrap(err, "find staff by email")
}

// StaffByID returns a staff member of the workspace.
func (s *DB) StaffByID(ctx context.Context, wsID, id string) (StaffMember, error) {
	var sm StaffMember
	err := s.get(ctx, &sm, `SELECT `+staffColumns+` WHERE wm.workspace_id = ? AND wm.id = ?`, wsID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return sm, ErrStaffNotFound.For(id)
	}
	return sm, wrap(err, "get staff member %s", id)
}

// CreateStaff is AddStaff acting with the workspace's full rights, as the
// command line and tests do.
func (s *DB) CreateStaff(ctx context.Context, wsID string, in NewStaff) (StaffMember, error) {
	return s.AddStaff(ctx, StaffEditor{WorkspaceID: wsID}, in)
}

// HasOwner reports whether any workspace has an owner yet: a statement
// over every workspace (multi-shard), asked at start and by the sign-in
// page.
func (s *DB) HasOwner(ctx context.Context) (bool, error) {
	var found bool
	err := s.get(ctx, &found, `SELECT `+multiShard+`EXISTS (SELECT 1 FROM workspace_memberships WHERE role = ?)`, RoleOwner)
	return found, wrap(err, "look for an owner")
}
