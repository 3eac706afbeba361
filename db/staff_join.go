package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StaffJoinTTL is how long the link works that lets someone added to the
// staff without a password set one.
const StaffJoinTTL = 7 * 24 * time.Hour

// ErrStaffJoinNotFound answers every link to join the staff that cannot be
// used (used, expired, unknown, its person no longer on the staff or
// already with a password) alike.
var ErrStaffJoinNotFound = notFound("staff_invitation.not_found",
	"This link to join the team was already used or has expired: ask an owner or admin of the workspace to add you again")

// StaffJoin is the person a link to join the staff is for, as its page
// shows them.
type StaffJoin struct {
	WorkspaceID   string    `db:"workspace_id"`
	UserID        string    `db:"user_id"`
	WorkspaceName string    `db:"workspace_name"`
	Email         string    `db:"email"`
	Name          string    `db:"name"`
	Role          string    `db:"role"`
	ExpiresAt     time.Time `db:"expires_at"`
}

// inviteStaff gives user u, just put on the staff of workspace wsID with
// role and without a password, a link to set one (replacing any earlier
// link of theirs) and queues the email that carries it.
func (s *DB) inviteStaff(ctx context.Context, wsID string, u User, role string, joinURL func(token string) string) error {
	if _, err := s.exec(ctx, `DELETE FROM staff_invitation_tokens WHERE workspace_id = ? AND user_id = ?`, wsID, u.ID); err != nil {
		return wrap(err, "drop the earlier links of user %s", u.ID)
	}
	token, t := RandomToken(43), now()
	expires := t.Add(StaffJoinTTL)
	if _, err := s.exec(ctx, `INSERT INTO staff_invitation_tokens (token_hash, workspace_id, user_id, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?)`, HashSecret(token), wsID, u.ID, expires, t); err != nil {
		return wrap(err, "issue a link to join the staff")
	}
	var workspace string
	if err := s.get(ctx, &workspace, `SELECT name FROM workspaces WHERE id = ?`, wsID); err != nil {
		return wrap(err, "get workspace %s", wsID)
	}
	subject := "Join the " + workspace + " team on Roster"
	body := fmt.Sprintf("You were added to the %s team on Roster as %s.\n\n"+
		"Set your password to sign in to the console:\n%s\n\nThe link works once, until %s.\n",
		workspace, role, joinURL(token), expires.UTC().Format("2 January 2006 15:04 UTC"))
	return s.queueEmail(ctx, Scope{WorkspaceID: wsID, Live: true}, "", u.Email, subject, body)
}

// StaffJoinByToken returns whom a link to join the staff is for, without
// using it; ErrStaffJoinNotFound when it cannot be used.
func (s *DB) StaffJoinByToken(ctx context.Context, token string) (StaffJoin, error) {
	var ref struct {
		WorkspaceID string    `db:"workspace_id"`
		UserID      string    `db:"user_id"`
		ExpiresAt   time.Time `db:"expires_at"`
	}
	err := s.get(ctx, &ref, `SELECT workspace_id, user_id, expires_at FROM staff_invitation_tokens WHERE token_hash = ?`, HashSecret(token))
	if errors.Is(err, sql.ErrNoRows) || err == nil && !ref.ExpiresAt.After(now()) {
		return StaffJoin{}, ErrStaffJoinNotFound
	}
	if err != nil {
		return StaffJoin{}, wrap(err, "find a link to join the staff")
	}
	j := StaffJoin{}
	err = s.get(ctx, &j, `SELECT u.workspace_id, u.id AS user_id, w.name AS workspace_name, u.email, u.name, wm.role
		FROM users u
		JOIN workspaces w ON w.id = u.workspace_id
		JOIN workspace_memberships wm ON wm.workspace_id = u.workspace_id AND wm.user_id = u.id
		WHERE u.workspace_id = ? AND u.id = ? AND u.password_hash IS NULL`, ref.WorkspaceID, ref.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffJoin{}, ErrStaffJoinNotFound
	}
	j.ExpiresAt = ref.ExpiresAt.UTC()
	return j, wrap(err, "find whom a link to join the staff is for")
}

// StaffJoining is what the person sends who joins the staff through their
// link: the link's token, their password, and their name ("" keeps it).
type StaffJoining struct {
	Token    string
	Name     string
	Password string
}

// Validate trims the name and checks the fields.
func (in *StaffJoining) Validate() error {
	f := fieldErrors{}
	f.name("name", &in.Name, false)
	f.password("password", in.Password, true)
	return f.err()
}

// JoinStaff sets the password (and the name, when given) of the person a
// link to join the staff is for, and spends the link: of two uses of one
// link, one succeeds. ErrStaffJoinNotFound when it cannot be used.
func (s *DB) JoinStaff(ctx context.Context, in StaffJoining) (StaffJoin, error) {
	if err := in.Validate(); err != nil {
		return StaffJoin{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return StaffJoin{}, err
	}
	var j StaffJoin
	err = s.WithTx(ctx, func(ctx context.Context) error {
		if j, err = s.StaffJoinByToken(ctx, in.Token); err != nil {
			return err
		}
		n, err := s.exec(ctx, `DELETE FROM staff_invitation_tokens WHERE token_hash = ?`, HashSecret(in.Token))
		if err != nil {
			return wrap(err, "spend a link to join the staff")
		}
		if n != 1 {
			return ErrStaffJoinNotFound
		}
		if in.Name != "" {
			j.Name = in.Name
		}
		n, err = s.exec(ctx, `UPDATE users SET password_hash = ?, name = ?, updated_at = ?
			WHERE workspace_id = ? AND id = ? AND password_hash IS NULL`, hash, j.Name, now(), j.WorkspaceID, j.UserID)
		if err != nil {
			return wrap(err, "set the password of user %s", j.UserID)
		}
		if n != 1 {
			return ErrStaffJoinNotFound
		}
		return nil
	})
	return j, err
}
