package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"hearth/internal/forum"
)

// Group commit. On SQLite every commit waits for an fsync (synchronous=FULL:
// an acknowledged post survives power loss), and there is one writer, so
// posting one reply per transaction tops out at one reply per fsync. The
// batcher instead runs the writes that are waiting together in one
// transaction, each inside its own savepoint so one failing write does not
// undo the others, and commits them with one fsync. A batch is whatever
// queued while the previous one was committing, except that while writes
// come concurrently it waits a moment for more (see gather).
//
// PostgreSQL gets it too: it shares fsyncs between concurrent commits, but
// every reply updates its category's row (and its thread's and author's),
// and holds those row locks until its commit is flushed, so concurrent
// replies to one category commit one flush at a time. In a batch they take
// the locks once. BenchmarkCreatePostParallel/postgres: 120 replies/s one
// transaction each, 800 in batches, on a 2-core machine under load; on a
// quieter one 910 in batches, 3,500 with a reply in one statement and
// batches without savepoints (see optimistic).

// maxBatch bounds a batch so one commit never holds many callers for long.
const maxBatch = 128

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	row  *rowWrite // the same write as one statement, or nil
	done chan error
}

// rowWrite is a write that is one statement answering one row, which scan
// reads. On PostgreSQL a batch of them goes in one round trip (see
// pipelined).
type rowWrite struct {
	query string
	args  []any
	scan  func(row rowScanner) error
}

// rowScanner is a row to scan: *sql.Row, *sql.Rows or pgx's.
type rowScanner interface{ Scan(...any) error }

type batcher struct {
	db *sql.DB
	// optimistic runs a batch without savepoints first, and again with
	// them only if one of its writes fails. On PostgreSQL each savepoint
	// and release is a round trip, two of a reply's three; on SQLite they
	// cost next to nothing.
	optimistic bool
	// pipeline sends a batch of rowWrites, between its BEGIN and COMMIT,
	// in one round trip (PostgreSQL): one statement after another took a
	// round trip each, and the batch's backend waited most of the time
	// for the next, its locks held, while the one goroutine sending them
	// waited for the two cores the HTTP handlers were busy on.
	pipeline  bool
	flush     func(ctx context.Context, tx *sql.Tx) error // before each commit (the search index)
	committed func()                                      // after each commit (the checkpointer)
	queue     chan writeReq
	// writes counts the writes run, for upkeep that waits for a lull;
	// commits counts the batches' transactions, so writes/commits is the
	// mean batch (hearth_db_group_commits_total).
	writes  atomic.Int64
	commits atomic.Int64
	// current is the batch's transaction while it runs (see uncancelled).
	current atomic.Pointer[sql.Tx]
	stop    chan struct{}
	gone    chan struct{}
	last    int           // writes in the last batch (see gather)
	wait    time.Duration // gatherWait, longer in a test
}

// newBatcher starts a batcher writing to db; on PostgreSQL its batches are
// optimistic and pipelined.
func newBatcher(db *sql.DB, postgres bool, flush func(ctx context.Context, tx *sql.Tx) error, committed func()) *batcher {
	b := &batcher{db: db, optimistic: postgres, pipeline: postgres, flush: flush, committed: committed,
		queue: make(chan writeReq, maxBatch), stop: make(chan struct{}), gone: make(chan struct{}), wait: gatherWait}
	if flush == nil {
		b.flush = func(context.Context, *sql.Tx) error { return nil }
	}
	go b.loop()
	return b
}

// close stops the loop after the batch in progress.
func (b *batcher) close() {
	close(b.stop)
	<-b.gone
}

var errClosed = errors.New("database closed")

// do queues fn and waits for its batch to commit. fn's effects are durable
// when do returns nil.
func (b *batcher) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return b.queueWrite(writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

// doRow is do for a write that is one statement: fn runs it in a
// transaction, row is the same statement for a pipelined batch.
func (b *batcher) doRow(ctx context.Context, fn func(tx *sql.Tx) error, row *rowWrite) error {
	return b.queueWrite(writeReq{ctx: ctx, fn: fn, row: row, done: make(chan error, 1)})
}

func (b *batcher) queueWrite(req writeReq) error {
	ctx := req.ctx
	select {
	case b.queue <- req:
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write may already be in a transaction: wait for the
	// verdict rather than the context, so a caller never reports a failure
	// for a write that committed.
	return <-req.done
}

func (b *batcher) loop() {
	defer close(b.gone)
	for {
		var first writeReq
		select {
		case first = <-b.queue:
		case <-b.stop:
			b.drain()
			return
		}
		batch := []writeReq{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-b.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if b.last > 1 && len(batch) < gatherBatch {
			batch = b.gather(batch)
		}
		b.last = len(batch)
		b.run(batch)
	}
}

// Gathering. Under a steady stream of replies from many members (the
// mixed workload: a reply every millisecond) the writer is quick enough
// that each batch held one or two writes, and on SQLite a commit's cost
// is mostly per commit, not per write: its WAL frames (the pages every
// reply dirties: the posts' tail, the category, the events, the search
// queue) and the fsync. So while writes come concurrently (the last batch
// held more than one) a batch waits up to gatherWait for gatherBatch
// writes. A lone writer, one write after another, never waits.
const (
	gatherBatch = 8
	gatherWait  = 2 * time.Millisecond
)

// gather adds what arrives within b.wait to batch, until it holds
// gatherBatch writes.
func (b *batcher) gather(batch []writeReq) []writeReq {
	t := time.NewTimer(b.wait)
	defer t.Stop()
	for len(batch) < gatherBatch {
		select {
		case r := <-b.queue:
			batch = append(batch, r)
		case <-t.C:
			return batch
		case <-b.stop:
			return batch
		}
	}
	return batch
}

// drain fails what is still queued when the database closes.
func (b *batcher) drain() {
	for {
		select {
		case r := <-b.queue:
			r.done <- errClosed
		default:
			return
		}
	}
}

// run executes one batch in one transaction and tells every caller.
func (b *batcher) run(batch []writeReq) {
	var errs []error
	var err error
	savepoints := !b.optimistic
	for attempt := 1; ; attempt++ {
		if !savepoints && b.pipeline && allRows(batch) {
			errs, err = b.pipelined(batch)
		} else {
			errs, err = b.attempt(batch, savepoints)
		}
		if errors.Is(err, errWriteFailed) {
			savepoints = true // again, the failed write undone alone
			errs, err = b.attempt(batch, true)
		}
		// Two nodes' batches can lock the same thread, category and member
		// rows in opposite orders; PostgreSQL then aborts one of them. The
		// whole batch is tried again, its locks all released, rather than
		// refusing its writes.
		if !deadlocked(err, errs) || attempt == 5 {
			break
		}
		time.Sleep(time.Duration(1+rand.IntN(10*attempt)) * time.Millisecond)
	}
	b.writes.Add(int64(len(batch)))
	b.commits.Add(1)
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- errs[i]
		}
	}
}

// errWriteFailed undoes an optimistic batch (see batcher.optimistic).
var errWriteFailed = errors.New("a write of the batch failed")

// attempt runs the batch in one transaction: the writes' own errors, or
// the error that undid them all. Without savepoints, the first write that
// fails undoes the batch with errWriteFailed.
func (b *batcher) attempt(batch []writeReq, savepoints bool) ([]error, error) {
	errs := make([]error, len(batch))
	tx, err := b.db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	b.current.Store(tx)
	defer b.current.Store(nil)
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err // gave up while queued: never started
			continue
		}
		if !savepoints {
			if err := r.fn(tx); err != nil {
				tx.Rollback()
				if deadlocked(err, nil) {
					return nil, err
				}
				return nil, errWriteFailed
			}
			continue
		}
		if _, err := tx.Exec("SAVEPOINT w"); err != nil {
			tx.Rollback()
			return nil, err
		}
		if errs[i] = r.fn(tx); errs[i] != nil {
			if deadlocked(errs[i], nil) {
				tx.Rollback()
				return nil, errs[i]
			}
			errs[i] = callerEnded(r.ctx, errs[i])
			if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
				tx.Rollback()
				return nil, fmt.Errorf("roll back a failed write: %w", err)
			}
		}
		if _, err := tx.Exec("RELEASE w"); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	if err := b.flush(context.Background(), tx); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if b.committed != nil {
		b.committed()
	}
	return errs, nil
}

func allRows(batch []writeReq) bool {
	for _, r := range batch {
		if r.row == nil {
			return false
		}
	}
	return true
}

// pipelined runs a batch of rowWrites as attempt does without savepoints,
// but sends BEGIN, the statements and COMMIT together, then reads their
// answers. PostgreSQL runs them one after another as it reads them; after
// one that fails it skips the rest, COMMIT included, and the batch goes
// again with savepoints (errWriteFailed). A statement that answers no row
// (its thread gone) is that write's error alone: it changed nothing.
func (b *batcher) pipelined(batch []writeReq) ([]error, error) {
	ctx := context.Background()
	errs := make([]error, len(batch))
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		var pb pgx.Batch
		pb.Queue("BEGIN")
		for i, r := range batch {
			if errs[i] = r.ctx.Err(); errs[i] == nil { // else gave up while queued: never started
				pb.Queue(r.row.query, r.row.args...)
			}
		}
		pb.Queue("COMMIT")
		res := pc.SendBatch(ctx, &pb)
		_, err := res.Exec() // BEGIN
		for i, r := range batch {
			if err == nil && errs[i] == nil {
				if errs[i] = r.row.scan(res.QueryRow()); isServerError(errs[i]) {
					err = errs[i] // the transaction is undone
				}
			}
		}
		if err == nil {
			_, err = res.Exec() // COMMIT: if it failed for a lost connection, nobody knows whether it committed
		}
		if cerr := res.Close(); err == nil {
			err = cerr
		}
		if isServerError(err) {
			if pc.PgConn().TxStatus() != 'I' {
				if _, rerr := pc.Exec(ctx, "ROLLBACK"); rerr != nil {
					return driver.ErrBadConn // the pool drops the connection
				}
			}
			if !deadlocked(err, nil) {
				err = errWriteFailed
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if b.committed != nil {
		b.committed()
	}
	return errs, nil
}

// isServerError reports whether err is PostgreSQL's refusal of a statement,
// which undoes the transaction it is in.
func isServerError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// uncancelled returns ctx, or ctx without its cancellation for a
// statement of the batch in tx: once queued, a write is carried out and its
// caller waits for the verdict anyway (see do), and the SQLite driver
// watches a cancellable context of every statement with a goroutine of its
// own, a tenth of a reply's cost in the writer.
func (b *batcher) uncancelled(ctx context.Context, tx *sql.Tx) context.Context {
	if b != nil && ctx.Done() != nil && b.current.Load() == tx {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// deadlocked reports whether err (or any of errs) is PostgreSQL aborting a
// transaction to break a deadlock or a serialization conflict: worth
// trying again.
func deadlocked(err error, errs []error) bool {
	for _, e := range append([]error{err}, errs...) {
		var pe *pgconn.PgError
		if errors.As(e, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			return true
		}
	}
	return false
}

// callerEnded names the cause of a failure when the caller's context ended
// meanwhile: the server cancels a statement whose context ended (on
// PostgreSQL, 57014 query_canceled), which is the caller giving up or its
// time limit, not an outage.
func callerEnded(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// inSideTx runs fn, a write that locks none of the rows replies lock
// (threads, categories, members, read positions), in a transaction: its
// own on PostgreSQL, beside the batches, and the batcher's on SQLite, the
// one writer. A consumer's many statements for a batch of events (the
// notifications of every reply) held the batcher's one connection for as
// long as the replies queued behind them.
func (db *DB) inSideTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if db.dialect.name == enginePostgres {
		return db.inTx(ctx, op, fn)
	}
	return db.inWriteTx(ctx, op, fn)
}

// Writes counts the writes this process has sent through the writer,
// failed ones included: upkeep that can wait (merging the search index)
// watches it for a quiet moment.
func (db *DB) Writes() int64 { return db.batch.writes.Load() }

// Commits counts the group commit's transactions (each a batch of Writes).
func (db *DB) Commits() int64 { return db.batch.commits.Load() }

// inWriteRow is inWriteTx for a write that is one statement, which a
// PostgreSQL batch may send with others in one round trip.
func (db *DB) inWriteRow(ctx context.Context, op string, w *rowWrite) error {
	if db.closed.Load() {
		return db.wrap(op, forum.ErrUnavailable)
	}
	fn := func(tx *sql.Tx) error { return w.scan(db.txRow(ctx, tx, w.query, w.args...)) }
	return db.wrap(op, db.batch.doRow(ctx, fn, w))
}

// inWriteTx runs fn in a write transaction, through the batcher (group
// commit).
func (db *DB) inWriteTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if db.closed.Load() {
		return db.wrap(op, forum.ErrUnavailable)
	}
	return db.wrap(op, db.batch.do(ctx, fn))
}
