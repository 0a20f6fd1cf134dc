package storetest

import (
	"os"
	"strconv"
	"testing"
)

// CrashRounds is how many kill -9 rounds a crash loop runs: the whole
// number in the environment variable name (.ci/run sets more than a
// developer's run), else def. Crash loops kill real processes, so -short
// skips them.
func CrashRounds(tb testing.TB, name string, def int) int {
	tb.Helper()
	if testing.Short() {
		tb.Skip("the crash loops kill real processes; skipped with -short")
	}
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		tb.Fatalf("%s=%q: want a whole number from 1", name, s)
	}
	return n
}
