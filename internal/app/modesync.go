package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hearth/internal/forum"
	"hearth/internal/status"
	"hearth/internal/store"
)

// modeSync shares the mode and status updates between nodes of one
// database. Each node serves from its own status file, which keeps working
// while the database is down; a change made on one node (the admin page,
// or `hearth mode` against its data directory) is published to the
// database with a mode event, and the other nodes adopt it when their
// tailer sees the event. The later change wins, so a mode set on a node
// while the database was down is published once it answers again.
type modeSync struct {
	status *status.Store
	db     *store.DB
	log    *slog.Logger
	wake   chan struct{}

	mu        sync.Mutex
	published time.Time // Changed of the last state this node and the database agree on
}

func newModeSync(st *status.Store, db *store.DB, log *slog.Logger) *modeSync {
	return &modeSync{status: st, db: db, log: log, wake: make(chan struct{}, 1)}
}

// changed is called for every event another node wrote; a mode event
// makes the next round pull the database's state at once.
func (m *modeSync) changed(e forum.Event) {
	if e.Kind != forum.EventModeChanged {
		return
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run pulls, then publishes local changes, once a second or when woken,
// until ctx ends.
func (m *modeSync) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		m.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// round takes up a newer state from the database, then publishes the
// local state if it is newer than what the database holds. A database
// that does not answer is tried again next round.
func (m *modeSync) round(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m.mu.Lock()
	defer m.mu.Unlock()
	remote, err := m.remote(ctx)
	if err != nil {
		return
	}
	if remote.Changed.After(m.published) {
		if adopted, err := m.status.Adopt(remote); err != nil {
			m.log.Warn("could not take up the mode set on another node", "err", err)
			return
		} else if adopted {
			m.log.Info("mode set on another node taken up", "mode", remote.Mode)
		}
		m.published = remote.Changed
	}
	local := m.status.Get()
	if !local.Changed.After(m.published) {
		return
	}
	b, err := json.Marshal(local)
	if err != nil {
		return
	}
	if err := m.db.SaveStatus(ctx, string(b)); err != nil {
		return
	}
	m.published = local.Changed
}

// remote is the state the database holds; the zero state if none.
func (m *modeSync) remote(ctx context.Context) (status.State, error) {
	var st status.State
	v, err := m.db.Setting(ctx, store.StatusKey)
	if errors.Is(err, forum.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		m.log.Warn("the mode stored in the database is not valid JSON; this node's is published over it", "err", err)
		return status.State{}, nil
	}
	if st.Mode == "" {
		st.Mode = status.Normal
	}
	return st, nil
}
