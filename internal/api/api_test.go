package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/api"
	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// testForum is Hearth on a fresh database of one engine, its log captured
// at debug level, with a category, a thread of two posts and API tokens
// for a member, a moderator and an admin.
type testForum struct {
	a                  *app.App
	log                *apptest.Log
	base               string
	member, mod, admin string // API tokens
	memberID           int64
	people             []*forum.Member // the member, the moderator, the admin
	catID, threadID    int64
	firstPost, reply   int64
}

func newForum(t *testing.T, engine string) *testForum {
	t.Helper()
	f := &testForum{log: apptest.NewLog(t)}
	cfg := app.Config{Log: f.log.Logger()}
	if engine == "postgres" {
		cfg.DB = storetest.CreatePostgres(t)
	}
	f.a = apptest.Start(t, cfg)
	f.base = f.a.URL()
	ctx, svc := t.Context(), f.a.Service
	var tokens []string
	var members []*forum.Member
	for _, nm := range []forum.NewMember{
		{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"},
		{Email: "mo@example.org", Name: "Mo Moderator", Password: "moderator-password", Role: forum.RoleModerator},
		{Email: "ada@example.org", Name: "Ada Admin", Password: "admin-password", Role: forum.RoleAdmin},
	} {
		m, err := svc.CreateMember(ctx, nm)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := svc.StartSession(ctx, m, "api")
		if err != nil {
			t.Fatal(err)
		}
		members, tokens = append(members, m), append(tokens, tok)
	}
	f.member, f.mod, f.admin, f.memberID, f.people = tokens[0], tokens[1], tokens[2], members[0].ID, members
	cat, err := svc.CreateCategory(ctx, members[2], forum.CategoryInput{Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	th, p, err := svc.CreateThread(ctx, members[0], forum.NewThread{CategoryID: cat.ID, Title: "Lisbon in March?", Body: "Anyone been?"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Reply(ctx, members[1], th.ID, "Yes, lovely.", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.catID, f.threadID, f.firstPost, f.reply = cat.ID, th.ID, p.ID, r.ID
	return f
}

// answer is one response, its JSON body decoded when it has one.
type answer struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

// do sends one request. hdr holds extra headers ("Authorization" among
// them); a body is sent as application/json.
func (f *testForum) do(t *testing.T, method, path string, hdr map[string]string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header, body: string(b)}
	json.Unmarshal(b, &a.json)
	return a
}

// call sends a JSON body (a string, or nil for none) with token, if any.
func (f *testForum) call(t *testing.T, method, path, token string, body any) answer {
	t.Helper()
	hdr := map[string]string{}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	return f.do(t, method, path, hdr, rd)
}

// checkJSON fails unless a is a JSON answer and, when it is an error, its
// body carries the request ID of its X-Request-Id header.
func checkJSON(t *testing.T, what string, a answer) {
	t.Helper()
	if a.status == http.StatusNoContent {
		return
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: %d with Content-Type %q, want JSON:\n%.300s", what, a.status, ct, a.body)
		return
	}
	if a.status >= 400 {
		id := a.header.Get("X-Request-Id")
		if a.json["error"] == nil || id == "" || a.json["request_id"] != id {
			t.Errorf("%s: %d error body %s lacks request_id %q", what, a.status, a.body, id)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestAPILogoutRevokesTheTokenThatAuthenticated (finding 10): whatever
// spelling of the Authorization header logs a client in, DELETE
// /api/v1/sessions with it revokes that very token.
func TestAPILogoutRevokesTheTokenThatAuthenticated(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newForum(t, engine)
			for _, spell := range []string{"Bearer %s", "Bearer  %s", "Bearer   %s", "bearer %s", "BEARER %s"} {
				a := f.call(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "mia@example.org", "password": "member-password"})
				tok, _ := a.json["token"].(string)
				if a.status != 201 || tok == "" {
					t.Fatalf("log in: %d %s", a.status, a.body)
				}
				hdr := map[string]string{"Authorization": strings.Replace(spell, "%s", tok, 1)}
				if a := f.do(t, "GET", "/api/v1/me", hdr, nil); a.status != 200 {
					t.Fatalf("%q: /me %d %s", spell, a.status, a.body)
				}
				if a := f.do(t, "DELETE", "/api/v1/sessions", hdr, nil); a.status != 204 {
					t.Fatalf("%q: log out %d %s", spell, a.status, a.body)
				}
				if a := f.do(t, "GET", "/api/v1/me", hdr, nil); a.status != 401 {
					t.Errorf("%q: the token still works after logging out with it: %d %s", spell, a.status, a.body)
				}
				if a := f.call(t, "GET", "/api/v1/me", tok, nil); a.status != 401 {
					t.Errorf("%q: the token still works after logging out with it: %d %s", spell, a.status, a.body)
				}
			}
			a := f.do(t, "GET", "/api/v1/me", map[string]string{"Authorization": "Basic bWlhOnB3"}, nil)
			if a.status != 401 || !strings.Contains(a.body, "Bearer TOKEN") || !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("another scheme: %d %s %v", a.status, a.body, a.header)
			}
			checkJSON(t, "another scheme", a)
			f.log.CheckNoFailures(t)
		})
	}
}

// TestAPIGuestPatchThreadWithNull (finding 11): a guest's PATCH with
// null fields is refused with 401 JSON before the body is read, and a
// moderator's null means "leave as it is".
func TestAPIGuestPatchThreadWithNull(t *testing.T) {
	f := newForum(t, "sqlite")
	path := "/api/v1/threads/" + itoa(f.threadID)
	for _, body := range []string{`{"locked":null}`, `{"sticky":null,"locked":null}`, `null`, `[]`, `{"locked":"yes"}`} {
		a := f.call(t, "PATCH", path, "", body)
		if a.status != 401 {
			t.Errorf("guest PATCH %s: %d %s", body, a.status, a.body)
		}
		checkJSON(t, "guest PATCH "+body, a)
		a = f.call(t, "PATCH", path, f.member, body)
		if a.status != 403 {
			t.Errorf("member PATCH %s: %d %s", body, a.status, a.body)
		}
		checkJSON(t, "member PATCH "+body, a)
	}
	a := f.call(t, "PATCH", path, f.mod, `{"sticky":true}`)
	if a.status != 200 || a.json["sticky"] != true || a.json["locked"] != false {
		t.Fatalf("pin: %d %s", a.status, a.body)
	}
	a = f.call(t, "PATCH", path, f.mod, `{"sticky":null,"locked":true}`)
	if a.status != 200 || a.json["sticky"] != true || a.json["locked"] != true {
		t.Fatalf("lock, sticky null: %d %s", a.status, a.body)
	}
	a = f.call(t, "GET", path, "", nil)
	if a.status != 200 || a.json["sticky"] != true || a.json["locked"] != true {
		t.Fatalf("thread after PATCH: %d %s", a.status, a.body)
	}
	f.log.CheckNoFailures(t)
}

// escapeAll writes s as a JSON string with every character escaped as
// \uXXXX, as Python's json.dumps does with non-ASCII text: six bytes for
// a character of the BMP, twelve (a surrogate pair) for one beyond it.
func escapeAll(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r > 0xffff {
			r -= 0x10000
			b.WriteString(`\u` + strconv.FormatInt(int64(0xd800+(r>>10)), 16))
			b.WriteString(`\u` + strconv.FormatInt(int64(0xdc00+(r&0x3ff)), 16))
			continue
		}
		h := strconv.FormatInt(int64(r), 16)
		b.WriteString(`\u` + strings.Repeat("0", 4-len(h)) + h)
	}
	b.WriteByte('"')
	return b.String()
}

// TestAPIBodyLimitFitsTheLongestPost: a post of forum.MaxBodyLen
// characters, every one beyond the BMP and escaped as \uXXXX\uXXXX, fits
// the API's body limit as a new thread, a reply and an edit; a body over
// the limit gets 413 JSON.
func TestAPIBodyLimitFitsTheLongestPost(t *testing.T) {
	f := newForum(t, "sqlite")
	longest := escapeAll(strings.Repeat("😀", forum.MaxBodyLen))
	title := escapeAll(strings.Repeat("😀", forum.MaxTitleLen))
	a := f.call(t, "POST", "/api/v1/threads", f.member, `{"category_id": `+itoa(f.catID)+`, "title": `+title+`, "body": `+longest+`}`)
	if a.status != 201 {
		t.Fatalf("new thread of %d bytes: %d %.300s", len(longest), a.status, a.body)
	}
	id := int64(a.json["id"].(float64))
	a = f.call(t, "POST", "/api/v1/threads/"+itoa(id)+"/posts", f.member, `{"body": `+longest+`, "quote_post_id": 0}`)
	if a.status != 201 {
		t.Fatalf("reply: %d %.300s", a.status, a.body)
	}
	a = f.call(t, "PATCH", "/api/v1/posts/"+itoa(int64(a.json["id"].(float64))), f.member, `{"body": `+longest+`}`)
	if a.status != 200 {
		t.Fatalf("edit: %d %.300s", a.status, a.body)
	}
	bmp := escapeAll(strings.Repeat("é", forum.MaxBodyLen))
	if a = f.call(t, "POST", "/api/v1/threads/"+itoa(id)+"/posts", f.member, `{"body": `+bmp+`}`); a.status != 201 {
		t.Fatalf("reply of escaped BMP characters: %d %.300s", a.status, a.body)
	}
	tooBig := `{"body": "` + strings.Repeat("a", 1<<20) + `"}`
	a = f.call(t, "POST", "/api/v1/threads/"+itoa(id)+"/posts", f.member, tooBig)
	if a.status != 413 || !strings.Contains(a.body, "larger than") {
		t.Errorf("a body of 1 MiB: %d %.300s", a.status, a.body)
	}
	checkJSON(t, "413", a)
	f.log.CheckNoFailures(t)
}

// TestAPIEveryRouteAnyCallerAnyBody (finding 11) drives every route of the
// route table as a guest, a member and a moderator, with no body, bodies
// that are not objects, every field set to null and to values of the
// wrong type, huge and negative numbers, and ids that are negative, huge
// or do not exist. No answer may be a 5xx or anything but JSON, every
// error carries its request ID, member routes refuse guests with 401
// whatever they send, and the server logs no panic and no ERROR.
func TestAPIEveryRouteAnyCallerAnyBody(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newForum(t, engine)
			ctx := t.Context()
			existing := map[string]int64{"members": f.memberID, "categories": f.catID, "threads": f.threadID, "posts": f.reply}
			badIDs := []string{"0", "-1", "424242", "9223372036854775807", "99999999999999999999", "1.5", "abc", "%00"}
			queries := []string{"?page=0", "?page=-1", "?page=2", "?page=x", "?page=9223372036854775807", "?page=99999999999999999999"}
			bodies := []string{"", "null", "{}", "[]", `"text"`, "1", "{", "{}{}", `{"unknown":1}`, "\xff", `{"body":"\u0000"}`}
			fields := []string{"email", "password", "name", "description", "parent_id", "members_only", "staff_only",
				"category_id", "title", "body", "quote_post_id", "sticky", "locked"}
			values := []string{"null", `"x"`, `""`, "0", "-1", "1.5", "1e400", "99999999999999999999", "-99999999999999999999",
				"true", "{}", "[]", `"` + strings.Repeat("ü", 300) + `"`}
			for _, name := range fields {
				for _, v := range values {
					bodies = append(bodies, `{"`+name+`":`+v+`}`)
				}
			}
			var allNull []string
			for _, name := range fields {
				allNull = append(allNull, `"`+name+`":null`)
			}
			bodies = append(bodies, "{"+strings.Join(allNull, ",")+"}")

			tokens := map[string]string{"guest": "", "member": f.member, "moderator": f.mod}
			for _, rt := range api.Routes() {
				method, pattern, _ := strings.Cut(rt.Pattern, " ")
				for _, who := range []string{"guest", "member", "moderator"} {
					send := func(path string, body *string) {
						t.Helper()
						var rd io.Reader
						what := who + " " + method + " " + path
						if body != nil {
							rd, what = strings.NewReader(*body), what+" "+strconv.Quote(*body)
						}
						hdr := map[string]string{}
						if tokens[who] != "" {
							hdr["Authorization"] = "Bearer " + tokens[who]
						}
						a := f.do(t, method, path, hdr, rd)
						if a.status >= 500 {
							t.Errorf("%s: %d %.300s", what, a.status, a.body)
						}
						if rt.MemberOnly && who == "guest" && a.status != 401 {
							t.Errorf("%s: %d, want 401 for a guest", what, a.status)
						}
						checkJSON(t, what, a)
						if rt.Pattern == "DELETE /api/v1/sessions" && a.status == 204 { // logged out: a new token
							m := f.people[0]
							if who == "moderator" {
								m = f.people[1]
							}
							tokens[who], _ = f.a.Service.StartSession(ctx, m, "api")
						}
					}
					path := pattern
					seg, _, hasID := strings.Cut(strings.TrimPrefix(pattern, "/api/v1/"), "/{id}")
					if hasID {
						for _, id := range badIDs {
							body := "{}"
							send(strings.Replace(pattern, "{id}", id, 1), &body)
						}
						path = strings.Replace(pattern, "{id}", itoa(existing[seg]), 1)
					}
					send(path, nil)
					switch method {
					case "GET":
						for _, q := range queries {
							send(path+q, nil)
						}
					case "POST", "PATCH":
						for _, b := range bodies {
							send(path, &b)
						}
						plain := `{"body":"x"}`
						hdr := map[string]string{"Content-Type": "text/plain", "Authorization": "Bearer " + tokens[who]}
						if a := f.do(t, method, path, hdr, strings.NewReader(plain)); a.status >= 500 {
							t.Errorf("%s %s as text/plain: %d", method, path, a.status)
						}
					}
				}
			}
			f.log.CheckNoFailures(t)
		})
	}
}
