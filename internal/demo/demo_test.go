package demo

import (
	"path/filepath"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
)

// markup adapts render until it grows a Quote method.
type markup struct{ *render.Renderer }

func (markup) Quote(a, u, b string) string { return render.Quote(a, u, b) }

func newService(t *testing.T) *forum.Service {
	t.Helper()
	db, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return forum.NewService(db, markup{render.New()})
}

func TestFill(t *testing.T) {
	ctx := t.Context()
	svc := newService(t)
	logins, err := Fill(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(logins) != len(people) {
		t.Fatalf("%d logins, want %d", len(logins), len(people))
	}
	var admin *forum.Member
	for _, l := range logins {
		m, err := svc.Authenticate(ctx, l.Email, l.Password)
		if err != nil {
			t.Fatalf("login %s: %v", l.Email, err)
		}
		if string(m.Role) != l.Role || m.Title == "" || m.Location == "" || m.Bio == "" {
			t.Errorf("%s: role %s (login says %s), profile %q/%q/%q", l.Email, m.Role, l.Role, m.Title, m.Location, m.Bio)
		}
		if m.Role == forum.RoleAdmin {
			admin = m
		}
	}
	if admin == nil || admin.Email != "admin@demo.hearth" {
		t.Fatalf("no admin@demo.hearth among %v", logins)
	}

	top, err := svc.Categories(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	// Top-level counts include their sub-categories'.
	var cats, threads, posts int
	for _, c := range top {
		cats += 1 + len(c.Children)
		threads += c.ThreadCount
		posts += c.PostCount
	}
	wantPosts := 0
	for _, th := range script {
		wantPosts += len(th.posts)
	}
	if len(top) != 6 || cats != len(categories) || threads != len(script) || posts != wantPosts {
		t.Errorf("%d top-level, %d categories, %d threads, %d posts; want 6, %d, %d, %d",
			len(top), cats, threads, posts, len(categories), len(script), wantPosts)
	}
	if guest, _ := svc.Categories(ctx, nil); len(guest) != 5 {
		t.Errorf("guests see %d top-level categories, want 5 (members' deals hidden)", len(guest))
	}

	// The welcome thread is pinned; the fam trip report was edited; quotes
	// link to the quoted post; nothing is dated in the future.
	now := time.Now()
	var pinned, edited, quoted bool
	for id := int64(1); id <= int64(len(script)); id++ {
		page, err := svc.Thread(ctx, admin, id, 1)
		if err != nil {
			t.Fatal(err)
		}
		pinned = pinned || page.Thread.Sticky
		for _, p := range page.Posts {
			edited = edited || p.Edited()
			quoted = quoted || p.QuotePostID != 0
			if p.CreatedAt.After(now) || p.CreatedAt.Before(now.AddDate(0, 0, -21)) {
				t.Errorf("post %d dated %v", p.ID, p.CreatedAt)
			}
		}
	}
	if !pinned || !edited || !quoted {
		t.Errorf("pinned %v, edited %v, quoted %v", pinned, edited, quoted)
	}

	// The clock is real again: a new post is dated now.
	_, p, err := svc.CreateThread(ctx, admin, forum.NewThread{CategoryID: top[0].ID, Title: "After the demo", Body: "Hello."})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(p.CreatedAt); d < 0 || d > time.Minute {
		t.Errorf("post after Fill dated %v", p.CreatedAt)
	}

	if _, err := Fill(ctx, svc); err == nil {
		t.Error("second Fill succeeded on a non-empty forum")
	}
}
