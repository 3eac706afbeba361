package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is every failed sign-in: which of the email and the
// password was wrong is not told.
var ErrBadCredentials = errors.New("db: the email or the password is wrong")

// CheckPassword reports whether password is the one bcrypt hashed into hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

var dummy struct {
	once sync.Once
	hash string
}

// dummyHash is a hash no password matches, at the current cost: comparing
// against it when nobody has the email makes an unknown email take as long
// as a wrong password.
func dummyHash() string {
	dummy.once.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte(RandomToken(32)), PasswordCost)
		if err != nil {
			panic("db: bcrypt failed: " + err.Error())
		}
		dummy.hash = string(h)
	})
	return dummy.hash
}

// SignIn returns the staff membership whose user has this email and
// password. When the email is on several workspaces' staff, the oldest
// membership the password opens wins. Any failure is ErrBadCredentials,
// after the same work whether or not the email is known.
func (s *DB) SignIn(ctx context.Context, email, password string) (WorkspaceMembership, error) {
	var wms []WorkspaceMembership
	if err := s.selectAll(ctx, &wms, `SELECT `+workspaceMembershipColumns+` WHERE u.email_lower = ? ORDER BY wm.id`,
		FoldEmail(email)); err != nil {
		return WorkspaceMembership{}, wrap(err, "find staff to sign in")
	}
	compared := false
	for _, wm := range wms {
		if !wm.User.PasswordHash.Valid {
			continue
		}
		compared = true
		if CheckPassword(wm.User.PasswordHash.String, password) {
			return wm, nil
		}
	}
	if !compared {
		CheckPassword(dummyHash(), password)
	}
	return WorkspaceMembership{}, ErrBadCredentials
}

// StaffByUser returns the workspace membership of a user of the workspace.
func (s *DB) StaffByUser(ctx context.Context, wsID, userID string) (WorkspaceMembership, error) {
	var wm WorkspaceMembership
	err := s.get(ctx, &wm, `SELECT `+workspaceMembershipColumns+` WHERE wm.workspace_id = ? AND wm.user_id = ?`, wsID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return wm, ErrStaffNotFound.For(userID)
	}
	return wm, wrap(err, "get workspace membership of user %s", userID)
}

// SetPassword sets the console password of the workspace's user with this
// email.
func (s *DB) SetPassword(ctx context.Context, wsID, email, password string) error {
	f := fieldErrors{}
	if f.password("password", password, true); len(f) > 0 {
		return f.err()
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	n, err := s.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE workspace_id = ? AND email_lower = ?`,
		hash, now(), wsID, FoldEmail(email))
	if err != nil {
		return wrap(err, "set password")
	}
	if n == 0 {
		return ErrUserNotFound.For(email)
	}
	return nil
}

// setPasswordHash gives a user of the workspace a hashed console password.
func (s *DB) setPasswordHash(ctx context.Context, wsID, userID, hash string) error {
	_, err := s.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
		hash, now(), wsID, userID)
	return wrap(err, "set password of user %s", userID)
}

// EventTypes lists the types of the scope's events, for filtering.
func (s *DB) EventTypes(ctx context.Context, sc Scope) ([]string, error) {
	var types []string
	err := s.selectAll(ctx, &types, `SELECT DISTINCT type FROM events WHERE workspace_id = ? AND livemode = ? ORDER BY type`,
		sc.WorkspaceID, sc.Live)
	return types, wrap(err, "list event types")
}
