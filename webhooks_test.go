package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"roster/db"
	"roster/db/dbtest"
)

// hookReceiver is a webhook endpoint on 127.0.0.1 for real server
// processes: it counts each event id it gets, and notes an event sent
// again while an attempt of it is still in flight.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      map[string]int // attempts by webhook-id
	inFlight map[string]bool
	overlaps []string    // webhook-ids sent twice at once
	stamps   []string    // webhook-timestamp of every request, in order
	hold     func() bool // true: keep this request until released
	release  chan struct{}
	arrived  chan string // the webhook-id of each request held
}

// newHookReceiver starts a receiver that takes 10 ms per request.
func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{got: map[string]int{}, inFlight: map[string]bool{}, release: make(chan struct{}),
		arrived: make(chan string, 16), hold: func() bool { return false }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		r.mu.Lock()
		r.got[id]++
		r.stamps = append(r.stamps, req.Header.Get("webhook-timestamp"))
		if r.inFlight[id] {
			r.overlaps = append(r.overlaps, id)
		}
		r.inFlight[id] = true
		hold := r.hold()
		r.mu.Unlock()
		if hold {
			r.arrived <- id
			<-r.release
		}
		time.Sleep(10 * time.Millisecond)
		r.mu.Lock()
		r.inFlight[id] = false
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	t.Cleanup(func() { close(r.release) }) // runs first: no request stays held
	return r
}

// delivered is how many distinct events the receiver got.
func (r *hookReceiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// testKeyAndEndpoint makes a test-mode secret key of ws and, through the
// server at base, an endpoint of every event at the receiver.
func testKeyAndEndpoint(t *testing.T, d *db.DB, ws dbtest.Fixture, base, url string) string {
	t.Helper()
	_, sk, err := d.CreateAPIKey(context.Background(), ws.Test(), db.NewAPIKey{Kind: db.KeySecret, Name: "hooks"})
	if err != nil {
		t.Fatal(err)
	}
	api.Call(t, "POST", base+"/v1/webhook-endpoints", sk, `{"url":"`+url+`/hooks"}`).Expect(t, 201, "")
	return sk
}

// TestWebhooksAcrossProcesses: two roster serve processes on one
// PostgreSQL database share the deliveries: every event written through
// either reaches the receiver, and no event is sent again while an
// attempt of it is in flight.
func TestWebhooksAcrossProcesses(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	servers := startServers(t, buildRoster(t), 2, url, "--webhook-allow-nets", "127.0.0.0/8")
	d, ws, _ := workspaceWithKey(t, url)
	rcv := newHookReceiver(t)
	sk := testKeyAndEndpoint(t, d, ws, servers[0].URL, rcv.URL)
	const changes = 120
	as := api.Race(t, changes, func(i int) (string, string, string, string) {
		return "POST", servers[i%2].URL + "/v1/accounts", sk, `{"name":"Account ` + strconv.Itoa(i) + `"}`
	})
	for _, a := range as {
		if a.Status != 201 {
			t.Fatalf("create: %d %s", a.Status, a.Raw)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for rcv.delivered() < changes && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != changes {
		t.Fatalf("%d of %d events delivered:\n%s\n%s", len(rcv.got), changes, servers[0].Output(), servers[1].Output())
	}
	if len(rcv.overlaps) > 0 {
		t.Fatalf("sent again while in flight: %v", rcv.overlaps)
	}
	var evs []struct{ ID string }
	api.Call(t, "GET", servers[1].URL+"/v1/events?limit=100&type=account.created", sk, "").Data(t, &evs)
	for _, e := range evs {
		if rcv.got[e.ID] == 0 {
			t.Fatalf("event %s was not delivered", e.ID)
		}
	}
}

// TestWebhookSurvivesAKilledProcess: a process killed (SIGKILL) while
// its attempt is in flight loses nothing: the lease runs out and another
// process delivers the event, signed afresh.
func TestWebhookSurvivesAKilledProcess(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	bin := buildRoster(t)
	flags := []string{"--webhook-allow-nets", "127.0.0.0/8", "--webhook-lease", "3s"}
	first := startServers(t, bin, 1, url, flags...)[0]
	d, ws, _ := workspaceWithKey(t, url)
	rcv := newHookReceiver(t)
	held := 0
	rcv.hold = func() bool { held++; return held == 1 }
	sk := testKeyAndEndpoint(t, d, ws, first.URL, rcv.URL)
	api.Call(t, "POST", first.URL+"/v1/accounts", sk, `{"name":"Crash"}`).Expect(t, 201, "")
	var id string
	select {
	case id = <-rcv.arrived:
	case <-time.After(20 * time.Second):
		t.Fatalf("no delivery reached the receiver:\n%s", first.Output())
	}
	first.kill()
	second := startServers(t, bin, 1, url, flags...)[0]
	deadline := time.Now().Add(30 * time.Second)
	for {
		rcv.mu.Lock()
		n := rcv.got[id]
		rcv.mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was not delivered after the crash:\n%s", second.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var eps []struct{ ID string }
	api.Call(t, "GET", second.URL+"/v1/webhook-endpoints", sk, "").Data(t, &eps)
	var ds []struct {
		EventID  string `json:"event_id"`
		Status   string
		Attempts int
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		api.Call(t, "GET", second.URL+"/v1/webhook-endpoints/"+eps[0].ID+"/deliveries?status=succeeded", sk, "").Data(t, &ds)
		if len(ds) == 1 || time.Now().After(deadline) {
			break
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(ds) != 1 || ds[0].EventID != id || ds[0].Attempts != 2 || rcv.stamps[0] == "" {
		b, _ := json.Marshal(ds)
		t.Fatalf("deliveries %s, want the event succeeded on its second attempt", b)
	}
}
