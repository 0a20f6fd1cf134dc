package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"hearth/internal/forum"
)

// The event stream (see migrations/*/0006_events.sql). Every write method
// appends its event with appendEvent inside its own transaction, the group
// commit batch included, so a write and its event commit together or not
// at all.

// eventsChannel is the PostgreSQL NOTIFY channel that wakes other nodes'
// tailers when events commit.
const eventsChannel = "hearth_events"

// SetNode names this process in the events it writes, so its own tailer
// can tell them from other nodes'.
func (db *DB) SetNode(name string) { db.node = name }

// Node returns the name SetNode gave.
func (db *DB) Node() string { return db.node }

// appendEvent writes e in tx. The event's time is the store's clock at the
// write: most writes carry no time of their own.
func (db *DB) appendEvent(ctx context.Context, tx *sql.Tx, e forum.Event) error {
	_, err := db.txExec(ctx, tx, `INSERT INTO events (kind, member_id, category_id, thread_id, post_id, node, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		string(e.Kind), e.MemberID, e.CategoryID, e.ThreadID, e.PostID, db.node, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("append event %s: %w", e.Kind, err)
	}
	if db.dialect.name == enginePostgres {
		// Delivered at commit, once per transaction however many events.
		if _, err := tx.ExecContext(ctx, "SELECT pg_notify('"+eventsChannel+"', '')"); err != nil {
			return fmt.Errorf("notify event %s: %w", e.Kind, err)
		}
	}
	return nil
}

// RecordEvent appends an event for a change made outside the database (the
// forum's mode, which lives in the status file).
func (db *DB) RecordEvent(ctx context.Context, e forum.Event) error {
	return db.inTx(ctx, "record event "+string(e.Kind), func(tx *sql.Tx) error {
		return db.appendEvent(ctx, tx, e)
	})
}

// pgCursor is a position in the stream on PostgreSQL: the transactions
// visible in To but not in From are the next to read, in id order, after
// the id After. From "" is the start of the stream; To "" means "now" at
// the next read.
type pgCursor struct {
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	After int64  `json:"after,omitempty"`
}

// Events returns up to limit events after the cursor, in order, and the
// cursor after them. On SQLite the one writer commits in id order, so the
// cursor is the last id read. On PostgreSQL ids are taken at insert and
// transactions commit in another order, so reading by id would skip an
// event whose transaction committed after a later id was read; the cursor
// is instead a pair of snapshots (the way PgQ reads its queues), and every
// event of a transaction that committed between them is read exactly once.
func (db *DB) Events(ctx context.Context, after forum.EventCursor, limit int) ([]forum.Event, forum.EventCursor, error) {
	if limit <= 0 {
		limit = 500
	}
	const cols = "SELECT id, kind, member_id, category_id, thread_id, post_id, node, at FROM events "
	if db.dialect.name != enginePostgres {
		last, _ := strconv.ParseInt(string(after), 10, 64)
		evs, err := db.scanEvents(ctx, db.read, cols+"WHERE id > $1 ORDER BY id LIMIT $2", last, limit)
		if err != nil {
			return nil, after, db.wrap("read events", err)
		}
		if len(evs) > 0 {
			last = evs[len(evs)-1].ID
		}
		return evs, forum.EventCursor(strconv.FormatInt(last, 10)), nil
	}

	var c pgCursor
	if after != "" {
		if err := json.Unmarshal([]byte(after), &c); err != nil {
			return nil, after, fmt.Errorf("read events: cursor %q: %w", after, err)
		}
	}
	// A window fixed by an earlier read may run out before limit; the read
	// then goes on into the window that ends now, so that a short answer
	// always means "nothing more has committed", as it does on SQLite.
	var out []forum.Event
	for {
		fixed := c.To != ""
		if !fixed {
			if err := db.read.QueryRowContext(ctx, "SELECT pg_current_snapshot()::text").Scan(&c.To); err != nil {
				return nil, after, db.wrap("read events", err)
			}
		}
		q := cols + "WHERE pg_visible_in_snapshot(txid, $1::pg_snapshot) AND id > $2"
		args := []any{c.To, c.After}
		if c.From != "" {
			q += " AND txid >= pg_snapshot_xmin($3::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $3::pg_snapshot)"
			args = append(args, c.From)
		}
		want := limit - len(out)
		q += fmt.Sprintf(" ORDER BY id LIMIT %d", want)
		// Planned with its snapshots each time: the generic plan a
		// prepared statement settles on cannot know that the window's
		// events are the newest few, and walked every event by id (3.2 ms
		// a read at 75,000 events, read at each commit by every node and
		// consumer); a custom one finds them through events_txid.
		evs, err := db.scanEvents(ctx, db.read, q, append(slices.Clip(db.dialect.planEachTime), args...)...)
		if err != nil {
			return nil, after, db.wrap("read events", err)
		}
		out = append(out, evs...)
		if len(evs) == want {
			c = pgCursor{From: c.From, To: c.To, After: evs[len(evs)-1].ID}
			break
		}
		c = pgCursor{From: c.To} // all of this window read: the next starts where it ended
		if !fixed {
			break
		}
	}
	b, _ := json.Marshal(c)
	return out, forum.EventCursor(b), nil
}

func (db *DB) scanEvents(ctx context.Context, q querier, query string, args ...any) ([]forum.Event, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []forum.Event
	for rows.Next() {
		var e forum.Event
		var kind string
		var at int64
		if err := rows.Scan(&e.ID, &kind, &e.MemberID, &e.CategoryID, &e.ThreadID, &e.PostID, &e.Node, &at); err != nil {
			return nil, err
		}
		e.Kind, e.At = forum.EventKind(kind), fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventsHead returns the cursor at the end of the stream: what a reader
// that cares only about what happens from now on starts from.
func (db *DB) EventsHead(ctx context.Context) (forum.EventCursor, error) {
	if db.dialect.name != enginePostgres {
		var last int64
		err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&last)
		return forum.EventCursor(strconv.FormatInt(last, 10)), db.wrap("read the end of the events", err)
	}
	var snap string
	if err := db.read.QueryRowContext(ctx, "SELECT pg_current_snapshot()::text").Scan(&snap); err != nil {
		return "", db.wrap("read the end of the events", err)
	}
	b, _ := json.Marshal(pgCursor{From: snap})
	return forum.EventCursor(b), nil
}

// ConsumerCursor returns where a durable consumer stopped: the zero cursor
// if it never ran.
func (db *DB) ConsumerCursor(ctx context.Context, consumer string) (forum.EventCursor, error) {
	var pos string
	err := db.read.QueryRowContext(ctx, "SELECT position FROM event_cursors WHERE consumer = $1", consumer).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return forum.EventCursor(pos), db.wrap("read the cursor of "+consumer, err)
}

// SaveConsumerCursor moves a durable consumer's cursor: call it only once
// the effects of the events before it are durable.
func (db *DB) SaveConsumerCursor(ctx context.Context, consumer string, c forum.EventCursor, now time.Time) error {
	// Through group commit: consumers move their cursors many times a
	// second while members post, and each would otherwise take the
	// writer for a commit of its own between the replies' batches.
	// One statement, so on PostgreSQL it goes with the replies' in one
	// round trip.
	return db.inWriteRow(ctx, "save the cursor of "+consumer, &rowWrite{
		query: `INSERT INTO event_cursors (consumer, position, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at
			RETURNING consumer`,
		args: []any{consumer, string(c), toMillis(now)},
		scan: func(row rowScanner) error { return row.Scan(new(string)) },
	})
}

// PruneEvents deletes events older than before that every durable consumer
// has read, and reports how many.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, "prune events", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT position FROM event_cursors")
		if err != nil {
			return err
		}
		var cursors []string
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return err
			}
			cursors = append(cursors, p)
		}
		rows.Close()
		q, args := "DELETE FROM events WHERE at < $1", []any{toMillis(before)}
		for i, p := range cursors {
			if db.dialect.name != enginePostgres {
				last, _ := strconv.ParseInt(p, 10, 64)
				q += fmt.Sprintf(" AND id <= $%d", i+2)
				args = append(args, last)
				continue
			}
			var c pgCursor
			if json.Unmarshal([]byte(p), &c) != nil || c.From == "" {
				return nil // a consumer at the start needs everything
			}
			// What was committed in the snapshot its next read starts from
			// is read.
			q += fmt.Sprintf(" AND pg_visible_in_snapshot(txid, $%d::pg_snapshot)", i+2)
			args = append(args, c.From)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, db.wrap("prune events", err)
}

// WaitEvents returns when events may have been written by another node, or
// after at most d: on PostgreSQL it listens for the NOTIFY that commits
// send; elsewhere it just waits d (another process writing to the same
// SQLite file is rare: hearth repair, seed).
func (db *DB) WaitEvents(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if db.dialect.name != enginePostgres {
		<-ctx.Done()
		return nil
	}
	conn, err := db.listener(ctx)
	if err != nil {
		<-ctx.Done() // no listener: fall back to polling
		return nil
	}
	err = conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().WaitForNotification(ctx)
		return err
	})
	if err != nil && ctx.Err() == nil {
		db.dropListener() // broken: a new one next time
	}
	return nil
}

// listener returns the connection that LISTENs for events, opening it on
// first use. It is taken out of the pool for good.
func (db *DB) listener(ctx context.Context) (*sql.Conn, error) {
	db.listenMu.Lock()
	defer db.listenMu.Unlock()
	if db.listenConn != nil {
		return db.listenConn, nil
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "LISTEN "+eventsChannel); err != nil {
		conn.Close()
		return nil, err
	}
	db.listenConn = conn
	return conn, nil
}

func (db *DB) dropListener() {
	db.listenMu.Lock()
	defer db.listenMu.Unlock()
	if db.listenConn != nil {
		db.listenConn.Raw(func(dc any) error { return dc.(*stdlib.Conn).Conn().Close(context.Background()) })
		db.listenConn.Close()
		db.listenConn = nil
	}
}

// memberStatusEvent names a change of status.
func memberStatusEvent(from, to forum.MemberStatus) forum.EventKind {
	switch {
	case from == forum.StatusPending && to == forum.StatusActive:
		return forum.EventMemberApproved
	case to == forum.StatusSuspended:
		return forum.EventMemberSuspended
	case from == forum.StatusSuspended && to == forum.StatusActive:
		return forum.EventMemberReactivated
	}
	return forum.EventMemberStatus
}

// TryLease takes or renews the lease name for holder until now+ttl and
// reports whether holder has it: it does when nobody holds it, when holder
// already does, or when the holder's lease ran out (it stopped renewing:
// it died, or lost the database).
func (db *DB) TryLease(ctx context.Context, name, holder string, ttl time.Duration, now time.Time) (bool, error) {
	var got string
	err := db.writeRow(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < $4
		RETURNING holder`, name, holder, toMillis(now.Add(ttl)), toMillis(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && got == holder, db.wrap("take lease "+name, err)
}

// ReleaseLease gives the lease up if holder has it, so another node need
// not wait for it to run out.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := db.writeExec(ctx, "DELETE FROM leases WHERE name = $1 AND holder = $2", name, holder)
	return db.wrap("release lease "+name, err)
}

// StartConsumerAtHead gives a durable consumer that never ran the cursor
// at the end of the stream, so a consumer added to a running forum starts
// with what happens from now on (the notifications of a week of old
// events would be news to nobody). A consumer with a cursor keeps it.
func (db *DB) StartConsumerAtHead(ctx context.Context, consumer string, now time.Time) error {
	head, err := db.EventsHead(ctx)
	if err != nil {
		return err
	}
	_, err = db.writeExec(ctx, `INSERT INTO event_cursors (consumer, position, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (consumer) DO NOTHING`, consumer, string(head), toMillis(now))
	return db.wrap("start the cursor of "+consumer, err)
}
