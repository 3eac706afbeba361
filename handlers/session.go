package handlers

import (
	"context"
	"encoding/json"
	"time"

	"roster/views"
)

// SessionManager is what the console needs of its sessions' manager: an
// *scs.SessionManager whose data web loaded into the request's context.
type SessionManager interface {
	RenewToken(ctx context.Context) error
	Destroy(ctx context.Context) error
	Put(ctx context.Context, key string, val any)
	GetString(ctx context.Context, key string) string
	PopString(ctx context.Context, key string) string
	GetInt64(ctx context.Context, key string) int64
	Keys(ctx context.Context) []string
}

// Keys of the console session's values; Session is the only code that
// reads or writes them. A structured value is stored as JSON.
const (
	sessionSignedIn = "signed_in"           // SignedIn, as JSON
	sessionFlash    = "flash"               // a message for the next page
	sessionAccepted = "accepted_invitation" // views.InvitationAccepted as JSON, shown once
	sessionSeen     = "seen"                // when (Unix seconds) the session was last saved for being used
)

// SignedIn is whom a console session is signed in as, and in which mode.
type SignedIn struct {
	UserID        string `json:"user_id"`        // the signed-in user
	WorkspaceID   string `json:"workspace_id"`   // the workspace they signed in to
	WorkspaceName string `json:"workspace_name"` // its name, for the header
	Test          bool   `json:"test_mode"`      // test mode; live by default
}

// Session is the console's session of a request, typed: the one place
// that knows its keys and how each value is stored.
type Session struct {
	m SessionManager
}

// NewSession types the sessions of m.
func NewSession(m SessionManager) *Session { return &Session{m: m} }

// SignIn gives the session a new token (so that a token planted before
// sign-in is worth nothing) and signs it in as who.
func (s *Session) SignIn(ctx context.Context, who SignedIn) error {
	if err := s.m.RenewToken(ctx); err != nil {
		return err
	}
	s.putJSON(ctx, sessionSignedIn, who)
	return nil
}

// SignedIn is whom the session is signed in as; false when no one is.
func (s *Session) SignedIn(ctx context.Context) (SignedIn, bool) {
	var who SignedIn
	ok := s.getJSON(ctx, sessionSignedIn, &who) && who.UserID != ""
	return who, ok
}

// SetTestMode switches a signed-in session to test mode, or back to live.
func (s *Session) SetTestMode(ctx context.Context, test bool) {
	if who, ok := s.SignedIn(ctx); ok {
		who.Test = test
		s.putJSON(ctx, sessionSignedIn, who)
	}
}

// SignOut ends the session: it is gone from the database.
func (s *Session) SignOut(ctx context.Context) error { return s.m.Destroy(ctx) }

// Flash leaves a message for the next page shown.
func (s *Session) Flash(ctx context.Context, message string) {
	s.m.Put(ctx, sessionFlash, message)
}

// PopFlash takes the message the last action left, "" when none.
func (s *Session) PopFlash(ctx context.Context) string { return s.m.PopString(ctx, sessionFlash) }

// OnceSlot is the key of a session value shown once: a sealed secret
// kept for the next page that shows it.
type OnceSlot string

// The secrets the console shows once.
const (
	NewKeySlot    OnceSlot = "new_key"            // a key's secret, for the next keys page
	NewSecretSlot OnceSlot = "new_webhook_secret" // an endpoint's signing secret, for its next page
)

// PutOnce keeps a sealed secret in slot for the next page that shows it.
func (s *Session) PutOnce(ctx context.Context, slot OnceSlot, sealed string) {
	s.m.Put(ctx, string(slot), sealed)
}

// PopOnce takes the sealed secret PutOnce kept in slot, "" when none.
func (s *Session) PopOnce(ctx context.Context, slot OnceSlot) string {
	return s.m.PopString(ctx, string(slot))
}

// PutAccepted keeps what the page after accepting an invitation shows.
func (s *Session) PutAccepted(ctx context.Context, done views.InvitationAccepted) {
	s.putJSON(ctx, sessionAccepted, done)
}

// PopAccepted takes what PutAccepted kept; the zero value when nothing.
func (s *Session) PopAccepted(ctx context.Context) views.InvitationAccepted {
	var done views.InvitationAccepted
	_ = json.Unmarshal([]byte(s.m.PopString(ctx, sessionAccepted)), &done)
	return done
}

// Empty reports whether the session holds nothing: a visitor's.
func (s *Session) Empty(ctx context.Context) bool { return len(s.m.Keys(ctx)) == 0 }

// Seen is when the session was last saved for being used (MarkSeen).
func (s *Session) Seen(ctx context.Context) time.Time {
	return time.Unix(s.m.GetInt64(ctx, sessionSeen), 0)
}

// MarkSeen records that the session is used at t, which saves it.
func (s *Session) MarkSeen(ctx context.Context, t time.Time) {
	s.m.Put(ctx, sessionSeen, t.Unix())
}

// putJSON stores v under key as JSON.
func (s *Session) putJSON(ctx context.Context, key string, v any) {
	b, _ := json.Marshal(v) // the session's own types, which always encode
	s.m.Put(ctx, key, string(b))
}

// getJSON reads the JSON under key into v, reporting whether there was
// a value that decoded.
func (s *Session) getJSON(ctx context.Context, key string, v any) bool {
	raw := s.m.GetString(ctx, key)
	return raw != "" && json.Unmarshal([]byte(raw), v) == nil
}

// sessionPortal is the key of a portal session's PortalVisit, as JSON; a
// portal session holds nothing else but its flash and when it was seen.
const sessionPortal = "portal_visit"

// EnterPortal gives the portal session a new token and signs it into the
// visit a portal link granted.
func (s *Session) EnterPortal(ctx context.Context, v PortalVisit) error {
	if err := s.m.RenewToken(ctx); err != nil {
		return err
	}
	s.putJSON(ctx, sessionPortal, v)
	return nil
}

// Visit is what the portal session is signed into; false when nothing.
func (s *Session) Visit(ctx context.Context) (PortalVisit, bool) {
	var v PortalVisit
	ok := s.getJSON(ctx, sessionPortal, &v) && v.Grant.MembershipID != ""
	return v, ok
}

// LeavePortal records that the visit's member left the account: the next
// request ends the session and says so.
func (s *Session) LeavePortal(ctx context.Context) {
	if v, ok := s.Visit(ctx); ok {
		v.Left = true
		s.putJSON(ctx, sessionPortal, v)
	}
}
