// Package apptest starts a real Hearth for tests: the whole app on a free
// port of 127.0.0.1, serving until the test ends.
package apptest

import (
	"context"
	"log/slog"
	"testing"

	"hearth/internal/app"
	"hearth/internal/forum"
)

// Start runs Hearth with cfg until the test ends. Unset fields get test
// defaults: a random port, a temporary data directory (SQLite), no rate
// limits and warnings logged to the test's output.
func Start(tb testing.TB, cfg app.Config) *app.App {
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
	cfg.NoLimits = true
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
