package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"hearth/internal/forum"
)

// Everything that differs between SQLite and PostgreSQL lives in this file;
// the queries elsewhere are written once in SQL both engines accept.

const (
	engineSQLite   = "sqlite"
	enginePostgres = "postgres"
)

// IsPostgresDSN reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file. Every
// package asks here.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLiteFile returns the file a SQLite DSN names, without the optional
// "sqlite:" prefix, or "" for a PostgreSQL DSN.
func SQLiteFile(dsn string) string {
	if IsPostgresDSN(dsn) {
		return ""
	}
	return strings.TrimPrefix(dsn, "sqlite:")
}

// openSQLite opens one writer connection, a pool of read-only readers and
// the checkpointer's connection (checkpoint.go) on the same file. Pragmas
// travel in the DSN so every pooled connection gets them; busy_timeout
// comes first so the others never fail with SQLITE_BUSY.
func openSQLite(path string) (write, read, ckpt *sql.DB, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, nil, err
		}
	}
	// SQLite creates a new database file 0644 (less the umask) and gives
	// its -wal and -shm files the main file's mode: members' emails and
	// password hashes are in there, so make it owner-only first. An empty
	// file is an empty database to SQLite.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, nil, nil, err
	}
	// A file: URI decodes %XX and stops at ? or #, so escape those.
	// mode=rw: a connection opened later, while the file is gone, fails
	// instead of creating an empty database in its place.
	name := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	base := "file:" + name + "?mode=rw&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"

	// temp_store(MEMORY): group commit runs each write in a savepoint, and
	// SQLite keeps the pages a savepoint may have to restore in a
	// sub-journal, a temporary file by default: a pwrite per page touched,
	// a quarter of a reply's CPU. They are needed only until the
	// transaction ends (the WAL, not they, is what survives a crash), so
	// memory will do.
	write, err = sql.Open("sqlite", base+"&_txlock=immediate&_pragma=temp_store(MEMORY)"+
		"&_pragma=wal_autocheckpoint("+strconv.Itoa(writerAutoCheckpoint)+")")
	if err != nil {
		return nil, nil, nil, err
	}
	// One writer: SQLite allows one at a time anyway, and queuing in Go
	// instead of in busy_timeout keeps ErrBusy away from callers.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)

	read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, nil, nil, err
	}
	n := max(4, 2*runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	ckpt, err = sql.Open("sqlite", base)
	if err != nil {
		write.Close()
		read.Close()
		return nil, nil, nil, err
	}
	ckpt.SetMaxOpenConns(1)
	ckpt.SetMaxIdleConns(1)
	return write, read, ckpt, nil
}

// openPostgres opens a pool of up to n connections, all kept while in use:
// closing the ones past a smaller idle limit whenever demand dipped meant
// opening them again a moment later, each new backend slow at first (its
// catalog caches, the text search configuration, five custom plans of
// every statement before a generic one). Idle for five minutes, they go.
func openPostgres(dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// redact returns dsn fit for logs and error messages: no password.
func redact(dsn string) string {
	if !IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// mapError classifies a driver error into a forum sentinel, or nil when it
// is none of them.
func (db *DB) mapError(err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return forum.ErrNotFound
	case db.closed.Load(),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ENOENT),
		errors.Is(err, io.ErrUnexpectedEOF):
		return forum.ErrUnavailable
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return forum.ErrUnavailable
	}

	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return forum.ErrConflict
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			// A reference to a row that does not exist: the thing referred to was not found.
			return forum.ErrNotFound
		}
		switch se.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Only after busy_timeout (10 s) of SQLite's own retries.
			return forum.ErrBusy
		case sqlite3.SQLITE_FULL:
			return forum.ErrStorageFull
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOTADB,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
			// A damaged file is as unavailable as a missing one: the forum
			// serves its degraded answer until it is restored.
			return forum.ErrUnavailable
		}
		return nil
	}

	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return forum.ErrConflict
		case pe.Code == "23503":
			return forum.ErrNotFound
		case pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
			return forum.ErrBusy // serialization failure, deadlock, lock not available: retry
		case pe.Code == "53100":
			return forum.ErrStorageFull // disk_full
		case unavailablePG(pe.Code):
			return forum.ErrUnavailable
		}
		return nil
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return forum.ErrUnavailable
	}
	return nil
}

// unavailablePG reports the PostgreSQL error codes that mean the database
// cannot be reached or used, as opposed to a query of ours being wrong.
func unavailablePG(code string) bool {
	if code == "57014" { // query_canceled: our caller's context ended (see callerEnded)
		return false
	}
	switch code[:min(2, len(code))] {
	case "08", // connection exception
		"28", // invalid authorization: a credential changed under us
		"53", // insufficient resources: too many connections, out of memory
		"57", // operator intervention: shutdown, terminated, cannot connect now, database dropped
		"58", // system error: I/O
		"XX": // internal error: data corrupted
		return true
	}
	switch code {
	case "3D000", // invalid_catalog_name: the database was dropped or renamed
		"55000", // object_not_in_prerequisite_state: "not currently accepting connections"
		"25006": // read_only_sql_transaction: a standby, or the server made read-only
		return true
	}
	return false
}

// dialect is everything about an engine that the shared SQL cannot say:
// one value per engine, side by side, so a difference is found in one
// place. DB holds the one it runs on.
type dialect struct {
	name string // "sqlite" or "postgres", what DB.Engine reports

	// numberedParams: long statements bind $1, $2, ... Without it they
	// bind "?": modernc looks each "$N" up by name in a list, which is
	// quadratic in a multi-row INSERT of thousands of parameters.
	numberedParams bool
	// maxParams is the most bind parameters one statement may carry
	// (SQLite 32766, PostgreSQL 65535), with room to spare.
	maxParams int

	tableExistsSQL string // counts the tables named $1 in the current schema
	tablesSQL      string // the current schema's tables, sorted by name
	versionSQL     string // the server's version

	// migrationLockSQL serializes Migrate across processes, run first in
	// its transaction; "" on SQLite, whose BEGIN IMMEDIATE already does.
	migrationLockSQL string

	// integrityPragmas: the file can be checked page by page (PRAGMA
	// quick_check, integrity_check, foreign_key_check). PostgreSQL has no
	// equivalent; its checks pass.
	integrityPragmas bool
	// fileCopy: a backup is a consistent copy of the file (VACUUM INTO);
	// otherwise it is the logical export of ExportTables.
	fileCopy bool
	// snapshot is how an export's transaction reads one consistent state:
	// on SQLite any read transaction is a snapshot.
	snapshot *sql.TxOptions
	// truncate: emptying every table for an import is one TRUNCATE ...
	// RESTART IDENTITY CASCADE; otherwise DELETE table by table, children first.
	truncate bool
	// sequences: identity sequences must be moved past imported IDs, so
	// later inserts do not collide. SQLite's INTEGER PRIMARY KEY needs nothing.
	sequences bool

	// Full-text search (the index is made in migration 0015 of each engine).
	// searchFrom is the FROM clause's start, joining the index to posts p;
	// match returns the condition on it and the relevance expression (larger
	// better) for terms, with their bind values, numbering from arg.
	searchFrom  string
	searchOrder string // newest candidates first, in the index's own order where it has one
	// relevanceWalksAll: the relevance reads every match of each term
	// first (FTS5 bm25's IDF), not only the candidates' (ts_rank).
	relevanceWalksAll bool
	searchMatch       func(terms, excluded []forum.SearchTerm, arg func(any) string) (cond, relevance string)
	// searchStatusSQL counts posts and indexed posts.
	searchStatusSQL string
	// searchRebuildSQL rebuilds the index from posts and threads.
	searchRebuildSQL string
	// analyzeSQL refreshes the planner's statistics after bulk writes: on
	// PostgreSQL a search's plan (walk posts newest first, or the GIN index,
	// for rare words) rests on them, and without them after a seed it took
	// 263 ms a search instead of 16. SQLite's search plan is fixed.
	analyzeSQL string
	// planEachTime goes before a query's arguments to have it planned
	// with its values every time. A search's best plan depends on its
	// words (walk the newest posts for a common one, the GIN index for a
	// rare one); PostgreSQL switches a prepared statement to one generic
	// plan after five runs, which read every match of a common word and
	// sorted them: 2.3 s instead of 7 ms on the 500,000-post bench.
	planEachTime []any
}

var (
	sqliteDialect = &dialect{
		name:           engineSQLite,
		maxParams:      30000,
		tableExistsSQL: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
		// The search index (a virtual table and its shadow tables) is
		// derived from posts: backups and counts leave it out, and an
		// import rebuilds it through the triggers.
		tablesSQL: `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
			AND name NOT LIKE 'post_search%' ORDER BY name`,
		versionSQL:        "SELECT sqlite_version()",
		integrityPragmas:  true,
		fileCopy:          true,
		searchFrom:        "post_search JOIN posts p INDEXED BY posts_search_rows ON p.id = post_search.rowid",
		searchOrder:       "post_search.rowid DESC", // FTS5 walks its doclist newest first and stops
		searchMatch:       fts5Match,
		relevanceWalksAll: true,
		searchStatusSQL:   "SELECT (SELECT COUNT(*) FROM posts), (SELECT COUNT(*) FROM post_search_docsize)",
		searchRebuildSQL:  "INSERT INTO post_search (post_search) VALUES ('rebuild')",
	}
	postgresDialect = &dialect{
		name:             enginePostgres,
		numberedParams:   true,
		maxParams:        60000,
		tableExistsSQL:   "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
		tablesSQL:        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
		versionSQL:       "SHOW server_version",
		migrationLockSQL: "SELECT pg_advisory_xact_lock(7243101)",
		snapshot:         &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
		truncate:         true,
		sequences:        true,
		searchFrom:       "posts p",
		searchOrder:      "p.id DESC",
		searchMatch:      tsMatch,
		searchStatusSQL:  "SELECT COUNT(*), COUNT(search) FROM posts",
		analyzeSQL:       "ANALYZE posts, threads, categories",
		planEachTime:     []any{pgx.QueryExecModeExec}, // the unnamed statement: a custom plan
		searchRebuildSQL: `UPDATE posts p SET search = v.search
FROM (SELECT p2.id, hearth_post_search(CASE WHEN p2.position = 1 THEN t.title ELSE '' END, p2.body) AS search
	FROM posts p2 JOIN threads t ON t.id = p2.thread_id) v
WHERE p.id = v.id AND p.search IS DISTINCT FROM v.search`,
	}
)

// fts5Match builds an FTS5 MATCH expression from terms. Every word is a
// quoted string of letters and digits only, so nothing in it is syntax:
// "w1 w2" is a phrase, "w"* a prefix, NOT excludes. Weights: a title match
// counts five times a body match.
func fts5Match(terms, excluded []forum.SearchTerm, arg func(any) string) (string, string) {
	quote := func(t forum.SearchTerm) string {
		s := `"` + strings.Join(t.Words, " ") + `"`
		if t.Prefix {
			s += "*"
		}
		return s
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = quote(t)
	}
	expr := "(" + strings.Join(parts, " AND ") + ")"
	for _, t := range excluded {
		expr += " NOT " + quote(t)
	}
	return "post_search MATCH " + arg(expr), "-bm25(post_search, 5.0, 1.0)"
}

// tsMatch builds a tsquery: websearch_to_tsquery of quoted words ("w",
// -"w", -"w1 w2"; the words are letters and digits only, so "or" is a
// word, not the operator), to_tsquery for prefixes (w:*, w1 <-> w2:*),
// which websearch_to_tsquery cannot say, and for a phrase its word pairs,
// which the GIN index can find, with the positional phrase checked beside
// them (see migration 0023). Ranking uses the plain phrase (the pairs have
// no positions); ts_rank's default weights count the title (A) ten times
// the body (D).
func tsMatch(terms, excluded []forum.SearchTerm, arg func(any) string) (string, string) {
	var web, prefix, pairs, phrases []string
	for _, t := range terms {
		switch {
		case t.Prefix:
			prefix = append(prefix, "("+strings.Join(t.Words, " <-> ")+":*)")
		case len(t.Words) > 1:
			a := arg(strings.Join(t.Words, " "))
			pairs = append(pairs, "hearth_phrase_pairs("+a+")")
			phrases = append(phrases, "phraseto_tsquery('hearth_search', "+a+")")
		default:
			web = append(web, `"`+t.Words[0]+`"`)
		}
	}
	for _, t := range excluded {
		web = append(web, `-"`+strings.Join(t.Words, " ")+`"`)
	}
	var common []string
	if len(web) > 0 {
		common = append(common, "websearch_to_tsquery('hearth_search', "+arg(strings.Join(web, " "))+")")
	}
	if len(prefix) > 0 {
		common = append(common, "to_tsquery('hearth_search', "+arg(strings.Join(prefix, " & "))+")")
	}
	and := func(qs ...[]string) string {
		return "(" + strings.Join(slices.Concat(qs...), " && ") + ")"
	}
	cond := "p.search @@ " + and(common, pairs)
	for _, ph := range phrases {
		cond += " AND ts_match_vq(p.search, " + ph + ")"
	}
	return cond, "ts_rank(p.search, " + and(common, phrases) + ", 1)"
}

// placeholder returns the n-th bind parameter of a long statement.
func (d *dialect) placeholder(n int) string {
	if d.numberedParams {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// lockMigrations takes the cross-process migration lock in tx, if the
// engine needs one.
func (d *dialect) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	if d.migrationLockSQL == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, d.migrationLockSQL)
	return err
}

// resetSequences moves the identity sequences of tables past their
// highest id, where the engine has sequences.
func (d *dialect) resetSequences(ctx context.Context, tx *sql.Tx, tables ...string) error {
	if !d.sequences {
		return nil
	}
	for _, table := range tables {
		q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), COALESCE((SELECT MAX(id) FROM %[1]s), 0) + 1, false)", table)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset %s id sequence: %w", table, err)
		}
	}
	return nil
}

// tableExists reports whether a table exists in the current schema.
func (db *DB) tableExists(ctx context.Context, q querier, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, db.dialect.tableExistsSQL, name).Scan(&n)
	return n > 0, err
}

// tables lists the tables of the current schema, sorted by name.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.dialect.tablesSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// idTables are the tables whose ids an import carries over.
var idTables = []string{"members", "categories", "threads", "posts", "events", "notifications", "outbox"}

// isIOError reports whether err says the files under the database failed:
// an I/O error (the disk or filesystem), or files that could not be opened
// or written (made read-only): a connection that met one may keep failing
// after the cause is gone, so they are replaced (DB.Ping).
func isIOError(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return errors.Is(err, syscall.EIO)
}
