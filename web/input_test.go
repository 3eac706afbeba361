package web_test

import (
	"testing"

	"roster/db"
	"roster/db/dbtest"
)

// TestStrictJSON: bodies are read with their exact field names and without
// duplicate names, each refusal a 400 naming the field. Before, a name was
// matched whatever its case and the last of two duplicates won, so
// {"email":…,"ROLE":"owner"} invited an owner.
func TestStrictJSON(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	sk := e.key(true, db.KeySecret)
	acct := e.createAccount(sk, "Shop")
	m := e.addMember(sk, acct, `{"email":"ann@example.com"}`)
	create := "/v1/account-memberships?account_id=" + acct
	e.run(t, []apiCase{
		{"a field in upper case", "POST", create, sk, `{"email":"bob@example.com","ROLE":"owner"}`, 400, "validation_error", "ROLE", "case-sensitive"},
		{"a field in mixed case", "POST", "/v1/accounts", sk, `{"Name":"Other"}`, 400, "validation_error", "Name", ""},
		{"a spelling of role in another case", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"roleslug":"owner"}`, 400, "validation_error", "roleslug", ""},
		{"a duplicate field", "POST", create, sk, `{"email":"bob@example.com","role":"member","role":"owner"}`, 400, "validation_error", "role", "more than once"},
		{"a duplicate list", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":[],"permissions":["org.manage"]}`, 400, "validation_error", "permissions", "more than once"},
		{"a duplicate in a role", "PATCH", "/v1/roles/member", sk, `{"name":"A","name":"B"}`, 400, "validation_error", "name", "more than once"},
		{"a wrong type", "POST", "/v1/roles", sk, `{"slug":"x","name":"X","permissions":"org.manage"}`, 400, "validation_error", "permissions", "an array"},
		{"a wrong type in a list", "PUT", "/v1/account-memberships/" + m.ID, sk, `{"permissions":[1]}`, 400, "validation_error", "permissions", "a string"},
		{"two values", "POST", "/v1/accounts", sk, `{"name":"A"} {"name":"B"}`, 400, "validation_error", "body", ""},
		{"not an object", "POST", "/v1/accounts", sk, `["name"]`, 400, "validation_error", "body", "a JSON object"},
		{"the exact spelling still works", "PATCH", "/v1/account-memberships/" + m.ID, sk, `{"roleSlug":"admin"}`, 200, "", "", `"slug":"admin"`},
	})
	var owners int
	if err := e.db.Get(&owners, `SELECT COUNT(*) FROM account_memberships am JOIN roles r ON r.id = am.role_id WHERE r.slug = 'owner'`); err != nil || owners != 0 {
		t.Fatalf("%d owner memberships (%v): a refused body made one", owners, err)
	}
}
