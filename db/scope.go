package db

import "context"

// Scope is what every query of a mode-bound row is confined to: one
// workspace and one mode.
type Scope struct {
	WorkspaceID string
	Live        bool
}

// Mode is "live" or "test".
func (s Scope) Mode() string {
	if s.Live {
		return "live"
	}
	return "test"
}

// Actor is who makes a change, as events record it.
type Actor struct {
	Type string `json:"type"` // "api_key", "user" or "system"
	ID   string `json:"id"`
}

type actorKey struct{}

type actorInfo struct {
	actor     Actor
	requestID string
}

// WithActor returns a context whose changes are recorded as made by actor in
// the request requestID.
func WithActor(ctx context.Context, actor Actor, requestID string) context.Context {
	return context.WithValue(ctx, actorKey{}, actorInfo{actor: actor, requestID: requestID})
}

// actorFrom returns the actor and request id of ctx, or the system actor.
func actorFrom(ctx context.Context) actorInfo {
	if a, ok := ctx.Value(actorKey{}).(actorInfo); ok {
		return a
	}
	return actorInfo{actor: Actor{Type: "system", ID: "roster"}}
}
