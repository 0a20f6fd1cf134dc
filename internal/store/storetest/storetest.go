// Package storetest opens real, migrated test databases for the tests of
// packages above the store: a SQLite file always, and a fresh PostgreSQL
// database when HEARTH_TEST_POSTGRES holds a server URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"hearth/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL server URL.
const PostgresEnv = "HEARTH_TEST_POSTGRES"

// Engines are the engines ForEach runs on.
var Engines = []string{"sqlite", "postgres"}

// ForEach runs fn as a parallel subtest per engine on a fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the engine, closed (and on
// PostgreSQL dropped) when the test ends. PostgreSQL skips the test with a
// clear message when HEARTH_TEST_POSTGRES is unset.
func Open(tb testing.TB, engine string) *store.DB {
	tb.Helper()
	dsn := ""
	switch engine {
	case "sqlite":
		dsn = filepath.Join(tb.TempDir(), "hearth.db")
	case "postgres":
		dsn = CreatePostgres(tb)
	default:
		tb.Fatalf("unknown engine %q", engine)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return db
}

// CreatePostgres creates an empty PostgreSQL database for the test, dropped
// when it ends, and returns its URL.
func CreatePostgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skip(PostgresEnv + " not set: skipping the PostgreSQL run of this test; .ci/run sets it")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	var buf [6]byte
	rand.Read(buf[:])
	name := "hearth_test_" + hex.EncodeToString(buf[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + name
	tb.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	return u.String()
}
