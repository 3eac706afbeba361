package db

import (
	"context"
	"database/sql"
)

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
	rows, err := s.query(ctx, s.dialect(meQuery), sc.WorkspaceID, sc.Live, u.ID, s.clock())
	if err != nil {
		return me, wrap(err, "list memberships of user %s", u.ID)
	}
	defer rows.Close()
	for rows.Next() {
		m := MeMembership{Status: StatusActive}
		var direct, role sql.NullString
		if err := rows.Scan(&m.MembershipID, &m.Account.ID, &m.Account.Name, &m.Role.ID, &m.Role.Slug, &m.Role.Name,
			&direct, &role); err != nil {
			return me, wrap(err, "read memberships of user %s", u.ID)
		}
		m.EffectivePermissions = effective(keyList(role), keyList(direct))
		me.Memberships = append(me.Memberships, m)
	}
	return me, wrap(rows.Err(), "list memberships of user %s", u.ID)
}

// meQuery reads what Me shows of a person's active memberships of a mode,
// oldest first, in one query: each with its account's name, its role and
// the keys that make its effective permissions. Its arguments are the
// workspace id, the mode, the user id and the time (an expiry passed is
// expired, swept or not). It walks account_memberships_user_list; each
// account's name is looked up by its key (as a join, a plan could read
// the workspace's accounts whole).
var meQuery = aggregating(`SELECT am.id, am.account_id,
	(SELECT a.name FROM accounts a WHERE a.workspace_id = am.workspace_id AND a.id = am.account_id),
	r.id, r.slug, r.name,
	` + permissionKeysSQL + `
	FROM account_memberships am
	JOIN roles r ON r.workspace_id = am.workspace_id AND r.id = am.role_id
	WHERE am.workspace_id = ? AND am.livemode = ? AND am.user_id = ? AND am.status = 'active'` + notExpiredSQL + `
	ORDER BY am.id`)

// MeQuery returns meQuery in the DB's dialect: the bench explains it.
func (s *DB) MeQuery() string { return s.dialect(meQuery) }
