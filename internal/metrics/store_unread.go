package metrics

import (
	"context"
	"time"

	"hearth/internal/forum"
)

// The unread-tracking operations (forum.UnreadStore), timed and bounded
// like the rest.

func (s *timedStore) MemberReads(ctx context.Context, memberID int64, threadIDs, categoryIDs []int64) (_ *forum.MemberReads, err error) {
	defer s.observe("MemberReads", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.MemberReads(ctx, memberID, threadIDs, categoryIDs)
}

func (s *timedStore) SaveReads(ctx context.Context, reads []forum.ReadMark, visits []forum.VisitMark) (err error) {
	defer s.observe("SaveReads", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SaveReads(ctx, reads, visits)
}

func (s *timedStore) MarkCategoriesRead(ctx context.Context, memberID int64, categoryIDs []int64, at time.Time) (err error) {
	defer s.observe("MarkCategoriesRead", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.MarkCategoriesRead(ctx, memberID, categoryIDs, at)
}

func (s *timedStore) MarkAllRead(ctx context.Context, memberID int64, at time.Time) (err error) {
	defer s.observe("MarkAllRead", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.MarkAllRead(ctx, memberID, at)
}

func (s *timedStore) UnreadThreads(ctx context.Context, memberID int64, since time.Time, see forum.Visibility) (_ []forum.UnreadThread, err error) {
	defer s.observe("UnreadThreads", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.UnreadThreads(ctx, memberID, since, see)
}
