package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/internal/mail"
)

// site is a forum that answers as a Hearth node would: its page and
// /readyz, or 503 for both once the database is "down".
type site struct {
	down atomic.Bool
	srv  *httptest.Server
}

func newSite(t *testing.T) *site {
	f := &site{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "database: not answering", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "Welcome to Travel Agents")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// hooks receives webhooks and checks their signatures.
type hooks struct {
	mu     sync.Mutex
	got    []Alert
	failed int // answer 500 to this many first tries
	srv    *httptest.Server
}

func newHooks(t *testing.T, secret string) *hooks {
	h := &hooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Hearth-Signature") != Signature(secret, body) {
			t.Errorf("webhook signature %q does not match", r.Header.Get("X-Hearth-Signature"))
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failed > 0 {
			h.failed--
			http.Error(w, "busy", 500)
			return
		}
		var al Alert
		if err := json.Unmarshal(body, &al); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.got = append(h.got, al)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hooks) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, a := range h.got {
		out = append(out, a.Kind)
	}
	return out
}

// incidents records what the watcher tells the status page.
type incidents struct {
	mu      sync.Mutex
	opened  []string
	updates []string
}

func (in *incidents) Open(_ context.Context, title, text string) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.opened = append(in.opened, title)
	return "inc-" + strconv.Itoa(len(in.opened)), nil
}

func (in *incidents) Update(_ context.Context, id, state, text string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.updates = append(in.updates, id+" "+state+": "+text)
	return nil
}

func sinkPort(t *testing.T, s *mail.Sink) (string, int) {
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

type rig struct {
	f      *site
	hooks  *hooks
	sink   *mail.Sink
	in     *incidents
	cfg    *Config
	clock  time.Time
	casts  int
	w      *Watcher
	cancel context.CancelFunc
}

func newRig(t *testing.T) *rig {
	r := &rig{f: newSite(t), sink: &mail.Sink{}, in: &incidents{}, clock: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
	r.hooks = newHooks(t, "hook-secret")
	if err := r.sink.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sink.Close() })
	host, port := sinkPort(t, r.sink)
	cfgText := fmt.Sprintf(`
interval = "10s"
timeout = "2s"
state = %q
[[target]]
name = "forum"
url = %q
body_contains = "Travel Agents"
[alert]
admins = ["admin@example.org", "deputy@example.org"]
from = "watch@example.org"
smtp_host = %q
smtp_port = %d
smtp_tls = "none"
[[alert.webhook]]
url = %q
secret = "hook-secret"
[broadcast]
after = "15m"
command = ["true"]
`, filepath.Join(t.TempDir(), "state.json"), r.f.srv.URL+"/", host, port, r.hooks.srv.URL)
	cfg, err := Parse(cfgText)
	if err != nil {
		t.Fatal(err)
	}
	r.cfg = cfg
	r.start(t)
	return r
}

// start makes a watcher over the state file, as a restart would.
func (r *rig) start(t *testing.T) {
	w, err := New(r.cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return r.clock }
	w.alert.retries = []time.Duration{10 * time.Millisecond}
	w.Incidents = r.in
	w.Broadcast = func(_ context.Context, id string) error {
		if !strings.HasPrefix(id, "outage-") {
			return fmt.Errorf("broadcast id %q", id)
		}
		r.casts++
		return nil
	}
	w.Verify = func(context.Context) (string, bool) { return "Hearth works: 8 passed", true }
	r.w = w
}

// rounds runs n probe rounds, the clock moving one interval each.
func (r *rig) rounds(n int) {
	for range n {
		r.w.Round(context.Background())
		r.clock = r.clock.Add(r.cfg.Interval.D())
	}
}

func (r *rig) mails() []string {
	var out []string
	for _, m := range r.sink.Messages() {
		s := string(m.Data)
		i := strings.Index(s, "Subject: ")
		out = append(out, strings.SplitN(s[i+len("Subject: "):], "\r\n", 2)[0])
	}
	return out
}

func TestWatchOutage(t *testing.T) {
	r := newRig(t)
	r.rounds(3)
	if st := r.w.State(); st.Down || len(r.mails()) != 0 {
		t.Fatalf("healthy forum: state %+v, mails %v", st, r.mails())
	}

	// The database goes: two failed rounds are not an outage yet, the third is.
	r.f.down.Store(true)
	wentDown := r.clock
	r.rounds(2)
	if r.w.State().Down {
		t.Fatal("down after 2 failed rounds; want 3")
	}
	r.rounds(1)
	st := r.w.State()
	if !st.Down || st.Incident != "inc-1" {
		t.Fatalf("after 3 failed rounds: %+v", st)
	}
	if d := st.Detected.Sub(wentDown); d > r.cfg.DetectionBound() || d > 45*time.Second {
		t.Errorf("detected after %v; the bound is %v", d, r.cfg.DetectionBound())
	}
	if !strings.Contains(st.Problem, "503") {
		t.Errorf("problem = %q", st.Problem)
	}
	// One mail per admin, one webhook; the mail says what and what next.
	if m := r.mails(); len(m) != 2 || !strings.Contains(m[0], "DOWN") {
		t.Fatalf("mails after the outage: %v", m)
	}
	body := string(r.sink.Messages()[0].Data)
	for _, want := range []string{"503", "hearth watch cancel", "hearth doctor"} {
		if !strings.Contains(body, want) {
			t.Errorf("the alert does not say %q:\n%s", want, body)
		}
	}

	// More failed rounds, and a restart of the watcher: no second alert.
	r.rounds(5)
	r.start(t)
	r.rounds(5)
	if m := r.mails(); len(m) != 2 {
		t.Fatalf("mails after restart: %v", m)
	}
	if k := r.hooks.kinds(); len(k) != 1 || k[0] != AlertDown {
		t.Fatalf("webhooks: %v", k)
	}

	// 15 minutes in, the broadcast goes; 30 minutes in, a reminder.
	r.rounds(int(15*time.Minute/r.cfg.Interval.D()) - 10 + 1) // due 15 min after detection
	if r.casts != 1 {
		t.Fatalf("broadcasts after 15 min: %d", r.casts)
	}
	r.rounds(int(16 * time.Minute / r.cfg.Interval.D()))
	if r.casts != 1 {
		t.Fatalf("broadcasts: %d, want exactly 1", r.casts)
	}
	if k := r.hooks.kinds(); strings.Join(k, ",") != "down,broadcast,reminder" {
		t.Fatalf("webhooks: %v", k)
	}

	// Back: two good rounds resolve it, once, with the verdict.
	r.f.down.Store(false)
	r.rounds(1)
	if !r.w.State().Down {
		t.Fatal("up after one good round; want two")
	}
	r.rounds(3)
	st = r.w.State()
	if st.Down || st.LastOutage == nil || st.LastOutage.Verdict == "" {
		t.Fatalf("after the forum came back: %+v", st)
	}
	if k := r.hooks.kinds(); k[len(k)-1] != AlertBack || len(k) != 4 {
		t.Fatalf("webhooks: %v", k)
	}
	last := r.in.updates[len(r.in.updates)-1]
	if !strings.HasPrefix(last, "inc-1 resolved:") || !strings.Contains(last, "Hearth works") {
		t.Errorf("incident's last update: %q", last)
	}
}

func TestWatchCancelledBroadcast(t *testing.T) {
	r := newRig(t)
	r.f.down.Store(true)
	r.rounds(3)
	if err := CancelBroadcast(r.cfg); err != nil {
		t.Fatal(err)
	}
	r.rounds(int(20 * time.Minute / r.cfg.Interval.D()))
	if r.casts != 0 || !r.w.State().BroadcastCancelled {
		t.Fatalf("broadcasts %d, state %+v", r.casts, r.w.State())
	}
}

// TestWatchWebhookRetried: a webhook that fails at first gets the alert
// on a later try.
func TestWatchWebhookRetried(t *testing.T) {
	r := newRig(t)
	r.w.alert.retries = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	r.hooks.failed = 2
	r.f.down.Store(true)
	r.rounds(3)
	if k := r.hooks.kinds(); len(k) != 1 || k[0] != AlertDown {
		t.Fatalf("webhooks: %v", k)
	}
}

// TestWatchPeers: with another location that sees the forum up, a failure
// here alone is no outage; when both see it, it is.
func TestWatchPeers(t *testing.T) {
	r := newRig(t)
	peerOK := atomic.Bool{}
	peerOK.Store(true)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(round{OK: peerOK.Load(), At: r.clock})
	}))
	defer peer.Close()
	r.cfg.Peers = []string{peer.URL + "/probe"}
	r.f.down.Store(true)
	r.rounds(5)
	if r.w.State().Down {
		t.Fatal("down while the other location sees the forum up")
	}
	peerOK.Store(false)
	r.rounds(3)
	if !r.w.State().Down {
		t.Fatal("not down while both locations see it down")
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name, text, err string
	}{
		{"minimal", `[[target]]
url = "https://forum.example.org/"
[[alert.webhook]]
url = "https://chat.example.org/hook"`, ""},
		{"no target", `[[alert.webhook]]
url = "https://chat.example.org/hook"`, "no [[target]]"},
		{"nobody told", `[[target]]
url = "https://forum.example.org/"`, "nobody would hear"},
		{"admins without smtp", `[[target]]
url = "https://forum.example.org/"
[alert]
admins = ["a@example.org"]`, "smtp_host"},
		{"typo", `intervall = "5s"
[[target]]
url = "https://forum.example.org/"`, `unknown setting "intervall"`},
		{"days", `interval = "1d"
timeout = "1d"
[[target]]
url = "https://forum.example.org/"
cert_warn = "30d"
[[alert.webhook]]
url = "https://chat.example.org/hook"`, ""},
		{"bad url", `[[target]]
url = "forum.example.org"
[[alert.webhook]]
url = "https://chat.example.org/hook"`, "must be http:// or https://"},
	} {
		c, err := Parse(tc.text)
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if c.DetectionBound() > 45*time.Second && tc.name == "minimal" {
				t.Errorf("default detection bound %v is over 45 s", c.DetectionBound())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

// TestExampleConfig: the README's example config parses.
func TestExampleConfig(t *testing.T) {
	c, err := Load("../../deploy/watch.toml")
	if err != nil {
		t.Fatal(err)
	}
	if c.DetectionBound() > 45*time.Second {
		t.Errorf("the example detects in %v, over 45 s", c.DetectionBound())
	}
}
