package db

import (
	"context"
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
// after the same password hashing whether or not the email is known (the
// workspaces of the email, from user_email_lookup, then its staff in each,
// cost a query each, far below one bcrypt comparison).
func (s *DB) SignIn(ctx context.Context, email, password string) (StaffMember, error) {
	staff, err := s.staffWithEmail(ctx, email)
	if err != nil {
		return StaffMember{}, err
	}
	compared := false
	for _, sm := range staff {
		if !sm.User.PasswordHash.Valid {
			continue
		}
		compared = true
		if CheckPassword(sm.User.PasswordHash.String, password) {
			return sm, nil
		}
	}
	if !compared {
		CheckPassword(dummyHash(), password)
	}
	return StaffMember{}, ErrBadCredentials
}
