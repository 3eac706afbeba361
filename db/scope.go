package db

import "context"

// Scope is what every query of a mode-bound row is confined to: one
// workspace and one mode. Member, when set, is the user id of an account's
// member acting on their own accounts (a member principal): the stores
// confine it further, to the accounts where that user is an active member,
// and its rights to that membership's effective permissions (member.go).
type Scope struct {
	WorkspaceID string
	Live        bool
	Member      string
}

// Mode is "live" or "test".
func (s Scope) Mode() string { return ModeName(s.Live) }

// ModeName is the name of a mode: "live", or "test" when live is false.
func ModeName(live bool) string {
	if live {
		return "live"
	}
	return "test"
}

// Actor is who makes a change, as events record it. A member acting on
// their account ("member") is named by the membership it acts through
// (ID, which the store that checks its rights fills in) and its user.
type Actor struct {
	Type   string `json:"type"` // "api_key", "user", "member" or "system"
	ID     string `json:"id"`
	UserID string `json:"user_id,omitempty"`
	// Via is why Roster itself ("system") acted, when it acts for a
	// reason: "domain" for a membership made by a domain join.
	Via string `json:"via,omitempty"`
}

type actorKey struct{}

type requestIDKey struct{}

// actorInfo is who makes the changes of a context, and in which request.
type actorInfo struct {
	actor     Actor
	requestID string
}

// WithActor returns a context whose changes are recorded as made by actor.
func WithActor(ctx context.Context, actor Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// WithRequestID returns a context serving the request id: the id its
// log lines, its error answers and the events of its changes carry.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id of the request ctx serves, "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// actorFrom returns the actor and request id of ctx; the system actor
// when no one else acts.
func actorFrom(ctx context.Context) actorInfo {
	a := actorInfo{actor: Actor{Type: "system", ID: "roster"}, requestID: RequestID(ctx)}
	if actor, ok := ctx.Value(actorKey{}).(Actor); ok {
		a.actor = actor
	}
	return a
}
