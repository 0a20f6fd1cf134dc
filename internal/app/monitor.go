package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// dbMonitor pings the database every few seconds so that, while it is
// down, requests get the degraded answer at once instead of each waiting
// for a timeout, and so the forum notices by itself when it is back.
type dbMonitor struct {
	ping func(context.Context) error
	log  *slog.Logger
	down atomic.Bool
}

const (
	monitorEvery   = 2 * time.Second
	monitorTimeout = 2 * time.Second
)

// Down reports whether the last ping failed.
func (m *dbMonitor) Down() bool { return m.down.Load() }

func (m *dbMonitor) run(ctx context.Context) {
	t := time.NewTicker(monitorEvery)
	defer t.Stop()
	for {
		m.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *dbMonitor) check(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	err := m.ping(pctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	switch was := m.down.Swap(err != nil); {
	case err != nil && !was:
		m.log.Error("database is not answering: serving the maintenance page and cached pages until it does", "err", err)
	case err == nil && was:
		m.log.Info("database answers again: serving normally")
	}
}
