package app_test

import (
	"bytes"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/clientip"
	"hearth/internal/forum"
)

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// TestLoginRedirectStaysOnSite: after logging in, the member lands on the
// page they came from, and never on another host (finding 3).
func TestLoginRedirectStaysOnSite(t *testing.T) {
	a := start(t, "sqlite")
	if _, err := a.Service.CreateMember(t.Context(), forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ next, want string }{
		{"/t/1/lisbon?page=2", "/t/1/lisbon?page=2"},
		{"/./\\evil.example", "/"},
		{"/./%5Cevil.example", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"/\t/evil.example", "/"},
		{"/%2F%2Fevil.example", "/evil.example"},
	}
	for _, tt := range tests {
		b := newBrowser(t, a.URL())
		p := b.get("/login?next=" + url.QueryEscape(tt.next))
		m := nextField.FindStringSubmatch(p.body)
		if p.status != 200 || m == nil || html.UnescapeString(m[1]) != tt.want {
			t.Errorf("login form for next=%q: %d, next field %q, want %q", tt.next, p.status, m, tt.want)
		}
		// The raw value posted, as a crafted form would.
		p = b.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}, "next": {tt.next}})
		if p.status != 303 || p.loc != tt.want {
			t.Errorf("login with next=%q: %d to %q, want 303 to %q", tt.next, p.status, p.loc, tt.want)
		}
	}
}

// lockedBuffer collects a server's log lines while it serves.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// loginVia posts a wrong login as a reverse proxy on this machine would
// forward it, with X-Forwarded-For as given.
func loginVia(b *browser, xff string) page {
	b.t.Helper()
	form := url.Values{"email": {"x@example.org"}, "password": {"wrong-password"}}
	req, _ := http.NewRequest("POST", b.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("X-Forwarded-For", xff)
	return b.do(req)
}

// TestLoginLimitBehindAppendingProxy covers finding 6: behind a proxy that
// appends the client's address to X-Forwarded-For, a client cannot escape
// the login limit by sending an X-Forwarded-For of its own.
func TestLoginLimitBehindAppendingProxy(t *testing.T) {
	t.Run("proxy on this machine", func(t *testing.T) {
		a := apptest.StartWithLimits(t, app.Config{TrustProxy: true, Log: testLog(t)})
		b := newBrowser(t, a.URL())
		var last page
		for i := range 15 {
			// The client forges a new address each time; the proxy appends
			// the one it saw, 198.51.100.7.
			last = loginVia(b, "203.0.113."+strconv.Itoa(i)+", 198.51.100.7")
		}
		expect(t, "15th login of one client", last, 429, "Too many login attempts")
		// The limit is that client's, not everyone's behind the proxy.
		expect(t, "another client", loginVia(b, "203.0.113.1, 198.51.100.8"), 401, "Wrong email or password")
	})
	t.Run("header from a machine that is not a proxy", func(t *testing.T) {
		logs := &lockedBuffer{}
		proxies, _ := clientip.Parse("10.0.0.0/8")
		a := apptest.StartWithLimits(t, app.Config{TrustedProxies: proxies, Log: slog.New(slog.NewTextHandler(logs, nil))})
		b := newBrowser(t, a.URL())
		var last page
		for i := range 15 {
			last = loginVia(b, "198.51.100."+strconv.Itoa(i))
		}
		expect(t, "15th login from 127.0.0.1", last, 429, "Too many login attempts")
		if got := logs.String(); strings.Count(got, "not a trusted proxy") != 1 || !strings.Contains(got, "--trusted-proxies") {
			t.Errorf("want one warning naming --trusted-proxies, got:\n%s", got)
		}
	})
}

// madeUpBody is a request body made up as it is read: head, then n bytes
// of filler, then tail. It counts what the client consumed, and stops
// (an error) once told to, so a refused upload ends on the client's side.
type madeUpBody struct {
	head, tail []byte
	n          int64
	read       atomic.Int64
	stop       atomic.Bool
}

func (b *madeUpBody) size() int64 { return int64(len(b.head)) + b.n + int64(len(b.tail)) }

func (b *madeUpBody) Read(p []byte) (int, error) {
	if b.stop.Load() {
		return 0, errors.New("stopped by the test")
	}
	off, total := b.read.Load(), b.size()
	if off >= total {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < total {
		switch {
		case off < int64(len(b.head)):
			p[n] = b.head[off]
		case off < int64(len(b.head))+b.n:
			p[n] = 'a'
		default:
			p[n] = b.tail[off-int64(len(b.head))-b.n]
		}
		n++
		off++
	}
	b.read.Add(int64(n))
	return n, nil
}

func urlencodedBody(n int64) (*madeUpBody, string) {
	return &madeUpBody{head: []byte("name=x&body="), n: n}, "application/x-www-form-urlencoded"
}

func multipartBody(n int64) (*madeUpBody, string) {
	return &madeUpBody{
		head: []byte("--b0undary\r\nContent-Disposition: form-data; name=\"body\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"),
		n:    n,
		tail: []byte("\r\n--b0undary--\r\n"),
	}, "multipart/form-data; boundary=b0undary"
}

// sendHuge posts body to path, with its Content-Length or chunked, and
// returns the answer and how much of the body the client had sent by then.
func sendHuge(b *browser, path string, body *madeUpBody, ctype string, chunked bool) (page, int64) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, body)
	req.ContentLength = body.size()
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", b.base)
	p := b.do(req)
	sent := body.read.Load()
	body.stop.Store(true)
	return p, sent
}

// TestFormBodiesAreCappedAndLeaveNoTempFiles covers finding 2: huge form
// posts, urlencoded or multipart, with or without a Content-Length, to
// every form route, as a guest and as a member, are refused (413 or 415)
// before they are read to the end, and nothing is left in the temporary
// directory. Posts of the longest body the forum accepts still go through.
func TestFormBodiesAreCappedAndLeaveNoTempFiles(t *testing.T) {
	data, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.TempDir, where multipart parts would go
	a := apptest.Start(t, app.Config{DataDir: data})
	ctx, svc := t.Context(), a.Service
	admin, err := svc.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	mia, err := svc.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	th, post, err := svc.CreateThread(ctx, mia, forum.NewThread{CategoryID: cat.ID, Title: "Big posts", Body: "first"})
	if err != nil {
		t.Fatal(err)
	}
	c, tid, pid, mid := itoa(int(cat.ID)), itoa(int(th.ID)), itoa(int(post.ID)), itoa(int(mia.ID))
	routes := []string{
		"/setup", "/login", "/logout", "/register",
		"/c/" + c + "/new", "/t/" + tid + "/reply", "/t/" + tid + "/flags",
		"/p/" + pid + "/edit", "/p/" + pid + "/delete", "/p/" + pid + "/restore",
		"/m/" + mid + "/edit", "/m/" + mid + "/password",
		"/admin/settings", "/admin/mode", "/admin/status",
		"/admin/members/" + mid + "/status", "/admin/members/" + mid + "/role",
		"/admin/categories/new", "/admin/categories/" + c + "/edit", "/admin/categories/" + c + "/move",
	}
	guest := newBrowser(t, a.URL())
	member := newBrowser(t, a.URL())
	if p := member.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}); p.status != 303 {
		t.Fatalf("login: %d", p.status)
	}

	const huge = 40 << 20
	kinds := []struct {
		name    string
		body    func(int64) (*madeUpBody, string)
		chunked bool
		status  int
		msg     string
	}{
		{"urlencoded", urlencodedBody, false, 413, "larger than the forum accepts"},
		{"urlencoded, chunked", urlencodedBody, true, 413, "larger than the forum accepts"},
		{"multipart", multipartBody, false, 415, "file upload"},
		{"multipart, chunked", multipartBody, true, 415, "file upload"},
	}
	for _, who := range []struct {
		name string
		b    *browser
	}{{"guest", guest}, {"member", member}} {
		for _, route := range routes {
			for _, k := range kinds {
				body, ctype := k.body(huge)
				p, sent := sendHuge(who.b, route, body, ctype, k.chunked)
				what := who.name + " " + k.name + " to " + route
				if p.status != k.status || !strings.Contains(p.body, k.msg) || !strings.Contains(p.body, "Reference for the admin: "+p.header.Get("X-Request-Id")) {
					t.Fatalf("%s: %d, want %d with %q and the request id\n%s", what, p.status, k.status, k.msg, p.body)
				}
				// Refused early: at most the cap and what the sockets buffer.
				if sent > huge/4 {
					t.Errorf("%s: the client had sent %d MB of %d MB before the answer", what, sent>>20, huge>>20)
				}
			}
		}
	}
	if files, _ := os.ReadDir(tmp); len(files) > 0 {
		t.Errorf("temporary directory holds %d files after the posts, e.g. %s", len(files), files[0].Name())
	}

	// The longest post the forum accepts, in the widest characters, fits:
	// each 4-byte rune is 12 bytes URL-encoded.
	longest := strings.Repeat("𝄞", forum.MaxBodyLen)
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{"/t/" + tid + "/reply", url.Values{"body": {longest}}},
		{"/c/" + c + "/new", url.Values{"title": {strings.Repeat("𝄞", forum.MaxTitleLen)}, "body": {longest}}},
		{"/p/" + pid + "/edit", url.Values{"body": {longest}}},
	} {
		if p := member.post(f.path, f.form); p.status != 303 {
			t.Errorf("longest post to %s: %d\n%.300s", f.path, p.status, p.body)
		}
	}
	bio := url.Values{"name": {"Mia Member"}, "title": {strings.Repeat("𝄞", forum.MaxProfileLen)}, "location": {strings.Repeat("𝄞", forum.MaxProfileLen)}, "bio": {strings.Repeat("𝄞", forum.MaxBioLen)}}
	if p := member.post("/m/"+mid+"/edit", bio); p.status != 303 {
		t.Errorf("longest profile: %d\n%.300s", p.status, p.body)
	}
	// Just over the caps: refused with the limit in words.
	p := member.post("/t/"+tid+"/reply", url.Values{"body": {strings.Repeat("a", 700<<10)}})
	expect(t, "reply over the cap", p, 413, "at most 50000 characters")
	p = member.post("/m/"+mid+"/edit", url.Values{"bio": {strings.Repeat("a", 65<<10)}})
	expect(t, "profile over the cap", p, 413, "(64 KB)")
	// A form that is not form-encoded gets a clear 400, not a 500.
	req, _ := http.NewRequest("POST", a.URL()+"/login", strings.NewReader("email=%zz"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL())
	expect(t, "malformed form", guest.do(req), 400, "could not be read")
}

// TestHeadersAreCapped: request headers past the server's cap are refused
// by net/http before any handler runs (http.Server.MaxHeaderBytes).
func TestHeadersAreCapped(t *testing.T) {
	a := start(t, "sqlite")
	b := newBrowser(t, a.URL())
	req, _ := http.NewRequest("GET", a.URL()+"/", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 128<<10))
	if p := b.do(req); p.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("128 KiB of headers: %d", p.status)
	}
	expect(t, "normal request after", b.get("/login"), 200, "Log in")
}

// TestFormsWorkBehindHostRewritingProxy: a proxy that sets its own Host
// header (nginx's default) does not make the forum's own forms look
// cross-site to browsers that send Origin but not Sec-Fetch-Site.
func TestFormsWorkBehindHostRewritingProxy(t *testing.T) {
	a := apptest.Start(t, app.Config{BaseURL: "https://forum.example.org", Log: testLog(t)})
	b := newBrowser(t, "http://"+a.Addr())
	post := func(origin string) page {
		req, _ := http.NewRequest("POST", b.base+"/login", strings.NewReader("email=x%40example.org&password=wrong-password"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin) // Host is 127.0.0.1:port, as the proxy sent it
		return b.do(req)
	}
	expect(t, "form from the public origin", post("https://forum.example.org"), 401, "Wrong email or password")
	expect(t, "form from another site", post("https://evil.example"), 403, "another site")
}
