package main

import (
	"strings"
	"testing"
)

// TestLongCommandsQuietOffTerminal: with stderr not a terminal (a pipe,
// a log, this test's buffer) the long commands draw no progress line.
func TestLongCommandsQuietOffTerminal(t *testing.T) {
	data := t.TempDir()
	for _, args := range [][]string{
		{"seed", "--members", "20", "--threads", "10", "--posts", "60"},
		{"backup"},
		{"repair"},
		{"migrate"},
		{"backup", "--quiet"},
	} {
		code, out, errs := runCmd(t, "", append(args, "--data", data)...)
		if code != 0 || strings.Contains(errs, "\r") || strings.Contains(out, "\r") {
			t.Errorf("hearth %v: %d, stderr %q", args, code, errs)
		}
	}
}
