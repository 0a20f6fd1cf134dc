package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/web"
)

// TestPanicUnderAPIAnswersJSON (finding 11): a panic in a handler under
// /api/ is logged once, with its stack, and answered with the API's JSON
// 500 and the request ID, showing nothing of the panic. The panicking API
// stands in for a bug, mounted beside the real pages as app mounts the
// real one.
func TestPanicUnderAPIAnswersJSON(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	log := apptest.NewLog(t)
	buggy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/halfway" {
			w.Write([]byte(`{"posts":[`))
			panic("broken halfway")
		}
		w.Header().Set("Content-Length", "12345") // half-made answers must not leak into the 500
		w.Header().Set("Content-Type", "text/plain")
		panic("broken at /srv/hearth/secret.go")
	})
	ws, err := web.New(a.Service, log.Logger(), web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Surfaces(log.Logger(), "", ws, buggy))
	defer srv.Close()
	for _, method := range []string{"GET", "PATCH"} {
		req, _ := http.NewRequest(method, srv.URL+"/api/v1/threads/1", strings.NewReader(`{"locked":null}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var body map[string]any
		if res.StatusCode != 500 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || json.Unmarshal(b, &body) != nil {
			t.Fatalf("%s: %d %q %s", method, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
		if id := res.Header.Get("X-Request-Id"); id == "" || body["request_id"] != id {
			t.Errorf("%s: request_id %v, header %q", method, body["request_id"], id)
		}
		if strings.Contains(string(b), "secret") || strings.Contains(string(b), "goroutine") {
			t.Errorf("%s: the answer shows internals: %s", method, b)
		}
		if n := len(log.Lines("level=ERROR", "request_id="+res.Header.Get("X-Request-Id"))); n != 1 {
			t.Errorf("%s: %d ERROR lines for the request, want the panic once", method, n)
		}
	}
	if n := len(log.Lines("level=ERROR", "msg=panic", "stack=", "broken at")); n != 2 {
		t.Errorf("%d panics logged with their stack, want 2:\n%s", n, log)
	}

	// A panic after the answer began cuts the answer off: a client must
	// not take half a body and a 500 glued to it for a whole answer.
	res, err := http.Post(srv.URL+"/api/v1/halfway", "application/json", strings.NewReader("{}")) // POST: not retried
	if err == nil {
		b, rerr := io.ReadAll(res.Body)
		res.Body.Close()
		if rerr == nil {
			t.Errorf("a panic halfway gave a complete answer: %d %s", res.StatusCode, b)
		}
	}
	if n := len(log.Lines("level=ERROR", "msg=panic", "broken halfway")); n != 1 {
		t.Errorf("%d panics logged halfway, want 1", n)
	}
}

// TestPagesKnowNothingOfTheAPI: the pages' handler, served alone, answers
// an /api/ path as any other unknown page, an HTML 404: JSON comes from
// the API, mounted beside the pages in internal/app, not from the pages
// looking at path prefixes.
func TestPagesKnowNothingOfTheAPI(t *testing.T) {
	a := apptest.Start(t, app.Config{})
	ws, err := web.New(a.Service, apptest.NewLog(t).Logger(), web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ws.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/v1/categories")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 404 || !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/api/ on the pages alone: %d %q, want the pages' 404", res.StatusCode, ct)
	}
}
