package handlers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/gofiber/fiber/v2"

	"roster/db"
)

// BulkStore is what the bulk endpoint needs of the database.
type BulkStore interface {
	Bulk(ctx context.Context, sc db.Scope, accountID string, ops []db.BulkOp, opt db.BulkOptions) ([]db.BulkItem, error)
}

// BulkMemberships serves POST /v1/accounts/{account_id}/memberships/bulk
// (and its /v1/organizations aliases).
type BulkMemberships struct {
	Store   BulkStore
	BaseURL string // where the console serves /invitations/{token}
}

type bulkBody struct {
	Operations *[]jsontext.Value `json:"operations"`
	DryRun     bool              `json:"dry_run"`
	Atomic     bool              `json:"atomic"`
}

// bulkOpBody is one operation as the request spells it.
type bulkOpBody struct {
	Op                string    `json:"op"`
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	Role              string    `json:"role"`
	Permissions       *[]string `json:"permissions"`
	SendEmail         *bool     `json:"send_email"`
	StaffID           string    `json:"workspace_membership_id"`
	MembershipID      string    `json:"membership_id"`
	AddPermissions    []string  `json:"add_permissions"`
	RemovePermissions []string  `json:"remove_permissions"`
	IfVersion         *int64    `json:"if_version"`
	ExpiresAt         *string   `json:"expires_at"`
}

// bulkFields are the fields each operation takes besides op; an operation
// of another name is refused by the store, item by item.
var bulkFields = map[string][]string{
	db.BulkInvite: {"email", "name", "role", "permissions", "send_email", "expires_at"},
	db.BulkLink:   {"workspace_membership_id", "role", "permissions", "expires_at"},
	db.BulkUpdate: {"membership_id", "role", "permissions", "add_permissions", "remove_permissions", "if_version", "expires_at"},
	db.BulkRemove: {"membership_id", "if_version"},
}

// BulkResult is the answer of a bulk request.
type BulkResult struct {
	Object  string           `json:"object"`
	DryRun  bool             `json:"dry_run"`
	Atomic  bool             `json:"atomic"`
	Summary BulkSummary      `json:"summary"`
	Results []BulkItemResult `json:"results"`
}

// BulkSummary counts a bulk request's items by outcome.
type BulkSummary struct {
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
}

// BulkItemResult is one item of a bulk answer: its status and either the
// membership (none for a removal) or the error object.
type BulkItemResult struct {
	Index  int            `json:"index"`
	Status int            `json:"status"`
	Data   *db.Membership `json:"data,omitempty"`
	Error  *APIError      `json:"error,omitempty"`
}

// Run answers POST /v1/accounts/{account_id}/memberships/bulk: 200 with
// every item's outcome; for an atomic request that failed, the failing
// item's error with details.failed_index and details.results.
func (h *BulkMemberships) Run(c *fiber.Ctx) error {
	var b bulkBody
	if err := decode(c, &b); err != nil {
		return err
	}
	accountID, err := accountOf(c)
	if err != nil {
		return err
	}
	if b.Operations == nil {
		return db.Invalid(map[string]string{"operations": "is required: a list of up to 100 operations"})
	}
	if len(*b.Operations) > db.MaxBulkOperations {
		return db.ErrTooManyOperations.With(map[string]any{"max": db.MaxBulkOperations, "given": len(*b.Operations)})
	}
	ops, err := bulkOps(*b.Operations)
	if err != nil {
		return err
	}
	opt := db.BulkOptions{DryRun: b.DryRun, Atomic: b.Atomic, AcceptURL: acceptURLs(h.BaseURL)}
	items, err := h.Store.Bulk(ctx(c), PrincipalOf(c).Scope, accountID, ops, opt)
	var failure *db.BulkFailure
	if errors.As(err, &failure) {
		return atomicFailure(failure)
	}
	if err != nil {
		return err
	}
	res := BulkResult{Object: "bulk_result", DryRun: b.DryRun, Atomic: b.Atomic, Results: BulkResults(items)}
	for _, r := range res.Results {
		if r.Error != nil {
			res.Summary.Failed++
		} else {
			res.Summary.Succeeded++
		}
		if r.Data != nil && r.Data.Invitation != nil && r.Data.Invitation.AcceptURL != "" {
			c.Set(fiber.HeaderCacheControl, "no-store")
		}
	}
	return writeOne(c, fiber.StatusOK, res)
}

// BulkResults are the items of a bulk answer, as the API shows them.
func BulkResults(items []db.BulkItem) []BulkItemResult {
	rs := make([]BulkItemResult, len(items))
	for i, it := range items {
		rs[i] = BulkItemResult{Index: it.Index, Status: it.Status, Data: it.Membership}
		if it.Err != nil {
			rs[i].Data, rs[i].Error = nil, ItemError(it.Err)
		}
	}
	return rs
}

// ItemError is the error object of a failed bulk item: the same as the
// error envelope of its single-item request holds.
func ItemError(err error) *APIError {
	var e *db.Error
	if !errors.As(err, &e) {
		return &APIError{Code: fiber.StatusInternalServerError, Type: "internal_server_error", Message: "Something went wrong on our side"}
	}
	return &APIError{Code: db.StatusOf(err), Type: e.Type, Message: e.Message, Details: e.Details}
}

// atomicFailure is the error answer of an atomic request whose item
// failed: that item's error, its details holding failed_index and the
// results of the items before it, as they would have been.
func atomicFailure(f *db.BulkFailure) error {
	var e *db.Error
	if !errors.As(f.Err, &e) {
		return f.Err
	}
	details := maps.Clone(e.Details)
	if details == nil {
		details = map[string]any{}
	}
	details["failed_index"] = f.Index
	details["results"] = BulkResults(f.Results)
	return e.With(details)
}

// bulkOps reads the operations of a request: each a JSON object of the
// fields its op takes (an unknown op is refused item by item, by the
// store). A malformed operation makes the request malformed: 400 naming
// operations[i].field.
func bulkOps(raw []jsontext.Value) ([]db.BulkOp, error) {
	ops := make([]db.BulkOp, len(raw))
	bad := map[string]string{}
	for i, r := range raw {
		op, fields, err := bulkOp(r)
		for field, why := range fields {
			bad[fmt.Sprintf("operations[%d].%s", i, field)] = why
		}
		if err != nil && len(fields) == 0 {
			bad[fmt.Sprintf("operations[%d]", i)] = "must be a JSON object"
		}
		ops[i] = op
	}
	return ops, invalid(bad)
}

// bulkOp reads one operation, returning its bad fields.
func bulkOp(raw jsontext.Value) (db.BulkOp, map[string]string, error) {
	var b bulkOpBody
	if err := json.Unmarshal(raw, &b, json.RejectUnknownMembers(true)); err != nil {
		var in *db.InvalidInput
		if errors.As(decodeError(err), &in) && in.Fields["body"] == "" {
			return db.BulkOp{}, in.Fields, err
		}
		return db.BulkOp{}, nil, err
	}
	var given map[string]jsontext.Value
	_ = json.Unmarshal(raw, &given) // an object, as the first read showed
	bad := map[string]string{}
	noNUL(reflect.ValueOf(&b), "body", bad)
	if taken, known := bulkFields[b.Op]; known {
		for _, field := range slices.Sorted(maps.Keys(given)) {
			if field != "op" && !slices.Contains(taken, field) {
				bad[field] = "is not taken by the operation " + b.Op
			}
		}
	}
	if b.Op == db.BulkUpdate && b.Permissions != nil && (b.AddPermissions != nil || b.RemovePermissions != nil) {
		bad["permissions"] = "give either permissions (replacing them) or add_permissions and remove_permissions"
	}
	op := db.BulkOp{Op: b.Op, Email: b.Email, Name: b.Name, Role: b.Role, SendEmail: b.SendEmail == nil || *b.SendEmail,
		StaffID: b.StaffID, MembershipID: b.MembershipID, AddPermissions: b.AddPermissions,
		RemovePermissions: b.RemovePermissions, IfVersion: b.IfVersion}
	if b.Permissions != nil {
		op.Permissions = *b.Permissions
		if op.Permissions == nil {
			op.Permissions = []string{}
		}
	}
	if b.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*b.ExpiresAt))
		if err != nil {
			bad["expires_at"] = "must be a time in RFC 3339 (2026-01-15T10:00:00Z), or null"
		}
		op.ExpiresAt = &t
	}
	if len(bad) > 0 {
		return op, bad, errors.New("handlers: bad operation")
	}
	return op, nil, nil
}
