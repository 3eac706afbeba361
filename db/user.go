package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// User is a person of a workspace, known by email.
type User struct {
	ID           string         `db:"id" json:"id"`
	WorkspaceID  string         `db:"workspace_id" json:"-"`
	Email        string         `db:"email" json:"email"`
	Name         string         `db:"name" json:"name"`
	PasswordHash sql.NullString `db:"password_hash" json:"-"`
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

// createUser inserts a user, in the caller's transaction; passwordHash
// may be "".
func (s *DB) createUser(ctx context.Context, wsID, email, name, passwordHash string) (User, error) {
	u := User{ID: NewID("usr"), WorkspaceID: wsID, Email: email, Name: name, PasswordHash: nullString(passwordHash)}
	t := now()
	_, err := s.exec(ctx, `INSERT INTO users (id, workspace_id, email, email_lower, name, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, wsID, email, FoldEmail(email), name, u.PasswordHash, t, t)
	if err != nil {
		return u, wrap(err, "insert user")
	}
	return u, s.indexEmail(ctx, wsID, email)
}

// indexEmail records in user_email_lookup that the email is a user's in
// the workspace, for sign-in, which looks for it before it knows the
// workspace. Users keep their email, and leave only with their workspace,
// whose deletion takes the row with it.
func (s *DB) indexEmail(ctx context.Context, wsID, email string) error {
	_, err := s.exec(ctx, indexEmailSQL+onConflictDoNothing, FoldEmail(email), wsID)
	return wrap(err, "index the email of a user")
}

// insertNewUserSQL writes an invited person's user (newUserRow's
// arguments), followed by onUserConflict: a user of the same email is
// kept as it is. indexEmailSQL indexes an email (see indexEmail), followed
// by onConflictDoNothing.
const (
	insertNewUserSQL    = `INSERT INTO users (id, workspace_id, email, email_lower, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	onUserConflict      = ` ON CONFLICT (workspace_id, email_lower) DO NOTHING`
	indexEmailSQL       = `INSERT INTO user_email_lookup (email_lower, workspace_id) VALUES (?, ?)`
	onConflictDoNothing = ` ON CONFLICT DO NOTHING`
)

// newUserRow is the row of an invited person's new user, made at t.
func newUserRow(wsID, email, name string, t time.Time) []any {
	return []any{NewID("usr"), wsID, email, FoldEmail(email), name, t, t}
}

// findOrCreateUser returns the workspace's user with this email (compared
// as FoldEmail folds it), creating it with name when there is none, in the
// caller's transaction. A
// concurrent creation of the same user is absorbed by the unique email: the
// insert waits for the other transaction and then does nothing, and the
// read after it sees the committed user.
func (s *DB) findOrCreateUser(ctx context.Context, wsID, email, name string) (User, error) {
	var u User
	if _, err := s.exec(ctx, insertNewUserSQL+onUserConflict, newUserRow(wsID, email, name, now())...); err != nil {
		return u, wrap(err, "insert user")
	}
	if err := s.indexEmail(ctx, wsID, email); err != nil {
		return u, err
	}
	err := s.get(ctx, &u, `SELECT id, workspace_id, email, name, password_hash FROM users
		WHERE workspace_id = ? AND email_lower = ?`, wsID, FoldEmail(email))
	return u, wrap(err, "find user by email")
}
