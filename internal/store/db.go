// Package store is Hearth's one implementation of forum.Store, over
// database/sql for SQLite (modernc.org/sqlite) and PostgreSQL (pgx). Queries
// are written once in SQL both engines accept; what differs lives in
// dialect.go and in the per-engine schema files under migrations/.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"hearth/internal/forum"
)

var _ forum.Store = (*DB)(nil)

// DB is a Hearth database. On SQLite writes go through a single connection
// and reads through a pool of read-only ones; on PostgreSQL both share one
// pool, and the batcher has a connection of its own.
type DB struct {
	dialect    *dialect      // what differs between the engines
	label      string        // the DSN without secrets, for messages
	write      *sql.DB       // transactions and writes
	read       *sql.DB       // plain reads; the same pool as write on PostgreSQL
	batchPool  *sql.DB       // PostgreSQL: the batcher's one connection (see Open); nil on SQLite
	migrations fs.FS         // numbered .sql files for this engine; swapped in tests
	batch      *batcher      // group commit of writes
	ckpt       *checkpointer // SQLite: checkpoints off the writer
	// relevanceBudget is the time a search may spend on bm25 (see Search).
	relevanceBudget time.Duration

	readStmts, writeStmts *stmtCache // prepared statements; SQLite only
	closed                atomic.Bool

	node       string // names this process in the events it writes
	listenMu   sync.Mutex
	listenConn *sql.Conn // PostgreSQL: LISTENs for events; nil until first used

	path      string // the SQLite file
	openedMu  sync.Mutex
	opened    os.FileInfo // the SQLite file as opened: Ping notices it removed or replaced
	fileMoved atomic.Bool // Ping found another file, or none, at the path
	// ioFailed is set when SQLite met an I/O error: the connections' open
	// files may be on a filesystem that failed and came back mounted
	// anew, so Ping replaces them (see recoverIO).
	ioFailed atomic.Bool
	// searchQueued is set once the schema queues new posts for the search
	// index (SQLite, migration 0021): flushSearch has work to look for.
	searchQueued atomic.Bool
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens and pings the database named by dsn: a postgres:// or
// postgresql:// URL selects PostgreSQL, anything else is a SQLite file path
// (an optional "sqlite:" prefix is stripped). It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.TrimPrefix(dsn, "sqlite:") == "" {
		return nil, errors.New("open database: empty DSN: give a SQLite file path or a postgres:// URL")
	}
	db := &DB{label: redact(dsn), relevanceBudget: 10 * time.Millisecond}
	var err error
	if IsPostgresDSN(dsn) {
		db.dialect = postgresDialect
		db.write, err = openPostgres(dsn, 20)
		db.read = db.write
		if err == nil {
			// The batcher's own connection: taken from the shared pool, a
			// batch waited behind the reads for one (20 of them busy), and
			// got one whose backend had not yet planned its statements
			// (posting 600 -> 1,000 replies/s with connections kept).
			db.batchPool, err = openPostgres(dsn, 1)
		}
		if err == nil {
			db.batch = newBatcher(db.batchPool, true, nil, nil) // the search column there is kept by a trigger
		}
	} else {
		db.dialect = sqliteDialect
		path := SQLiteFile(dsn)
		db.label = path
		var ckpt *sql.DB
		db.write, db.read, ckpt, err = openSQLite(path)
		if err == nil {
			db.ckpt = newCheckpointer(ckpt)
			db.path = path
			db.opened, err = os.Stat(path)
		}
		if err == nil {
			db.batch = newBatcher(db.write, false, db.flushSearch, db.ckpt.committed)
			db.readStmts, db.writeStmts = &stmtCache{pool: db.read}, &stmtCache{pool: db.write}
		}
	}
	if err != nil {
		db.ckpt.close()
		return nil, fmt.Errorf("open database %s: %w", db.label, err)
	}
	db.migrations, err = fs.Sub(migrationFiles, "migrations/"+db.dialect.name)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", db.label, err)
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", db.label, err)
	}
	db.noteSearchQueue(ctx)
	return db, nil
}

// Engine returns "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name }

// Ping reports whether the database answers, on both pools, and on SQLite
// whether the file is still the one opened: SQLite goes on working on a
// file removed or replaced under it, and what it wrote there would be lost.
func (db *DB) Ping(ctx context.Context) error {
	recovering := db.ioFailed.Load()
	if recovering {
		db.dropIdle()
	}
	err := db.write.PingContext(ctx)
	if err == nil && db.read != db.write {
		err = db.read.PingContext(ctx)
	}
	if err == nil && recovering {
		// A ping need not touch the file; a read of its first page does.
		for _, pool := range []*sql.DB{db.write, db.read} {
			var n int
			if err = pool.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
				break
			}
		}
	}
	if err == nil && db.path != "" {
		if err = db.checkFile(recovering); err != nil {
			db.fileMoved.Store(true)
		} else if db.fileMoved.Swap(false) {
			// The file is back at its path: connections opened meanwhile
			// (by the consumers, the read buffer) opened what was there
			// then, and would go on reading that copy.
			db.dropIdle()
		}
	}
	if err != nil {
		if isIOError(err) {
			db.ioFailed.Store(true)
		}
		// Whatever the cause, a database that does not answer is unavailable.
		if !errors.Is(err, forum.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", forum.ErrUnavailable, err)
		}
		return fmt.Errorf("ping: %w", err)
	}
	if recovering {
		db.ioFailed.Store(false)
	}
	return nil
}

// checkFile reports whether the file at the path is still the one opened.
// After I/O errors, the same inode answering again on fresh connections
// is taken as the database: the filesystem under it was mounted anew (on
// another device, maybe). Another file in its place never is, even then:
// an I/O error while the file is being replaced must not adopt the copy.
func (db *DB) checkFile(recovering bool) error {
	db.openedMu.Lock()
	defer db.openedMu.Unlock()
	now, err := os.Stat(db.path)
	switch {
	case err != nil:
		return fmt.Errorf("the database file %s is gone: %w", db.path, err)
	case os.SameFile(db.opened, now):
		return nil
	case recovering && sameInode(db.opened, now):
		db.opened = now
		return nil
	}
	return fmt.Errorf("the database file %s was replaced while open: restart Hearth to use the new one", db.path)
}

// dropIdle closes the pools' idle connections, so the next queries open
// the file afresh: after an I/O error the old ones may hold files on a
// filesystem that is gone. Connections in use are closed as they are
// returned, while recovering.
func (db *DB) dropIdle() {
	pools := []*sql.DB{db.write, db.read}
	if db.ckpt != nil {
		pools = append(pools, db.ckpt.pool)
	}
	for _, pool := range pools {
		n := pool.Stats().MaxOpenConnections
		pool.SetMaxIdleConns(0)
		pool.SetMaxIdleConns(n)
	}
}

// Close closes the pools. Later calls fail with forum.ErrUnavailable.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.dropListener()
	if db.batch != nil {
		db.batch.close()
	}
	ckptErr := db.ckpt.close()
	db.readStmts.close()
	db.writeStmts.close()
	err := errors.Join(ckptErr, db.write.Close())
	if db.batchPool != nil {
		err = errors.Join(err, db.batchPool.Close())
	}
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// wrap gives err the operation's context and, once, the forum sentinel it
// stands for, keeping the driver error in the chain for the logs.
func (db *DB) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{forum.ErrNotFound, forum.ErrConflict, forum.ErrBusy, forum.ErrUnavailable, forum.ErrStorageFull} {
		if errors.Is(err, s) {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if db.path != "" && isIOError(err) {
		db.ioFailed.Store(true) // the monitor's next Ping replaces the connections
	}
	switch s := db.mapError(err); {
	case s == nil && db.unreachable(err):
		return fmt.Errorf("%s: %w: %w", op, forum.ErrUnavailable, err)
	case s == nil:
		return fmt.Errorf("%s: %w", op, err)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, s)
	default:
		return fmt.Errorf("%s: %w: %w", op, s, err)
	}
}

// unreachable decides an error no mapping knows: if the database does not
// answer a ping now, the error was the outage showing (a connection
// dropped in some way no driver code names) and the member gets the
// degraded answer, not a 500. A client that went away is not an outage.
func (db *DB) unreachable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true // a store call's own time limit: the database is not answering in time
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return db.Ping(ctx) != nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE on SQLite) and
// commits it if fn succeeds.
func (db *DB) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.wrap(op, err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return db.wrap(op, callerEnded(ctx, err))
	}
	if err := db.flushSearch(ctx, tx); err != nil {
		tx.Rollback()
		return db.wrap(op, callerEnded(ctx, err))
	}
	return db.wrap(op, tx.Commit())
}

// Times are BIGINT unix milliseconds in UTC; 0 is the zero time.Time.

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// nullID stores an optional reference: 0 becomes NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// limitOrAll reads a limit of 0 or less as "no limit".
func limitOrAll(n int) int {
	if n <= 0 {
		return 1 << 31
	}
	return n
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return forum.ErrNotFound
	}
	return nil
}
