package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL data set is marked by a row in Hearth's own settings
// table (an extra table would end up in Hearth's backups): written with
// complete=false before `hearth seed` and set to true after it, so that an
// interrupted seed is told apart from somebody's forum, which the harness
// never touches.
const pgMarkerKey = "bench_seed"

// seedInfo is the marker: the sizes asked for and how the seed went.
type seedInfo struct {
	Members  int    `json:"members"`
	Threads  int    `json:"threads"`
	Posts    int    `json:"posts"`
	Complete bool   `json:"complete"`
	SeededAt string `json:"seeded_at,omitempty"`
	Took     string `json:"took,omitempty"`
}

func isPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// redactDSN drops the password, for reports and logs.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// withDatabase is dsn naming another database on the same server.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("-db: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func dsnDatabase(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// seedAction is what to do with a PostgreSQL database, given its marker
// (nil if none) and how many members it holds.
type seedAction int

const (
	actReuse  seedAction = iota // the marker says: complete, same sizes
	actSeed                     // empty: seed it
	actReset                    // the harness's, but incomplete or of other sizes: empty it, then seed
	actRefuse                   // members and no marker: somebody's forum
)

func decideSeed(marker *seedInfo, members int64, want seedInfo) seedAction {
	switch {
	case marker != nil && marker.Complete && marker.Members == want.Members &&
		marker.Threads == want.Threads && marker.Posts == want.Posts:
		return actReuse
	case marker != nil:
		return actReset
	case members > 0:
		return actRefuse
	}
	return actSeed
}

// openPostgres opens dsn, creating its database first if the server has
// none of that name (only that: other databases are never touched).
func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	err = db.PingContext(ctx)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "3D000" { // invalid_catalog_name
		db.Close()
		name := dsnDatabase(dsn)
		admin, aerr := withDatabase(dsn, "postgres")
		if aerr != nil {
			return nil, aerr
		}
		adb, aerr := sql.Open("pgx", admin)
		if aerr != nil {
			return nil, aerr
		}
		_, aerr = adb.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		adb.Close()
		if aerr != nil {
			return nil, fmt.Errorf("create database %q: %w", name, aerr)
		}
		step("Created database %s", name)
		if db, err = sql.Open("pgx", dsn); err != nil {
			return nil, err
		}
		err = db.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", redactDSN(dsn), err)
	}
	return db, nil
}

// pgMarker reads the marker and the number of members; a database without
// Hearth's tables has neither.
func pgMarker(ctx context.Context, db *sql.DB) (*seedInfo, int64, error) {
	var tables int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name IN ('settings', 'members')`).Scan(&tables)
	if err != nil || tables < 2 {
		return nil, 0, err
	}
	var members int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM members").Scan(&members); err != nil {
		return nil, 0, err
	}
	var v string
	err = db.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", pgMarkerKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, members, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var m seedInfo
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return nil, 0, fmt.Errorf("marker %s: %w", pgMarkerKey, err)
	}
	return &m, members, nil
}

func writePgMarker(ctx context.Context, db *sql.DB, m seedInfo) error {
	b, _ := json.Marshal(m)
	_, err := db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, pgMarkerKey, string(b))
	return err
}

// ensureSeededPostgres reuses the database in -db if the harness seeded it
// with the same sizes, and otherwise seeds it with `hearth seed --db`.
func ensureSeededPostgres(ctx context.Context, p *procs, o *options, bin string) error {
	db, err := openPostgres(ctx, o.db)
	if err != nil {
		return err
	}
	defer db.Close()
	want := seedInfo{Members: o.members, Threads: o.threads, Posts: o.posts}
	marker, members, err := pgMarker(ctx, db)
	if err != nil {
		return fmt.Errorf("read %s: %w", redactDSN(o.db), err)
	}
	switch decideSeed(marker, members, want) {
	case actReuse:
		step("Reusing the data set in %s (seeded %s in %s)", redactDSN(o.db), marker.SeededAt, marker.Took)
		return nil
	case actRefuse:
		return fmt.Errorf("%s holds a forum (%d members) that this harness did not seed; give -db a database of its own, e.g. %s",
			redactDSN(o.db), members, suggestDSN(o.db))
	case actReset:
		if marker.Complete {
			step("%s holds a bench seed of %d/%d/%d: emptying it for %d/%d/%d", redactDSN(o.db),
				marker.Members, marker.Threads, marker.Posts, o.members, o.threads, o.posts)
		} else {
			step("%s holds an incomplete seed: emptying it", redactDSN(o.db))
		}
		// The marker says this database is the harness's; only its current
		// schema is dropped.
		var schema string
		if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return err
		}
		id := pgx.Identifier{schema}.Sanitize()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+id+" CASCADE; CREATE SCHEMA "+id); err != nil {
			return fmt.Errorf("empty %s: %w", redactDSN(o.db), err)
		}
	}
	// Hearth's tables first, so that the marker can say "seeding" before
	// the seed starts.
	if err := runHearth(ctx, p, bin, "migrate", "migrate", "--data", o.data, "--db", o.db); err != nil {
		return err
	}
	if err := writePgMarker(ctx, db, want); err != nil {
		return err
	}
	step("Seeding %d members, %d threads, %d posts into %s (a few minutes for the full size)",
		o.members, o.threads, o.posts, redactDSN(o.db))
	start := time.Now()
	if err := runHearth(ctx, p, bin, "seed", "seed", "--data", o.data, "--db", o.db,
		"--members", strconv.Itoa(o.members), "--threads", strconv.Itoa(o.threads), "--posts", strconv.Itoa(o.posts)); err != nil {
		return err
	}
	// ANALYZE so that the first scenarios run on the plans a live database
	// would have, not on those of freshly loaded tables.
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return err
	}
	took := time.Since(start).Round(time.Second)
	want.Complete, want.SeededAt, want.Took = true, time.Now().UTC().Format(time.RFC3339), took.String()
	step("Seeded in %s", took)
	return writePgMarker(ctx, db, want)
}

// suggestDSN is dsn naming the database hearth_bench.
func suggestDSN(dsn string) string {
	s, err := withDatabase(dsn, "hearth_bench")
	if err != nil {
		return "postgres://…/hearth_bench"
	}
	return redactDSN(s)
}

// pgInfo describes the server for the report: its version and whether
// commits wait for the disk.
func pgInfo(ctx context.Context, db *sql.DB) string {
	var version, sync, fsync, autovacuum string
	err := db.QueryRowContext(ctx, `SELECT current_setting('server_version'),
		current_setting('synchronous_commit'), current_setting('fsync'), current_setting('autovacuum')`).Scan(&version, &sync, &fsync, &autovacuum)
	if err != nil {
		return "PostgreSQL"
	}
	s := fmt.Sprintf("PostgreSQL %s, synchronous_commit %s, fsync %s, autovacuum %s", version, sync, fsync, autovacuum)
	if autovacuum == "off" {
		s += " (the harness runs VACUUM (ANALYZE) before each scenario instead)"
	}
	return s
}

// standInForAutovacuum vacuums the bench database before a scenario when
// its server has autovacuum off (as this workplace's CI machines do). A
// reply updates its thread, category and author: without vacuum the
// categories' 12 rows were spread over 212 pages after a few runs, and a
// reply's statement cost PostgreSQL 0.86 ms of CPU instead of 0.50.
// A default server vacuums such tables about once a minute.
func (r *runner) standInForAutovacuum(ctx context.Context) error {
	if r.o.db == "" {
		return nil
	}
	db, err := openPostgres(ctx, r.o.db)
	if err != nil {
		return err
	}
	defer db.Close()
	var on string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('autovacuum')").Scan(&on); err != nil || on != "off" {
		return err
	}
	if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("vacuum %s: %w", redactDSN(r.o.db), err)
	}
	return nil
}

// nodeData is the data directory of node b (the second node) given node
// a's: beside it.
func nodeData(a string) string {
	return filepath.Join(filepath.Dir(a), filepath.Base(a)+"-b")
}
