package roster_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/events"
	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/roster"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestFile writes and reads the roster in the clear and encrypted: owner
// only, atomic, and refused without its key or with another.
func TestFile(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	other := make([]byte, 32)
	rand.Read(other)
	r := &roster.Roster{Site: "Travel", BaseURL: "https://forum.example.org", BuiltAt: time.Now().UTC(), Entries: []roster.Entry{
		{ID: 2, Name: "Bob", Email: "bob@example.org", Status: forum.StatusActive, UnsubscribeURL: "https://forum.example.org/unsubscribe/2.broadcast.x"},
		{ID: 1, Name: "Ada \"A\" <admin>", Email: "ada@example.org", Status: forum.StatusPending, UnsubscribeURL: "u1"},
		{ID: 3, Name: "Cy", Email: "cy@example.org", Status: forum.StatusActive, Unsubscribed: true, UnsubscribeURL: "u3"},
	}}
	for _, tc := range []struct {
		name      string
		key, read []byte
		wantErr   error
	}{
		{"plain", nil, nil, nil},
		{"plain read with a key", nil, key, nil},
		{"encrypted", key, key, nil},
		{"encrypted without key", key, nil, roster.ErrNeedKey},
		{"encrypted with another key", key, other, roster.ErrNeedKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := roster.Save(dir, tc.key, r); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(roster.Path(dir))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(raw, []byte("bob@example.org")); got == (tc.key != nil) {
				t.Errorf("address in the file: %v, encrypted: %v", got, tc.key != nil)
			}
			for path, want := range map[string]os.FileMode{roster.Path(dir): 0o600, filepath.Dir(roster.Path(dir)): 0o700} {
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
					t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
				}
			}
			got, err := roster.Load(dir, tc.read)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Load: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(got.Entries) != 3 || got.Entries[0].Name != `Ada "A" <admin>` || got.Entries[2].ID != 3 {
				t.Errorf("entries %+v", got.Entries)
			}
			if c := got.Counts(); c != (roster.Counts{Listed: 3, Mailable: 2, Unsubscribed: 1, Pending: 1}) {
				t.Errorf("counts %+v", c)
			}
			if e, ok := got.Get(2); !ok || e.Email != "bob@example.org" {
				t.Errorf("Get(2) = %+v, %v", e, ok)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		if _, err := roster.Load(t.TempDir(), nil); !errors.Is(err, roster.ErrMissing) {
			t.Errorf("Load: %v", err)
		}
	})
	t.Run("damaged", func(t *testing.T) {
		dir := t.TempDir()
		if err := roster.Save(dir, nil, r); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(roster.Path(dir))
		os.WriteFile(roster.Path(dir), raw[:len(raw)-40], 0o600)
		if _, err := roster.Load(dir, nil); !errors.Is(err, roster.ErrDamaged) {
			t.Errorf("Load: %v", err)
		}
	})
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", true},
		{"c2hvcnQ=", false},
		{"not base64!", false},
	} {
		if _, err := roster.ParseKey(tc.in); (err == nil) != tc.ok {
			t.Errorf("ParseKey(%q): %v", tc.in, err)
		}
	}
}

// TestConsumer: the roster is built from every member, then follows joins,
// approvals, suspensions and profile edits from the event stream, handled
// twice over as after a crash; each entry's link unsubscribes its member
// from broadcasts.
func TestConsumer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := forum.NewService(db, render.New())
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		mk := func(name string, role forum.Role) *forum.Member {
			m, err := svc.CreateMember(ctx, forum.NewMember{Email: strings.ToLower(name) + "@example.org",
				Name: name, Password: "correct horse battery staple", Role: role})
			must(err)
			return m
		}
		ada, bob := mk("Ada", forum.RoleAdmin), mk("Bob", "")
		dir := t.TempDir()
		key := make([]byte, 32)
		rand.Read(key)
		c := &roster.Consumer{Store: db, DataDir: dir, Key: key, Site: "Travel", BaseURL: "https://forum.example.org/",
			Token: func(ctx context.Context, id int64) (string, error) {
				return svc.MailToken(ctx, forum.TokenUnsubscribe, id, roster.List)
			}}
		must(db.StartConsumerAtHead(ctx, c.Name(), time.Now()))
		counts, err := c.Rebuild(ctx)
		must(err)
		if counts.Listed != 2 {
			t.Fatalf("after rebuild: %+v", counts)
		}
		cy, dee := mk("Cy", ""), mk("Dee", "")
		must(svc.SetMemberStatus(ctx, ada, bob.ID, "", forum.StatusSuspended))
		must(svc.SetMemberStatus(ctx, ada, dee.ID, "", forum.StatusPending))
		_, err = svc.UpdateProfile(ctx, cy, cy.ID, forum.ProfileUpdate{Name: "Cy Renamed"})
		must(err)
		r := &events.Runner{Source: db}
		cur, err := db.ConsumerCursor(ctx, c.Name())
		must(err)
		for {
			n, err := r.Step(ctx, c, 2)
			must(err)
			if n == 0 {
				break
			}
		}
		// A replay of everything since the rebuild changes nothing.
		must(db.SaveConsumerCursor(ctx, c.Name(), cur, time.Now()))
		for {
			n, err := r.Step(ctx, c, 100)
			must(err)
			if n == 0 {
				break
			}
		}
		got, err := roster.Load(dir, key)
		must(err)
		var names []string
		for _, e := range got.Entries {
			names = append(names, e.Name+"/"+string(e.Status))
		}
		if strings.Join(names, ",") != "Ada/active,Cy Renamed/active,Dee/pending" {
			t.Errorf("roster: %v", names)
		}
		if got.Site != "Travel" || got.LastEvent == 0 {
			t.Errorf("header: %+v", got)
		}
		e, _ := got.Get(cy.ID)
		tok, ok := strings.CutPrefix(e.UnsubscribeURL, "https://forum.example.org/unsubscribe/")
		if !ok {
			t.Fatalf("link %q", e.UnsubscribeURL)
		}
		id, list, err := svc.CheckMailToken(ctx, forum.TokenUnsubscribe, tok)
		if err != nil || id != cy.ID || list != roster.List {
			t.Errorf("token: %d %q %v", id, list, err)
		}
	})
}
