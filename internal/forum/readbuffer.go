package forum

import (
	"context"
	"sync"
	"time"
)

// readBuffer coalesces read positions and visits so a page view writes
// nothing: it records into a map, and a flush every second (RunReads)
// writes whatever gathered in one transaction. Positions only move
// forward, in the map and in the database (the upsert keeps the larger),
// so flushes from several nodes in any order agree. A crash loses at most
// the last second of positions: those posts show as unread again.
// Lookups overlay what is buffered, so a member sees their own reading at
// once on this node.
type readBuffer struct {
	flushMu  sync.Mutex // one flush at a time
	mu       sync.Mutex
	pending  map[readKey]ReadMark
	inflight map[readKey]ReadMark // taken by the flush under way
	visits   map[int64]time.Time  // member -> a request seen, to write
	queued   map[int64]time.Time  // member -> when a visit was last queued (writes one a minute)
}

type readKey struct{ member, thread int64 }

// maxPendingReads bounds the buffer while the database refuses writes;
// beyond it, positions are dropped (members see some posts unread again).
const maxPendingReads = 200_000

func newReadBuffer() *readBuffer {
	return &readBuffer{pending: map[readKey]ReadMark{}, visits: map[int64]time.Time{}, queued: map[int64]time.Time{}}
}

func (b *readBuffer) record(m ReadMark) {
	k := readKey{m.MemberID, m.ThreadID}
	b.mu.Lock()
	if old, ok := b.pending[k]; !ok || m.Position > old.Position {
		if ok || len(b.pending) < maxPendingReads {
			b.pending[k] = m
		}
	}
	b.mu.Unlock()
}

// seen notes a request from a member; at most one visit a minute per
// member is written.
func (b *readBuffer) seen(member int64, now time.Time) {
	b.mu.Lock()
	if last, ok := b.queued[member]; !ok || now.Sub(last) >= visitEvery || now.Before(last) {
		b.queued[member] = now
		b.visits[member] = now
	}
	b.mu.Unlock()
}

// overlay raises r's positions of threadIDs to what is buffered for member.
func (b *readBuffer) overlay(member int64, threadIDs []int64, r *MemberReads) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 && len(b.inflight) == 0 {
		return
	}
	for _, id := range threadIDs {
		k := readKey{member, id}
		for _, m := range []map[readKey]ReadMark{b.pending, b.inflight} {
			if p, ok := m[k]; ok && p.Position > r.Positions[id] {
				if r.Positions == nil {
					r.Positions = map[int64]int{}
				}
				r.Positions[id] = p.Position
			}
		}
	}
}

// flush writes what is buffered. On failure it is kept for the next flush.
func (b *readBuffer) flush(ctx context.Context, st UnreadStore) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	if len(b.pending) == 0 && len(b.visits) == 0 {
		b.mu.Unlock()
		return nil
	}
	taken, visits := b.pending, b.visits
	b.inflight, b.pending, b.visits = taken, map[readKey]ReadMark{}, map[int64]time.Time{}
	b.mu.Unlock()

	reads := make([]ReadMark, 0, len(taken))
	for _, m := range taken {
		reads = append(reads, m)
	}
	vs := make([]VisitMark, 0, len(visits))
	var newest time.Time
	for id, at := range visits {
		vs = append(vs, VisitMark{MemberID: id, At: at})
		if at.After(newest) {
			newest = at
		}
	}
	err := st.SaveReads(ctx, reads, vs)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight = nil
	if err != nil {
		for k, m := range taken {
			if p, ok := b.pending[k]; !ok || m.Position > p.Position {
				if ok || len(b.pending) < maxPendingReads {
					b.pending[k] = m
				}
			}
		}
		for id, at := range visits {
			if _, ok := b.visits[id]; !ok {
				b.visits[id] = at
			}
		}
		return err
	}
	// Forget members idle for a visit's gap: their next request queues a
	// visit anyway, and the map stays the size of who is online.
	for id, at := range b.queued {
		if newest.Sub(at) > VisitGap {
			delete(b.queued, id)
		}
	}
	return nil
}
