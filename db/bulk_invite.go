package db

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// bulkInvite is one invitation of a batched bulk request (bulkInvites):
// what CreateMembership would decide of it, and what is written for it.
type bulkInvite struct {
	in   NewMembership
	e    edit
	user User  // the person's user; ID "" while not written
	err  error // the item's refusal; nil when it is kept
	id   string
	inv  invitationRows
}

// batchSavepoint is the savepoint the writes of a batched bulk request
// run in: on a conflict that only the item-by-item path explains, they
// are rolled back to it and the request runs item by item.
const batchSavepoint = "roster_bulk_batch"

// bulkInvites runs a bulk request of invitations only with a few
// statements for all its items, with the outcome each would have run
// alone through CreateMembership, in order: the same checks, in the same
// order (bulkStep's duplicates, Validate, the role and expiry, the
// catalog, an existing membership, what a member principal may give, an
// owner's expiry), the same rows, events and emails. It reads the items'
// users and their memberships of the account in one query, takes the
// kept items' seats in one conditional UPDATE, and writes users,
// memberships, permissions, invitations and their tokens in multi-row
// INSERTs. ok is false, with nothing written, when the request must run
// item by item: it holds another operation, its member principal may not
// invite, it is atomic and an item fails, the seats left do not hold all
// its kept items, or a write meets a conflict (a role or key deleted
// meanwhile). The error is the request's.
func (s *DB) bulkInvites(ctx context.Context, sc Scope, a Account, ops []BulkOp, opt BulkOptions) ([]BulkItem, bool, error) {
	for _, op := range ops {
		if op.Op != BulkInvite {
			return nil, false, nil
		}
	}
	by, ctx, err := s.memberActing(ctx, sc, a.ID, PermMembersManage)
	if err != nil {
		return nil, false, unlessDomain(err)
	}
	batch, err := s.decideInvites(ctx, sc, a.ID, by, ops, opt)
	if err != nil {
		return nil, false, err
	}
	var kept []*bulkInvite
	for _, b := range batch {
		if b.err == nil {
			kept = append(kept, b)
		}
	}
	if opt.Atomic && len(kept) < len(batch) {
		return nil, false, nil
	}
	t := now()
	if ok, err := s.writeInvites(ctx, sc, a.ID, kept, t); err != nil || !ok {
		return nil, false, err
	}
	return s.announceInvites(ctx, sc, a, batch, kept, t)
}

// unlessDomain is err unless it is a domain error, which makes a batched
// request run item by item, each item telling it.
func unlessDomain(err error) error {
	if isDomain(err) {
		return nil
	}
	return err
}

// decideInvites checks the invitations of a batched bulk request as
// CreateMembership would, in order, with one catalog query and one query
// for the people's users and memberships of the account.
func (s *DB) decideInvites(ctx context.Context, sc Scope, accountID string, by Membership, ops []BulkOp, opt BulkOptions) ([]*bulkInvite, error) {
	batch := make([]*bulkInvite, len(ops))
	seen := map[string]int{}
	var keys []string
	for i, op := range ops {
		b := &bulkInvite{in: NewMembership{Email: op.Email, Name: op.Name, Role: op.Role, Permissions: op.Permissions,
			SendEmail: op.SendEmail, ExpiresAt: op.ExpiresAt, AcceptURL: opt.AcceptURL}}
		batch[i] = b
		if first, dup := duplicateOf(op, i, seen); dup {
			b.err = duplicateItem(op, first)
			continue
		}
		if b.err = b.in.Validate(); b.err != nil {
			continue
		}
		if b.e, b.err = s.newMembershipEdit(ctx, sc.WorkspaceID, b.in); b.err != nil && !isDomain(b.err) {
			return nil, b.err
		}
		keys = append(keys, b.in.Permissions...)
	}
	known, err := s.knownKeys(ctx, sc.WorkspaceID, SortedUnique(keys))
	if err != nil {
		return nil, err
	}
	users, err := s.usersOfInvites(ctx, sc, accountID, batch)
	if err != nil {
		return nil, err
	}
	for _, b := range batch {
		if b.err != nil {
			continue
		}
		if b.err = inCatalog("permissions", b.in.Permissions, known); b.err != nil {
			continue
		}
		u := users[FoldEmail(b.in.Email)]
		if u.MembershipID != "" {
			b.err = alreadyMember(u.MembershipID)
			continue
		}
		b.user = u.User
		if b.err = s.settleNewRole(ctx, sc.WorkspaceID, by, &b.e, b.in); b.err != nil && !isDomain(b.err) {
			return nil, b.err
		}
	}
	return batch, nil
}

// invitedUser is the user of an invited person, with the id of their
// membership of the account ("" for none).
type invitedUser struct {
	User
	EmailLower   string `db:"email_lower"`
	MembershipID string `db:"membership_id"`
}

// invitedUsersQuery reads the users of a list of folded emails, each with
// their membership of an account; its arguments are the mode, the
// account, the workspace and the emails (listArg). Each user is one probe
// of the unique (workspace_id, email_lower), and each membership one of
// the unique (workspace_id, account_id, user_id), whatever the tables'
// statistics say: on PostgreSQL the lookup of each email is a subquery
// of its own (OFFSET 0 keeps it one), where a join with the list can
// become a scan of the workspace's users.
var invitedUsersQuery = func() dialectSQL {
	q := `SELECT u.id, u.workspace_id, u.email, u.name, u.password_hash, u.email_lower,
	COALESCE((SELECT am.id FROM account_memberships am WHERE am.workspace_id = u.workspace_id AND am.livemode = ?
		AND am.account_id = ? AND am.user_id = u.id), '') AS membership_id `
	return dialectSQL{
		postgres: q + `FROM (SELECT ?::text AS id) w CROSS JOIN json_array_elements_text(?::json) AS e(email)
	CROSS JOIN LATERAL (SELECT * FROM users WHERE workspace_id = w.id AND email_lower = e.email OFFSET 0) u`,
		sqlite: q + `FROM users u WHERE u.workspace_id = ? AND u.email_lower IN (SELECT value FROM json_each(?))`}
}()

// usersOfInvites reads the users of the batch's items still kept, by
// folded email: a person without one is absent.
func (s *DB) usersOfInvites(ctx context.Context, sc Scope, accountID string, batch []*bulkInvite) (map[string]invitedUser, error) {
	var emails []string
	for _, b := range batch {
		if b.err == nil {
			emails = append(emails, FoldEmail(b.in.Email))
		}
	}
	users := map[string]invitedUser{}
	if len(emails) == 0 {
		return users, nil
	}
	var rows []invitedUser
	if err := s.selectAll(ctx, &rows, s.dialect(invitedUsersQuery), sc.Live, accountID, sc.WorkspaceID, listArg(emails)); err != nil {
		return nil, wrap(err, "find the users of a bulk request")
	}
	for _, u := range rows {
		users[u.EmailLower] = u
	}
	return users, nil
}

// writeInvites writes the kept invitations of a batched bulk request in
// the batch savepoint: false, with nothing written, when their seats do
// not fit or a write meets a conflict.
func (s *DB) writeInvites(ctx context.Context, sc Scope, accountID string, kept []*bulkInvite, t time.Time) (bool, error) {
	if len(kept) == 0 {
		return true, nil
	}
	if err := s.savepoint(ctx, batchSavepoint); err != nil {
		return false, err
	}
	ok, err := s.insertInvites(ctx, sc, accountID, kept, t)
	switch {
	case err == nil && ok:
		return true, s.release(ctx, batchSavepoint)
	case err != nil && !isUniqueViolation(err) && !isForeignKeyViolation(err):
		return false, err
	}
	if err := s.rollbackTo(ctx, batchSavepoint); err != nil {
		return false, err
	}
	return false, s.release(ctx, batchSavepoint)
}

// insertInvites takes the kept items' seats at t (false when the account's
// seats left do not hold them all), then writes their users, memberships
// holding their seats, direct permissions, invitations and tokens.
func (s *DB) insertInvites(ctx context.Context, sc Scope, accountID string, kept []*bulkInvite, t time.Time) (bool, error) {
	if ok, err := s.takeSeats(ctx, sc, accountID, len(kept)); err != nil || !ok {
		return false, err
	}
	if ok, err := s.createInvitedUsers(ctx, sc, accountID, kept); err != nil || !ok {
		return ok, err
	}
	var memberships, permissions, invitations, tokens [][]any
	for _, b := range kept {
		b.id = NewID("am")
		b.inv = newInvitation(ctx, sc, b.id, t)
		until := seatEnd(Membership{Status: StatusInvited, InvitationExpiresAt: &b.inv.expiresAt, ExpiresAt: b.e.expiresAt()})
		memberships = append(memberships, newMembershipRow(sc, accountID, b.id, b.user.ID, "", b.e, t, until))
		if b.e.set != nil {
			for _, k := range *b.e.set {
				permissions = append(permissions, []any{b.id, sc.WorkspaceID, k})
			}
		}
		invitations, tokens = append(invitations, b.inv.row), append(tokens, b.inv.lookup)
	}
	s.aboutToWriteMembership(ctx)
	for _, w := range []struct {
		insert string
		rows   [][]any
	}{{insertMembershipSQL, memberships}, {insertPermissionSQL, permissions}, {insertInvitationSQL, invitations}, {indexTokenSQL, tokens}} {
		if err := s.insertRows(ctx, w.insert, w.rows); err != nil {
			return false, wrap(err, "write the invitations of a bulk request")
		}
	}
	return true, nil
}

// insertPermissionSQL gives a membership a direct permission.
const insertPermissionSQL = `INSERT INTO membership_permissions (membership_id, workspace_id, permission_key) VALUES (?, ?, ?)`

// createInvitedUsers writes the users of the kept items' new people (a
// user of the same email written meanwhile is kept as it is, as
// findOrCreateUser does) and indexes every item's email; false when one
// of them has a membership of the account. When every new user is
// written, as it is unless another transaction wrote one of them first,
// the items' users are the rows written; otherwise they are read back.
func (s *DB) createInvitedUsers(ctx context.Context, sc Scope, accountID string, kept []*bulkInvite) (bool, error) {
	var users, lookups [][]any
	var fresh []*bulkInvite
	t := now()
	for _, b := range kept {
		lookups = append(lookups, []any{FoldEmail(b.in.Email), sc.WorkspaceID})
		if b.user.ID == "" {
			row := newUserRow(sc.WorkspaceID, b.in.Email, b.in.Name, t)
			users, fresh = append(users, row), append(fresh, b)
			b.user = User{ID: row[0].(string), WorkspaceID: sc.WorkspaceID, Email: b.in.Email, Name: b.in.Name}
		}
	}
	// In the order of their emails, so that two requests inviting the
	// same people into different accounts wait for each other rather
	// than deadlock.
	slices.SortFunc(users, func(a, b []any) int { return strings.Compare(a[3].(string), b[3].(string)) })
	slices.SortFunc(lookups, func(a, b []any) int { return strings.Compare(a[0].(string), b[0].(string)) })
	written, err := s.insertRowsThen(ctx, insertNewUserSQL, onUserConflict, users)
	if err != nil {
		return false, wrap(err, "insert the users of a bulk request")
	}
	if _, err := s.insertRowsThen(ctx, indexEmailSQL, onConflictDoNothing, lookups); err != nil {
		return false, wrap(err, "index the emails of a bulk request")
	}
	if written == int64(len(users)) {
		return true, nil // new users, without memberships
	}
	found, err := s.usersOfInvites(ctx, sc, accountID, fresh)
	if err != nil {
		return false, err
	}
	for _, b := range fresh {
		u, ok := found[FoldEmail(b.in.Email)]
		if !ok || u.MembershipID != "" {
			return false, nil
		}
		b.user = u.User
	}
	return true, nil
}

// announceInvites records each kept item's events and queues its email
// (held until the request's end: bulkWrites), in the items' order, with
// each membership as written (invitedMembership).
func (s *DB) announceInvites(ctx context.Context, sc Scope, a Account, batch, kept []*bulkInvite, t time.Time) ([]BulkItem, bool, error) {
	items := make([]BulkItem, len(batch))
	for i, b := range batch {
		if b.err != nil {
			items[i] = BulkItem{Index: i, Status: StatusOf(b.err), Err: b.err}
			continue
		}
		m, err := s.announceMembership(ctx, sc, a, s.invitedMembership(sc, a.ID, b, t), b.inv.token, b.in)
		if err != nil {
			return nil, false, err
		}
		items[i] = BulkItem{Index: i, Status: http.StatusCreated, Membership: &m}
	}
	return items, true, nil
}

// invitedMembership is the membership insertInvites wrote at t for an
// item, as a read of it (loadMemberships) would return it.
func (s *DB) invitedMembership(sc Scope, accountID string, b *bulkInvite, t time.Time) Membership {
	direct := []string{}
	if b.e.set != nil {
		direct = slices.Clone(*b.e.set)
	}
	role := b.e.role.asMembershipRole()
	role.Permissions = slices.Clone(role.Permissions)
	expires := b.inv.expiresAt
	return s.completeMembership(Membership{Object: "account_membership", ID: b.id, WorkspaceID: sc.WorkspaceID,
		AccountID: accountID, UserID: b.user.ID, Status: StatusInvited, Role: role, Permissions: direct,
		InvitationExpiresAt: &expires, ExpiresAt: b.e.expiresAt(), Livemode: sc.Live, Version: 1, CreatedAt: t, UpdatedAt: t,
		User: User{ID: b.user.ID, Email: b.user.Email, Name: b.user.Name}})
}
