package forum_test

import (
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/ratelimit"
	"hearth/internal/store/storetest"
)

// Finding 1 (with the bounded renderer): edits had no rate limit, so one
// member could re-render a heavy post as fast as the server allowed. Edits
// share the posting limit with new threads and replies; moderators are
// exempt.
func TestEditsAreRateLimited(t *testing.T) {
	f := newFixture(t, storetest.Open(t, "sqlite"))
	ctx := t.Context()
	th, first, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Fares in May", Body: "v0"})
	if err != nil {
		t.Fatal(err)
	}
	f.svc.SetLimits(forum.Limits{Post: ratelimit.New(time.Hour, 3)})
	for i, want := range []forum.Code{"", "", "", forum.ERATELIMIT, forum.ERATELIMIT} {
		if _, err := f.svc.EditPost(ctx, f.member, first.ID, "edit "+string(rune('a'+i))); code(err) != want {
			t.Fatalf("edit %d: %v, want code %q", i+1, err, want)
		}
	}
	if _, err := f.svc.Reply(ctx, f.member, th.ID, "a reply", 0); code(err) != forum.ERATELIMIT {
		t.Errorf("reply after the edits used the allowance: %v", err)
	}
	mod, err := f.svc.CreateMember(ctx, forum.NewMember{Email: "mod@example.org", Name: "Mo Moderator", Password: "moderator-pass-7", Role: forum.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := f.svc.EditPost(ctx, mod, first.ID, "moderated "+string(rune('a'+i))); err != nil {
			t.Fatalf("moderator edit %d: %v", i+1, err)
		}
	}
}
