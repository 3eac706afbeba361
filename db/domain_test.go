package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// claim creates an account with a pending domain.
func claim(t *testing.T, d *db.DB, sc db.Scope, account, domain, enrollment string) db.Domain {
	t.Helper()
	ctx := context.Background()
	a, err := d.CreateAccount(ctx, sc, db.AccountInput{Name: account})
	if err != nil {
		t.Fatal(err)
	}
	dom, err := d.CreateDomain(ctx, sc, a.ID, db.NewDomain{Domain: domain, Enrollment: enrollment})
	if err != nil {
		t.Fatalf("claim %s for %s: %v", domain, account, err)
	}
	return dom
}

// TestNormalizeDomain: domains are stored lower-cased in punycode, and
// what is not a domain name is refused.
func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Example.COM", "example.com"},
		{" example.com. ", "example.com"},
		{"Bücher.example", "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"sub.example.co.uk", "sub.example.co.uk"},
		{"localhost", ""},
		{"a@example.com", ""},
		{"10.0.0.1", ""},
		{"exa mple.com", ""},
		{"under_score.com", ""},
		{"", ""},
		{"example.123", ""},
	} {
		got, why := db.NormalizeDomain(tc.in)
		if tc.want == "" && why == "" || tc.want != "" && (why != "" || got != tc.want) {
			t.Errorf("NormalizeDomain(%q) = %q, %q; want %q", tc.in, got, why, tc.want)
		}
	}
	if db.EmailDomain("Ann@Bücher.Example") != "xn--bcher-kva.example" || db.EmailDomain("nobody") != "" {
		t.Error("EmailDomain does not normalise the domain of an address")
	}
}

// TestDomainClaimRace: however many accounts verify one domain at once, on
// both databases exactly one holds it verified; the others are refused
// with domain.already_claimed and stay unverified. Another mode and
// another workspace are free to claim it.
func TestDomainClaimRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		const n = 6
		doms := make([]db.Domain, n)
		for i := range doms {
			doms[i] = claim(t, d, f.Live(), fmt.Sprintf("Racer %d", i), "race.example", "")
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, dom := range doms {
			wg.Go(func() {
				_, errs[i] = d.VerifyDomain(ctx, f.Live(), dom.ID, db.DomainCheck{Records: []string{dom.Verification.Value}})
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, db.ErrDomainClaimed):
			default:
				t.Fatalf("verification %d: %v", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d accounts verified race.example, want 1", won)
		}
		verified := 0
		for _, dom := range doms {
			got, err := d.AccountDomain(ctx, f.Live(), dom.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == db.DomainVerified {
				verified++
			}
		}
		if verified != 1 {
			t.Fatalf("%d domains stored verified", verified)
		}
		for _, sc := range []db.Scope{f.Test(), dbtest.Workspace(t, d, "Other").Live()} {
			other := claim(t, d, sc, "Elsewhere", "race.example", "")
			if _, err := d.VerifyDomain(ctx, sc, other.ID, db.DomainCheck{Manual: true}); err != nil {
				t.Fatalf("another scope cannot claim the domain: %v", err)
			}
		}
	})
}

// TestDomainJoinRace: one person joining by domain from many requests at
// once gets one membership, on both databases; the others answer
// already_member, and one membership.created is written.
func TestDomainJoinRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		dom := claim(t, d, f.Live(), "Joiners", "join.example", db.EnrollAutoJoin)
		if _, err := d.VerifyDomain(ctx, f.Live(), dom.ID, db.DomainCheck{Manual: true}); err != nil {
			t.Fatal(err)
		}
		const n = 6
		results := make([][]db.DomainJoin, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = d.JoinByDomains(ctx, f.Live(), "Jo@join.example") })
		}
		wg.Wait()
		joined := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("join %d: %v", i, errs[i])
			}
			if len(results[i]) != 1 {
				t.Fatalf("join %d: %+v", i, results[i])
			}
			switch results[i][0].Result {
			case db.JoinJoined:
				joined++
			case db.JoinAlreadyMember:
			default:
				t.Fatalf("join %d: %+v", i, results[i][0])
			}
		}
		if joined != 1 {
			t.Fatalf("%d joins made a membership, want 1", joined)
		}
		ms, err := d.ListMemberships(ctx, f.Live(), dom.AccountID, db.MembershipFilter{}, db.Page{Limit: 10})
		if err != nil || len(ms) != 1 || ms[0].Status != db.StatusActive {
			t.Fatalf("memberships %+v, %v", ms, err)
		}
		evs, err := d.ListEvents(ctx, f.Live(), db.EventFilter{AccountID: dom.AccountID, Type: "membership.created"}, db.Page{Limit: 10})
		if err != nil || len(evs) != 1 || evs[0].Actor != (db.Actor{Type: "system", ID: "roster", Via: "domain"}) {
			t.Fatalf("membership.created events %+v, %v", evs, err)
		}
	})
}

// TestDomainMemberLimits: a member principal with org.manage claims
// domains of their account but never verifies one by hand, nor gives a
// role beyond their own permissions; one without it reads nothing.
func TestDomainMemberLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := dbtest.Workspace(t, d, "Acme")
		a, err := d.CreateAccount(ctx, f.Live(), db.AccountInput{Name: "Self-run"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateRole(ctx, f.Live(), db.NewRole{Slug: "manager", Name: "Manager", Permissions: []string{db.PermOrgManage, db.PermMembersRead, "billing.read"}}); err != nil {
			t.Fatal(err)
		}
		member := func(email, role string) db.Scope {
			m := invite(t, d, f.Live(), a.ID, email, db.NewMembership{Role: role})
			return db.Scope{WorkspaceID: f.WorkspaceID, Live: true, Member: m.UserID}
		}
		manager, plain := member("mia@self.example", "manager"), member("pat@self.example", "member")
		activate(t, d, f.Live(), a.ID)
		dom, err := d.CreateDomain(ctx, manager, a.ID, db.NewDomain{Domain: "self.example"})
		if err != nil {
			t.Fatalf("a manager claims a domain: %v", err)
		}
		if _, err := d.VerifyDomain(ctx, manager, dom.ID, db.DomainCheck{Manual: true}); !errors.Is(err, db.ErrForbidden) {
			t.Fatalf("a member verified by hand: %v", err)
		}
		if _, err := d.UpdateDomain(ctx, manager, dom.ID, db.DomainPatch{Role: ptr("admin")}); !errors.Is(err, db.ErrForbidden) {
			t.Fatalf("a manager gave admin through a domain: %v", err)
		}
		if _, err := d.AccountDomain(ctx, plain, dom.ID); !errors.Is(err, db.ErrForbidden) {
			t.Fatalf("a plain member read a domain: %v", err)
		}
		if _, err := d.ListDomains(ctx, plain, a.ID, db.Page{Limit: 10}); !errors.Is(err, db.ErrForbidden) {
			t.Fatalf("a plain member listed domains: %v", err)
		}
		if err := d.DeleteDomain(ctx, manager, dom.ID); err != nil {
			t.Fatalf("a manager gives up a domain: %v", err)
		}
	})
}

// activate accepts every invitation of the account, straight in the
// database: the members' principals need active memberships.
func activate(t *testing.T, d *db.DB, sc db.Scope, accountID string) {
	t.Helper()
	if _, err := d.Exec(d.Rebind(`UPDATE account_memberships SET status = 'active' WHERE workspace_id = ? AND account_id = ?`),
		sc.WorkspaceID, accountID); err != nil {
		t.Fatal(err)
	}
}

func ptr(s string) *string { return &s }
