package store

import (
	"sync"
	"testing"

	"hearth/internal/forum"
)

// live reports whether the session of token hash h still logs its member in at now.
func live(t *testing.T, db *DB, h string) bool {
	t.Helper()
	_, err := db.SessionMember(t.Context(), h, at(10))
	if err != nil {
		wantErr(t, err, forum.ErrNotFound)
		return false
	}
	return true
}

// TestSetPasswordEndsOtherSessions covers finding 4 in the store: the new
// password and the end of every other session are one transaction, and the
// session epoch keeps a session of the old password dead even if its row
// survived.
func TestSetPasswordEndsOtherSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m, other := mkMember(t, db, "mia"), mkMember(t, db, "sam")
		for _, s := range []*forum.Session{
			{TokenHash: "here", MemberID: m.ID, Kind: "web", ExpiresAt: at(60)},
			{TokenHash: "laptop", MemberID: m.ID, Kind: "web", ExpiresAt: at(60)},
			{TokenHash: "script", MemberID: m.ID, Kind: "api", ExpiresAt: at(60)},
			{TokenHash: "expired", MemberID: m.ID, Kind: "web", ExpiresAt: at(5)},
			{TokenHash: "sams", MemberID: other.ID, Kind: "web", ExpiresAt: at(60)},
		} {
			must(t, db.CreateSession(ctx, s))
		}
		ended, err := db.SetPassword(ctx, m.ID, "new-hash", "here", at(10), nil)
		must(t, err)
		if ended != 2 {
			t.Errorf("SetPassword ended %d live sessions, want 2 (the laptop and the script)", ended)
		}
		for h, want := range map[string]bool{"here": true, "laptop": false, "script": false, "sams": true} {
			if got := live(t, db, h); got != want {
				t.Errorf("session %s live = %v, want %v", h, got, want)
			}
		}
		var rows int
		must(t, db.readRow(ctx, "SELECT COUNT(*) FROM sessions WHERE member_id = $1", m.ID).Scan(&rows))
		if rows != 1 {
			t.Errorf("%d session rows left for the member, want 1 (the one that changed the password)", rows)
		}

		// A login that read the member before the change writes its
		// session with the old epoch: refused.
		wantErr(t, db.CreateSession(ctx, &forum.Session{TokenHash: "racer", MemberID: m.ID, Kind: "web", ExpiresAt: at(60), Epoch: 0}), forum.ErrNotFound)
		// A row of the old epoch that a deletion missed logs nobody in.
		exec(t, db, "INSERT INTO sessions (token_hash, member_id, kind, created_at, expires_at, epoch) VALUES ('missed', $1, 'web', 0, $2, 0)", m.ID, toMillis(at(60)))
		if live(t, db, "missed") {
			t.Error("a session of the old password logs in")
		}
		cur, err := db.MemberByID(ctx, m.ID)
		must(t, err)
		must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "fresh", MemberID: m.ID, Kind: "web", ExpiresAt: at(60), Epoch: cur.SessionEpoch}))
		if !live(t, db, "fresh") {
			t.Error("a session made after the change does not log in")
		}
	})
}

// TestSuspensionEndsSessions covers finding 4: suspending ends every
// session of the member in the same transaction, and reactivating does
// not bring back any of them, not even a row a deletion missed.
func TestSuspensionEndsSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		m := mkMember(t, db, "mia")
		must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "web", MemberID: m.ID, Kind: "web", ExpiresAt: at(60)}))
		must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "api", MemberID: m.ID, Kind: "api", ExpiresAt: at(60)}))
		must(t, db.SetMemberStatus(ctx, m.ID, "", forum.StatusSuspended, nil))
		exec(t, db, "INSERT INTO sessions (token_hash, member_id, kind, created_at, expires_at, epoch) VALUES ('missed', $1, 'web', 0, $2, 0)", m.ID, toMillis(at(60)))
		must(t, db.SetMemberStatus(ctx, m.ID, forum.StatusSuspended, forum.StatusActive, nil))
		for _, h := range []string{"web", "api", "missed"} {
			if live(t, db, h) {
				t.Errorf("session %s lives after suspension and reactivation", h)
			}
		}
		// Approving or moving between other statuses ends nothing.
		n := mkMember(t, db, "pat")
		must(t, db.CreateSession(ctx, &forum.Session{TokenHash: "pat", MemberID: n.ID, Kind: "web", ExpiresAt: at(60)}))
		must(t, db.SetMemberStatus(ctx, n.ID, forum.StatusActive, forum.StatusPending, nil))
		must(t, db.SetMemberStatus(ctx, n.ID, forum.StatusPending, forum.StatusActive, nil))
		if !live(t, db, "pat") {
			t.Error("approval ended the member's session")
		}
	})
}

// TestCreateFirstMember covers finding 8 in the store: of concurrent
// setups with one token exactly one creates a member, and only with the
// token.
func TestCreateFirstMember(t *testing.T) {
	forEachEngine(t, func(t *testing.T, db *DB) {
		ctx := t.Context()
		must(t, db.SetSetting(ctx, "setup", "good"))
		admin := func(email string) *forum.Member {
			return &forum.Member{Email: email, Name: "Admin", PasswordHash: "h", Role: forum.RoleAdmin, Status: forum.StatusActive}
		}
		wantErr(t, db.CreateFirstMember(ctx, admin("x@example.org"), "setup", "bad"), forum.ErrNotFound)
		wantErr(t, db.CreateFirstMember(ctx, admin("x@example.org"), "setup", ""), forum.ErrNotFound)

		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = db.CreateFirstMember(ctx, admin(string(rune('a'+i))+"@example.org"), "setup", "good")
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case forum.ErrorCode(err) != forum.ECONFLICT:
				t.Errorf("a losing setup got %v, want ErrConflict", err)
			}
		}
		count, err := db.CountMembers(ctx)
		must(t, err)
		if won != 1 || count != 1 {
			t.Fatalf("%d setups succeeded and %d members exist, want 1 and 1", won, count)
		}
		if v, _ := db.Setting(ctx, "setup"); v != "" {
			t.Errorf("the token was not voided: %q", v)
		}
		wantErr(t, db.CreateFirstMember(ctx, admin("late@example.org"), "setup", "good"), forum.ErrConflict)
	})
}
