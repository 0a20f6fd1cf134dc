package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitFile = "../../deploy/hearth.service"

// TestSystemdUnit: deploy/hearth.service is a unit systemd accepts
// without a warning, its ExecStart uses only flags serve knows, and the
// README shows it as it is.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	var execStart string
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			execStart = v
		}
	}
	args := strings.Fields(execStart)
	if len(args) < 2 || args[0] != "/usr/local/bin/hearth" || args[1] != "serve" {
		t.Fatalf("ExecStart=%s", execStart)
	}
	// -h at the end: serve parses every flag before it, then only prints
	// its usage.
	if _, _, errs := runCmd(t, "", append(args[1:], "-h")...); strings.Contains(errs, "not defined") || strings.Contains(errs, "invalid") {
		t.Errorf("ExecStart's flags: %s", errs)
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(unit)) {
		t.Error("README.md does not show deploy/hearth.service as it is")
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit was not verified (apt-get install systemd)")
	}
	// verify wants the executable to exist: any will do.
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "hearth.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/hearth", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	var about []string // systemd may warn of units elsewhere on this machine
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "hearth.service") {
			about = append(about, l)
		}
	}
	if err != nil || len(about) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
