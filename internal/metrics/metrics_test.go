package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"hearth/internal/clientip"
)

// sample returns a counter's value or a histogram's count for the metric
// with exactly these labels, or -1 if there is none.
func sample(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			if matches(mt, labels) {
				if h := mt.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				if c := mt.GetCounter(); c != nil {
					return c.GetValue()
				}
				return mt.GetGauge().GetValue()
			}
		}
	}
	return -1
}

func matches(mt *dto.Metric, labels map[string]string) bool {
	if len(mt.GetLabel()) != len(labels) {
		return false
	}
	for _, l := range mt.GetLabel() {
		if labels[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// scrape reads the exposition as a loopback client would.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	w := httptest.NewRecorder()
	m.Handler("", nil).ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("scrape: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func TestRegisteredGauges(t *testing.T) {
	m := New()
	m.RegisterGauge("hearth_sessions_active", "Unexpired sessions.", func() float64 { return 42 })
	out := scrape(t, m)
	for _, want := range []string{"hearth_sessions_active 42", "go_goroutines", "process_"} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	m.RegisterGauge("hearth_sessions_active", "again", func() float64 { return 0 })
}

// TestHandlerAccess covers who may read /metrics, and finding 17: "local"
// is decided by the connection and the trusted proxies, and any request
// that came through a proxy needs the token.
func TestHandlerAccess(t *testing.T) {
	m := New()
	get := func(token string, proxies clientip.Proxies, remote, auth string, hdr ...string) (int, string) {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = remote
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		m.Handler(token, proxies).ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	lan, _ := clientip.Parse("10.0.0.0/8")
	tests := []struct {
		name, token string
		proxies     clientip.Proxies
		remote      string
		auth        string
		hdr         []string
		code        int
		want        string
	}{
		{"loopback v4", "", nil, "127.0.0.1:4000", "", nil, 200, "process_cpu_seconds_total"},
		{"loopback v6", "", nil, "[::1]:4000", "", nil, 200, "go_goroutines"},
		{"loopback v4-mapped", "", nil, "[::ffff:127.0.0.1]:4000", "", nil, 200, "go_goroutines"},
		{"loopback, other proxies trusted", "", lan, "127.0.0.1:4000", "", nil, 200, "go_goroutines"},
		{"remote", "", nil, "203.0.113.9:4000", "", nil, 403, "only served to this machine"},
		{"unparsable remote", "", nil, "pipe", "", nil, 403, "only served to this machine"},
		{"through a local proxy", "", nil, "127.0.0.1:4000", "", []string{"X-Forwarded-For", "203.0.113.9"}, 403, "proxy"},
		{"X-Forwarded-Host", "", nil, "127.0.0.1:4000", "", []string{"X-Forwarded-Host", "forum.example.org"}, 403, "proxy"},
		{"X-Forwarded-Proto", "", nil, "127.0.0.1:4000", "", []string{"X-Forwarded-Proto", "https"}, 403, "proxy"},
		{"Forwarded", "", nil, "127.0.0.1:4000", "", []string{"Forwarded", "for=203.0.113.9"}, 403, "proxy"},
		{"X-Real-IP", "", nil, "127.0.0.1:4000", "", []string{"X-Real-IP", "203.0.113.9"}, 403, "proxy"},
		{"Via", "", nil, "127.0.0.1:4000", "", []string{"Via", "1.1 proxy"}, 403, "proxy"},
		{"empty forwarding header", "", nil, "127.0.0.1:4000", "", []string{"X-Forwarded-For", ""}, 403, "proxy"},
		{"proxy on this machine, no header", "", clientip.Loopback, "127.0.0.1:4000", "", nil, 403, "trusted proxy"},
		{"proxy on this machine, v6", "", clientip.Loopback, "[::1]:4000", "", nil, 403, "trusted proxy"},
		{"trusted remote proxy", "", lan, "10.0.0.2:4000", "", nil, 403, "trusted proxy"},
		{"token ok", "s3cret", nil, "203.0.113.9:4000", "Bearer s3cret", nil, 200, "go_goroutines"},
		{"token ok through a proxy", "s3cret", clientip.Loopback, "127.0.0.1:4000", "Bearer s3cret", []string{"X-Forwarded-For", "203.0.113.9"}, 200, "go_goroutines"},
		{"token wrong", "s3cret", nil, "127.0.0.1:4000", "Bearer nope", nil, 401, "Bearer TOKEN"},
		{"token missing", "s3cret", nil, "127.0.0.1:4000", "", nil, 401, "Bearer TOKEN"},
		{"token missing through a proxy", "s3cret", clientip.Loopback, "127.0.0.1:4000", "", []string{"X-Forwarded-For", "203.0.113.9"}, 401, "Bearer TOKEN"},
	}
	for _, tt := range tests {
		code, body := get(tt.token, tt.proxies, tt.remote, tt.auth, tt.hdr...)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %.80q; want %d with %q", tt.name, code, body, tt.code, tt.want)
		}
	}
}

// swapContext stands for web's loadActor, which hands the mux a new
// *http.Request made with WithContext.
func swapContext(next http.Handler) http.Handler {
	type key struct{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "actor")))
	})
}

func TestMiddlewareRoutes(t *testing.T) {
	api := http.NewServeMux()
	api.HandleFunc("POST /api/v1/sessions", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	api.HandleFunc("/api/v1/", http.NotFound)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /t/{id}/{slug}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "thread") })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.Handle("/api/v1/", api)
	mux.HandleFunc("/", http.NotFound)

	m := New()
	srv := httptest.NewServer(m.Middleware(recoverPanics(swapContext(Routed(mux)))))
	defer srv.Close()
	do := func(method, path string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 3 {
		do("GET", "/t/7/hello-world")
	}
	do("GET", "/t/8/another")
	do("POST", "/api/v1/sessions")
	do("GET", "/no/such/page")
	do("GET", "/api/v1/nothing-here")
	do("BREW", "/t/7/hello-world") // falls through to the catch-all "/"
	do("GET", "/boom")

	tests := []struct {
		route, method, code string
		want                float64
	}{
		{"GET /t/{id}/{slug}", "GET", "200", 4},
		{"POST /api/v1/sessions", "POST", "201", 1},
		{"other", "GET", "404", 2},
		{"other", "OTHER", "404", 1},
		{"GET /boom", "GET", "500", 1},
	}
	for _, tt := range tests {
		got := sample(t, m, "hearth_http_requests_total", map[string]string{"route": tt.route, "method": tt.method, "code": tt.code})
		if got != tt.want {
			t.Errorf("requests{%s %s %s} = %v, want %v", tt.route, tt.method, tt.code, got, tt.want)
		}
	}
	if got := sample(t, m, "hearth_http_request_duration_seconds", map[string]string{"route": "GET /t/{id}/{slug}", "method": "GET"}); got != 4 {
		t.Errorf("duration count = %v, want 4", got)
	}
	out := scrape(t, m)
	if strings.Contains(out, "/t/7/") || strings.Contains(out, "no/such") || strings.Contains(out, "BREW") {
		t.Errorf("raw paths or methods leaked into labels:\n%s", out)
	}
}

// recoverPanics stands for internal/httpmw's: it answers a panic with a 500 page.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if recover() != nil {
				http.Error(w, "sorry", 500)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// TestMiddlewarePanics: a panic nobody recovered is counted as a 500 and
// passed on to the server.
func TestMiddlewarePanics(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /p/{id}/edit", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	m := New()
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the handler's panic", v)
			}
		}()
		m.Middleware(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/p/1/edit", nil))
	}()
	if got := sample(t, m, "hearth_http_requests_total", map[string]string{"route": "POST /p/{id}/edit", "method": "POST", "code": "500"}); got != 1 {
		t.Errorf("panic counted %v times, want 1", got)
	}
}

// TestMiddlewareWithoutHook: with the mux directly inside, r.Pattern is
// enough and no hook is needed.
func TestMiddlewareWithoutHook(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /c/{id}", func(w http.ResponseWriter, r *http.Request) {})
	// No catch-all: the mux's own 404 has no pattern at all.
	m := New()
	h := m.Middleware(mux)
	for _, p := range []string{"/c/1", "/c/2", "/elsewhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if got := sample(t, m, "hearth_http_requests_total", map[string]string{"route": "GET /c/{id}", "method": "GET", "code": "200"}); got != 2 {
		t.Errorf("GET /c/{id} = %v, want 2", got)
	}
	if got := sample(t, m, "hearth_http_requests_total", map[string]string{"route": "other", "method": "GET", "code": "404"}); got != 1 {
		t.Errorf("other = %v, want 1", got)
	}
}
