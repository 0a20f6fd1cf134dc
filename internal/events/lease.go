package events

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// LeaseStore takes and gives up leases (internal/store).
type LeaseStore interface {
	TryLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Lease keeps one node the holder of a named lease while it runs, so work
// that must happen once per forum (scheduled backups, pruning the event
// stream, later the mail worker and digests) runs on one node at a time,
// and moves to another within TTL when that node dies.
type Lease struct {
	Store  LeaseStore
	Name   string
	Holder string
	TTL    time.Duration // default 30s; renewed every TTL/3
	Log    *slog.Logger
	held   atomic.Bool
}

// Held reports whether this node holds the lease now.
func (l *Lease) Held() bool { return l.held.Load() }

// Run takes or renews the lease until ctx ends, then gives it up.
func (l *Lease) Run(ctx context.Context) {
	ttl := l.TTL
	if ttl <= 0 {
		ttl = 30 * time.Second
	}
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		ok, err := l.Store.TryLease(ctx, l.Name, l.Holder, ttl, time.Now())
		held := ok && err == nil
		if was := l.held.Swap(held); was != held && l.Log != nil {
			l.Log.Info("lease "+l.Name, "held", held)
		}
		select {
		case <-ctx.Done():
			if l.held.Swap(false) {
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				l.Store.ReleaseLease(rctx, l.Name, l.Holder)
				cancel()
			}
			return
		case <-t.C:
		}
	}
}
