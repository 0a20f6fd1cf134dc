package main

import (
	"strings"
	"testing"
	"time"
)

// TestRestoreStopsServer: restore refuses while a server runs on the data
// directory, and with --stop it stops the server (gracefully) first.
func TestRestoreStopsServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hearth serve")
	}
	bin := buildHearth(t)
	data := t.TempDir()
	if code, out, errs := runCmd(t, "", "seed", "--data", data, "--members", "5", "--threads", "3", "--posts", "9"); code != 0 {
		t.Fatalf("seed: %s %s", out, errs)
	}
	c := startChild(t, bin, []string{"--data", data, "--backup-every", "0"})
	code, out, errs := runCmd(t, "", "backup", "--data", data, "--to", data+"/b.tar.gz")
	if code != 0 {
		t.Fatalf("backup while serving: %d %s %s", code, out, errs)
	}
	code, _, errs = runCmd(t, "", "restore", "--data", data, data+"/b.tar.gz")
	if code != 1 || !strings.Contains(errs, "running") {
		t.Fatalf("restore under a running server: %d %q", code, errs)
	}
	start := time.Now()
	code, out, errs = runCmd(t, "", "restore", "--data", data, "--stop", data+"/b.tar.gz")
	if code != 0 || !strings.Contains(out, "Restored") {
		t.Fatalf("restore --stop: %d %q %q", code, out, errs)
	}
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the server is still running after restore --stop")
	}
	t.Logf("stopped the server and restored in %s", time.Since(start).Round(time.Millisecond))
}
