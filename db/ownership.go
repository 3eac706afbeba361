package db

import (
	"context"
	"errors"
)

// Transfer of ownership (lifecycle.md "Transfer of ownership").

// Refusals of a transfer of ownership (409).
var (
	ErrTargetNotActive = conflict("ownership.target_not_active", "Only an active member can become the owner")
	// ErrTargetExpiring refuses a target whose membership ends by itself
	// (expires_at): see transferTargetOK.
	ErrTargetExpiring  = conflict("ownership.target_expiring", "A membership that ends by itself cannot become the owner")
	ErrAlreadyOwner    = conflict("ownership.already_owner", "This member is an owner already")
	ErrOwnerAmbiguous  = conflict("ownership.ambiguous", "The account has several owners: say which one hands over (from_membership_id)")
	errOwnerOnlyToMove = refusal(ReasonOwnerOnly, "Only an active owner of the account may transfer its ownership")
)

// OwnershipTransfer is the answer of a transfer of ownership, and the data
// of its account.ownership_transferred event: the previous owner (nil when
// the account had none) and the new one, as the transfer left them.
type OwnershipTransfer struct {
	Object    string      `json:"object"`
	AccountID string      `json:"account_id"`
	From      *Membership `json:"from"`
	To        Membership  `json:"to"`
	// AccountVersion is the account's version after the transfer: its new
	// ETag.
	AccountVersion int64 `json:"-"`
}

// TransferInput is what a transfer of ownership is asked with.
type TransferInput struct {
	To                string // the membership that becomes owner
	From              string // the owner who hands over; "" for the only one (or, for a member principal, oneself)
	PreviousOwnerRole string // the role the previous owner takes (slug or id); "" for the default role
	IfMatch           IfMatch
}

// Validate trims the input and checks its fields.
func (in *TransferInput) Validate() error {
	f := fieldErrors{}
	f.required("to_membership_id", &in.To)
	f.ref("from_membership_id", &in.From)
	f.ref("previous_owner_role", &in.PreviousOwnerRole)
	return f.err()
}

// transferTargetOK refuses a target that may not become owner for what its
// membership itself holds: one that ends by itself (an expires_at), since
// owners never expire.
func transferTargetOK(m Membership) error {
	if m.ExpiresAt != nil {
		return ErrTargetExpiring.With(map[string]any{"id": m.ID, "expires_at": m.ExpiresAt})
	}
	return nil
}

// TransferOwnership makes an active member of the account its owner and
// gives the previous owner another role, in one transaction under the
// account's lock: there is never a moment with no owner, or with two where
// there was one. A member principal must be an active owner (owner_only)
// and may give the previous owner only a role within their own
// permissions (escalation);
// staff and keys act for the current owner: the only one, the one
// in.From names when there are several (ownership.ambiguous without it),
// or nobody when the account has none. A version in.IfMatch does not name
// (the account's ETag) is precondition_failed.
func (s *DB) TransferOwnership(ctx context.Context, sc Scope, accountID string, in TransferInput) (OwnershipTransfer, error) {
	t := OwnershipTransfer{Object: "ownership_transfer", AccountID: accountID}
	if err := in.Validate(); err != nil {
		return t, err
	}
	err := s.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.lockAccount(ctx, sc, accountID)
		if err != nil {
			return err
		}
		by, ctx, err := s.memberActing(ctx, sc, accountID, "")
		if err != nil {
			return err
		}
		if by.ID != "" && !by.isOwner() {
			return errOwnerOnlyToMove
		}
		if err := in.IfMatch.check(a.Version); err != nil {
			return err
		}
		owner, demoted, err := s.transferRoles(ctx, sc.WorkspaceID, in.PreviousOwnerRole)
		if err != nil {
			return err
		}
		// The owner who hands over gives the previous owner's role too:
		// no more than they hold (escalation).
		if err := by.mayGive(&demoted, nil); err != nil {
			return err
		}
		to, err := s.transferTarget(ctx, sc, accountID, in.To)
		if err != nil {
			return err
		}
		if in.From == "" && by.ID != "" {
			in.From = by.ID
		}
		from, err := s.previousOwner(ctx, sc, owner, accountID, in.From)
		if err != nil {
			return err
		}
		if t, err = s.handOver(ctx, sc, t, from, to, owner, demoted); err != nil {
			return err
		}
		if err := s.bumpAccount(ctx, sc, &a); err != nil {
			return err
		}
		t.AccountVersion = a.Version
		return s.record(ctx, sc, change{Type: "account.ownership_transferred", TargetID: a.ID, AccountID: a.ID, Data: t})
	})
	return t, err
}

// transferRoles are the owner role and the role a previous owner takes
// (named by ref, or the default role): never owner.
func (s *DB) transferRoles(ctx context.Context, wsID, ref string) (owner, demoted Role, err error) {
	if owner, err = s.RoleByRef(ctx, wsID, OwnerRoleSlug); err != nil {
		return owner, demoted, err
	}
	demoted, err = s.roleOrDefault(ctx, wsID, ref)
	switch {
	case errors.Is(err, ErrRoleNotFound):
		return owner, demoted, Invalid(map[string]string{"previous_owner_role": "is not a role of the workspace: give the slug or id of one"})
	case err == nil && demoted.ID == owner.ID:
		return owner, demoted, Invalid(map[string]string{"previous_owner_role": "must be a role other than owner"})
	}
	return owner, demoted, err
}

// transferTarget locks and reads the membership that is to become owner,
// refusing one that cannot.
func (s *DB) transferTarget(ctx context.Context, sc Scope, accountID, id string) (Membership, error) {
	m, err := s.lockMemberOf(ctx, sc, accountID, id)
	switch {
	case err != nil:
		return m, err
	case m.Status != StatusActive:
		return m, ErrTargetNotActive.With(map[string]any{"id": m.ID, "status": m.Status})
	}
	if err := transferTargetOK(m); err != nil {
		return m, err
	}
	if m.isOwner() {
		return m, ErrAlreadyOwner.For(m.ID)
	}
	return m, nil
}

// lockMemberOf locks and reads a membership of a locked account.
func (s *DB) lockMemberOf(ctx context.Context, sc Scope, accountID, id string) (Membership, error) {
	if _, err := s.accountOfMembership(ctx, sc, MembershipRef{AccountID: accountID, ID: id}, s.forUpdate()); err != nil {
		return Membership{}, err
	}
	return s.membershipIn(ctx, sc, accountID, id)
}

// previousOwner is the active owner who hands over: the one id names, or
// else the account's only one; nil when the account has none.
func (s *DB) previousOwner(ctx context.Context, sc Scope, owner Role, accountID, id string) (*Membership, error) {
	if id == "" {
		var ids []string
		if err := s.selectAll(ctx, &ids, `SELECT id FROM account_memberships
			WHERE workspace_id = ? AND livemode = ? AND account_id = ? AND role_id = ? AND status = ? ORDER BY id LIMIT 2`,
			sc.WorkspaceID, sc.Live, accountID, owner.ID, StatusActive); err != nil {
			return nil, wrap(err, "find the owners of account %s", accountID)
		}
		switch len(ids) {
		case 0:
			return nil, nil
		case 2:
			return nil, ErrOwnerAmbiguous.With(map[string]any{"account_id": accountID})
		}
		id = ids[0]
	}
	m, err := s.lockMemberOf(ctx, sc, accountID, id)
	if errors.Is(err, ErrMembershipNotFound) || err == nil && (m.Status != StatusActive || !m.isOwner()) {
		return nil, Invalid(map[string]string{"from_membership_id": "is not an active owner of the account"})
	}
	return &m, err
}

// handOver makes to the owner and from (when there is one) a member of
// role demoted, each change with its version and membership.updated event;
// to is promoted first, so that from is never the last owner.
func (s *DB) handOver(ctx context.Context, sc Scope, t OwnershipTransfer, from *Membership, to Membership, owner, demoted Role) (OwnershipTransfer, error) {
	var err error
	if t.To, err = s.changeRole(ctx, sc, to, owner); err != nil || from == nil {
		return t, err
	}
	after, err := s.changeRole(ctx, sc, *from, demoted)
	t.From = &after
	return t, err
}

// changeRole gives a locked membership another role and records it.
func (s *DB) changeRole(ctx context.Context, sc Scope, m Membership, r Role) (Membership, error) {
	after, prev, err := s.apply(ctx, sc, m, edit{role: &r})
	if err != nil {
		return m, err
	}
	return s.finishChange(ctx, sc, m, after, prev, "membership.updated")
}
