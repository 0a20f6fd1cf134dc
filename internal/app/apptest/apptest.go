// Package apptest starts a real Hearth for tests: the whole app on a free
// port of 127.0.0.1, serving until the test ends.
package apptest

import (
	"context"
	"log/slog"
	"testing"

	"hearth/internal/app"
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
