package forum

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/cache"
)

// What a member's thread page adds to the page every member sees, the
// bell's count, the member's level on the thread and whether there is a
// draft for its reply box, is cached per member (internal/cache) under
// versions the member's own writes and the event stream move
// (notification.changed, level.changed, drafts.changed, post.created by the member):
// a member reading thread after thread costs no query for either. maxAge
// bounds what a lost event from another node could leave stale.
const (
	memberCacheBytes = 4 << 20
	memberCacheAge   = 5 * time.Minute
)

type levelKey struct{ member, thread int64 }

func newMemberCaches(s *Service) {
	s.bells = cache.New[int64](cache.Options[int]{MaxBytes: memberCacheBytes, MaxAge: memberCacheAge})
	s.levels = cache.New[levelKey](cache.Options[Level]{MaxBytes: memberCacheBytes, MaxAge: memberCacheAge})
	s.drafts = cache.New[int64](cache.Options[[]string]{MaxBytes: memberCacheBytes, MaxAge: memberCacheAge})
}

// UnreadNotifications counts the actor's unread notification groups, for
// the bell; 0 for guests.
func (s *Service) UnreadNotifications(ctx context.Context, actor *Member) (int, error) {
	if actor == nil {
		return 0, nil
	}
	v := s.changes.BellVersion(actor.ID) // before reading
	return s.bells.Load(actor.ID, v, func() (int, int, error) {
		n, err := s.store.UnreadNotifications(ctx, actor.ID)
		if err != nil {
			return 0, 0, fmt.Errorf("unread notifications of member %d: %w", actor.ID, err)
		}
		return n, 48, nil
	})
}

// ThreadLevel returns the actor's chosen level on a thread they may see.
func (s *Service) ThreadLevel(ctx context.Context, actor *Member, id int64) (Level, error) {
	if actor == nil {
		return LevelDefault, nil
	}
	v := s.changes.LevelsVersion(actor.ID)
	return s.levels.Load(levelKey{actor.ID, id}, v, func() (Level, int, error) {
		l, err := s.store.ThreadLevel(ctx, actor.ID, id)
		return l, 64, err
	})
}
