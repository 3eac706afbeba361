package web_test

import (
	"encoding/json"
	"testing"
)

// activeMember invites email to the account with the role (and direct
// permissions, a JSON list or "") as the key sk, accepts the invitation
// and returns the active membership.
func (e *env) activeMember(t testing.TB, sk, accountID, email, role, perms string) membership {
	t.Helper()
	body := map[string]any{"email": email, "role": role, "send_email": false}
	if perms != "" {
		var ps []string
		if err := json.Unmarshal([]byte(perms), &ps); err != nil {
			t.Fatal(err)
		}
		body["permissions"] = ps
	}
	b, _ := json.Marshal(body)
	m := e.addMember(sk, accountID, string(b))
	r := e.Call(t, "POST", "/v1/invitations/accept", "", `{"token":"`+m.tokenOf(t)+`"}`)
	r.Expect(t, 200, "")
	return memberOf(t, r)
}

// tokenOf is token for any testing.TB.
func (m membership) tokenOf(t testing.TB) string {
	t.Helper()
	if m.Invitation == nil || len(m.Invitation.AcceptURL) <= len(acceptBase) {
		t.Fatalf("membership %s has no accept link: %+v", m.ID, m.Invitation)
	}
	return m.Invitation.AcceptURL[len(acceptBase):]
}

// acceptBase is where the tests' accept links point.
const acceptBase = "http://roster.test/invitations/"

// memberFixture is one live account with an owner, an admin and a plain
// member acting through JWTs, an invited person (not active yet), and a
// second account where only the plain member belongs.
type memberFixture struct {
	sk                                       string // the workspace's live secret key
	account, other                           string
	owner, admin, plain, invite              membership
	ownerJWT, adminJWT, plainJWT, invitedJWT string
}

// newMemberFixture makes a memberFixture in e.
func newMemberFixture(t testing.TB, e *env) memberFixture {
	t.Helper()
	f := memberFixture{sk: e.key(true, "secret")}
	f.account = e.createAccount(f.sk, "Members Co")
	f.other = e.createAccount(f.sk, "Elsewhere")
	f.owner = e.activeMember(t, f.sk, f.account, "olga@members.example", "owner", "")
	f.admin = e.activeMember(t, f.sk, f.account, "adam@members.example", "admin", "")
	f.plain = e.activeMember(t, f.sk, f.account, "pia@members.example", "member", "")
	e.activeMember(t, f.sk, f.other, "pia@members.example", "member", "")
	f.invite = e.addMember(f.sk, f.account, `{"email":"ivy@members.example","send_email":false}`)
	f.ownerJWT = signHS256(t, staffClaims("olga@members.example"))
	f.adminJWT = signHS256(t, staffClaims("adam@members.example"))
	f.plainJWT = signHS256(t, staffClaims("pia@members.example"))
	f.invitedJWT = signHS256(t, staffClaims("ivy@members.example"))
	return f
}
