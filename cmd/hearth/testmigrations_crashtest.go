//go:build crashtest

package main

import (
	"io/fs"
	"os"
)

// testMigrations, in the binary crash_test.go builds with -tags crashtest
// and in no other, replaces the embedded migrations with the folder
// HEARTH_CRASHTEST_MIGRATIONS names: the real ones plus a long migration
// for `hearth migrate` to be killed in.
func testMigrations() fs.FS {
	if dir := os.Getenv("HEARTH_CRASHTEST_MIGRATIONS"); dir != "" {
		return os.DirFS(dir)
	}
	return nil
}
