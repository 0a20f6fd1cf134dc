package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOperatorCommands runs the README's operator commands on a real
// (small) forum: doctor, backup, repair, restore, migrate --dry-run.
func TestOperatorCommands(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := runCmd(t, "", "seed", "--data", data, "--members", "10", "--threads", "5", "--posts", "30"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errs)
	}
	must := func(code int, out, errs string, want string, args ...string) string {
		t.Helper()
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("hearth %v: %d\n%s\n%s\nwant %q", args, code, out, errs, want)
		}
		return out
	}
	args := []string{"doctor", "--data", data}
	code, out, errs := runCmd(t, "", args...)
	must(code, out, errs, "✓ database", args...)
	if !strings.Contains(out, "! backups") || !strings.Contains(out, "Fix: run `hearth backup`") {
		t.Errorf("doctor without backups:\n%s", out)
	}

	args = []string{"backup", "--data", data}
	code, out, errs = runCmd(t, "", args...)
	out = must(code, out, errs, "Backup written and verified", args...)
	archive := regexp.MustCompile(`\S+\.tar\.gz`).FindString(out)
	if _, err := os.Stat(archive); err != nil {
		t.Fatalf("archive %q: %v", archive, err)
	}

	args = []string{"doctor", "--data", data, "--json", "--full"}
	code, out, errs = runCmd(t, "", args...)
	var rep struct {
		OK     bool
		Checks []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || !rep.OK || code != 0 {
		t.Fatalf("doctor --json: %d %v\n%s\n%s", code, err, out, errs)
	}

	args = []string{"repair", "--data", data}
	code, out, errs = runCmd(t, "", args...)
	must(code, out, errs, "rebuilt the search index", args...)

	args = []string{"migrate", "--data", data, "--dry-run"}
	code, out, errs = runCmd(t, "", args...)
	must(code, out, errs, "Nothing to do", args...)

	args = []string{"restore", archive, "--data", data}
	code, out, errs = runCmd(t, "", args...)
	must(code, out, errs, "The previous database is kept at", args...)

	code, _, errs = runCmd(t, "", "restore", "--data", data)
	if code != 2 || !strings.Contains(errs, "usage: hearth restore") {
		t.Errorf("restore without an archive: %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "restore", filepath.Join(data, "nope.tar.gz"), "--data", data)
	if code != 1 || !strings.Contains(errs, "hearth restore: ") {
		t.Errorf("restore of a missing file: %d %q", code, errs)
	}

	// A damaged database: doctor fails with exit 1 and names the fix.
	db := filepath.Join(data, "hearth.db")
	st, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", 4096)), (st.Size()/2)&^4095)
	f.Close()
	code, out, errs = runCmd(t, "", "doctor", "--data", data)
	// Depending on which pages the damage hits, opening fails or the
	// integrity check does; either way doctor says restore.
	damaged := strings.Contains(out, "✗ integrity") || strings.Contains(out, "is damaged")
	if code != 1 || !damaged || !strings.Contains(out, "hearth restore "+archive) || !strings.Contains(errs, "check(s) failed") {
		t.Errorf("doctor on a damaged database: %d\n%s\n%s", code, out, errs)
	}
}
