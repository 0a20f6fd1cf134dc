package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hearth/internal/forum"
)

// StoreOptions guard the store the forum's requests use.
type StoreOptions struct {
	// Timeout bounds each call (0: none). A database that stops answering
	// mid-query (a network cut that drops packets rather than
	// connections) then fails the request in Timeout with
	// forum.ErrUnavailable instead of holding it for minutes.
	Timeout time.Duration
	// OnFailure is told of every error meaning the database is down or
	// full, at once, so the monitor need not wait for its next ping.
	OnFailure func(error)
}

// Store returns inner with every forum.Store operation timed as
// hearth_db_query_duration_seconds{op} and its failures counted as
// hearth_db_errors_total{op}, op being the method name, bounded and
// reported as opts say. Methods added to forum.Store later pass through the
// embedded interface untimed until they are added here.
func Store(inner forum.Store, m *Metrics, opts StoreOptions) forum.Store {
	return &timedStore{Store: inner, m: m, opts: opts}
}

type timedStore struct {
	forum.Store
	m    *Metrics
	opts StoreOptions
}

// bound gives a call its time limit. done ends it and names a failure
// that ran into the limit for what it is: the database not answering in
// time (the driver may report only "query canceled").
func (s *timedStore) bound(ctx context.Context, err *error) (context.Context, func()) {
	if s.opts.Timeout <= 0 {
		return ctx, func() {}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	return ctx, func() {
		if *err != nil && parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(*err, forum.ErrUnavailable) {
			*err = fmt.Errorf("%w: no answer within %v: %w", forum.ErrUnavailable, s.opts.Timeout, *err)
		}
		cancel()
	}
}

// observe records one operation; use as defer s.observe("Op", time.Now(), &err).
// Not found, conflicts and requests the client abandoned are answers, not
// database failures, so they are timed but not counted as errors.
func (s *timedStore) observe(op string, start time.Time, err *error) {
	s.m.dbDuration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if e := *err; e != nil && !errors.Is(e, forum.ErrNotFound) && !errors.Is(e, forum.ErrConflict) && !errors.Is(e, context.Canceled) {
		s.m.dbErrors.WithLabelValues(op).Inc()
		if s.opts.OnFailure != nil && (errors.Is(e, forum.ErrUnavailable) || errors.Is(e, forum.ErrStorageFull)) {
			s.opts.OnFailure(e)
		}
	}
}

func (s *timedStore) Ping(ctx context.Context) (err error) {
	defer s.observe("Ping", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.Ping(ctx)
}

func (s *timedStore) CreateMember(ctx context.Context, m *forum.Member) (err error) {
	defer s.observe("CreateMember", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreateMember(ctx, m)
}

func (s *timedStore) MemberByID(ctx context.Context, id int64) (_ *forum.Member, err error) {
	defer s.observe("MemberByID", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.MemberByID(ctx, id)
}

func (s *timedStore) MemberByEmail(ctx context.Context, email string) (_ *forum.Member, err error) {
	defer s.observe("MemberByEmail", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.MemberByEmail(ctx, email)
}

func (s *timedStore) CreateFirstMember(ctx context.Context, m *forum.Member, tokenKey, tokenHash string) (err error) {
	defer s.observe("CreateFirstMember", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreateFirstMember(ctx, m, tokenKey, tokenHash)
}

func (s *timedStore) UpdateProfile(ctx context.Context, m *forum.Member) (err error) {
	defer s.observe("UpdateProfile", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.UpdateProfile(ctx, m)
}

func (s *timedStore) CreatePasswordReset(ctx context.Context, tokenHash string, memberID int64, now, expires time.Time, m *forum.Mail) (err error) {
	defer s.observe("CreatePasswordReset", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreatePasswordReset(ctx, tokenHash, memberID, now, expires, m)
}

func (s *timedStore) PasswordResetMember(ctx context.Context, tokenHash string, now time.Time) (_ *forum.Member, err error) {
	defer s.observe("PasswordResetMember", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.PasswordResetMember(ctx, tokenHash, now)
}

func (s *timedStore) ResetPassword(ctx context.Context, tokenHash, hash string, now time.Time, notice *forum.Mail) (_ int64, err error) {
	defer s.observe("ResetPassword", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ResetPassword(ctx, tokenHash, hash, now, notice)
}

func (s *timedStore) SetPassword(ctx context.Context, id int64, hash, keepTokenHash string, now time.Time, notice *forum.Mail) (_ int, err error) {
	defer s.observe("SetPassword", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetPassword(ctx, id, hash, keepTokenHash, now, notice)
}

func (s *timedStore) SetMemberRole(ctx context.Context, id int64, role forum.Role) (err error) {
	defer s.observe("SetMemberRole", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetMemberRole(ctx, id, role)
}

func (s *timedStore) SetMemberStatus(ctx context.Context, id int64, from, to forum.MemberStatus, approved *forum.Mail) (err error) {
	defer s.observe("SetMemberStatus", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetMemberStatus(ctx, id, from, to, approved)
}

func (s *timedStore) ListMembers(ctx context.Context, status forum.MemberStatus, limit int) (_ []*forum.Member, err error) {
	defer s.observe("ListMembers", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ListMembers(ctx, status, limit)
}

func (s *timedStore) CountMembers(ctx context.Context) (_ int, err error) {
	defer s.observe("CountMembers", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CountMembers(ctx)
}

func (s *timedStore) CreateSession(ctx context.Context, sess *forum.Session) (err error) {
	defer s.observe("CreateSession", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreateSession(ctx, sess)
}

func (s *timedStore) SessionMember(ctx context.Context, tokenHash string, now time.Time) (_ *forum.Member, err error) {
	defer s.observe("SessionMember", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SessionMember(ctx, tokenHash, now)
}

func (s *timedStore) DeleteSession(ctx context.Context, tokenHash string) (err error) {
	defer s.observe("DeleteSession", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.DeleteSession(ctx, tokenHash)
}

func (s *timedStore) DeleteExpiredSessions(ctx context.Context, now time.Time) (_ int64, err error) {
	defer s.observe("DeleteExpiredSessions", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.DeleteExpiredSessions(ctx, now)
}

func (s *timedStore) Setting(ctx context.Context, key string) (_ string, err error) {
	defer s.observe("Setting", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.Setting(ctx, key)
}

func (s *timedStore) SetSetting(ctx context.Context, key, value string) (err error) {
	defer s.observe("SetSetting", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetSetting(ctx, key, value)
}

func (s *timedStore) CreateCategory(ctx context.Context, c *forum.Category) (err error) {
	defer s.observe("CreateCategory", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreateCategory(ctx, c)
}

func (s *timedStore) UpdateCategory(ctx context.Context, c *forum.Category) (err error) {
	defer s.observe("UpdateCategory", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.UpdateCategory(ctx, c)
}

func (s *timedStore) CategoryByID(ctx context.Context, id int64) (_ *forum.Category, err error) {
	defer s.observe("CategoryByID", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CategoryByID(ctx, id)
}

func (s *timedStore) ListCategories(ctx context.Context) (_ []*forum.Category, err error) {
	defer s.observe("ListCategories", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ListCategories(ctx)
}

func (s *timedStore) CreateThread(ctx context.Context, t *forum.Thread, p *forum.Post) (err error) {
	defer s.observe("CreateThread", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreateThread(ctx, t, p)
}

func (s *timedStore) ThreadByID(ctx context.Context, id int64) (_ *forum.Thread, err error) {
	defer s.observe("ThreadByID", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ThreadByID(ctx, id)
}

func (s *timedStore) ListThreads(ctx context.Context, f forum.ThreadFilter) (_ []*forum.Thread, _ int, err error) {
	defer s.observe("ListThreads", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ListThreads(ctx, f)
}

func (s *timedStore) LatestThreads(ctx context.Context, f forum.LatestFilter) (_ []*forum.Thread, err error) {
	defer s.observe("LatestThreads", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.LatestThreads(ctx, f)
}

func (s *timedStore) SetThreadFlags(ctx context.Context, id int64, sticky, locked bool) (err error) {
	defer s.observe("SetThreadFlags", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetThreadFlags(ctx, id, sticky, locked)
}

func (s *timedStore) CreatePost(ctx context.Context, p *forum.Post) (err error) {
	defer s.observe("CreatePost", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.CreatePost(ctx, p)
}

func (s *timedStore) PostByID(ctx context.Context, id int64) (_ *forum.Post, err error) {
	defer s.observe("PostByID", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.PostByID(ctx, id)
}

func (s *timedStore) ListPosts(ctx context.Context, threadID int64, from, to int) (_ []*forum.Post, err error) {
	defer s.observe("ListPosts", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.ListPosts(ctx, threadID, from, to)
}

func (s *timedStore) UpdatePost(ctx context.Context, id int64, body, html string, editedAt time.Time, editedBy int64) (err error) {
	defer s.observe("UpdatePost", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.UpdatePost(ctx, id, body, html, editedAt, editedBy)
}

func (s *timedStore) SetPostDeleted(ctx context.Context, id int64, deleted bool, by int64, at time.Time) (err error) {
	defer s.observe("SetPostDeleted", time.Now(), &err)
	ctx, done := s.bound(ctx, &err)
	defer done()
	return s.Store.SetPostDeleted(ctx, id, deleted, by, at)
}

func (s *timedStore) Import(ctx context.Context, b *forum.ImportBatch) (err error) {
	defer s.observe("Import", time.Now(), &err)
	return s.Store.Import(ctx, b)
}

func (s *timedStore) Recount(ctx context.Context) (_ forum.RecountReport, err error) {
	defer s.observe("Recount", time.Now(), &err)
	return s.Store.Recount(ctx)
}
