package store

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. modernc.org/sqlite parses a query's SQL every time
// it runs unless it is prepared, and parsing cost a third of a reply's CPU.
// So on SQLite each query is prepared once per pool and reused; database/sql
// keeps the prepared form per connection and, inside a transaction, reuses
// the one on the transaction's connection. pgx already caches prepared
// statements per connection, so PostgreSQL takes the queries as they are.
type stmtCache struct {
	pool    *sql.DB
	m       sync.Map // query -> *sql.Stmt
	pending sync.Map // query -> true while being prepared
}

func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	if c == nil {
		return nil, errNoCache
	}
	if s, ok := c.m.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.m.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// cached returns q's statement only if it is prepared already; if not, it
// prepares it in the background and the caller runs q unprepared this
// once. Inside a transaction on the single SQLite writer connection,
// preparing on the pool would wait for that very connection.
func (c *stmtCache) cached(q string) (*sql.Stmt, error) {
	if c == nil {
		return nil, errNoCache
	}
	if s, ok := c.m.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	if _, busy := c.pending.LoadOrStore(q, true); !busy {
		go func() {
			c.get(context.Background(), q)
			c.pending.Delete(q)
		}()
	}
	return nil, errNoCache
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.m.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
}

type noCache struct{}

func (noCache) Error() string { return "no statement cache" }

var errNoCache error = noCache{}

// The query helpers below run q prepared when they can, and as it is when
// preparing is not possible (PostgreSQL, or an error the plain call will
// then report in its usual way).

func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s, err := db.readStmts.get(ctx, q); err == nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}

func (db *DB) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s, err := db.readStmts.get(ctx, q); err == nil {
		return s.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, q, args...)
}

func (db *DB) writeRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s, err := db.writeStmts.get(ctx, q); err == nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.write.QueryRowContext(ctx, q, args...)
}

func (db *DB) writeExec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s, err := db.writeStmts.get(ctx, q); err == nil {
		return s.ExecContext(ctx, args...)
	}
	return db.write.ExecContext(ctx, q, args...)
}

func (db *DB) txRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	ctx = db.batch.uncancelled(ctx, tx)
	if s, err := db.writeStmts.cached(q); err == nil {
		return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

func (db *DB) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	ctx = db.batch.uncancelled(ctx, tx)
	if s, err := db.writeStmts.cached(q); err == nil {
		return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

func (db *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	ctx = db.batch.uncancelled(ctx, tx)
	if s, err := db.writeStmts.cached(q); err == nil {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}
