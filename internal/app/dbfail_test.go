package app_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

// failForum is a running forum whose database a test can break in the ways
// a real outage does, with a guest, a member and an API client at hand.
type failForum struct {
	a          *app.App
	threadPath string
	threadID   int64
	guest, mia *browser
	token      string
}

func newFailForum(t *testing.T, cfg app.Config) *failForum {
	t.Helper()
	cfg.Log = testLog(t)
	a := apptest.Start(t, cfg)
	ctx := t.Context()
	admin, err := a.Service.CreateMember(ctx, adminMember())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Service.CreateMember(ctx, forum.NewMember{Email: "mia@example.org", Name: "Mia Member", Password: "member-password"}); err != nil {
		t.Fatal(err)
	}
	cat, err := a.Service.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General"})
	if err != nil {
		t.Fatal(err)
	}
	th, _, err := a.Service.CreateThread(ctx, admin, forum.NewThread{CategoryID: cat.ID, Title: "Before the outage", Body: "All is well."})
	if err != nil {
		t.Fatal(err)
	}
	f := &failForum{a: a, threadID: th.ID, threadPath: "/t/" + strconv.FormatInt(th.ID, 10) + "/" + th.Slug}
	f.guest = newBrowser(t, a.URL())
	f.mia = newBrowser(t, a.URL())
	expect(t, "log in", f.mia.post("/login", url.Values{"email": {"mia@example.org"}, "password": {"member-password"}}), 303)
	f.token = apiLogin(t, a, "mia@example.org", "member-password")
	expect(t, "guest reads before", f.guest.get(f.threadPath), 200, "All is well.")
	return f
}

// outcome is what one request got.
type outcome struct {
	what   string
	status int
	retry  string
	body   string
}

// visit makes the requests members and clients make: a cached page, an
// uncached one, a member's page, an API read and write, a web reply.
func (f *failForum) visit(t *testing.T) []outcome {
	t.Helper()
	tid := strconv.FormatInt(f.threadID, 10)
	var out []outcome
	add := func(what string, p page) {
		out = append(out, outcome{what, p.status, p.header.Get("Retry-After"), p.body})
	}
	add("guest thread page", f.guest.get(f.threadPath))
	add("guest profile", f.guest.get("/m/1"))
	add("member thread page", f.mia.get(f.threadPath))
	add("member front page", f.mia.get("/"))
	add("member reply", f.mia.post("/t/"+tid+"/reply", url.Values{"body": {"Typed during the outage."}}))
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/v1/threads/" + tid, ""},
		{"GET", "/api/v1/me", ""},
		{"POST", "/api/v1/threads/" + tid + "/posts", `{"body":"Sent during the outage."}`},
	} {
		r, _ := http.NewRequest(req.method, f.a.URL()+req.path, strings.NewReader(req.body))
		r.Header.Set("Authorization", "Bearer "+f.token)
		if req.body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		add("API "+req.method+" "+req.path, f.guest.do(r))
	}
	return out
}

// internals are what no member may see in an outcome.
var internals = []string{"pgconn", "SQLSTATE", "sql:", "goroutine", "dial tcp", "hearth_fail_", "sqlite", ".db"}

// checkDegraded asserts every outcome is a success or a 503 with Retry-After
// and no internals.
func checkDegraded(t *testing.T, when string, answers []outcome) {
	t.Helper()
	for _, a := range answers {
		switch {
		case a.status >= 500 && a.status != 503:
			t.Errorf("%s: %s answered %d\n%s", when, a.what, a.status, a.body)
		case a.status == 503 && a.retry == "":
			t.Errorf("%s: %s answered 503 without Retry-After", when, a.what)
		case a.status == 503 && a.what == "member reply" && !strings.Contains(a.body, "Typed during the outage."):
			t.Errorf("%s: the reply refused lost what was typed:\n%s", when, a.body)
		}
		for _, s := range internals {
			if strings.Contains(a.body, s) {
				t.Errorf("%s: %s shows %q:\n%s", when, a.what, s, a.body)
			}
		}
	}
}

// waitRecovered waits until pages and the API outcome normally again,
// within 10 s of the database's return.
func (f *failForum) waitRecovered(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := f.guest.get("/m/1")
		st, _ := api(t, f.a.URL(), "GET", "/api/v1/me", f.token, nil)
		if p.status == 200 && st == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered 10 s after the database returned: profile %d, API %d\n%s", p.status, st, p.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgRole is a PostgreSQL login role and database of its own, so a test can
// take them away (rename, refuse, limit) without touching other tests.
type pgRole struct {
	admin      *sql.DB
	role, name string
}

func newPGRole(t *testing.T) (*pgRole, *url.URL) {
	t.Helper()
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		t.Skip(storetest.PostgresEnv + " not set: skipping the PostgreSQL outage kinds; .ci/run sets it")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [5]byte
	rand.Read(b[:])
	r := &pgRole{admin: admin, role: "hearth_fail_" + hex.EncodeToString(b[:])}
	r.name = r.role + "_db"
	r.exec(t, "CREATE ROLE "+r.role+" LOGIN")
	r.exec(t, "CREATE DATABASE "+r.name+" OWNER "+r.role)
	t.Cleanup(func() {
		ctx := context.Background()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+r.name+" WITH (FORCE)")
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+r.name+"_moved WITH (FORCE)")
		admin.ExecContext(ctx, "DROP ROLE IF EXISTS "+r.role)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User, u.Path = url.User(r.role), "/"+r.name
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return r, u
}

func (r *pgRole) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := r.admin.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// terminate ends every connection to the database, as an administrator or
// a server restart does.
func (r *pgRole) terminate(t *testing.T, db string) {
	t.Helper()
	r.exec(t, fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()", db))
}

// TestDatabaseFailureKinds breaks the PostgreSQL database in each way an
// outage does and checks that no request, the first included, gets a 5xx
// other than 503 (with Retry-After, without internals), and that the forum
// recovers within 10 s of the database's return.
func TestDatabaseFailureKinds(t *testing.T) {
	kinds := []struct {
		name         string
		break_, mend func(t *testing.T, r *pgRole, px *proxy)
	}{
		{"server restarted: every connection dropped", func(t *testing.T, r *pgRole, _ *proxy) { r.terminate(t, r.name) }, nil},
		{"connections terminated by an administrator, repeatedly", func(t *testing.T, r *pgRole, _ *proxy) {
			for range 3 {
				r.terminate(t, r.name)
				time.Sleep(50 * time.Millisecond)
			}
		}, nil},
		{"database refusing connections", func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "ALTER DATABASE "+r.name+" ALLOW_CONNECTIONS false")
			r.terminate(t, r.name)
		}, func(t *testing.T, r *pgRole, _ *proxy) { r.exec(t, "ALTER DATABASE "+r.name+" ALLOW_CONNECTIONS true") }},
		{"database renamed", func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "ALTER DATABASE "+r.name+" ALLOW_CONNECTIONS false")
			r.terminate(t, r.name)
			r.exec(t, "ALTER DATABASE "+r.name+" RENAME TO "+r.name+"_moved")
			r.exec(t, "ALTER DATABASE "+r.name+"_moved ALLOW_CONNECTIONS true")
		}, func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "ALTER DATABASE "+r.name+"_moved RENAME TO "+r.name)
		}},
		{"too many connections", func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "ALTER ROLE "+r.role+" CONNECTION LIMIT 0")
			r.terminate(t, r.name)
		}, func(t *testing.T, r *pgRole, _ *proxy) { r.exec(t, "ALTER ROLE "+r.role+" CONNECTION LIMIT -1") }},
		{"authentication failing after a credential change", func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "ALTER ROLE "+r.role+" NOLOGIN")
			r.terminate(t, r.name)
		}, func(t *testing.T, r *pgRole, _ *proxy) { r.exec(t, "ALTER ROLE "+r.role+" LOGIN") }},
		{"network cut", func(t *testing.T, _ *pgRole, px *proxy) { px.setCut(true) }, func(t *testing.T, _ *pgRole, px *proxy) { px.setCut(false) }},
		{"network timeout: packets dropped, connections kept", func(t *testing.T, _ *pgRole, px *proxy) { px.setStalled(true) },
			func(t *testing.T, _ *pgRole, px *proxy) { px.setStalled(false) }},
		{"database dropped", func(t *testing.T, r *pgRole, _ *proxy) {
			r.exec(t, "DROP DATABASE "+r.name+" WITH (FORCE)")
		}, nil}, // nothing comes back: no recovery to wait for
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			r, u := newPGRole(t)
			px := newProxy(t, u.Host)
			u.Host = px.ln.Addr().String()
			f := newFailForum(t, app.Config{DB: u.String()})
			checkDegraded(t, "before", f.visit(t))

			k.break_(t, r, px)
			start := time.Now()
			checkDegraded(t, "first requests", f.visit(t))
			if d := time.Since(start); d > 2*15*time.Second {
				t.Errorf("the first requests took %v", d)
			}
			if k.mend != nil || k.name == "database dropped" { // a lasting outage
				waitFor(t, "the monitor to notice", func() bool { return f.guest.get("/m/1").status == 503 })
				checkDegraded(t, "during", f.visit(t))
			}

			if k.name == "database dropped" {
				return
			}
			if k.mend != nil {
				k.mend(t, r, px)
			}
			f.waitRecovered(t)
			checkDegraded(t, "after", f.visit(t))
		})
	}
}
