package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// Backup support: a consistent file copy for SQLite (VACUUM INTO) and an
// engine-neutral logical export/import of every table, which is how a
// PostgreSQL database is backed up and how data moves between engines.

// BackupTables are Hearth's tables in dependency order: a row only refers
// to rows of tables before it. Tables a later migration adds and this list
// does not name are exported after these, in name order.
var BackupTables = []string{"members", "sessions", "settings", "categories", "threads", "posts", "schema_migrations"}

// exportOrder makes exports deterministic and keeps parents before children
// (a sub-category refers to its parent).
var exportOrder = map[string]string{
	"categories":        "CASE WHEN parent_id IS NULL THEN 0 ELSE 1 END, id",
	"sessions":          "token_hash",
	"settings":          "key",
	"schema_migrations": "version",
}

// Path returns the SQLite file the database lives in, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// BackupSQLite writes a consistent copy of the database to destPath (which
// must not exist) with VACUUM INTO. It runs on a read-only connection, so
// the writer keeps serving while it copies; the copy is the snapshot of the
// moment it started.
func (db *DB) BackupSQLite(ctx context.Context, destPath string) error {
	if !db.dialect.fileCopy {
		return errors.New("backup: VACUUM INTO is for SQLite; use ExportTables on PostgreSQL")
	}
	if _, err := os.Stat(destPath); err == nil {
		return fmt.Errorf("backup: %s already exists", destPath)
	}
	// A reader, not the writer: VACUUM INTO only reads this database, and
	// the single writer stays free for the forum. Readers are query_only,
	// which also forbids writing the new file, so lift it for this one call.
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return db.wrap("backup (VACUUM INTO)", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA query_only = 0"); err != nil {
		return db.wrap("backup (VACUUM INTO)", err)
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO $1", destPath)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA query_only = 1"); rerr != nil {
		// Never hand a writable connection back to the read pool.
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return db.wrap("backup (VACUUM INTO)", err)
}

// exportTables returns the tables to export in dependency order.
func (db *DB) exportTables(ctx context.Context) ([]string, error) {
	all, err := db.tables(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range BackupTables {
		if slices.Contains(all, t) {
			out = append(out, t)
		}
	}
	for _, t := range all {
		if !slices.Contains(BackupTables, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// ExportTables calls fn for every row of every table, in dependency order,
// inside one read-only snapshot (REPEATABLE READ on PostgreSQL, a read
// transaction on SQLite), so the export is consistent while writes go on.
// Values are engine-neutral: int64 (or int32), string, bool, float64, nil.
func (db *DB) ExportTables(ctx context.Context, fn func(table string, row map[string]any) error) error {
	tables, err := db.exportTables(ctx)
	if err != nil {
		return db.wrap("export: list tables", err)
	}
	tx, err := db.read.BeginTx(ctx, db.dialect.snapshot)
	if err != nil {
		return db.wrap("export", err)
	}
	defer tx.Rollback()
	for _, t := range tables {
		if err := exportTable(ctx, tx, t, fn); err != nil {
			return db.wrap("export "+t, err)
		}
	}
	return nil
}

// engineOnly are columns that mean nothing in another database: a
// PostgreSQL transaction id. Backups leave them out; the importing database
// fills in its own default.
// The search vector is derived: the target's triggers make their own.
var engineOnly = map[string]bool{"events.txid": true, "posts.search": true}

func exportTable(ctx context.Context, tx *sql.Tx, table string, fn func(string, map[string]any) error) error {
	q := "SELECT * FROM " + table
	if o, ok := exportOrder[table]; ok {
		q += " ORDER BY " + o
	} else if table != "schema_migrations" {
		q += " ORDER BY 1"
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if engineOnly[table+"."+c.Name()] {
				continue
			}
			row[c.Name()] = neutral(c.DatabaseTypeName(), vals[i])
		}
		if err := fn(table, row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// neutral turns a scanned value into its engine-neutral form: SQLite keeps
// BOOLEAN as 0/1, PostgreSQL as true/false; exports always say true/false.
func neutral(dbType string, v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int64:
		if t := strings.ToUpper(dbType); t == "BOOLEAN" || t == "BOOL" {
			return x != 0
		}
	}
	return v
}

// ErrNotEmpty means an import target already holds data.
var ErrNotEmpty = errors.New("the database already holds data")

// RowSource feeds rows to emit in dependency order (ExportTables has the
// same shape, so one database can be imported straight into another).
type RowSource func(emit func(table string, row map[string]any) error) error

// ImportTables writes the rows src emits into this (migrated) database in
// one transaction. The target must hold no forum data, unless replace is
// set: then every table is emptied first, inside the same transaction, so
// a failure leaves the old contents. Rows of schema_migrations are skipped:
// the target's schema is the one this binary migrated. Identity sequences
// are moved past the imported IDs.
func (db *DB) ImportTables(ctx context.Context, replace bool, src RowSource) error {
	tables, err := db.exportTables(ctx)
	if err != nil {
		return db.wrap("import: list tables", err)
	}
	return db.inTx(ctx, "import", func(tx *sql.Tx) error {
		if err := db.emptyTables(ctx, tx, tables, replace); err != nil {
			return err
		}
		imp := &importer{db: db, tx: tx, ctx: ctx, known: map[string]map[string]bool{}}
		for _, t := range tables {
			cols, err := db.columns(ctx, tx, t)
			if err != nil {
				return err
			}
			imp.known[t] = cols
		}
		if err := src(imp.add); err != nil {
			return err
		}
		if err := imp.flush(); err != nil {
			return err
		}
		return db.dialect.resetSequences(ctx, tx, idTables...)
	})
}

// emptyTables checks the forum tables are empty, or empties them.
func (db *DB) emptyTables(ctx context.Context, tx *sql.Tx, tables []string, replace bool) error {
	if replace {
		if db.dialect.truncate {
			var names []string
			for _, t := range tables {
				if t != "schema_migrations" {
					names = append(names, t)
				}
			}
			_, err := tx.ExecContext(ctx, "TRUNCATE "+strings.Join(names, ", ")+" RESTART IDENTITY CASCADE")
			return err
		}
		for _, t := range slices.Backward(tables) {
			if t == "schema_migrations" {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return fmt.Errorf("empty %s: %w", t, err)
			}
		}
		return nil
	}
	var busy []string
	for _, t := range tables {
		if t == "schema_migrations" {
			continue
		}
		var n int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			busy = append(busy, fmt.Sprintf("%d %s", n, t))
		}
	}
	if len(busy) > 0 {
		return fmt.Errorf("%w (%s)", ErrNotEmpty, strings.Join(busy, ", "))
	}
	return nil
}

// columns returns the column names of table.
func (db *DB) columns(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	cols := map[string]bool{}
	for _, n := range names {
		cols[n] = true
	}
	return cols, nil
}

// importer batches rows of one table and column set into multi-row INSERTs.
type importer struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	known map[string]map[string]bool // table -> its columns in the target

	table string
	cols  []string
	batch [][]any
}

func (imp *importer) add(table string, row map[string]any) error {
	if table == "schema_migrations" {
		return nil
	}
	known, ok := imp.known[table]
	if !ok {
		return fmt.Errorf("import: the backup has a table %q this database does not", table)
	}
	cols := make([]string, 0, len(row))
	for c := range row {
		if !known[c] {
			return fmt.Errorf("import: the backup has a column %s.%s this database does not", table, c)
		}
		cols = append(cols, c)
	}
	sort.Strings(cols)
	if table != imp.table || !slices.Equal(cols, imp.cols) || len(imp.batch) >= 500 {
		if err := imp.flush(); err != nil {
			return err
		}
		imp.table, imp.cols = table, cols
	}
	vals := make([]any, len(cols))
	for i, c := range cols {
		vals[i] = row[c]
	}
	imp.batch = append(imp.batch, vals)
	return nil
}

func (imp *importer) flush() error {
	if len(imp.batch) == 0 {
		return nil
	}
	b := imp.batch
	imp.batch = nil
	return imp.db.bulkInsert(imp.ctx, imp.tx, imp.table, imp.cols, len(b), func(i int, a []any) []any {
		return append(a, b[i]...)
	})
}

// TableCounts returns the number of rows of every table.
func (db *DB) TableCounts(ctx context.Context) (map[string]int64, error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return nil, db.wrap("count rows", err)
	}
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, db.wrap("count rows of "+t, err)
		}
		counts[t] = n
	}
	return counts, nil
}
