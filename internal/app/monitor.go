package app

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"hearth/internal/forum"
)

// dbMonitor pings the database every few seconds so that, while it is
// down, requests get the degraded answer at once instead of each waiting
// for a timeout, and so the forum notices by itself when it is back. A
// request that meets the outage first wakes it at once (failed), so the
// next requests need not wait for the next ping either.
//
// It also holds the storage-full state: a write refused because the disk
// is full makes the forum read-only (reads go on) until there is room.
type dbMonitor struct {
	ping func(context.Context) error
	// room reports whether there is space to write again (nil: assume so
	// after fullRetry).
	room func() bool
	log  *slog.Logger

	down      atomic.Bool
	full      atomic.Bool
	fullSince atomic.Int64 // unix nanoseconds
	wake      chan struct{}
}

const (
	monitorEvery   = 2 * time.Second
	monitorTimeout = 2 * time.Second
	// storeTimeout bounds each database call of a request: queries take
	// milliseconds, so a call still waiting after this is an outage.
	storeTimeout = 5 * time.Second
	// fullRetry is how long the forum stays read-only after a full disk
	// when it cannot measure the space (PostgreSQL's disk is its server's).
	fullRetry = 30 * time.Second
)

func newMonitor(log *slog.Logger) *dbMonitor {
	return &dbMonitor{log: log, wake: make(chan struct{}, 1)}
}

// Down reports whether the last ping failed.
func (m *dbMonitor) Down() bool { return m.down.Load() }

// StorageFull reports whether writes are refused for want of disk space.
func (m *dbMonitor) StorageFull() bool { return m.full.Load() }

// failed is told of each store error meaning the database is down or full.
func (m *dbMonitor) failed(err error) {
	if errors.Is(err, forum.ErrStorageFull) {
		m.fullSince.Store(time.Now().UnixNano())
		if !m.full.Swap(true) {
			m.log.Error("the database's disk is full: the forum is read-only until there is room", "err", err)
		}
		return
	}
	select {
	case m.wake <- struct{}{}:
	default: // a check is already due
	}
}

func (m *dbMonitor) run(ctx context.Context) {
	t := time.NewTicker(monitorEvery)
	defer t.Stop()
	for {
		m.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
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
	if m.full.Load() && m.hasRoom() {
		m.full.Store(false)
		m.log.Info("there is disk space again: the forum takes posts again")
	}
}

func (m *dbMonitor) hasRoom() bool {
	if m.room != nil {
		return m.room()
	}
	return time.Since(time.Unix(0, m.fullSince.Load())) > fullRetry
}
