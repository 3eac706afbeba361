package db

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// MaxBulkOperations is the most operations one bulk request holds.
const MaxBulkOperations = 100

// The operations of a bulk request.
const (
	BulkInvite = "invite"
	BulkLink   = "link"
	BulkUpdate = "update"
	BulkRemove = "remove"
)

// Refusals of bulk requests and of their items.
var (
	// ErrTooManyOperations refuses a bulk request of more than
	// MaxBulkOperations operations (400).
	ErrTooManyOperations = &Error{Kind: KindInvalid, Type: "bulk.too_many_operations",
		Message: "A bulk request holds at most 100 operations: send the rest in another request"}
	// ErrDuplicateItem refuses a bulk item whose person (an invitation's
	// email, a link's staff member) an earlier item of the same request
	// already named (409).
	ErrDuplicateItem = conflict("bulk.duplicate_item", "An earlier operation of this request already names this person")
)

// BulkOp is one operation of a bulk request: Op is BulkInvite (Email,
// Name, Role, Permissions, SendEmail), BulkLink (StaffID, Role,
// Permissions), BulkUpdate (MembershipID, Role, and Permissions to replace
// the direct permissions, or AddPermissions and RemovePermissions;
// IfVersion) or BulkRemove (MembershipID, IfVersion). Permissions is nil
// when not given. ExpiresAt is the membership's end (invite, link and,
// when SetExpiry says it was given, update: nil removes it).
type BulkOp struct {
	Op                                string
	Email, Name, Role                 string
	Permissions                       []string
	SendEmail                         bool
	StaffID                           string // workspace_membership_id
	MembershipID                      string
	AddPermissions, RemovePermissions []string
	IfVersion                         *int64
	ExpiresAt                         *time.Time // when the membership ends by itself; nil: never
	SetExpiry                         bool       // an update gives ExpiresAt (nil: remove the end)
}

// BulkOptions are a bulk request's switches: DryRun checks every item and
// keeps nothing; Atomic keeps all items or none. AcceptURL makes the link
// an invitation token is accepted at.
type BulkOptions struct {
	DryRun, Atomic bool
	AcceptURL      func(token string) string
}

// BulkItem is what became of one operation: the HTTP status it gets (201,
// 200 or 204, or its error's: see StatusOf), the membership it made or
// changed (nil for a removal and for a failure) and its error, a domain
// error.
type BulkItem struct {
	Index      int
	Status     int // HTTP status the item gets: 201, 200, 204 or the error's
	Membership *Membership
	Err        error
}

// BulkFailure is the error of an atomic bulk request whose item Index
// failed: nothing was kept. Err is that item's error and Results the items
// before it, as they would have been.
type BulkFailure struct {
	Index   int
	Err     error
	Results []BulkItem
}

func (f *BulkFailure) Error() string { return f.Err.Error() }

// Unwrap is the failing item's error.
func (f *BulkFailure) Unwrap() error { return f.Err }

// kindStatuses maps each kind of domain error to its HTTP status.
var kindStatuses = map[Kind]int{
	KindNotFound:     http.StatusNotFound,
	KindConflict:     http.StatusConflict,
	KindInvalid:      http.StatusBadRequest,
	KindForbidden:    http.StatusForbidden,
	KindPrecondition: http.StatusPreconditionFailed,
}

// HTTPStatus is the HTTP status of a kind of domain error.
func (k Kind) HTTPStatus() int { return kindStatuses[k] }

// StatusOf is the HTTP status of a domain error (the API's error.code),
// and 500 for any other error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind.HTTPStatus()
	}
	return http.StatusInternalServerError
}

// isDomain reports whether err is a domain error: one an item can fail
// with while the request goes on.
func isDomain(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Bulk runs up to MaxBulkOperations operations on an account's memberships
// in order, each through the same store call as its single-item endpoint
// (so every rule, event and email is the same) and each seeing what the
// ones before it did. All run in one transaction that locks the account
// once; each item runs in a savepoint of its own, rolled back when the
// item fails, so the outcome is that of one transaction per item. Roles
// are read once per request, and the items' events and emails are
// written together at the end (bulkWrites). With
// opt.Atomic the first failure rolls everything back and is returned as a
// *BulkFailure; with opt.DryRun everything is rolled back at the end. An
// error that is not a domain error (the database failing) fails the whole
// request. A missing account, or one a member principal is not in, is the
// request's error.
func (s *DB) Bulk(ctx context.Context, sc Scope, accountID string, ops []BulkOp, opt BulkOptions) ([]BulkItem, error) {
	switch {
	case len(ops) > MaxBulkOperations:
		return nil, ErrTooManyOperations.With(map[string]any{"max": MaxBulkOperations, "given": len(ops)})
	case len(ops) == 0:
		return nil, Invalid(map[string]string{"operations": "must hold at least one operation"})
	}
	var items []BulkItem
	_, joined := ctx.Value(txKey{}).(*sqlx.Tx)
	err := s.WithTx(ctx, func(ctx context.Context) error {
		var err error
		items, err = s.runBulkUndoable(ctx, sc, accountID, ops, opt, joined)
		if err == nil && opt.DryRun {
			items = withoutLinks(items)
			return errDryRun
		}
		var failure *BulkFailure
		if errors.As(err, &failure) {
			failure.Results = withoutLinks(failure.Results)
		}
		return err
	})
	if errors.Is(err, errDryRun) {
		return items, nil
	}
	return items, err
}

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("db: dry run, rolled back")

// runBulkUndoable runs the items, so that the caller's rollback undoes
// them: a transaction of its own is rolled back whole on errDryRun or a
// *BulkFailure; in a transaction it joined (an idempotent request's),
// only to a savepoint taken first, which the caller's transaction keeps.
func (s *DB) runBulkUndoable(ctx context.Context, sc Scope, accountID string, ops []BulkOp, opt BulkOptions, joined bool) ([]BulkItem, error) {
	if !joined || !opt.DryRun && !opt.Atomic {
		return s.runBulk(ctx, sc, accountID, ops, opt)
	}
	if err := s.savepoint(ctx, "roster_bulk"); err != nil {
		return nil, err
	}
	items, err := s.runBulk(ctx, sc, accountID, ops, opt)
	var failure *BulkFailure
	if err == nil && !opt.DryRun {
		return items, s.release(ctx, "roster_bulk")
	}
	if err == nil || errors.As(err, &failure) {
		if rerr := s.rollbackTo(ctx, "roster_bulk"); rerr != nil {
			return items, rerr
		}
		if err == nil {
			return items, s.release(ctx, "roster_bulk")
		}
	}
	return items, err
}

// runBulk runs the items of a bulk request in the transaction.
func (s *DB) runBulk(ctx context.Context, sc Scope, accountID string, ops []BulkOp, opt BulkOptions) ([]BulkItem, error) {
	a, err := s.lockAccount(ctx, sc, accountID)
	if err != nil {
		return nil, err
	}
	if _, err := s.actingMember(ctx, sc, accountID, false); err != nil {
		return nil, err
	}
	w := &bulkWrites{}
	ctx = withBulkWrites(withRoleCache(withLockedAccount(ctx, accountID)), w)
	if items, ok, err := s.bulkInvites(ctx, sc, a, ops, opt); err != nil || ok {
		if err != nil || opt.DryRun {
			return items, err
		}
		return items, s.flushBulkWrites(ctx, sc, w)
	}
	if !opt.Atomic {
		if err := s.savepoint(ctx, itemSavepoint); err != nil {
			return nil, err
		}
	}
	items := make([]BulkItem, 0, len(ops))
	seen := map[string]int{}
	for i, op := range ops {
		mark := w.mark()
		it, err := s.bulkStep(ctx, sc, accountID, i, op, seen, opt)
		if err != nil {
			return items, err
		}
		if it.Err != nil {
			w.restore(mark)
		}
		if it.Err != nil && opt.Atomic {
			return items, &BulkFailure{Index: i, Err: it.Err, Results: items}
		}
		items = append(items, it)
	}
	if !opt.Atomic {
		if err := s.release(ctx, itemSavepoint); err != nil {
			return items, err
		}
	}
	if opt.DryRun {
		return items, nil
	}
	return items, s.flushBulkWrites(ctx, sc, w)
}

// itemSavepoint is the savepoint each item of a bulk request runs in.
const itemSavepoint = "roster_bulk_item"

// bulkStep runs one item, in the item savepoint unless the request is
// atomic (whose failure rolls back everything anyway): a failed item is
// rolled back to it, a kept one released and the savepoint taken again
// for the next. The error is the request's, not the item's.
func (s *DB) bulkStep(ctx context.Context, sc Scope, accountID string, i int, op BulkOp, seen map[string]int, opt BulkOptions) (BulkItem, error) {
	if first, dup := duplicateOf(op, i, seen); dup {
		err := duplicateItem(op, first)
		return BulkItem{Index: i, Status: StatusOf(err), Err: err}, nil
	}
	it := s.bulkItem(ctx, sc, accountID, op, opt)
	it.Index = i
	switch {
	case it.Err != nil && !isDomain(it.Err):
		return it, it.Err
	case opt.Atomic:
		return it, nil
	case it.Err != nil:
		return it, s.rollbackTo(ctx, itemSavepoint)
	}
	return it, s.renewSavepoint(ctx, itemSavepoint)
}

// duplicateOf reports whether an item names the person an earlier item
// of the request named (and which): an invitation the same email, a link
// the same staff member. It notes the person otherwise.
func duplicateOf(op BulkOp, i int, seen map[string]int) (int, bool) {
	person := duplicateKey(op)
	if person == "" {
		return 0, false
	}
	if first, ok := seen[person]; ok {
		return first, true
	}
	seen[person] = i
	return 0, false
}

// duplicateKey is whom an invitation or a link names, as duplicateOf
// compares them: the folded email, or the staff member's id; "" for other
// operations and for an item that names nobody.
func duplicateKey(op BulkOp) string {
	switch op.Op {
	case BulkInvite:
		if email := FoldEmail(strings.TrimSpace(op.Email)); email != "" {
			return "email:" + email
		}
	case BulkLink:
		if id := strings.TrimSpace(op.StaffID); id != "" {
			return "staff:" + id
		}
	}
	return ""
}

// duplicateItem is the refusal of an item whose person the item first
// named already.
func duplicateItem(op BulkOp, first int) error {
	if op.Op == BulkLink {
		return ErrDuplicateItem.With(map[string]any{"workspace_membership_id": op.StaffID, "first_index": first})
	}
	return ErrDuplicateItem.With(map[string]any{"email": op.Email, "first_index": first})
}

// bulkItem runs one operation through its single-item store call.
func (s *DB) bulkItem(ctx context.Context, sc Scope, accountID string, op BulkOp, opt BulkOptions) BulkItem {
	var ifMatch IfMatch
	if op.IfVersion != nil {
		ifMatch = IfMatch{*op.IfVersion}
	}
	ref := MembershipRef{AccountID: accountID, ID: op.MembershipID}
	switch op.Op {
	case BulkInvite, BulkLink:
		in := NewMembership{Role: op.Role, Permissions: op.Permissions, ExpiresAt: op.ExpiresAt, AcceptURL: opt.AcceptURL}
		if op.Op == BulkInvite {
			in.Email, in.Name, in.SendEmail = op.Email, op.Name, op.SendEmail
		} else {
			in.StaffID = op.StaffID
		}
		m, created, err := s.CreateMembership(ctx, sc, accountID, in)
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		return itemOf(&m, status, err)
	case BulkUpdate:
		if op.MembershipID == "" {
			return itemOf(nil, 0, Invalid(map[string]string{"membership_id": "is required"}))
		}
		ch := MembershipChange{Role: op.Role, Add: op.AddPermissions, Remove: op.RemovePermissions, IfMatch: ifMatch}
		if op.Permissions != nil {
			ch.Permissions = &op.Permissions
		}
		if op.SetExpiry {
			ch.Expiry = &Expiry{At: op.ExpiresAt}
		}
		m, err := s.UpdateMembership(ctx, sc, ref, ch)
		return itemOf(&m, http.StatusOK, err)
	case BulkRemove:
		if op.MembershipID == "" {
			return itemOf(nil, 0, Invalid(map[string]string{"membership_id": "is required"}))
		}
		return itemOf(nil, http.StatusNoContent, s.DeleteMembership(ctx, sc, ref, ifMatch))
	}
	return itemOf(nil, 0, Invalid(map[string]string{"op": "must be one of invite, link, update, remove"}))
}

// itemOf is the item of an operation's outcome.
func itemOf(m *Membership, status int, err error) BulkItem {
	if err != nil {
		return BulkItem{Status: StatusOf(err), Err: err}
	}
	return BulkItem{Status: status, Membership: m}
}

// withoutLinks drops the accept links of items that were not kept: their
// tokens do not exist.
func withoutLinks(items []BulkItem) []BulkItem {
	for i, it := range items {
		if it.Membership != nil {
			m := it.Membership.withoutSecrets()
			items[i].Membership = &m
		}
	}
	return items
}

// savepoint opens a savepoint of ctx's transaction; release and rollbackTo
// close it. They run as they are, never prepared.
func (s *DB) savepoint(ctx context.Context, name string) error {
	_, err := s.q(ctx).ExecContext(ctx, "SAVEPOINT "+name)
	return wrap(err, "savepoint %s", name)
}

// release keeps what was done since the savepoint.
func (s *DB) release(ctx context.Context, name string) error {
	_, err := s.q(ctx).ExecContext(ctx, "RELEASE SAVEPOINT "+name)
	return wrap(err, "release savepoint %s", name)
}

// renewSavepoint keeps what was done since the savepoint and takes it
// again: one round trip on PostgreSQL.
func (s *DB) renewSavepoint(ctx context.Context, name string) error {
	if s.Dialect == Postgres {
		_, err := s.q(ctx).ExecContext(ctx, "RELEASE SAVEPOINT "+name+"; SAVEPOINT "+name)
		return wrap(err, "renew savepoint %s", name)
	}
	if err := s.release(ctx, name); err != nil {
		return err
	}
	return s.savepoint(ctx, name)
}

// rollbackTo undoes what was done since the savepoint (which stays).
func (s *DB) rollbackTo(ctx context.Context, name string) error {
	_, err := s.q(ctx).ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name)
	return wrap(err, "roll back to savepoint %s", name)
}
