// Package apptest starts a real Hearth for tests: the whole app on a free
// port of 127.0.0.1, serving until the test ends.
package apptest

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"hearth/internal/app"
	"hearth/internal/forum"
)

// Start runs Hearth with cfg until the test ends. Unset fields get test
// defaults: a random port, a temporary data directory (SQLite), no rate
// limits and warnings logged to the test's output.
func Start(tb testing.TB, cfg app.Config) *app.App {
	tb.Helper()
	cfg.NoLimits = true
	return start(tb, cfg)
}

// StartWithLimits is Start with the production rate limits, for tests of
// the limits themselves.
func StartWithLimits(tb testing.TB, cfg app.Config) *app.App {
	tb.Helper()
	cfg.NoLimits = false
	return start(tb, cfg)
}

func start(tb testing.TB, cfg app.Config) *app.App {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
		a.Close()
	})
	return a
}

// CheckAccount sets a's forum up as an operator does for `hearth verify`:
// an admin, a public category with a thread, a moderator check account
// with password, and the staff-only category named checks. It returns the
// check account's email.
func CheckAccount(tb testing.TB, a *app.App, password, checks string) string {
	tb.Helper()
	ctx, svc := tb.Context(), a.Service
	admin, err := svc.CreateMember(ctx, forum.NewMember{Email: "admin@example.org", Name: "Ada Admin", Password: "forum-owner-pass", Role: forum.RoleAdmin})
	if err != nil {
		tb.Fatal(err)
	}
	const email = "check@example.org"
	if _, err := svc.CreateMember(ctx, forum.NewMember{Email: email, Name: "Hearth check", Password: password, Role: forum.RoleModerator}); err != nil {
		tb.Fatal(err)
	}
	general, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: "General", Description: "Anything."})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: general.ID, Title: "Welcome to the forum", Body: "Hello everyone."}); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateCategory(ctx, admin, forum.CategoryInput{Name: checks, StaffOnly: true}); err != nil {
		tb.Fatal(err)
	}
	return email
}

// Log captures a server's log at debug level for assertions about what was
// (not) logged; the test's output shows it when the test fails. Pass
// Logger() as app.Config.Log.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// NewLog returns an empty captured log.
func NewLog(tb testing.TB) *Log {
	l := &Log{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("the server's log:\n%s", l)
		}
	})
	return l
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Logger returns a text logger at debug level writing to l.
func (l *Log) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Lines returns the lines that contain all of parts.
func (l *Log) Lines(parts ...string) []string {
	var out []string
	for line := range strings.Lines(l.String()) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

// CheckNoFailures fails the test if the log has a line at ERROR or about a
// panic: what no request from outside may cause.
func (l *Log) CheckNoFailures(tb testing.TB) {
	tb.Helper()
	var bad []string
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "panic") || strings.Contains(line, "goroutine ") {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		tb.Errorf("the server logged %d failures, first:\n%s", len(bad), bad[0])
	}
}
