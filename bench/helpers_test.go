package main

import (
	"os"
	"strings"
	"testing"
)

func TestProcStat(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	kb, err := rssKB(os.Getpid())
	if err != nil || kb <= 0 {
		t.Fatalf("rssKB = %d, %v", kb, err)
	}
}

func TestScripts(t *testing.T) {
	for _, name := range []string{"read", "posting", "mixed"} {
		s := script(name, name != "read")
		if !strings.Contains(s, "function done(") || !strings.Contains(s, "BENCHJSON") {
			t.Errorf("%s script lacks the report", name)
		}
	}
	if s := script("posting", true); !strings.Contains(s, "function load_data(") {
		t.Error("posting script lacks the data loader")
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("all")
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	two, err := selectScenarios("front, posting")
	if err != nil || len(two) != 2 || two[1].name != "posting" {
		t.Fatalf("two: %v, %v", two, err)
	}
	if _, err := selectScenarios("nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestErrorCount(t *testing.T) {
	var w wrkResult
	w.Errors.Read, w.Errors.Status, w.Non2xx = 1, 2, 5
	if got := w.errorCount(); got != 6 {
		t.Fatalf("errorCount = %d, want 6", got)
	}
	w.Requests, w.DurationUS = 500, 2_000_000
	if w.rps() != 250 {
		t.Fatalf("rps = %v", w.rps())
	}
}

func TestCommandLine(t *testing.T) {
	if got := commandLine([]string{"-small", "-scenarios", "a b"}); got != "go run ./bench -small -scenarios 'a b'" {
		t.Fatal(got)
	}
}
