package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/ratelimit"
	"hearth/internal/store/storetest"
)

const miaPassword = "member-password"

// webLogin logs a new browser in as email and fails the test otherwise.
func webLogin(t *testing.T, a *app.App, email, password string) *browser {
	t.Helper()
	b := newBrowser(t, a.URL())
	if p := b.post("/login", url.Values{"email": {email}, "password": {password}}); p.status != 303 {
		t.Fatalf("web login as %s: %d\n%s", email, p.status, p.body)
	}
	return b
}

// apiLogin returns an API token for email.
func apiLogin(t *testing.T, a *app.App, email, password string) string {
	t.Helper()
	st, out := api(t, a.URL(), "POST", "/api/v1/sessions", "", map[string]any{"email": email, "password": password})
	if st != 201 {
		t.Fatalf("API login as %s: %d %v", email, st, out)
	}
	return out["token"].(string)
}

// webIn reports whether b is logged in as member id: only that member (or
// an admin) gets their profile's edit form.
func webIn(b *browser, id int64) bool {
	return b.get("/m/"+strconv.FormatInt(id, 10)+"/edit").status == 200
}

// apiIn reports whether token logs in.
func apiIn(t *testing.T, a *app.App, token string) bool {
	st, _ := api(t, a.URL(), "GET", "/api/v1/me", token, nil)
	return st == 200
}

// accountsForum starts a forum with an admin and Mia.
func accountsForum(t *testing.T, engine string) (a *app.App, admin, mia *forum.Member) {
	a = start(t, engine)
	var err error
	if admin, err = a.Service.CreateMember(t.Context(), adminMember()); err != nil {
		t.Fatal(err)
	}
	if mia, err = a.Service.CreateMember(t.Context(), forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: miaPassword}); err != nil {
		t.Fatal(err)
	}
	return a, admin, mia
}

// TestPasswordChangeEndsOtherSessions covers finding 4: changing the
// password ends every other web session and API token of the member, keeps
// the one that changed it, and says how many ended.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, _, mia := accountsForum(t, engine)
			here := webLogin(t, a, "mia@example.org", miaPassword)
			laptop := webLogin(t, a, "mia@example.org", miaPassword)
			token := apiLogin(t, a, "mia@example.org", miaPassword)
			if !webIn(laptop, mia.ID) || !apiIn(t, a, token) {
				t.Fatal("the sessions do not log in before the change") // and are now cached
			}
			id := strconv.FormatInt(mia.ID, 10)
			p := here.post("/m/"+id+"/password", url.Values{"current": {miaPassword}, "new": {"trams of lisbon"}})
			if p.status != 303 {
				t.Fatalf("change password: %d\n%s", p.status, p.body)
			}
			expect(t, "after the change", here.get(p.loc), 200, "Password changed. You were logged out on 2 other devices.")
			if !webIn(here, mia.ID) {
				t.Error("the session that changed the password was logged out")
			}
			if webIn(laptop, mia.ID) {
				t.Error("another web session still logs in after the password change")
			}
			if apiIn(t, a, token) {
				t.Error("an API token still logs in after the password change")
			}
			if st, _ := api(t, a.URL(), "POST", "/api/v1/sessions", "", map[string]any{"email": "mia@example.org", "password": miaPassword}); st != 401 {
				t.Errorf("the old password logs in: %d", st)
			}
			apiLogin(t, a, "mia@example.org", "trams of lisbon")
		})
	}
}

// TestSuspensionEndsSessions covers finding 4: suspending a member ends
// their web sessions and API tokens at once, and reactivating them does
// not bring any back.
func TestSuspensionEndsSessions(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, _, mia := accountsForum(t, engine)
			root := webLogin(t, a, "root@example.org", "owner-password")
			web := webLogin(t, a, "mia@example.org", miaPassword)
			token := apiLogin(t, a, "mia@example.org", miaPassword)
			if !webIn(web, mia.ID) || !apiIn(t, a, token) {
				t.Fatal("the sessions do not log in before the suspension")
			}
			status := "/admin/members/" + strconv.FormatInt(mia.ID, 10) + "/status"
			if p := root.post(status, url.Values{"status": {"suspended"}}); p.status != 303 {
				t.Fatalf("suspend: %d\n%s", p.status, p.body)
			}
			if webIn(web, mia.ID) || apiIn(t, a, token) {
				t.Error("a session of the suspended member still logs in")
			}
			if p := root.post(status, url.Values{"status": {"active"}}); p.status != 303 {
				t.Fatalf("reactivate: %d\n%s", p.status, p.body)
			}
			if webIn(web, mia.ID) || apiIn(t, a, token) {
				t.Error("reactivating brought an old session back")
			}
			if again := webLogin(t, a, "mia@example.org", miaPassword); !webIn(again, mia.ID) {
				t.Error("the reactivated member cannot log in afresh")
			}
		})
	}
}

// TestApproveAfterRejectIsRefused: the approve and reject buttons say which
// status the admin saw, so an approval that lands after another admin's
// rejection does not undo it.
func TestApproveAfterRejectIsRefused(t *testing.T) {
	a := start(t, "sqlite")
	ctx := t.Context()
	if _, err := a.Service.CreateMember(ctx, adminMember()); err != nil {
		t.Fatal(err)
	}
	pat, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "pat@example.org", Name: "Pat Pending", Password: "pending-pass", Status: forum.StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	one, two := webLogin(t, a, "root@example.org", "owner-password"), webLogin(t, a, "root@example.org", "owner-password")
	status := "/admin/members/" + strconv.FormatInt(pat.ID, 10) + "/status"
	if p := one.post(status, url.Values{"from": {"pending"}, "status": {"suspended"}}); p.status != 303 {
		t.Fatalf("reject: %d\n%s", p.status, p.body)
	}
	expect(t, "approve after reject", two.post(status, url.Values{"from": {"pending"}, "status": {"active"}}), 409, "no longer pending")
	if m, _ := a.Service.Member(ctx, nil, pat.ID); m != nil {
		t.Errorf("the rejected member was approved: %s", m.Status)
	}
}

// TestDemotionTakesEffectAtOnce: an admin made a plain member loses the
// admin pages on their next request, though their session was cached.
func TestDemotionTakesEffectAtOnce(t *testing.T) {
	a, _, _ := accountsForum(t, "sqlite")
	other, err := a.Service.CreateMember(t.Context(), forum.NewMember{Email: "ola@example.org", Name: "Ola Admin", Password: "second-in-charge", Role: forum.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	root := webLogin(t, a, "root@example.org", "owner-password")
	ola := webLogin(t, a, "ola@example.org", "second-in-charge")
	expect(t, "admin page before", ola.get("/admin"), 200, "Administration")
	if p := root.post("/admin/members/"+strconv.FormatInt(other.ID, 10)+"/role", url.Values{"role": {"member"}}); p.status != 303 {
		t.Fatalf("demote: %d\n%s", p.status, p.body)
	}
	expect(t, "admin page after demotion", ola.get("/admin"), 403, "Only admins")
}

// TestConcurrentSetup covers finding 8: setups sent at once with one setup
// link create exactly one admin; the others are told the forum is set up.
func TestConcurrentSetup(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			token, err := a.Service.NewSetupToken(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			const n = 6
			pages := make([]page, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					b := newBrowser(t, a.URL())
					pages[i] = b.post("/setup", url.Values{"token": {token}, "email": {"admin" + strconv.Itoa(i) + "@example.org"},
						"name": {"Admin " + strconv.Itoa(i)}, "password": {"the forum's keeper"}})
				})
			}
			wg.Wait()
			created := 0
			for i, p := range pages {
				switch {
				case p.status == 303 && p.loc == "/admin":
					created++
				case p.status == 403 && strings.Contains(p.body, "This forum is already set up."):
				default:
					t.Errorf("setup %d: %d %q\n%s", i, p.status, p.loc, p.body)
				}
			}
			if created != 1 {
				t.Errorf("%d setups created an admin, want 1", created)
			}
			if ms, err := a.Store.ListMembers(t.Context(), "", 0); err != nil || len(ms) != 1 {
				t.Errorf("members after the setups: %d, %v", len(ms), err)
			}
		})
	}
}

// TestRegisterBeforeSetup covers finding 9: until the setup link has
// created the admin, neither the web form nor the API registers anyone,
// and the setup link keeps working.
func TestRegisterBeforeSetup(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a := start(t, engine)
			token, err := a.Service.NewSetupToken(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			const msg = "This forum is not set up yet: its admin must first open the setup link."
			b := newBrowser(t, a.URL())
			expect(t, "register form", b.get("/register"), 200, msg)
			p := b.post("/register", url.Values{"email": {"eve@example.org"}, "name": {"Eve"}, "password": {"first in line!"}})
			expect(t, "web registration", p, 403, msg, `value="eve@example.org"`)
			st, out := api(t, a.URL(), "POST", "/api/v1/members", "", map[string]any{"email": "eve@example.org", "name": "Eve", "password": "first in line!"})
			if st != 403 || out["error"] != msg {
				t.Errorf("API registration: %d %v", st, out)
			}
			if n, err := a.Store.CountMembers(t.Context()); err != nil || n != 0 {
				t.Fatalf("members: %d, %v", n, err)
			}
			expect(t, "setup link", b.get("/setup?token="+token), 200, "Create admin account")
			if p := b.post("/setup", url.Values{"token": {token}, "email": {"ada@example.org"}, "name": {"Ada Admin"}, "password": {"admin-password"}}); p.status != 303 || p.loc != "/admin" {
				t.Fatalf("setup: %d %q\n%s", p.status, p.loc, p.body)
			}
		})
	}
}

// TestPasswordChangeRateLimit covers finding 13: password change attempts
// are limited per member, and the limit is checked before the current
// password, so past it even the right one is refused.
func TestPasswordChangeRateLimit(t *testing.T) {
	a, _, mia := accountsForum(t, "sqlite")
	a.Service.SetLimits(forum.Limits{PasswordChange: ratelimit.New(time.Minute, 5)})
	b := webLogin(t, a, "mia@example.org", miaPassword)
	path := "/m/" + strconv.FormatInt(mia.ID, 10) + "/password"
	for i := range 5 {
		expect(t, "wrong guess "+strconv.Itoa(i+1), b.post(path, url.Values{"current": {"guess " + strconv.Itoa(i)}, "new": {"trams of lisbon"}}), 422, "not right")
	}
	p := b.post(path, url.Values{"current": {miaPassword}, "new": {"trams of lisbon"}})
	expect(t, "sixth attempt", p, 429, "Too many password change attempts")
	if p.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if _, err := a.Service.Authenticate(t.Context(), "mia@example.org", miaPassword); err != nil {
		t.Errorf("the password changed past the limit: %v", err)
	}
	// The limit is per member: another member is not held back.
	sam, err := a.Service.CreateMember(t.Context(), forum.NewMember{Email: "sam@example.org", Name: "Sam Agent", Password: "sam-password"})
	if err != nil {
		t.Fatal(err)
	}
	p = webLogin(t, a, "sam@example.org", "sam-password").post("/m/"+strconv.FormatInt(sam.ID, 10)+"/password",
		url.Values{"current": {"sam-password"}, "new": {"trams of lisbon"}})
	if p.status != 303 {
		t.Errorf("another member's change: %d\n%s", p.status, p.body)
	}
}

// answer is a response with what differs per request (its id and date) removed.
type answer struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	res.Header.Del("Date")
	res.Header.Del("X-Request-Id")
	return answer{res.StatusCode, res.Header, string(body)}
}

func same(a, b answer) bool {
	return a.status == b.status && a.body == b.body && len(a.header) == len(b.header) &&
		func() bool {
			for k, v := range a.header {
				if !slices.Equal(v, b.header[k]) {
					return false
				}
			}
			return true
		}()
}

// TestRegistrationDoesNotTellTakenEmails covers finding 15: registering a
// new address and one that is taken get byte-identical answers (but for
// the request id and date) on both surfaces; the taken account is left
// as it was; and the new member logs in to the forum, or to the
// awaiting-approval page when approval is on.
func TestRegistrationDoesNotTellTakenEmails(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			a, _, _ := accountsForum(t, engine)
			webReq := func(email, name, pw string) *http.Request {
				form := url.Values{"email": {email}, "name": {name}, "password": {pw}}
				req, _ := http.NewRequest("POST", a.URL()+"/register", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", a.URL())
				return req
			}
			apiReq := func(email, name, pw string) *http.Request {
				b, _ := json.Marshal(map[string]string{"email": email, "name": name, "password": pw})
				req, _ := http.NewRequest("POST", a.URL()+"/api/v1/members", bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				return req
			}
			for _, s := range []struct {
				surface string
				req     func(email, name, pw string) *http.Request
				email   string
			}{
				{"web", webReq, "kai@example.org"},
				{"api", apiReq, "lea@example.org"},
			} {
				fresh := send(t, s.req(s.email, "New Comer", "a fresh start"))
				taken := send(t, s.req(s.email, "Someone Else", "another password"))
				if !same(fresh, taken) {
					t.Errorf("%s: a new and a taken address answer differently:\nnew:   %+v\ntaken: %+v", s.surface, fresh, taken)
				}
				if _, err := a.Service.Authenticate(t.Context(), s.email, "a fresh start"); err != nil {
					t.Errorf("%s: the new member cannot log in: %v", s.surface, err)
				}
			}
			send(t, webReq("mia@example.org", "Someone Else", "another password"))
			send(t, apiReq("mia@example.org", "Someone Else", "another password"))
			if _, err := a.Service.Authenticate(t.Context(), "mia@example.org", "another password"); err == nil {
				t.Error("registering a taken address changed its password")
			}
			if _, err := a.Service.Authenticate(t.Context(), "mia@example.org", miaPassword); err != nil {
				t.Errorf("registering a taken address broke its owner's login: %v", err)
			}
			fresh := send(t, webReq("kai2@example.org", "New Comer", "a fresh start"))
			if fresh.status != 303 || fresh.header.Get("Location") != "/login?email=kai2%40example.org&next=%2Fwelcome&registered=1" || fresh.header.Get("Set-Cookie") != "" {
				t.Errorf("web registration: %+v, want a redirect to the login form and no session", fresh)
			}
			ans := send(t, apiReq("lea2@example.org", "New Comer", "a fresh start"))
			if ans.status != 202 || ans.body != `{"message":"`+forum.RegisteredMessage+`"}`+"\n" {
				t.Errorf("API registration: %+v", ans)
			}

			// Registrations of one address at once make one member, and
			// every one of them gets the same answer.
			const n = 5
			answers := make([]answer, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { answers[i] = send(t, apiReq("twin@example.org", "Twin "+strconv.Itoa(i), "a fresh start")) })
			}
			wg.Wait()
			for i := range answers {
				if !same(answers[i], answers[0]) || answers[i].status != 202 {
					t.Errorf("concurrent registration %d: %+v", i, answers[i])
				}
			}
			list, err := a.Store.ListMembers(t.Context(), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			twins := 0
			for _, m := range list {
				if m.Email == "twin@example.org" {
					twins++
				}
			}
			if twins != 1 {
				t.Errorf("%d members with one email", twins)
			}
		})
	}
}

// TestPendingMemberLogsInToWait: with approval on, a new member registers,
// is sent to log in, and lands on the awaiting-approval page.
func TestPendingMemberLogsInToWait(t *testing.T) {
	a, admin, _ := accountsForum(t, "sqlite")
	if err := a.Service.SetRequireApproval(t.Context(), admin, true); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a.URL())
	p := b.post("/register", url.Values{"email": {"pat@example.org"}, "name": {"Pat Pending"}, "password": {"pending-pass"}})
	if p.status != 303 || !strings.HasPrefix(p.loc, "/login?") {
		t.Fatalf("register: %d %q\n%s", p.status, p.loc, p.body)
	}
	expect(t, "login form", b.get(p.loc), 200, forum.RegisteredMessage, `value="pat@example.org"`)
	if p = b.post("/login", url.Values{"email": {"pat@example.org"}, "password": {"pending-pass"}}); p.status != 303 || p.loc != "/pending" {
		t.Fatalf("login: %d %q", p.status, p.loc)
	}
	expect(t, "pending page", b.get("/pending"), 200, "Awaiting approval", "Pat Pending")
}

// TestAPILogoutRevokesTheTokenItAccepts: the token is read the same way to
// log in and to log out, so a logout that answers 204 has ended it.
func TestAPILogoutRevokesTheTokenItAccepts(t *testing.T) {
	a, _, _ := accountsForum(t, "sqlite")
	token := apiLogin(t, a, "mia@example.org", miaPassword)
	req, _ := http.NewRequest("DELETE", a.URL()+"/api/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer  "+token) // a stray space, which auth forgives
	if ans := send(t, req); ans.status != 204 {
		t.Fatalf("logout: %+v", ans)
	}
	if apiIn(t, a, token) {
		t.Error("the token still logs in after a logout answered 204")
	}
}
