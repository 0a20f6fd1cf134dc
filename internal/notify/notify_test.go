package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/notify"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestConsumer runs a small conversation through the service, then hands
// the consumer the stream's events twice (as a replay after a crash
// would): each member has the notifications the rules give, once.
func TestConsumer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := forum.NewService(db, render.New())
		mk := func(name string, role forum.Role) *forum.Member {
			m, err := svc.CreateMember(ctx, forum.NewMember{Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org",
				Name: name, Password: "correct horse battery staple", Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		ada, bob, cy, dee, eve := mk("Ada Admin", forum.RoleAdmin), mk("Bob Builder", ""), mk("Cy Watcher", ""), mk("Dee Muted", ""), mk("Eve Gone", "")
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		c, err := svc.CreateCategory(ctx, ada, forum.CategoryInput{Name: "Lounge"})
		must(err)
		staff, err := svc.CreateCategory(ctx, ada, forum.CategoryInput{Name: "Staff room", StaffOnly: true})
		must(err)
		must(svc.SetCategoryLevel(ctx, cy, c.ID, forum.LevelWatching))

		th, first, err := svc.CreateThread(ctx, ada, forum.NewThread{CategoryID: c.ID, Title: "Ferry times",
			Body: "Hello @bob_builder and @eve_gone, and `@cy_watcher` in code. Mail me at ada@example.org."})
		must(err)
		must(svc.SetThreadLevel(ctx, dee, th.ID, forum.LevelMuted))
		must(svc.SetMemberStatus(ctx, ada, eve.ID, "", forum.StatusSuspended))
		reply, err := svc.Reply(ctx, bob, th.ID, "Thanks @dee_muted and @ada_admin!", first.ID)
		must(err)
		_, err = svc.Reply(ctx, cy, th.ID, "Me too, @bob_builder. @nobody_here", 0)
		must(err)
		must(svc.Like(ctx, cy, first.ID))
		must(svc.Like(ctx, bob, first.ID))
		must(svc.Unlike(ctx, bob, first.ID)) // liking again tells ada once
		must(svc.Like(ctx, bob, first.ID))
		must(svc.Like(ctx, ada, reply.ID))
		// Nobody but staff hears of the staff room.
		_, _, err = svc.CreateThread(ctx, ada, forum.NewThread{CategoryID: staff.ID, Title: "Rota", Body: "@bob_builder can you cover?"})
		must(err)

		evs, _, err := db.Events(ctx, "", 1000)
		must(err)
		cons := &notify.Consumer{Store: db}
		for range 2 {
			must(cons.Handle(ctx, evs))
		}
		// And once more in small batches, as the runner may cut them.
		for i := 0; i < len(evs); i += 3 {
			must(cons.Handle(ctx, evs[i:min(i+3, len(evs))]))
		}

		got := func(m *forum.Member) string {
			ns, err := db.Notifications(ctx, m.ID, 100)
			must(err)
			var out []string
			for _, n := range ns {
				out = append(out, fmt.Sprintf("%s by %s", n.Kind, n.ActorName))
			}
			slices.Sort(out)
			return strings.Join(out, ", ")
		}
		for _, c := range []struct {
			m    *forum.Member
			want string
		}{
			// Quoted (and mentioned, and replied to: one notification, the first kind),
			// replied to by cy, liked by cy and bob (bob once).
			{ada, "like by Bob Builder, like by Cy Watcher, mention by Bob Builder, reply by Cy Watcher"},
			// Mentioned twice, liked once; not told of the staff room.
			{bob, "like by Ada Admin, mention by Ada Admin, mention by Cy Watcher"},
			// Watching the category: the new thread and bob's reply; not the code span, not its own post.
			{cy, "post by Bob Builder, thread by Ada Admin"},
			// Muted the thread.
			{dee, ""},
			// Suspended.
			{eve, ""},
		} {
			if g := got(c.m); g != c.want {
				t.Errorf("%s: %q\nwant %q", c.m.Name, g, c.want)
			}
		}
		// Grouped for the bell: ada's two likes are one line.
		groups, err := svc.Notifications(ctx, ada)
		must(err)
		var texts []string
		for _, g := range groups {
			texts = append(texts, g.Text()+" "+g.ThreadTitle)
		}
		if !slices.Contains(texts, "Bob Builder and Cy Watcher liked your post in Ferry times") {
			t.Errorf("ada's groups: %q", texts)
		}
		if n, _ := svc.UnreadNotifications(ctx, ada); n != 3 {
			t.Errorf("ada's bell = %d, want 3", n)
		}
	})
}
