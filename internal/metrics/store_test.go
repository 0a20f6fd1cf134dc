package metrics

import (
	"errors"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/store/storetest"
)

func TestStoreDecorator(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			db := storetest.Open(t, engine)
			m := New()
			s := Store(db, m, StoreOptions{})
			ctx := t.Context()
			now := time.Now().UTC().Truncate(time.Millisecond)
			mem := &forum.Member{Email: "ada@example.org", Name: "Ada", PasswordHash: "h", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: now}
			if err := s.CreateMember(ctx, mem); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateMember(ctx, &forum.Member{Email: "ada@example.org", Name: "Again", Role: forum.RoleMember, Status: forum.StatusActive, CreatedAt: now}); !errors.Is(err, forum.ErrConflict) {
				t.Fatalf("duplicate: %v", err)
			}
			if _, err := s.MemberByEmail(ctx, "nobody@example.org"); !errors.Is(err, forum.ErrNotFound) {
				t.Fatalf("missing member: %v", err)
			}
			if n, err := s.CountMembers(ctx); err != nil || n != 1 {
				t.Fatalf("count: %d %v", n, err)
			}
			db.Close()
			if _, err := s.CountMembers(ctx); err == nil {
				t.Fatal("count on a closed database succeeded")
			}

			for op, want := range map[string]float64{"CreateMember": 2, "MemberByEmail": 1, "CountMembers": 2} {
				if got := sample(t, m, "hearth_db_query_duration_seconds", map[string]string{"op": op}); got != want {
					t.Errorf("duration{%s} count = %v, want %v", op, got, want)
				}
			}
			// A conflict and a not-found are answers; the closed database is a failure.
			for op, want := range map[string]float64{"CreateMember": -1, "MemberByEmail": -1, "CountMembers": 1} {
				if got := sample(t, m, "hearth_db_errors_total", map[string]string{"op": op}); got != want {
					t.Errorf("errors{%s} = %v, want %v", op, got, want)
				}
			}
		})
	}
}
