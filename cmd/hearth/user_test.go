package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"hearth/internal/app"
	"hearth/internal/forum"
)

// TestUserCommands: each command changes the member through the service,
// so the change's event is in the stream for a running forum to apply.
func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	mustRun := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errs := runCmd(t, stdin, append(args, "--data", data)...)
		if code != 0 {
			t.Fatalf("hearth %v: %d %q %q", args, code, out, errs)
		}
		return out
	}
	mustRun("ferry timetables in lisbon\n", "user", "add", "--email", "ada@example.org", "--name", "Ada Admin", "--admin", "--password-stdin")
	mustRun("trams of the alfama\n", "user", "add", "--email", "mia@example.org", "--name", "Mia Member", "--password-stdin")

	out := mustRun("", "user", "list")
	if !strings.Contains(out, "ada@example.org") || !strings.Contains(out, "Mia Member") || !strings.Contains(out, "2 members") {
		t.Errorf("user list:\n%s", out)
	}
	var listed []memberJSON
	if err := json.Unmarshal([]byte(mustRun("", "user", "list", "--role", "admin", "--json")), &listed); err != nil || len(listed) != 1 || listed[0].Email != "ada@example.org" {
		t.Errorf("user list --role admin --json: %v %+v", err, listed)
	}

	tests := []struct {
		stdin string
		args  []string
		code  int
		want  string
		event forum.EventKind // the event the change wrote, if any
	}{
		{"a brand new passphrase\n", []string{"user", "passwd", "Mia@Example.org"}, 0, "Set the password of Mia Member", forum.EventMemberPassword},
		{"short\n", []string{"user", "passwd", "mia@example.org"}, 1, "at least 10 characters", ""},
		{"a brand new passphrase\n", []string{"user", "passwd", "nobody@example.org"}, 1, "no member has the address", ""},
		{"", []string{"user", "suspend", "mia@example.org"}, 0, "is now suspended (was active)", forum.EventMemberSuspended},
		{"", []string{"user", "suspend", "mia@example.org"}, 0, "already suspended", ""},
		{"", []string{"user", "list", "--status", "suspended"}, 0, "1 member", ""},
		{"", []string{"user", "activate", "mia@example.org"}, 0, "is now active (was suspended)", forum.EventMemberReactivated},
		{"", []string{"user", "role", "mia@example.org", "moderator"}, 0, "is now moderator (was member)", forum.EventMemberRole},
		{"", []string{"user", "role", "mia@example.org", "king"}, 1, "Unknown role", ""},
		{"", []string{"user", "role", "mia@example.org"}, 2, "usage", ""},
		{"", []string{"user", "list", "--status", "asleep"}, 1, "choose active", ""},
		{"", []string{"user", "frobnicate"}, 2, "unknown command", ""},
	}
	ctx := context.Background()
	for _, tt := range tests {
		db, err := app.OpenStore(ctx, app.Config{DataDir: data})
		if err != nil {
			t.Fatal(err)
		}
		head, err := db.EventsHead(ctx)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out, errs := runCmd(t, tt.stdin, append(tt.args, "--data", data)...)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("hearth %v: %d %q %q, want %d with %q", tt.args, code, out, errs, tt.code, tt.want)
			continue
		}
		db, _ = app.OpenStore(ctx, app.Config{DataDir: data})
		evs, _, err := db.Events(ctx, head, 10)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		var kinds []forum.EventKind
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		if tt.event != "" && (len(kinds) != 1 || kinds[0] != tt.event) || tt.event == "" && len(kinds) != 0 {
			t.Errorf("hearth %v wrote events %v, want %q", tt.args, kinds, tt.event)
		}
	}

	// The new password logs in, the old one does not.
	db, svc, err := app.OpenService(ctx, app.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := svc.Authenticate(ctx, "mia@example.org", "a brand new passphrase"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "mia@example.org", "trams of the alfama"); err == nil {
		t.Error("the old password still logs in")
	}
}
