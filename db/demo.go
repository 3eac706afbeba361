package db

import (
	"context"
	"errors"
	"fmt"
)

// DemoWorkspace is the name of the workspace Demo fills.
const DemoWorkspace = "Demo"

// DemoStaff is a staff member of the demo workspace and their password.
type DemoStaff struct {
	Role, Email, Password string
}

// DemoResult says how to sign in to the demo workspace and call its API.
type DemoResult struct {
	Workspace string
	Staff     []DemoStaff // owner, admin, support
	TestKey   string      // the secret of a test-mode secret key
}

// errDemoExists refuses to fill a database that has the demo workspace.
var errDemoExists = ErrWorkspaceExists.Saying(
	`the database already has the demo workspace "` + DemoWorkspace + `": run roster demo on a fresh database`)

// demoPeople are the members of the demo accounts.
var demoPeople = []struct{ name, email string }{
	{"Alice Martin", "alice@example.com"}, {"Bob Chen", "bob@example.com"}, {"Carla Díaz", "carla@example.com"},
	{"Dev Patel", "dev@example.com"}, {"Erin Walsh", "erin@example.com"}, {"Farid Haddad", "farid@example.com"},
	{"Grace Kim", "grace@example.com"}, {"Hugo Laurent", "hugo@example.com"}, {"Inès Costa", "ines@example.com"},
}

// demoMember is one membership of every demo account: the person (an
// index into demoPeople, shifted by the account's place) and what they get.
type demoMember struct {
	person      int
	role        string
	permissions []string
	invited     bool // left invited, with its invitation email in the outbox
}

// demoMembers are each demo account's members: an owner, active members
// (some with direct permissions) and pending invitations.
var demoMembers = []demoMember{
	{person: 0, role: "owner"},
	{person: 1, role: "admin"},
	{person: 2, role: "member", permissions: []string{"reports.read"}},
	{person: 3, role: "billing", permissions: []string{"reports.export"}},
	{person: 4, role: "member", invited: true},
	{person: 5, role: "analyst", permissions: []string{"billing.read"}, invited: true},
}

// demoAccounts are the demo accounts of each mode.
var demoAccounts = map[bool][]string{
	true:  {"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli"},
	false: {"Acme Corp (test)", "Sandbox Ltd"},
}

// Demo fills the database with the demo workspace so that every page has
// something to show: its owner, an admin and a support person (each with a
// password), extra permissions and roles, accounts in both modes with
// active and invited members, API keys of both kinds in both modes, and the
// events all that produced, everything made through the stores as the
// owner. acceptURL makes the link of an invitation token. It refuses, with
// errDemoExists, a database that already has the demo workspace; it runs
// in one transaction, so it fills all or nothing.
func (s *DB) Demo(ctx context.Context, acceptURL func(token string) string) (DemoResult, error) {
	res := DemoResult{Workspace: DemoWorkspace}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.WorkspaceByRef(ctx, DemoWorkspace); err == nil {
			return errDemoExists
		} else if !errors.Is(err, ErrWorkspaceNotFound) {
			return err
		}
		owner := DemoStaff{Role: RoleOwner, Email: "owner@demo.example", Password: demoPassword()}
		b, err := s.Bootstrap(ctx, NewWorkspace{Name: DemoWorkspace, Email: owner.Email, Password: owner.Password})
		if err != nil {
			return err
		}
		res.Staff = append(res.Staff, owner)
		ctx = WithActor(ctx, Actor{Type: "user", ID: b.UserID})
		d := demo{s: s, ws: b.WorkspaceID, owner: StaffEditor{WorkspaceID: b.WorkspaceID, StaffID: b.StaffID}, acceptURL: acceptURL}
		return d.fill(ctx, &res)
	})
	if isUniqueViolation(err) {
		return res, errDemoExists // another demo made the workspace first
	}
	return res, err
}

// demoPassword is a new random password for a demo staff member.
func demoPassword() string { return "demo-" + RandomToken(12) }

// demo fills one demo workspace.
type demo struct {
	s         *DB
	ws        string
	owner     StaffEditor
	acceptURL func(token string) string
	staff     map[string]string // staff ids by role
}

// fill makes everything but the workspace and its owner.
func (d *demo) fill(ctx context.Context, res *DemoResult) error {
	d.staff = map[string]string{}
	for _, role := range []string{RoleAdmin, RoleSupport} {
		st, err := d.addStaff(ctx, role)
		if err != nil {
			return err
		}
		res.Staff = append(res.Staff, st)
	}
	if err := d.catalog(ctx); err != nil {
		return err
	}
	for _, live := range []bool{true, false} {
		sc := Scope{WorkspaceID: d.ws, Live: live}
		for i, name := range demoAccounts[live] {
			if err := d.account(ctx, sc, i, name); err != nil {
				return fmt.Errorf("demo account %q: %w", name, err)
			}
		}
		secret, err := d.keys(ctx, sc)
		if err != nil {
			return err
		}
		if !live {
			res.TestKey = secret
		}
	}
	return nil
}

// demoStaffNames are the names of the demo staff, by console role.
var demoStaffNames = map[string]string{RoleAdmin: "Ada Admin", RoleSupport: "Sam Support"}

// addStaff puts a person with the console role and a password on the staff.
func (d *demo) addStaff(ctx context.Context, role string) (DemoStaff, error) {
	st := DemoStaff{Role: role, Email: role + "@demo.example", Password: demoPassword()}
	sm, err := d.s.AddStaff(ctx, d.owner, NewStaff{Email: st.Email, Name: demoStaffNames[role], Role: role, Password: st.Password})
	if err != nil {
		return st, err
	}
	d.staff[role] = sm.ID
	return st, nil
}

// catalog adds permissions and roles to the workspace's defaults.
func (d *demo) catalog(ctx context.Context) error {
	sc := Scope{WorkspaceID: d.ws, Live: true}
	for _, p := range []Permission{
		{Key: "reports.read", Description: "See the reports"},
		{Key: "reports.export", Description: "Export reports as CSV"},
		{Key: "support:tickets", Description: "Answer the support tickets"},
	} {
		if _, err := d.s.CreatePermission(ctx, sc, NewPermission{Key: p.Key, Description: p.Description}); err != nil {
			return err
		}
	}
	for _, r := range []NewRole{
		{Slug: "billing", Name: "Billing manager", Description: "Runs billing and sees the members", Permissions: []string{"billing.manage", "billing.read", "members.read"}},
		{Slug: "analyst", Name: "Analyst", Description: "Reads and exports the reports", Permissions: []string{"members.read", "reports.export", "reports.read"}},
		{Slug: "viewer", Name: "Viewer", Description: "Sees the members, nothing else", Permissions: []string{"members.read"}},
	} {
		if _, err := d.s.CreateRole(ctx, sc, r); err != nil {
			return err
		}
	}
	return nil
}

// account creates the i-th demo account of sc's mode with its members; the
// first live account also has the admin, linked from the staff.
func (d *demo) account(ctx context.Context, sc Scope, i int, name string) error {
	a, err := d.s.CreateAccount(ctx, sc, AccountInput{Name: name})
	if err != nil {
		return err
	}
	for _, m := range demoMembers {
		if err := d.member(ctx, sc, a.ID, demoPeople[(m.person+i)%len(demoPeople)], m); err != nil {
			return err
		}
	}
	if sc.Live && i == 0 {
		_, _, err = d.s.CreateMembership(ctx, sc, a.ID, NewMembership{StaffID: d.staff[RoleAdmin], Role: "admin"})
	}
	return err
}

// member invites a person to an account and, unless m stays invited,
// accepts the invitation as they would.
func (d *demo) member(ctx context.Context, sc Scope, accountID string, p struct{ name, email string }, m demoMember) error {
	var token string
	_, _, err := d.s.CreateMembership(ctx, sc, accountID, NewMembership{
		Email: p.email, Name: p.name, Role: m.role, Permissions: m.permissions, SendEmail: true,
		AcceptURL: func(t string) string { token = t; return d.acceptURL(t) },
	})
	if err != nil || m.invited {
		return err
	}
	_, err = d.s.AcceptInvitation(ctx, Acceptance{Token: token})
	return err
}

// keys creates two secret and two publishable keys in sc's mode and
// returns the secret of the unlimited secret key.
func (d *demo) keys(ctx context.Context, sc Scope) (string, error) {
	_, secret, err := d.s.CreateAPIKey(ctx, sc, NewAPIKey{Kind: KeySecret, Name: "Backend"})
	if err != nil {
		return "", err
	}
	for _, k := range []NewAPIKey{
		{Kind: KeySecret, Name: "Reporting (read only)", Scopes: []string{"accounts:read", "events:read", "memberships:read"}},
		{Kind: KeyPublishable, Name: "Web app"},
		{Kind: KeyPublishable, Name: "Mobile app"},
	} {
		if _, _, err := d.s.CreateAPIKey(ctx, sc, k); err != nil {
			return "", err
		}
	}
	return secret, nil
}
