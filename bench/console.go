package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in to the console as a person would, and returns a client
// that carries the session.
func signIn(base, email, password string) (*client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := newClient(base, "")
	c.http.Jar = jar
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	status, body, err := c.do(request{"GET", "/login", ""})
	if err != nil || status != 200 {
		return nil, fmt.Errorf("GET /login: %d %v", status, err)
	}
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no CSRF field on /login")
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("POST /login: %d, want 303", res.StatusCode)
	}
	return c, nil
}

// membersPage is the console's page of an account's members, from the
// member after the cursor.
func membersPage(accountID, after string) string {
	p := "/accounts/" + accountID
	if after != "" {
		p += "?after=" + after
	}
	return p
}
