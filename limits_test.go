package main

import (
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"roster/db/dbtest"
	"roster/web/webtest"
)

// awayFromWindowEdge waits, when the current fixed window of length w ends
// within margin, for the next one to begin: a burst of requests then falls
// in one window.
func awayFromWindowEdge(w, margin time.Duration) {
	end := time.Now().Truncate(w).Add(w)
	if time.Until(end) < margin {
		time.Sleep(time.Until(end) + 5*time.Millisecond)
	}
}

// TestLimitsAcrossProcesses: two roster serve processes on one PostgreSQL
// database allow one API rate limit and one sign-in throttle in total, not
// one each: the counts are in the database, one atomic statement a check.
func TestLimitsAcrossProcesses(t *testing.T) {
	url := dbtest.EmptyPostgresURL(t)
	servers := startServers(t, buildRoster(t), 2, url, "--rate-limit", "5")
	_, ws, sk := workspaceWithKey(t, url)

	t.Run("API rate limit", func(t *testing.T) {
		// Each process learns that the key authenticates (its first
		// request there draws on the address's budget), in another second.
		for _, s := range servers {
			api.Call(t, "GET", s.URL+"/v1/accounts", sk, "").Expect(t, 200, "")
		}
		awayFromWindowEdge(time.Second, 600*time.Millisecond)
		as := api.Race(t, 20, func(i int) (string, string, string, string) {
			return "GET", servers[i%2].URL + "/v1/accounts", sk, ""
		})
		if n := webtest.Statuses(as); n[200] != 5 || n[429] != 15 {
			t.Fatalf("20 requests across two processes with a limit of 5 a second: %v, want five 200s and fifteen 429s", n)
		}
		for _, a := range as {
			if a.Status == 429 && (a.ErrType() != "rate_limited" || a.Header.Get("Retry-After") == "") {
				t.Fatalf("429 %v %s", a.Header, a.Raw)
			}
		}
	})

	t.Run("sign-in throttle", func(t *testing.T) {
		b := webtest.NewBrowser(t, webtest.OverHTTP(15*time.Second), "")
		b.Get(servers[0].URL+"/login").Expect(t, 200)
		token := b.CSRF
		awayFromWindowEdge(15*time.Minute, 30*time.Second)
		const attempts = 12
		statuses := make([]int, attempts)
		var cookies []*http.Cookie
		for _, c := range b.Cookies {
			cookies = append(cookies, c)
		}
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := neturl.Values{"email": {ws.OwnerEmail}, "password": {"wrong password"}, "_csrf": {token}}
				req, err := http.NewRequest("POST", servers[i%2].URL+"/login", strings.NewReader(form.Encode()))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for _, c := range cookies {
					req.AddCookie(c)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		wg.Wait()
		n := map[int]int{}
		for _, s := range statuses {
			n[s]++
		}
		if n[http.StatusUnauthorized] != 5 || n[http.StatusTooManyRequests] != attempts-5 {
			t.Fatalf("%d wrong passwords at once across two processes: %v, want five 401s (the limit) and the rest 429", attempts, n)
		}
		b.Post(servers[1].URL+"/login", neturl.Values{"email": {ws.OwnerEmail}, "password": {ws.Password}}).Expect(t, http.StatusTooManyRequests)
	})
}
