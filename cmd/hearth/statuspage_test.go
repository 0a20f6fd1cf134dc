package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusPageCommands drives an incident and a maintenance through
// their lives from the shell, as an admin does during an outage.
func TestStatusPageCommands(t *testing.T) {
	data := t.TempDir()
	pub := filepath.Join(t.TempDir(), "site")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"status", "incident", "open", "--title", "Forum down", "--impact", "major", "--component", "forum", "The forum does not load."}, 0, "Opened incident 1"},
		{[]string{"status", "incident", "update", "1", "--state", "identified", "The database server's disk failed."}, 0, "Incident 1 is identified"},
		{[]string{"status", "incident", "update", "1", "--state", "scheduled", "no"}, 1, "not a state of incident"},
		{[]string{"status", "incident", "update", "7", "text"}, 1, "there is no incident 7"},
		{[]string{"status", "incident", "open", "--title", "x", "--component", "chat", "y"}, 1, `no component "chat"`},
		{[]string{"status", "component", "email", "degraded"}, 0, "email: Degraded performance"},
		{[]string{"status", "component", "chat", "degraded"}, 1, "--add"},
		{[]string{"status", "component", "email", "sideways"}, 1, "unknown component status"},
		{[]string{"status", "maintenance", "schedule", "--start", "2h", "--end", "3h", "--title", "Move to a bigger server", "--component", "forum,search"}, 0, "Scheduled maintenance 2"},
		{[]string{"status", "maintenance", "schedule", "--start", "3h", "--end", "2h", "--title", "Backwards"}, 1, "ends before it starts"},
		{[]string{"status", "maintenance", "start", "2"}, 0, "Maintenance 2 is in progress"},
		{[]string{"status", "show"}, 0, "#1 Forum down [incident, Identified]"},
		{[]string{"status", "incident", "resolve", "1", "Back on a new disk."}, 0, "Incident 1 is resolved"},
		{[]string{"status", "maintenance", "complete", "2"}, 0, "Maintenance 2 is completed"},
		{[]string{"status", "Members see this on the maintenance page."}, 0, "Posted."},
		{[]string{"status"}, 0, "Members see this on the maintenance page."}, // the old form still works
		{[]string{"status", "publish", "--to", pub, "--base-url", "https://forum.example.org"}, 0, "Published"},
		{[]string{"status", "webhooks"}, 0, "Pending: 0"},
		{[]string{"status", "incident"}, 2, ""},
	} {
		args := append(c.args, "--data", data)
		if len(c.args) == 2 && c.args[1] != "show" && c.args[1] != "webhooks" && c.args[1] != "incident" { // the old form takes no flags after the text
			args = append([]string{"status", "--data", data}, c.args[1:]...)
		} else if len(c.args) == 1 {
			args = []string{"status", "--data", data}
		}
		code, out, errs := runCmd(t, "", args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%v: %d\n%s%s", c.args, code, out, errs)
		}
	}
	code, out, _ := runCmd(t, "", "status", "show", "--json", "--data", data)
	var s struct {
		Status     struct{ Indicator string }
		Components []struct{ ID, Status string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Status.Indicator != "minor" || s.Components[0].Status != "operational" {
		t.Errorf("show --json: %d %s", code, out)
	}
	for _, f := range []string{"index.html", "status.json", "feed.atom", "style.css"} {
		if _, err := os.Stat(filepath.Join(pub, f)); err != nil {
			t.Error(err)
		}
	}
}
