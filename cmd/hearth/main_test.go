package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserAdd(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCmd(t, "a long password\n", "user", "add", "--data", data, "--email", "Ada@Example.org", "--name", "Ada Admin", "--admin", "--password-stdin")
	if code != 0 || !strings.Contains(out, "Created admin Ada Admin <ada@example.org>") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	code, _, errs = runCmd(t, "a long password\n", "user", "add", "--data", data, "--email", "ada@example.org", "--name", "Again", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("duplicate: %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "short\n", "user", "add", "--data", data, "--email", "b@example.org", "--name", "Bo", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "at least 10 characters") {
		t.Fatalf("short password: %d %q", code, errs)
	}
	// The password rule of registration applies here too (finding 16).
	code, _, errs = runCmd(t, "password123\n", "user", "add", "--data", data, "--email", "b@example.org", "--name", "Bo", "--password-stdin")
	if code != 1 || !strings.Contains(errs, "one of the most common") {
		t.Fatalf("common password: %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "user", "add", "--data", data, "--email", "b@example.org")
	if code != 2 || !strings.Contains(errs, "required") {
		t.Fatalf("missing flags: %d %q", code, errs)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version"}, 0, "hearth "},
		{[]string{"help"}, 0, "hearth serve"},
		{[]string{}, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"migrate", "--data", t.TempDir()}, 0, "schema is at version"},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("hearth %v: %d %q %q; want %d containing %q", tt.args, code, out, errs, tt.code, tt.want)
		}
	}
}

// TestServeExplainsFailures checks that serve fails with one plain
// sentence, not a stack trace.
func TestServeExplainsFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs := runCmd(t, "", "serve", "--data", t.TempDir(), "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(errs, "listen on "+ln.Addr().String()) || strings.Contains(errs, "goroutine") {
		t.Fatalf("port in use: %d %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "serve", "--data", t.TempDir(), "--db", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "open database") || strings.Contains(errs, "goroutine") {
		t.Fatalf("unreachable database: %d %q", code, errs)
	}
}

func TestSeedSmall(t *testing.T) {
	data := t.TempDir()
	code, out, errs := runCmd(t, "", "seed", "--data", data, "--members", "20", "--threads", "10", "--posts", "60")
	if code != 0 || !strings.Contains(out, "Seeded 20 members") {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	code, _, errs = runCmd(t, "", "seed", "--data", data, "--members", "20", "--threads", "10", "--posts", "60")
	if code != 1 || errs == "" {
		t.Fatalf("seeding a non-empty database: %d %q", code, errs)
	}
	if _, err := filepath.Glob(filepath.Join(data, "hearth.db")); err != nil {
		t.Fatal(err)
	}
}
