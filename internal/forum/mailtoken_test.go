package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hearth/internal/forum"
	"hearth/internal/render"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func TestMailToken(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tok, err := f.svc.MailToken(ctx, forum.TokenReply, 42, "1234")
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) > 64 {
			t.Errorf("token %q is %d characters, more than an address's local part may have", tok, len(tok))
		}
		for _, tc := range []struct {
			name, purpose, token string
			ok                   bool
		}{
			{"as made", forum.TokenReply, tok, true},
			{"upper case", forum.TokenReply, strings.ToUpper(tok), true},
			{"other purpose", forum.TokenUnsubscribe, tok, false},
			{"other member", forum.TokenReply, "1" + tok, false},
			{"other extra", forum.TokenReply, strings.Replace(tok, ".1234.", ".1235.", 1), false},
			{"cut", forum.TokenReply, tok[:len(tok)-1], false},
			{"empty", forum.TokenReply, "", false},
			{"no dots", forum.TokenReply, "abc", false},
		} {
			id, extra, err := f.svc.CheckMailToken(ctx, tc.purpose, tc.token)
			if tc.ok && (err != nil || id != 42 || extra != "1234") {
				t.Errorf("%s: got %d %q %v, want 42 \"1234\"", tc.name, id, extra, err)
			}
			if !tc.ok && !errors.Is(err, forum.ErrBadToken) {
				t.Errorf("%s: got %d %q %v, want ErrBadToken", tc.name, id, extra, err)
			}
		}
		// Another service over the same database (another node) accepts it.
		other := forum.NewService(db, render.New())
		if id, _, err := other.CheckMailToken(ctx, forum.TokenReply, tok); err != nil || id != 42 {
			t.Errorf("another node: %d %v", id, err)
		}
	})
}
