package forum_test

import (
	"slices"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// TestProfileActivity checks that a profile lists only what its reader may
// read (the permission is in the store's queries) and the last-seen rule.
func TestProfileActivity(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		f := newFixture(t, db)
		mod, err := f.svc.CreateMember(ctx, forum.NewMember{Email: "moe@example.org", Name: "Moe Moderator", Password: "quiet harbour lights", Role: forum.RoleModerator})
		must(t, err)
		nia, err := f.svc.CreateMember(ctx, forum.NewMember{Email: "nia@example.org", Name: "Nia Neighbour", Password: "quiet harbour lights"})
		must(t, err)
		members, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Members lounge", MembersOnly: true})
		must(t, err)
		staff, err := f.svc.CreateCategory(ctx, f.admin, forum.CategoryInput{Name: "Staff room", StaffOnly: true})
		must(t, err)

		pub, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: f.cat.ID, Title: "Public thread", Body: "hello all"})
		must(t, err)
		mo, _, err := f.svc.CreateThread(ctx, f.member, forum.NewThread{CategoryID: members.ID, Title: "Members thread", Body: "hello members"})
		must(t, err)
		// Promoted so she can write in the staff room, then back.
		must(t, f.svc.SetMemberRole(ctx, f.admin, f.member.ID, forum.RoleModerator))
		asMod, err := f.svc.Member(ctx, f.admin, f.member.ID)
		must(t, err)
		st, _, err := f.svc.CreateThread(ctx, asMod, forum.NewThread{CategoryID: staff.ID, Title: "Staff thread", Body: "hello staff"})
		must(t, err)
		stReply, err := f.svc.Reply(ctx, asMod, st.ID, "a staff reply", 0)
		must(t, err)
		must(t, f.svc.SetMemberRole(ctx, f.admin, f.member.ID, forum.RoleMember))
		pubReply, err := f.svc.Reply(ctx, f.member, pub.ID, "a public reply", 0)
		must(t, err)
		moReply, err := f.svc.Reply(ctx, f.member, mo.ID, "a members reply", 0)
		must(t, err)
		gone, err := f.svc.Reply(ctx, f.member, pub.ID, "soon deleted", 0)
		must(t, err)
		must(t, f.svc.DeletePost(ctx, f.member, gone.ID))

		threads := func(a *forum.ProfileActivity) (ids []int64) {
			for _, t := range a.Threads {
				ids = append(ids, t.ID)
			}
			return ids
		}
		posts := func(a *forum.ProfileActivity) (ids []int64) {
			for _, p := range a.Posts {
				ids = append(ids, p.PostID)
			}
			return ids
		}
		for _, tt := range []struct {
			name           string
			reader         *forum.Member
			threads, posts []int64
		}{
			{"guest", nil, []int64{pub.ID}, []int64{pubReply.ID}},
			{"member", nia, []int64{mo.ID, pub.ID}, []int64{moReply.ID, pubReply.ID}},
			{"moderator", mod, []int64{st.ID, mo.ID, pub.ID}, []int64{gone.ID, moReply.ID, pubReply.ID, stReply.ID}},
		} {
			a, err := f.svc.Activity(ctx, tt.reader, f.member.ID)
			must(t, err)
			if got := threads(a); !slices.Equal(got, tt.threads) {
				t.Errorf("%s: threads = %v, want %v", tt.name, got, tt.threads)
			}
			if got := posts(a); !slices.Equal(got, tt.posts) {
				t.Errorf("%s: posts = %v, want %v", tt.name, got, tt.posts)
			}
		}

		// Last seen: members see it unless hidden; the member and admins always; guests never.
		token, err := f.svc.StartSession(ctx, f.member, "web")
		must(t, err)
		_, err = f.svc.SessionMember(ctx, token)
		must(t, err)
		must(t, f.svc.FlushReads(ctx))
		seen := func(reader *forum.Member) time.Time {
			a, err := f.svc.Activity(ctx, reader, f.member.ID)
			must(t, err)
			return a.LastSeen
		}
		if seen(nia).IsZero() || !seen(nil).IsZero() {
			t.Errorf("last seen: to a member %v, to a guest %v; want shown, hidden", seen(nia), seen(nil))
		}
		if err := f.svc.SetHideLastSeen(ctx, nia, f.member.ID, true); forum.ErrorCode(err) != forum.EFORBIDDEN {
			t.Errorf("another member hid her last seen: %v", err)
		}
		must(t, f.svc.SetHideLastSeen(ctx, f.member, f.member.ID, true))
		if !seen(nia).IsZero() || seen(f.member).IsZero() || seen(f.admin).IsZero() {
			t.Errorf("hidden last seen: member %v, herself %v, admin %v; want hidden, shown, shown", seen(nia), seen(f.member), seen(f.admin))
		}
	})
}
