package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// benchJWTSecret is the HS256 secret roster serve is started with, so that
// the bench can sign the JWT of GET /v1/me.
const benchJWTSecret = "roster-bench-hs256-secret-of-32-characters-or-more"

// meMemberships is how many memberships the person of GET /v1/me holds.
const meMemberships = 50

// authorizeOn is POST /v1/authorize for a random member of a.
func authorizeOn(a seededAccount) func(int64) request {
	return func(int64) request { return authorizeRequest(a, rand.IntN(a.size)) }
}

// authorizeRequest asks whether the account's i-th member holds
// billing.read.
func authorizeRequest(a seededAccount, i int) request {
	return request{"POST", "/v1/authorize",
		fmt.Sprintf(`{"account_id":%q,"user_id":%q,"permission":"billing.read"}`, a.id, a.userID(i))}
}

// questions measures the questions a product asks (P10, P11): POST
// /v1/authorize at the PATCH account, its closed-loop maximum (measured
// side by side with GET's, see measure) against GET's and its p99 at half
// of that maximum; and GET /v1/me for a person with meMemberships
// memberships, its p99 at half of its maximum.
func questions(c *client, d string, s seeded, big seededAccount, o options, maxGet, maxAuth throughput) ([]result, error) {
	lat, server, err := c.openLoop(maxAuth.perSecond/2, o.duration, o.clients*2, authorizeOn(big))
	if err != nil {
		return nil, fmt.Errorf("P10: %w", err)
	}
	p99, half := percentile(lat, 99), fmt.Sprintf("%.0f req/s", maxAuth.perSecond/2)
	rs := []result{
		info(d, "P10", "POST /v1/authorize max req/s", perSecond(maxAuth)),
		atLeast(d, "P10", fmt.Sprintf("authorize / GET membership (%s → %s)", perSecond(maxGet), perSecond(maxAuth)), maxAuth.perSecond/maxGet.perSecond, 1.0),
		figure(d, "P10", "authorize p99 at "+half, ms(p99), "< 5 ms", p99 < 5*time.Millisecond),
		info(d, "P10", "  of which in the server, p99", ms(percentile(server, 99))),
	}

	me, err := personOfMany(c, s)
	if err != nil {
		return nil, fmt.Errorf("P11: %w", err)
	}
	get := func(int64) request { return request{"GET", "/v1/me", ""} }
	maxMe, err := me.closedLoop(o.clients, o.duration, get)
	if err != nil {
		return nil, fmt.Errorf("P11 max: %w", err)
	}
	lat, _, err = me.openLoop(maxMe.perSecond/2, o.duration, o.clients*2, get)
	if err != nil {
		return nil, fmt.Errorf("P11: %w", err)
	}
	p99 = percentile(lat, 99)
	return append(rs,
		info(d, "P11", fmt.Sprintf("GET /v1/me (%d memberships) max req/s", meMemberships), perSecond(maxMe)),
		figure(d, "P11", fmt.Sprintf("GET /v1/me p99 at %.0f req/s", maxMe.perSecond/2), ms(p99), "< 10 ms", p99 < 10*time.Millisecond)), nil
}

// personOfMany links the bench's owner, a staff member, to meMemberships
// new accounts through the API and returns a client holding a JWT for them:
// GET /v1/me then lists those memberships.
func personOfMany(c *client, s seeded) (*client, error) {
	staffID, err := staffIDOf(c, s.email)
	if err != nil {
		return nil, err
	}
	for i := range meMemberships {
		var acct struct {
			ID string `json:"id"`
		}
		if err := c.call(request{"POST", "/v1/accounts", fmt.Sprintf(`{"name":"Switcher %d"}`, i)}, 201, &acct); err != nil {
			return nil, err
		}
		link := fmt.Sprintf(`{"workspace_membership_id":%q,"role":"member"}`, staffID)
		if err := c.call(request{"POST", "/v1/accounts/" + acct.ID + "/memberships", link}, 201, nil); err != nil {
			return nil, err
		}
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"email": s.email, "workspace_id": s.workspaceID, "mode": "live", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(benchJWTSecret))
	if err != nil {
		return nil, err
	}
	return newClient(c.base, token), nil
}

// staffIDOf finds the workspace membership of a staff member by email.
func staffIDOf(c *client, email string) (string, error) {
	var staff []struct {
		ID   string `json:"id"`
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := c.call(request{"GET", "/v1/workspace-memberships?limit=100", ""}, 200, &staff); err != nil {
		return "", err
	}
	for _, m := range staff {
		if m.User.Email == email {
			return m.ID, nil
		}
	}
	return "", fmt.Errorf("no workspace membership of %s", email)
}

// call sends r, expects the status want and decodes the envelope's data
// into data (when not nil).
func (c *client) call(r request, want int, data any) error {
	status, body, err := c.do(r)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d, want %d: %.200s", r.method, r.path, status, want, body)
	}
	if data == nil {
		return nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, data)
}
