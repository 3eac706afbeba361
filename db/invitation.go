package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// issueInvitation gives a membership a new invitation token and expiry,
// replacing any it had (whose token stops working at once), and returns the
// token: the only time it exists outside a hash.
func (s *DB) issueInvitation(ctx context.Context, sc Scope, membershipID string) (string, error) {
	if _, err := s.exec(ctx, `DELETE FROM invitations WHERE workspace_id = ? AND livemode = ? AND membership_id = ?`,
		sc.WorkspaceID, sc.Live, membershipID); err != nil {
		return "", wrap(err, "drop invitation of membership %s", membershipID)
	}
	if _, err := s.exec(ctx, `DELETE FROM invitation_token_lookup WHERE workspace_id = ? AND membership_id = ?`,
		sc.WorkspaceID, membershipID); err != nil {
		return "", wrap(err, "drop the token of membership %s", membershipID)
	}
	return s.firstInvitation(ctx, newInvitation(ctx, sc, membershipID, now()))
}

// firstInvitation writes the invitation of a membership that has had none
// (one just written), its token and expiry, and returns the token.
func (s *DB) firstInvitation(ctx context.Context, inv invitationRows) (string, error) {
	if _, err := s.exec(ctx, insertInvitationSQL, inv.row...); err != nil {
		return "", wrap(err, "insert invitation of membership %s", inv.row[0])
	}
	_, err := s.exec(ctx, indexTokenSQL, inv.lookup...)
	return inv.token, wrap(err, "index the token of membership %s", inv.row[0])
}

// insertInvitationSQL writes an invitation. indexTokenSQL records in
// invitation_token_lookup the invitation a token's hash opens
// (issueInvitation dropped the membership's previous token): the
// invitation page and its acceptance look for the token before they know
// the workspace. A row can outlive its invitation (accepted by a link,
// revoked, or removed with its account): the invitation is then not found
// in the workspace, as for a spent token, and PurgeExpired drops the row
// once it would have expired.
const (
	insertInvitationSQL = `INSERT INTO invitations (membership_id, workspace_id, livemode, token_hash, inviter_user_id, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	indexTokenSQL = `INSERT INTO invitation_token_lookup (token_hash, workspace_id, membership_id, expires_at) VALUES (?, ?, ?, ?)`
)

// invitationRows is a membership's first invitation: its token, its
// row (insertInvitationSQL's arguments), its token's lookup row
// (indexTokenSQL's) and when it expires.
type invitationRows struct {
	token       string
	row, lookup []any
	expiresAt   time.Time
}

// newInvitation makes the first invitation of a membership, issued at t
// by ctx's actor (its inviter when a person: a staff user or a member
// principal).
func newInvitation(ctx context.Context, sc Scope, membershipID string, t time.Time) invitationRows {
	var inviter sql.NullString
	switch a := actorFrom(ctx).actor; a.Type {
	case "user":
		inviter = nullString(a.ID)
	case "member":
		inviter = nullString(a.UserID)
	}
	token, expires := RandomToken(43), t.Add(InvitationTTL)
	hash := HashSecret(token)
	return invitationRows{token: token, expiresAt: expires,
		row:    []any{membershipID, sc.WorkspaceID, sc.Live, hash, inviter, expires, t},
		lookup: []any{hash, sc.WorkspaceID, membershipID, expires}}
}

// tokenRef is where invitation_token_lookup says a token's invitation is.
type tokenRef struct {
	WorkspaceID  string `db:"workspace_id"`
	MembershipID string `db:"membership_id"`
}

// tokenInvitation returns where the invitation of a token's hash is, or
// invitation.not_found.
func (s *DB) tokenInvitation(ctx context.Context, hash string) (tokenRef, error) {
	var ref tokenRef
	err := s.get(ctx, &ref, `SELECT workspace_id, membership_id FROM invitation_token_lookup WHERE token_hash = ?`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ref, ErrInvitationNotFound
	}
	return ref, wrap(err, "find invitation")
}

// invitationNotice says how an invitation reaches its person.
type invitationNotice struct {
	send      bool                      // queue the email
	acceptURL func(token string) string // the link to accept at
	previous  map[string]any            // the invitation's fields before a resend
}

// announceInvitation puts the accept link into the membership (for the
// answer only) and, when asked, queues the email that carries it and
// records that it was sent.
func (s *DB) announceInvitation(ctx context.Context, sc Scope, a Account, m Membership, token string, n invitationNotice) (Membership, error) {
	url := "/invitations/" + token
	if n.acceptURL != nil {
		url = n.acceptURL(token)
	}
	inv := *m.Invitation
	inv.AcceptURL = url
	m.Invitation = &inv
	if !n.send {
		return m, nil
	}
	subject, body := invitationEmail(a.Name, m.User.Name, url, inv.ExpiresAt)
	if err := s.queueEmail(ctx, sc, m.ID, m.User.Email, subject, body); err != nil {
		return m, err
	}
	return m, s.record(ctx, sc, change{Type: "invitation.sent", TargetID: m.ID, AccountID: m.AccountID, MembershipID: m.ID,
		Data: m.withoutSecrets(), Previous: n.previous})
}

// invitationEmail is the subject and plain-text body of an invitation.
func invitationEmail(account, name, url string, expires time.Time) (subject, body string) {
	account = strings.Join(strings.Fields(account), " ")
	greeting := "Hello,"
	if name != "" {
		greeting = "Hello " + name + ","
	}
	subject = "You are invited to join " + account
	body = greeting + "\n\nYou have been invited to join " + account + ".\n\n" +
		acceptLinkIntro + url + "\n\n" +
		"The link works once, until " + expires.UTC().Format("2 January 2006 15:04 MST") + ".\n" +
		"If you did not expect this invitation, you can ignore this email.\n"
	return subject, body
}

// acceptLinkIntro is the line of an invitation email before its link.
const acceptLinkIntro = "Accept the invitation here:\n"

// acceptLink is the link in the body of an invitation email, or "".
func acceptLink(body string) string {
	_, rest, ok := strings.Cut(body, acceptLinkIntro)
	if !ok {
		return ""
	}
	link, _, _ := strings.Cut(rest, "\n")
	return strings.TrimSpace(link)
}

// invitationEmailsQuery reads the queued invitation emails of a list of
// memberships, oldest first.
var invitationEmailsQuery = listing(`SELECT membership_id, body FROM outbox
	WHERE workspace_id = ? AND livemode = ? AND membership_id IN (?) ORDER BY id`)

// InvitationLinks returns the accept link of each of the memberships whose
// invitation email is in the outbox (the link of its newest email), by
// membership id; a membership without one is absent. One query for a page
// of memberships.
func (s *DB) InvitationLinks(ctx context.Context, sc Scope, membershipIDs []string) (map[string]string, error) {
	links := make(map[string]string, len(membershipIDs))
	if len(membershipIDs) == 0 {
		return links, nil
	}
	var rows []struct {
		MembershipID string `db:"membership_id"`
		Body         string `db:"body"`
	}
	if err := s.selectAll(ctx, &rows, s.dialect(invitationEmailsQuery), sc.WorkspaceID, sc.Live, listArg(membershipIDs)); err != nil {
		return nil, wrap(err, "list invitation emails")
	}
	for _, r := range rows {
		if link := acceptLink(r.Body); link != "" {
			links[r.MembershipID] = link
		}
	}
	return links, nil
}

// PendingInvitation is what the invitation page shows of an invitation
// that can still be accepted.
type PendingInvitation struct {
	MembershipID  string    `db:"membership_id"`
	Livemode      bool      `db:"livemode"`
	ExpiresAt     time.Time `db:"expires_at"`
	AccountName   string    `db:"account_name"`
	WorkspaceName string    `db:"workspace_name"`
	Email         string    `db:"email"`     // the invited person's
	Name          string    `db:"name"`      // the invited person's, "" when unknown
	RoleName      string    `db:"role_name"` // the role the membership gives
	InviterEmail  *string   `db:"inviter_email"`
	InviterName   *string   `db:"inviter_name"`
}

// InvitationByToken returns the invitation a token accepts, without
// accepting it. A used, revoked, expired or unknown token, or one of a
// membership whose expires_at has passed, is invitation.not_found, as for
// AcceptInvitation.
func (s *DB) InvitationByToken(ctx context.Context, token string) (PendingInvitation, error) {
	var p PendingInvitation
	ref, err := s.tokenInvitation(ctx, HashSecret(token))
	if err != nil {
		return p, err
	}
	err = s.get(ctx, &p, `SELECT i.membership_id, i.livemode, i.expires_at, a.name AS account_name, w.name AS workspace_name,
		u.email, u.name, r.name AS role_name, iu.email AS inviter_email, iu.name AS inviter_name
		FROM invitations i
		JOIN account_memberships am ON am.id = i.membership_id AND am.workspace_id = i.workspace_id AND am.livemode = i.livemode
		JOIN accounts a ON a.id = am.account_id AND a.workspace_id = am.workspace_id AND a.livemode = am.livemode
		JOIN workspaces w ON w.id = i.workspace_id
		JOIN users u ON u.id = am.user_id AND u.workspace_id = am.workspace_id
		JOIN roles r ON r.id = am.role_id AND r.workspace_id = am.workspace_id
		LEFT JOIN users iu ON iu.id = i.inviter_user_id AND iu.workspace_id = i.workspace_id
		WHERE i.workspace_id = ? AND i.membership_id = ? AND i.token_hash = ? AND (am.expires_at IS NULL OR am.expires_at > ?)`,
		ref.WorkspaceID, ref.MembershipID, HashSecret(token), s.clock())
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrInvitationNotFound
	}
	if err != nil {
		return p, wrap(err, "find invitation")
	}
	if !p.ExpiresAt.After(time.Now()) {
		return p, ErrInvitationNotFound
	}
	p.ExpiresAt = p.ExpiresAt.UTC()
	return p, nil
}

// ResendInvitation gives an invited membership a new token and expiry (the
// old token stops working at once) and queues a new email; the answer
// carries the new accept link. A membership that is not invited is
// membership.not_invited.
func (s *DB) ResendInvitation(ctx context.Context, sc Scope, ref MembershipRef, acceptURL func(token string) string) (Membership, error) {
	var m Membership
	err := s.WithTx(ctx, func(ctx context.Context) error {
		before, a, err := s.lockMembership(ctx, sc, ref, true)
		if err != nil {
			return err
		}
		by, ctx, err := s.memberActingOn(ctx, sc, ref, before, PermMembersManage)
		if err != nil {
			return err
		}
		if err := by.mayEdit(before, edit{}); err != nil {
			return err // an owner's invitation is resent by an owner only
		}
		if before.Status != StatusInvited {
			return ErrNotInvited.With(map[string]any{"id": before.ID, "status": before.Status})
		}
		token, err := s.issueInvitation(ctx, sc, before.ID)
		if err != nil {
			return err
		}
		if err := s.dropUnsentEmails(ctx, sc, before.ID); err != nil {
			return err
		}
		if _, err := s.bump(ctx, sc, before.ID); err != nil {
			return err
		}
		if m, err = s.membershipIn(ctx, sc, a.ID, before.ID); err != nil {
			return err
		}
		if err := s.settleSeat(ctx, sc, m); err != nil {
			return err
		}
		m, err = s.announceInvitation(ctx, sc, a, m, token, invitationNotice{send: true, acceptURL: acceptURL,
			previous: map[string]any{"invitation": before.Invitation, "updated_at": before.UpdatedAt}})
		return err
	})
	return m, err
}

// AcceptInvitation makes the invited membership whose token this is active,
// and names its user when name is set. A used, revoked, expired or unknown
// token is invitation.not_found, as is the token of a membership whose
// expires_at has passed; of two acceptances of one token, one
// succeeds. The event names the invited user as its actor.
func (s *DB) AcceptInvitation(ctx context.Context, in Acceptance) (Membership, error) {
	if err := in.Validate(); err != nil {
		return Membership{}, err
	}
	token, name := in.Token, in.Name
	var m Membership
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var inv struct {
			MembershipID string    `db:"membership_id"`
			WorkspaceID  string    `db:"workspace_id"`
			Livemode     bool      `db:"livemode"`
			ExpiresAt    time.Time `db:"expires_at"`
		}
		ref, err := s.tokenInvitation(ctx, HashSecret(token))
		if err != nil {
			return err
		}
		err = s.get(ctx, &inv, `SELECT membership_id, workspace_id, livemode, expires_at FROM invitations
			WHERE workspace_id = ? AND membership_id = ? AND token_hash = ?`, ref.WorkspaceID, ref.MembershipID, HashSecret(token))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvitationNotFound
		}
		if err != nil {
			return wrap(err, "find invitation")
		}
		if !inv.ExpiresAt.After(time.Now()) {
			return ErrInvitationNotFound
		}
		sc := Scope{WorkspaceID: inv.WorkspaceID, Live: inv.Livemode}
		before, _, err := s.lockMembership(ctx, sc, MembershipRef{ID: inv.MembershipID}, true)
		if err != nil {
			return err
		}
		if before.ExpiresAt != nil && !before.ExpiresAt.After(s.clock()) {
			return ErrInvitationNotFound // the membership ended before it began
		}
		// The token is spent by deleting its row: of two acceptances, the
		// second deletes nothing.
		n, err := s.exec(ctx, `DELETE FROM invitations WHERE workspace_id = ? AND livemode = ? AND membership_id = ? AND token_hash = ?`,
			sc.WorkspaceID, sc.Live, before.ID, HashSecret(token))
		if err != nil {
			return wrap(err, "spend invitation of membership %s", before.ID)
		}
		if n != 1 {
			return ErrInvitationNotFound
		}
		if _, err := s.exec(ctx, `DELETE FROM invitation_token_lookup WHERE token_hash = ?`, HashSecret(token)); err != nil {
			return wrap(err, "spend the token of membership %s", before.ID)
		}
		if err := s.dropUnsentEmails(ctx, sc, before.ID); err != nil {
			return err
		}
		after, prev, err := s.activate(ctx, sc, before, name)
		if err != nil {
			return err
		}
		// An invitation not yet expired holds its seat: it is kept, for
		// good, even when the limit was lowered meanwhile.
		if err := s.settleSeat(ctx, sc, after); err != nil {
			return err
		}
		ctx = WithActor(ctx, Actor{Type: "user", ID: before.UserID})
		m, err = s.finishChange(ctx, sc, before, after, prev, "invitation.accepted")
		return err
	})
	return m, err
}

// activate makes an accepted membership active and gives its user the name
// they chose, returning the membership as it now is and the fields that
// changed, as they were.
func (s *DB) activate(ctx context.Context, sc Scope, m Membership, name string) (Membership, map[string]any, error) {
	if _, err := s.exec(ctx, `UPDATE account_memberships SET status = ? WHERE workspace_id = ? AND livemode = ? AND id = ?`,
		StatusActive, sc.WorkspaceID, sc.Live, m.ID); err != nil {
		return m, nil, wrap(err, "activate membership %s", m.ID)
	}
	after, prev := m, map[string]any{"status": m.Status, "invitation": m.Invitation}
	after.Status, after.Invitation, after.InvitationExpiresAt = StatusActive, nil, nil
	if name != "" && name != m.User.Name {
		if _, err := s.exec(ctx, `UPDATE users SET name = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`,
			name, now(), sc.WorkspaceID, m.UserID); err != nil {
			return m, nil, wrap(err, "name user %s", m.UserID)
		}
		prev["user"] = m.User
		after.User.Name = name
	}
	return after, prev, nil
}
