package statuspage

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"hearth/internal/status"
)

// receiver is a webhook endpoint that answers the given statuses in turn
// (200 once they run out) and records what it got.
type receiver struct {
	mu      sync.Mutex
	answers []int
	got     []received
}

type received struct {
	status  int
	body    []byte
	header  http.Header
	payload Payload
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	code := 200
	if len(rc.answers) > 0 {
		code, rc.answers = rc.answers[0], rc.answers[1:]
	}
	var p Payload
	json.Unmarshal(b, &p)
	rc.got = append(rc.got, received{code, b, r.Header.Clone(), p})
	w.WriteHeader(code)
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func newDeliverer(f *fixture, url string) *Deliverer {
	return &Deliverer{DataDir: f.dir, Page: f.page, Hooks: []Hook{{URL: url, Secret: "hook-secret"}}, Site: f.site,
		Log: slog.New(slog.DiscardHandler), BaseDelay: time.Millisecond}
}

// rounds runs the deliverer's rounds until ok or 10 s pass.
func rounds(t *testing.T, d *Deliverer, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("deliveries did not arrive")
		}
		if err := d.Round(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhookSignedAndRetried(t *testing.T) {
	f := newFixture(t)
	rc := &receiver{answers: []int{500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	d := newDeliverer(f, srv.URL+"/hook")
	if err := d.Round(t.Context()); err != nil { // starts the journal: nothing from before is sent
		t.Fatal(err)
	}
	inc, err := f.page.Open(status.NewIncident{Title: "Forum down", Impact: status.ImpactCritical, Components: []string{"forum"}, Text: "Looking."})
	if err != nil {
		t.Fatal(err)
	}
	rounds(t, d, func() bool { return len(rc.all()) >= 2 })
	got := rc.all()
	if got[0].status != 500 || got[1].status != 200 {
		t.Fatalf("answers %d, %d", got[0].status, got[1].status)
	}
	for _, g := range got {
		if !Verify("hook-secret", g.body, g.header.Get("X-Hearth-Signature")) {
			t.Errorf("bad signature %q", g.header.Get("X-Hearth-Signature"))
		}
		if Verify("other", g.body, g.header.Get("X-Hearth-Signature")) {
			t.Error("a signature verified with the wrong secret")
		}
		if ts, err := strconv.ParseInt(g.header.Get("X-Hearth-Timestamp"), 10, 64); err != nil || time.Since(time.Unix(ts, 0)) > time.Minute {
			t.Errorf("timestamp %q", g.header.Get("X-Hearth-Timestamp"))
		}
		if g.header.Get("X-Hearth-Event") != "incident.created" || g.header.Get("X-Hearth-Delivery") == "" {
			t.Errorf("headers %v", g.header)
		}
	}
	p := got[1].payload
	if p.Event != "incident.created" || p.Incident.ID != inc.ID || p.Update == nil || p.Update.Text != "Looking." || p.Page.Name != "Travel Forum" || p.Page.URL == "" {
		t.Errorf("payload %+v", p)
	}
	if string(got[0].body) != string(got[1].body) {
		t.Error("the retry sent another body")
	}
	j, _, err := ReadJournal(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Pending) != 0 || len(j.Log) != 1 || j.Log[0].State != "delivered" || j.Log[0].Attempts != 2 {
		t.Errorf("journal %+v", j)
	}
}

// TestWebhookSurvivesRestart: a delivery pending when the server stops is
// sent by the next one, from the journal, after the events themselves are
// gone from the page file's outbox.
func TestWebhookSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	rc := &receiver{answers: []int{503}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	first := newDeliverer(f, srv.URL)
	first.BaseDelay = time.Hour // the retry would be long after this "process" ends
	first.Round(t.Context())
	inc, err := f.page.Open(status.NewIncident{Title: "Mail stuck", Text: "Mail is not going out."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.page.Resolve(inc.ID, "Mail flows."); err != nil {
		t.Fatal(err)
	}
	rounds(t, first, func() bool { return len(rc.all()) == 2 })
	j, _, _ := ReadJournal(f.dir)
	if len(j.Pending) != 1 || j.Pending[0].Event != "incident.created" {
		t.Fatalf("pending before the restart: %+v", j.Pending)
	}

	// A new process: its own stores on the same files, a fresh deliverer
	// whose delays are short; the journal still says what is owed.
	page, _ := status.OpenPage(f.dir)
	second := newDeliverer(f, srv.URL)
	second.Page = page
	// Pretend the retry is due now (the first process chose an hour).
	j.Pending[0].NextAt = time.Now().Add(-time.Second)
	b, _ := json.Marshal(j)
	status.WriteFileAtomic(f.dir+"/"+JournalFile, b, 0o600)
	rounds(t, second, func() bool { return len(rc.all()) == 3 })
	got := rc.all()
	if got[2].status != 200 || got[2].payload.Event != "incident.created" {
		t.Errorf("after restart: %d %s", got[2].status, got[2].payload.Event)
	}
	second.Round(context.Background())
	if len(rc.all()) != 3 {
		t.Error("a delivered event was sent again")
	}
	j, _, _ = ReadJournal(f.dir)
	if len(j.Pending) != 0 || len(j.Log) != 2 {
		t.Errorf("journal after %+v", j)
	}
}

func TestHookFlag(t *testing.T) {
	for _, c := range []struct {
		in, url, secret string
		ok              bool
	}{
		{"https://hooks.example.org/x", "https://hooks.example.org/x", "dflt", true},
		{"https://hooks.example.org/x,secret=abc", "https://hooks.example.org/x", "abc", true},
		{"ftp://nope", "", "", false},
	} {
		h, err := ParseHookFlag(c.in, "dflt")
		if (err == nil) != c.ok || (c.ok && (h.URL != c.url || h.Secret != c.secret)) {
			t.Errorf("%q: %+v %v", c.in, h, err)
		}
	}
	if r := Redact("https://hooks.slack.com/services/T000/B000/XXXX"); r != "https://hooks.slack.com/…" {
		t.Errorf("redact %s", r)
	}
}
