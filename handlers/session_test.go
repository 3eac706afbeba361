package handlers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
)

// TestSession signs a real scs session in, switches its mode and out: the
// sign-in is one JSON value, and a session without it is nobody's.
func TestSession(t *testing.T) {
	sm := scs.New()
	ctx, err := sm.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(sm)
	if _, ok := s.SignedIn(ctx); ok || !s.Empty(ctx) {
		t.Fatal("a new session is signed in, or not empty")
	}
	who := SignedIn{UserID: "usr_1", WorkspaceID: "ws_1", WorkspaceName: "Acme"}
	if err := s.SignIn(ctx, who); err != nil {
		t.Fatal(err)
	}
	var stored SignedIn
	if err := json.Unmarshal([]byte(sm.GetString(ctx, sessionSignedIn)), &stored); err != nil || stored != who {
		t.Fatalf("stored sign-in %q (%v), want the JSON of %+v", sm.GetString(ctx, sessionSignedIn), err, who)
	}
	s.SetTestMode(ctx, true)
	if got, ok := s.SignedIn(ctx); !ok || !got.Test || got.UserID != "usr_1" {
		t.Fatalf("after switching to test mode: %+v %v", got, ok)
	}
	s.Flash(ctx, "Done.")
	if got := s.PopFlash(ctx); got != "Done." || s.PopFlash(ctx) != "" {
		t.Fatalf("flash %q, or shown twice", got)
	}
	at := time.Unix(1700000000, 0)
	s.MarkSeen(ctx, at)
	if !s.Seen(ctx).Equal(at) {
		t.Fatalf("seen %v, want %v", s.Seen(ctx), at)
	}
	sm.Put(ctx, sessionSignedIn, "not JSON")
	if _, ok := s.SignedIn(ctx); ok {
		t.Fatal("a sign-in that does not decode signs in")
	}
	if err := s.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if sm.Status(ctx) != scs.Destroyed {
		t.Fatal("signing out does not destroy the session")
	}
}
