//go:build !crashtest

package main

import "io/fs"

// testMigrations is nil in every real build: the operator commands use the
// embedded migrations. See testmigrations_crashtest.go.
func testMigrations() fs.FS { return nil }
