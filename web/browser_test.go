package web_test

import (
	"context"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// browser is a person using the console (webtest.Browser), page what it
// reads.
type (
	browser = webtest.Browser
	page    = webtest.Page
)

// browser starts a browser with no cookies, on the server in process.
func (e *env) browser() *browser {
	return webtest.NewBrowser(e.t, e.Do, "")
}

// staffWithPassword puts a user on the staff with a role and a password.
func staffWithPassword(t *testing.T, d *db.DB, f dbtest.Fixture, email, role, password string) {
	t.Helper()
	addStaff(t, d, f, email, role)
	if err := d.SetPassword(context.Background(), f.WorkspaceID, email, password); err != nil {
		t.Fatal(err)
	}
}
