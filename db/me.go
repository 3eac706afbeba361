package db

import "context"

// Me is who a person is to Roster, as GET /v1/me answers: the user, their
// place on the staff (nil when none) and their active memberships in the
// mode, the account switcher of a product.
type Me struct {
	Object      string         `json:"object"`
	User        User           `json:"user"`
	Staff       *MeStaff       `json:"staff"`
	Memberships []MeMembership `json:"memberships"`
}

// MeStaff is a person's workspace membership, in a Me.
type MeStaff struct {
	StaffID string `json:"workspace_membership_id"`
	Role    string `json:"role"`
}

// MeMembership is one active membership of a person, in a Me.
type MeMembership struct {
	MembershipID         string    `json:"membership_id"`
	Account              AccountOf `json:"account"`
	Role                 MeRole    `json:"role"`
	Status               string    `json:"status"`
	EffectivePermissions []string  `json:"effective_permissions"`
}

// AccountOf names the account of a membership, in a Me.
type AccountOf struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// MeRole names the role of a membership, in a Me.
type MeRole struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// Me answers who the user is: staff (when staff is set) and their active
// memberships of the scope's mode, oldest first.
func (s *DB) Me(ctx context.Context, sc Scope, u User, staff *StaffMember) (Me, error) {
	me := Me{Object: "me", User: u, Memberships: []MeMembership{}}
	if staff != nil {
		me.Staff = &MeStaff{StaffID: staff.ID, Role: staff.Role}
	}
	ms, err := s.loadMemberships(ctx, s.MembershipSelect()+` AND am.user_id = ? AND am.status = ?`+notExpiredSQL+` ORDER BY am.id`,
		sc.WorkspaceID, sc.Live, u.ID, StatusActive, s.clock())
	if err != nil || len(ms) == 0 {
		return me, wrap(err, "list memberships of user %s", u.ID)
	}
	var accounts []AccountOf
	if err := s.selectAll(ctx, &accounts, s.dialect(accountNamesQuery), sc.WorkspaceID, sc.Live, listArg(accountIDs(ms))); err != nil {
		return me, wrap(err, "name accounts of user %s", u.ID)
	}
	names := map[string]string{}
	for _, a := range accounts {
		names[a.ID] = a.Name
	}
	for _, m := range ms {
		me.Memberships = append(me.Memberships, MeMembership{MembershipID: m.ID,
			Account: AccountOf{ID: m.AccountID, Name: names[m.AccountID]},
			Role:    MeRole{ID: m.Role.ID, Slug: m.Role.Slug, Name: m.Role.Name},
			Status:  m.Status, EffectivePermissions: m.EffectivePermissions})
	}
	return me, nil
}

// accountNamesQuery reads the names of a list of accounts.
var accountNamesQuery = listing(`SELECT id, name FROM accounts WHERE workspace_id = ? AND livemode = ? AND id IN (?)`)

// accountIDs are the accounts of memberships, each once.
func accountIDs(ms []Membership) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.AccountID
	}
	return SortedUnique(ids)
}
