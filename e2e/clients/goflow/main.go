// Command goflow runs the flow of docs/api.md (create an account, invite,
// patch permissions, change the role by slug, list with cursors, delete)
// through the Go client that oapi-codegen generated, with its default
// options, into ./roster from the served /v1/openapi.json.
// clients_test.go generates the client, then runs this with ROSTER_URL (the
// document's servers entry), ROSTER_KEY (a live secret key) and ROSTER_RUN
// (what makes this run's names and idempotency keys its own).
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"slices"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"rosterclients/goflow/roster"
)

func main() {
	ctx := context.Background()
	key, run := os.Getenv("ROSTER_KEY"), os.Getenv("ROSTER_RUN")
	c, err := roster.NewClientWithResponses(os.Getenv("ROSTER_URL"),
		roster.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+key)
			return nil
		}))
	check(err)
	account := createAccount(ctx, c, "Globex "+run)
	owner := linkOwner(ctx, c, account)
	bob := invite(ctx, c, account, run)
	carol := inviteQuietly(ctx, c, account)
	changeRole(ctx, c, bob)
	listPages(ctx, c, account, []string{owner, bob, carol})
	remove(ctx, c, carol)
	readEvents(ctx, c, bob)
	deleteAccount(ctx, c, account)
	fmt.Println("goflow: the generated Go client ran the docs/api.md flow")
}

// createAccount creates an account and answers its id.
func createAccount(ctx context.Context, c *roster.ClientWithResponses, name string) string {
	r, err := c.CreateAccountWithResponse(ctx, nil, roster.AccountInput{Name: name})
	check(err)
	expect(r.JSON201 != nil, "create account: %d %s", r.StatusCode(), r.Body)
	expect(r.HTTPResponse.Header.Get("Request-Id") != "", "create account: no Request-Id header")
	expect(r.JSON201.Data.Name == name, "create account: name %q", r.JSON201.Data.Name)
	return r.JSON201.Data.Id
}

// linkOwner links the workspace's first staff member as the account's
// owner, under the account's path.
func linkOwner(ctx context.Context, c *roster.ClientWithResponses, account string) string {
	staff, err := c.ListWorkspaceMembershipsWithResponse(ctx, nil)
	check(err)
	expect(staff.JSON200 != nil && len(staff.JSON200.Data) > 0, "list staff: %d %s", staff.StatusCode(), staff.Body)
	wm := staff.JSON200.Data[0].Id
	r, err := c.CreateMembershipOfAccountWithResponse(ctx, account, nil,
		roster.AccountMembershipCreate{WorkspaceMembershipId: &wm, Role: ptr("owner")})
	check(err)
	expect(r.JSON201 != nil, "link the owner: %d %s", r.StatusCode(), r.Body)
	m := r.JSON201.Data
	expect(m.Status == roster.AccountMembershipStatusActive && m.Role.Slug == "owner", "link the owner: %s as %s", m.Status, m.Role.Slug)
	return m.Id
}

// invite invites Bob by email with an Idempotency-Key, and sends the same
// request again, which replays the first answer.
func invite(ctx context.Context, c *roster.ClientWithResponses, account, run string) string {
	body := roster.AccountMembershipCreate{
		Email: ptr(openapi_types.Email("bob@example.com")), Name: ptr("Bob"),
		Role: ptr("member"), Permissions: &[]string{"billing.manage"},
	}
	params := &roster.CreateMembershipParams{AccountId: account, IdempotencyKey: ptr("invite-bob-" + run)}
	r, err := c.CreateMembershipWithResponse(ctx, params, body)
	check(err)
	expect(r.JSON201 != nil, "invite: %d %s", r.StatusCode(), r.Body)
	m := r.JSON201.Data
	expect(m.Status == roster.AccountMembershipStatusInvited, "invite: status %s", m.Status)
	expect(m.Invitation != nil && m.Invitation.AcceptUrl != nil, "invite: no accept_url")
	same(m.EffectivePermissions, []string{"billing.manage", "billing.read", "members.read"}, "invite: effective_permissions")
	same(r.HTTPResponse.Header.Get("ETag"), `"1"`, "invite: ETag")

	again, err := c.CreateMembershipWithResponse(ctx, params, body)
	check(err)
	expect(again.JSON201 != nil && again.JSON201.Data.Id == m.Id, "invite again: %d %s", again.StatusCode(), again.Body)
	same(again.HTTPResponse.Header.Get("Idempotent-Replayed"), "true", "invite again: Idempotent-Replayed")
	return m.Id
}

// inviteQuietly invites Carol without an email, the one optional field
// whose absence means true.
func inviteQuietly(ctx context.Context, c *roster.ClientWithResponses, account string) string {
	r, err := c.CreateMembershipWithResponse(ctx, &roster.CreateMembershipParams{AccountId: account},
		roster.AccountMembershipCreate{Email: ptr(openapi_types.Email("carol@example.com")), SendEmail: ptr(false)})
	check(err)
	expect(r.JSON201 != nil, "invite without email: %d %s", r.StatusCode(), r.Body)
	same(r.JSON201.Data.Role.Slug, "member", "invite without email: the default role")
	return r.JSON201.Data.Id
}

// changeRole patches Bob's permissions and role (by slug) with the ETag it
// read, then shows that the old ETag no longer matches.
func changeRole(ctx context.Context, c *roster.ClientWithResponses, id string) {
	got, err := c.GetMembershipWithResponse(ctx, id)
	check(err)
	expect(got.JSON200 != nil, "get: %d %s", got.StatusCode(), got.Body)
	expect(got.JSON200.Data.Invitation != nil && got.JSON200.Data.Invitation.AcceptUrl == nil, "get: accept_url shown again")
	etag := got.HTTPResponse.Header.Get("ETag")
	patch := roster.AccountMembershipPatch{
		AddPermissions: &[]string{"members.manage"}, RemovePermissions: &[]string{"billing.manage"}, Role: ptr("admin"),
	}
	r, err := c.PatchMembershipWithResponse(ctx, id, &roster.PatchMembershipParams{IfMatch: &etag}, patch)
	check(err)
	expect(r.JSON200 != nil, "patch: %d %s", r.StatusCode(), r.Body)
	m := r.JSON200.Data
	same(m.Role.Slug, "admin", "patch: role")
	same(m.Permissions, []string{"members.manage"}, "patch: permissions")
	same(r.HTTPResponse.Header.Get("ETag"), `"2"`, "patch: ETag")

	stale, err := c.PatchMembershipWithResponse(ctx, id, &roster.PatchMembershipParams{IfMatch: &etag},
		roster.AccountMembershipPatch{Role: ptr("member")})
	check(err)
	expect(stale.JSON412 != nil, "patch with a stale ETag: %d %s", stale.StatusCode(), stale.Body)
	same(stale.JSON412.Error.Type, "precondition_failed", "patch with a stale ETag: error type")
}

// listPages lists the account's memberships a page of one at a time, with
// no status filter, then the invited ones.
func listPages(ctx context.Context, c *roster.ClientWithResponses, account string, want []string) {
	var ids []string
	params := &roster.ListMembershipsParams{AccountId: &account, Limit: ptr(1)}
	for page := 0; ; page++ {
		expect(page <= len(want), "list: more pages than memberships")
		r, err := c.ListMembershipsWithResponse(ctx, params)
		check(err)
		expect(r.JSON200 != nil, "list: %d %s", r.StatusCode(), r.Body)
		for _, m := range r.JSON200.Data {
			ids = append(ids, m.Id)
		}
		if !r.JSON200.HasMore {
			break
		}
		params.StartingAfter = r.JSON200.NextCursor
	}
	same(ids, want, "list with cursors")

	invited := roster.ListMembershipsParamsStatusInvited
	r, err := c.ListMembershipsWithResponse(ctx, &roster.ListMembershipsParams{AccountId: &account, Status: &invited})
	check(err)
	expect(r.JSON200 != nil, "list invited: %d %s", r.StatusCode(), r.Body)
	same(len(r.JSON200.Data), 2, "list invited: count")
}

// remove deletes Carol's membership with its ETag; reading it then is 404.
func remove(ctx context.Context, c *roster.ClientWithResponses, id string) {
	got, err := c.GetMembershipWithResponse(ctx, id)
	check(err)
	etag := got.HTTPResponse.Header.Get("ETag")
	r, err := c.DeleteMembershipWithResponse(ctx, id, &roster.DeleteMembershipParams{IfMatch: &etag})
	check(err)
	expect(r.JSON200 != nil && bool(r.JSON200.Success), "delete: %d %s", r.StatusCode(), r.Body)
	gone, err := c.GetMembershipWithResponse(ctx, id)
	check(err)
	expect(gone.JSON404 != nil, "get after delete: %d %s", gone.StatusCode(), gone.Body)
	same(gone.JSON404.Error.Type, "membership.not_found", "get after delete: error type")
}

// readEvents reads Bob's newest event: the role change, with the role
// before and after it.
func readEvents(ctx context.Context, c *roster.ClientWithResponses, id string) {
	r, err := c.ListEventsWithResponse(ctx, &roster.ListEventsParams{MembershipId: &id})
	check(err)
	expect(r.JSON200 != nil && len(r.JSON200.Data) > 0, "events: %d %s", r.StatusCode(), r.Body)
	ev := r.JSON200.Data[0]
	same(string(ev.Type), "membership.updated", "newest event: type")
	same(ev.Actor.Type, roster.ActorTypeApiKey, "newest event: actor")
	role, _ := ev.Data["role"].(map[string]any)
	same(role["slug"], any("admin"), "newest event: data.role.slug")
	expect(ev.PreviousAttributes != nil, "newest event: no previous_attributes")
	before, _ := (*ev.PreviousAttributes)["role"].(map[string]any)
	same(before["slug"], any("member"), "newest event: previous_attributes.role.slug")
	types := []string{}
	for _, e := range r.JSON200.Data {
		types = append(types, string(e.Type))
	}
	expect(slices.Contains(types, "membership.created"), "events: no membership.created in %v", types)
}

// deleteAccount deletes the account as read (If-Match its ETag); reading
// it then is 404.
func deleteAccount(ctx context.Context, c *roster.ClientWithResponses, id string) {
	got, err := c.GetAccountWithResponse(ctx, id)
	check(err)
	expect(got.JSON200 != nil, "get account: %d %s", got.StatusCode(), got.Body)
	etag := got.HTTPResponse.Header.Get("ETag")
	expect(etag != "", "get account: no ETag")
	r, err := c.DeleteAccountWithResponse(ctx, id, &roster.DeleteAccountParams{IfMatch: &etag})
	check(err)
	expect(r.JSON200 != nil, "delete account: %d %s", r.StatusCode(), r.Body)
	gone, err := c.GetAccountWithResponse(ctx, id)
	check(err)
	expect(gone.JSON404 != nil, "get account after delete: %d %s", gone.StatusCode(), gone.Body)
	same(gone.JSON404.Error.Type, "account.not_found", "get account after delete: error type")
}

func ptr[T any](v T) *T { return &v }

// check stops the flow on a client error (the request could not be sent
// or its answer not decoded).
func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func expect(ok bool, format string, args ...any) {
	if !ok {
		fail(format, args...)
	}
}

func same(got, want any, what string) {
	if !reflect.DeepEqual(got, want) {
		fail("%s: got %v, want %v", what, got, want)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goflow: "+format+"\n", args...)
	os.Exit(1)
}
