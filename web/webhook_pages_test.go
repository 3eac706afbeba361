package web_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/db"
	"roster/db/dbtest"
	"roster/web/webtest"
)

// whsecPattern finds the signing secret a page shows.
var whsecPattern = regexp.MustCompile(`id="new-secret" type="text" readonly value="(whsec_[A-Za-z0-9+/=]+)"`)

// endpointPathPattern is where creating an endpoint sends the browser.
var endpointPathPattern = regexp.MustCompile(`^/webhooks/(we_[0-9A-Z]+)$`)

// newEndpointForm is the add form with a URL and events.
func newEndpointForm(u string, events ...string) url.Values {
	return url.Values{"url": {u}, "description": {"CRM sync"}, "enabled_events": events}
}

// createEndpoint adds an endpoint through the page and returns its id and
// the secret its page showed once.
func createEndpoint(t *testing.T, b *browser, form url.Values) (id, secret string) {
	t.Helper()
	p := b.Post("/webhooks", form).Expect(t, 303)
	m := endpointPathPattern.FindStringSubmatch(p.Location())
	if m == nil {
		t.Fatalf("created endpoint: redirect to %q", p.Location())
	}
	shown := b.Get(p.Location()).Expect(t, 200).Has(t, "Copy it now", "Added the endpoint")
	s := whsecPattern.FindStringSubmatch(shown.Body)
	if s == nil {
		t.Fatalf("no secret on the endpoint's page:\n%s", shown.Body)
	}
	return m[1], s[1]
}

// endpointWithDelivery is a live endpoint of the fixture at u with the
// delivery of a test event.
func endpointWithDelivery(t *testing.T, d *db.DB, f dbtest.Fixture, u string) (db.WebhookEndpoint, db.WebhookDelivery) {
	t.Helper()
	ep, err := d.CreateWebhookEndpoint(context.Background(), f.Live(), db.WebhookEndpointInput{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := d.TestWebhookEndpoint(context.Background(), f.Live(), ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ep, dl
}

func TestWebhooksPageAddsEndpoints(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct, err := d.CreateAccount(context.Background(), e.ws.Live(), db.AccountInput{Name: "Hooked Co"})
		if err != nil {
			t.Fatal(err)
		}
		b := e.ownerBrowser()
		b.Get("/accounts").Has(t, `href="/webhooks">Webhooks</a>`)
		b.Get("/webhooks").Expect(t, 200).Has(t, "No live-mode endpoints yet", `method="post" action="/webhooks"`,
			`value="*" checked`, `value="membership.created"`, `<option value="`+acct.ID+`">Hooked Co</option>`).
			Lacks(t, `value="webhook_endpoint.test"`)

		// Each refusal next to its field, with what was typed kept.
		for name, c := range map[string]struct {
			form     url.Values
			field    string
			says     string
			kept     []string
			withHTMX bool
		}{
			"http in live mode": {newEndpointForm("http://hooks.example/in", "membership.created"), "field-url",
				"The URL must be https:// in live mode (http:// is accepted in test mode).",
				[]string{`value="http://hooks.example/in"`, `value="membership.created" checked`, `value="CRM sync"`}, false},
			"refused address": {newEndpointForm("https://10.1.2.3/in", "*"), "field-url",
				"Webhooks may not be sent to this address", []string{`value="https://10.1.2.3/in"`}, true},
			"no events": {newEndpointForm("https://hooks.example/in"), "field-enabled_events",
				"Choose at least one event, or All events.", []string{`value="https://hooks.example/in"`}, false},
			"all events stands alone": {newEndpointForm("https://hooks.example/in", "*", "role.created"), "field-enabled_events",
				"stands alone", []string{`value="role.created" checked`, `value="*" checked`}, true},
			"unknown event": {newEndpointForm("https://hooks.example/in", "nope.happened"), "field-enabled_events",
				`"nope.happened" is not an event type`, nil, false},
			"account of nowhere": {url.Values{"url": {"https://hooks.example/in"}, "enabled_events": {"*"}, "account_id": {"acct_01HQZC8G2T9YX5J8VQBW3KPQR7"}},
				"field-account_id", "The account is not an account of this workspace and mode.", nil, false},
		} {
			t.Run(name, func(t *testing.T) {
				var headers []string
				if c.withHTMX {
					headers = webtest.HTMX
				}
				p := b.Post("/webhooks", c.form, headers...).Expect(t, 422)
				msg := part(t, p, `id="`+c.field+`-error">`, "</small>")
				if !strings.Contains(html.UnescapeString(msg), c.says) {
					t.Fatalf("next to %s: %q, want %q", c.field, msg, c.says)
				}
				p.Has(t, c.kept...).Has(t, `id="`+c.field+`"`)
				if c.withHTMX {
					p.Has(t, `id="add-endpoint"`).Lacks(t, "<html")
				}
			})
		}
		if eps, _ := d.ListWebhookEndpoints(context.Background(), e.ws.Live(), db.Page{Limit: 10}); len(eps) != 0 {
			t.Fatalf("refused forms made endpoints: %+v", eps)
		}

		form := newEndpointForm("https://hooks.example/roster", "membership.created", "membership.updated")
		form.Set("account_id", acct.ID)
		id, secret := createEndpoint(t, b, form)
		b.Get("/webhooks/"+id).Expect(t, 200).Has(t, "https://hooks.example/roster", "membership.created, membership.updated",
			"Hooked Co", "Enabled", "No deliveries yet").Lacks(t, secret, "Copy it now")
		b.Get("/webhooks").Has(t, `href="/webhooks/`+id+`"`, "Hooked Co", "membership.created, membership.updated")
		ep, err := d.WebhookEndpoint(context.Background(), e.ws.Live(), id)
		if err != nil || ep.AccountID == nil || *ep.AccountID != acct.ID || ep.Description != "CRM sync" {
			t.Fatalf("endpoint %+v, %v", ep, err)
		}
		notIn(t, stored(t, d), secret)

		// With htmx: HX-Redirect to the endpoint's page, which shows the secret once.
		p := b.Post("/webhooks", newEndpointForm("https://hooks.example/two", "*"), webtest.HTMX...).Expect(t, 200)
		to := p.Header.Get("HX-Redirect")
		if !endpointPathPattern.MatchString(to) {
			t.Fatalf("HX-Redirect %q", to)
		}
		s := whsecPattern.FindStringSubmatch(b.Get(to).Body)
		if s == nil || s[1] == secret {
			t.Fatalf("second secret %v", s)
		}
		b.Get(to).Lacks(t, s[1], "Copy it now")
		// Another endpoint's page does not take the secret waiting for one.
		b.Post("/webhooks", newEndpointForm("https://hooks.example/three", "*")).Expect(t, 303)
		b.Get("/webhooks/"+id).Lacks(t, "Copy it now")
	})
}

func TestWebhookPageActions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		id, secret := createEndpoint(t, b, newEndpointForm("https://127.0.0.1:9/actions", "*"))
		base := "/webhooks/" + id

		// A test event, without and with scripts.
		b.Post(base+"/test", nil).Expect(t, 303, base)
		b.Get(base).Has(t, "Queued a test event", "webhook_endpoint.test", "Retry now")
		b.Post(base+"/test", nil, webtest.HTMX...).Expect(t, 200).Has(t, `id="endpoint"`, `role="status"`, "Queued a test event").Lacks(t, "<html")
		ds, err := d.ListWebhookDeliveries(context.Background(), e.ws.Live(), id, "", db.Page{Limit: 10})
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries %d, %v", len(ds), err)
		}
		b.Post(base+"/deliveries/"+ds[0].ID+"/retry", nil).Expect(t, 303, base)
		b.Get(base).Has(t, "Retrying the delivery of "+ds[0].EventID)
		b.Post(base+"/deliveries/"+ds[1].ID+"/retry", nil, webtest.HTMX...).Expect(t, 200).Has(t, "Retrying the delivery of "+ds[1].EventID)
		b.Post(base+"/deliveries/whd_01HQZC8G2T9YX5J8VQBW3KPQR7ZZZZZZ/retry", nil).Expect(t, 404)

		// Rotation: the new secret once, the old one's expiry beside it.
		b.Post(base+"/rotate", url.Values{"expires_in": {"forever"}}).Expect(t, 422).Has(t, "Choose how long the old secret keeps signing.")
		b.Post(base+"/rotate", url.Values{"expires_in": {"24h"}}).Expect(t, 303, base)
		shown := b.Get(base).Has(t, "Rotated the signing secret", "The old secret keeps signing beside it until", "Old secrets still signing")
		rotated := whsecPattern.FindStringSubmatch(shown.Body)
		if rotated == nil || rotated[1] == secret {
			t.Fatalf("rotated secret %v", rotated)
		}
		b.Get(base).Lacks(t, rotated[1], "Copy it now").Has(t, "until ")
		in := b.Post(base+"/rotate", url.Values{"expires_in": {"0"}}, webtest.HTMX...).Expect(t, 200).Has(t, "The old secret no longer signs.").Lacks(t, "<html")
		again := whsecPattern.FindStringSubmatch(in.Body)
		if again == nil || again[1] == rotated[1] {
			t.Fatalf("secret rotated in place %v", again)
		}
		b.Get(base).Lacks(t, again[1])
		notIn(t, stored(t, d), secret, rotated[1], again[1])

		// Disable and enable; a disabled endpoint takes no test event.
		b.Post(base+"/status", url.Values{"status": {"disabled"}}).Expect(t, 303, base)
		b.Get(base).Has(t, "Disabled the endpoint", "Disabled", "by hand", "Enable")
		b.Post(base+"/test", nil).Expect(t, 422).Has(t, "This webhook endpoint is disabled: enable it first.")
		b.Post(base+"/status", url.Values{"status": {"enabled"}}, webtest.HTMX...).Expect(t, 200).Has(t, "Enabled the endpoint").Lacks(t, "<html")
		b.Post(base+"/status", url.Values{"status": {"paused"}}).Expect(t, 422).Has(t, "Status must be enabled or disabled.")
		b.Get(base+"/status").Expect(t, 303, base)

		// Delete: a confirmation page without scripts, then the list.
		b.Get(base+"/delete").Expect(t, 200).Has(t, "Delete the endpoint https://127.0.0.1:9/actions?", "Delete endpoint", "cannot be undone")
		b.Post(base+"/delete", nil, webtest.HTMX...).Expect(t, 200)
		b.Get("/webhooks").Has(t, "Deleted the endpoint https://127.0.0.1:9/actions.", "No live-mode endpoints yet")
		b.Get(base).Expect(t, 404)
		b.Post(base+"/delete", nil).Expect(t, 404)
	})
}

func TestWebhookPagesInTestMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.ownerBrowser()
		liveID, _ := createEndpoint(t, b, newEndpointForm("https://hooks.example/live", "*"))
		b.Post("/mode", url.Values{"mode": {"test"}}).Expect(t, 303)
		b.Get("/webhooks").Has(t, "No test-mode endpoints yet", "http:// in test mode").Lacks(t, "hooks.example/live")
		b.Get("/webhooks/"+liveID).Expect(t, 404)
		testID, _ := createEndpoint(t, b, newEndpointForm("http://127.0.0.1:9/test", "*"))
		ep, err := d.WebhookEndpoint(context.Background(), e.ws.Test(), testID)
		if err != nil || ep.Livemode {
			t.Fatalf("test-mode endpoint %+v, %v", ep, err)
		}
		b.Post("/mode", url.Values{"mode": {"live"}}).Expect(t, 303)
		b.Get("/webhooks").Has(t, "hooks.example/live").Lacks(t, "127.0.0.1:9/test")
		b.Get("/webhooks/"+testID).Expect(t, 404)
	})
}

func TestWebhookPagesReadOnlyForSupport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		staffWithPassword(t, d, e.ws, "help@acme.example", db.RoleSupport, "support password")
		ep, dl := endpointWithDelivery(t, d, e.ws, "https://127.0.0.1:9/support")
		b := e.browser()
		b.SignIn("help@acme.example", "support password")
		b.Get("/accounts").Has(t, `href="/webhooks">Webhooks</a>`)
		controls := []string{`method="post"` + ` action="/webhooks`, "Add live endpoint", "Send test event", "Rotate secret", "Disable", "Delete…", "Retry now"}
		b.Get("/webhooks").Expect(t, 200).Has(t, "https://127.0.0.1:9/support", "owners and admins add").Lacks(t, controls...)
		b.Get("/webhooks/"+ep.ID).Expect(t, 200).Has(t, "webhook_endpoint.test", dl.EventID, "owners and admins change it").Lacks(t, controls...)
		form := url.Values{"url": {"https://hooks.example/forged"}, "enabled_events": {"*"}, "status": {"disabled"}, "expires_in": {"0"}}
		base := "/webhooks/" + ep.ID
		for _, f := range []struct{ method, path string }{
			{"POST", "/webhooks"}, {"POST", base + "/test"}, {"POST", base + "/status"}, {"POST", base + "/rotate"},
			{"GET", base + "/delete"}, {"POST", base + "/delete"}, {"POST", base + "/deliveries/" + dl.ID + "/retry"},
		} {
			t.Run(f.method+" "+f.path, func(t *testing.T) {
				b.Request(f.method, f.path, form).Expect(t, 403).Has(t, "You may not do this")
			})
		}
		after, err := d.WebhookEndpoint(context.Background(), e.ws.Live(), ep.ID)
		if err != nil || after.Status != db.EndpointEnabled || after.Version != ep.Version {
			t.Fatalf("endpoint after forged posts: %+v, %v", after, err)
		}
		if eps, _ := d.ListWebhookEndpoints(context.Background(), e.ws.Live(), db.Page{Limit: 10}); len(eps) != 1 {
			t.Fatalf("%d endpoints after forged posts", len(eps))
		}
	})
}

func TestWebhookFormsNeedTheCSRFToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ep, dl := endpointWithDelivery(t, d, e.ws, "https://127.0.0.1:9/csrf")
		b := e.ownerBrowser()
		b.Get("/webhooks")
		base := "/webhooks/" + ep.ID
		for _, path := range []string{"/webhooks", base + "/test", base + "/status", base + "/rotate", base + "/delete", base + "/deliveries/" + dl.ID + "/retry"} {
			t.Run(path, func(t *testing.T) {
				form := url.Values{"_csrf": {"x" + b.CSRF}, "url": {"https://hooks.example/forged"}, "enabled_events": {"*"},
					"status": {"disabled"}, "expires_in": {"0"}}
				b.Post(path, form).Expect(t, 403).Has(t, "This form has expired")
			})
		}
		after, err := d.WebhookEndpoint(context.Background(), e.ws.Live(), ep.ID)
		if err != nil || after.Version != ep.Version {
			t.Fatalf("endpoint after requests without the token: %+v, %v", after, err)
		}
		if eps, _ := d.ListWebhookEndpoints(context.Background(), e.ws.Live(), db.Page{Limit: 10}); len(eps) != 1 {
			t.Fatalf("%d endpoints after requests without the token", len(eps))
		}
	})
}

// TestWebhookPagesEscape shows what a receiver answered and an endpoint's
// URL as text: a hostile response excerpt, error and URL run nothing.
func TestWebhookPagesEscape(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		hostileURL := `https://hooks.example/"><script>alert(1)</script>?q='onmouseover=alert(2)`
		b := e.ownerBrowser()
		id, _ := createEndpoint(t, b, newEndpointForm(hostileURL, "*"))
		dl, err := d.TestWebhookEndpoint(context.Background(), e.ws.Live(), id)
		if err != nil {
			t.Fatal(err)
		}
		response := `</pre><script>alert("response")</script><img src=x onerror=alert(3)>`
		if _, err := d.Exec(d.Rebind(`UPDATE webhook_deliveries SET status = 'failed', attempts = 8, last_status = 500,
			last_error = ?, last_response = ? WHERE id = ?`), `<b onclick=alert(4)>HTTP 500</b>`, response, dl.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/webhooks", "/webhooks/" + id, "/webhooks/" + id + "/delete"} {
			p := b.Get(path).Expect(t, 200).Lacks(t, "<script>alert", "<img src=x", "<b onclick", `"><script>`)
			if path != "/webhooks" {
				p.Has(t, html.EscapeString(hostileURL))
			}
		}
		b.Get("/webhooks/"+id).Has(t, "&lt;/pre&gt;&lt;script&gt;alert(&#34;response&#34;)&lt;/script&gt;", "&lt;b onclick=alert(4)&gt;HTTP 500&lt;/b&gt;",
			">500<", ">8<", "failed")
	})
}
