package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"hearth/internal/forum"
)

func TestHealth(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error {
		return fmt.Errorf("ping: %w: dial tcp db.internal:5432", forum.ErrUnavailable)
	}
	hang := func(ctx context.Context) error { time.Sleep(10 * time.Second); return nil } // ignores ctx on purpose
	current := func(context.Context) (bool, error) { return true, nil }
	behind := func(context.Context) (bool, error) { return false, nil }

	tests := []struct {
		name        string
		ping        func(context.Context) error
		schema      func(context.Context) (bool, error)
		code        int
		db, sch     string
		maxDuration time.Duration
	}{
		{"ready", ok, current, 200, "ok", "current", time.Second},
		{"database down", down, current, 503, "not answering: the database is unavailable", "not checked (no database)", time.Second},
		{"database hangs", hang, current, 503, "not answering: no answer within 2s", "not checked (no database)", 3 * time.Second},
		{"schema behind", ok, behind, 503, "ok", "not the version this binary expects: run 'hearth migrate', or deploy the matching binary", time.Second},
		{"no schema check", ok, nil, 200, "ok", "current", time.Second},
	}
	for _, tt := range tests {
		healthz, readyz := Health(tt.ping, tt.schema)
		w := httptest.NewRecorder()
		healthz.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
		if w.Code != 200 || w.Body.String() != "ok\n" {
			t.Errorf("%s: healthz %d %q", tt.name, w.Code, w.Body)
		}
		start := time.Now()
		w = httptest.NewRecorder()
		readyz.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		if d := time.Since(start); d > tt.maxDuration {
			t.Errorf("%s: readyz took %v", tt.name, d)
		}
		var got readiness
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v in %q", tt.name, err, w.Body)
		}
		if w.Code != tt.code || got.Database != tt.db || got.Schema != tt.sch {
			t.Errorf("%s: %d %+v; want %d database %q schema %q", tt.name, w.Code, got, tt.code, tt.db, tt.sch)
		}
		if tt.code == 503 && (w.Header().Get("Retry-After") == "" || got.Status != "not ready") {
			t.Errorf("%s: 503 without Retry-After or status: %q %+v", tt.name, w.Header().Get("Retry-After"), got)
		}
		if tt.code == 200 && got.Status != "ready" {
			t.Errorf("%s: status %q", tt.name, got.Status)
		}
	}
}
