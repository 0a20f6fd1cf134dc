package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// Handles, likes, notification levels and notifications (see
// migrations/*/0011_notifications.sql and forum.SocialStore).

// HandleOwner returns the member whose handle, or former handle, h is.
func (db *DB) HandleOwner(ctx context.Context, h string) (int64, error) {
	var id int64
	err := db.readRow(ctx, "SELECT id FROM members WHERE handle = $1", h).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.readRow(ctx, "SELECT member_id FROM member_handles WHERE handle = $1", h).Scan(&id)
	}
	return id, db.wrap("find handle", err)
}

// MembersByHandle returns the ids of the members whose handles are among hs.
func (db *DB) MembersByHandle(ctx context.Context, hs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(hs) == 0 {
		return out, nil
	}
	args := make([]any, len(hs))
	for i, h := range hs {
		args[i] = h
	}
	rows, err := db.read.QueryContext(ctx, "SELECT handle, id FROM members WHERE handle IN ("+placeholders(1, len(hs))+")", args...)
	if err != nil {
		return nil, db.wrap("find handles", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		var id int64
		if err := rows.Scan(&h, &id); err != nil {
			return nil, db.wrap("find handles", err)
		}
		out[h] = id
	}
	return out, db.wrap("find handles", rows.Err())
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// SetHandle changes a member's handle and keeps the old one for redirects.
func (db *DB) SetHandle(ctx context.Context, id int64, h string, at time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("set handle of member %d", id), func(tx *sql.Tx) error {
		var old sql.NullString
		if err := db.txRow(ctx, tx, "SELECT handle FROM members WHERE id = $1", id).Scan(&old); err != nil {
			return err
		}
		if old.String == h {
			return nil
		}
		var other int64
		err := db.txRow(ctx, tx, "SELECT id FROM members WHERE handle = $1", h).Scan(&other)
		if err == nil {
			return forum.ErrHandleTaken
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := db.txExec(ctx, tx, "DELETE FROM member_handles WHERE handle = $1", h); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE members SET handle = $2 WHERE id = $1", id, h); err != nil {
			return err
		}
		if old.Valid && old.String != "" {
			if _, err := db.txExec(ctx, tx, `INSERT INTO member_handles (handle, member_id, changed_at) VALUES ($1, $2, $3)
				ON CONFLICT (handle) DO UPDATE SET member_id = excluded.member_id, changed_at = excluded.changed_at`,
				old.String, id, toMillis(at)); err != nil {
				return err
			}
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventMemberProfile, MemberID: id})
	})
}

// LikePost records a like and counts it on the post and both members.
func (db *DB) LikePost(ctx context.Context, member, post int64, at time.Time) (bool, error) {
	return db.like(ctx, member, post, at, true)
}

// UnlikePost takes a like back.
func (db *DB) UnlikePost(ctx context.Context, member, post int64) (bool, error) {
	return db.like(ctx, member, post, time.Time{}, false)
}

func (db *DB) like(ctx context.Context, member, post int64, at time.Time, on bool) (bool, error) {
	op, kind, delta := fmt.Sprintf("like post %d", post), forum.EventPostLiked, 1
	if !on {
		op, kind, delta = fmt.Sprintf("unlike post %d", post), forum.EventPostUnliked, -1
	}
	var changed bool
	err := db.inWriteTx(ctx, op, func(tx *sql.Tx) error {
		changed = false
		var res sql.Result
		var err error
		if on {
			res, err = db.txExec(ctx, tx, `INSERT INTO post_likes (post_id, member_id, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (post_id, member_id) DO NOTHING`, post, member, toMillis(at))
		} else {
			res, err = db.txExec(ctx, tx, "DELETE FROM post_likes WHERE post_id = $1 AND member_id = $2", post, member)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // liked already, or not liked
		}
		var author, thread, category int64
		if err := db.txRow(ctx, tx, `UPDATE posts SET like_count = like_count + $2 WHERE id = $1
			RETURNING author_id, thread_id`, post, delta).Scan(&author, &thread); err != nil {
			return err
		}
		if err := db.txRow(ctx, tx, "SELECT category_id FROM threads WHERE id = $1", thread).Scan(&category); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE members SET likes_given = likes_given + $2 WHERE id = $1", member, delta); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE members SET likes_received = likes_received + $2 WHERE id = $1", author, delta); err != nil {
			return err
		}
		changed = true
		return db.appendEvent(ctx, tx, forum.Event{Kind: kind, MemberID: member, CategoryID: category, ThreadID: thread, PostID: post})
	})
	return changed, err
}

// LikedPosts returns which posts of a thread with positions in [from, to]
// member liked: the page's posts by the (thread_id, position) index, each
// probing the like's primary key.
func (db *DB) LikedPosts(ctx context.Context, member, thread int64, from, to int) (map[int64]bool, error) {
	rows, err := db.readRows(ctx, `SELECT p.id FROM posts p JOIN post_likes l ON l.post_id = p.id AND l.member_id = $1
		WHERE p.thread_id = $2 AND p.position BETWEEN $3 AND $4`, member, thread, from, to)
	if err != nil {
		return nil, db.wrap("read likes", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap("read likes", err)
		}
		out[id] = true
	}
	return out, db.wrap("read likes", rows.Err())
}

// visibleCategory is the condition on categories c (and its parent pc)
// that a reader with f may see.
func visibleCategory(f forum.Visibility) string {
	switch {
	case f.Staff:
		return "TRUE"
	case f.Member:
		return "NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE)"
	}
	return "NOT c.staff_only AND NOT COALESCE(pc.staff_only, FALSE) AND NOT c.members_only AND NOT COALESCE(pc.members_only, FALSE)"
}

// MemberLikes returns the posts a member liked that f may see, newest like first.
func (db *DB) MemberLikes(ctx context.Context, member int64, f forum.Visibility, offset, limit int) ([]*forum.Post, error) {
	op := fmt.Sprintf("list likes of member %d", member)
	return db.queryPosts(ctx, op, postSelect+`
		JOIN post_likes l ON l.post_id = p.id
		JOIN threads t ON t.id = p.thread_id
		JOIN categories c ON c.id = t.category_id
		LEFT JOIN categories pc ON pc.id = c.parent_id
		WHERE l.member_id = $1 AND p.deleted_at = 0 AND t.deleted_at = 0 AND `+visibleCategory(f)+`
		ORDER BY l.created_at DESC, l.post_id DESC LIMIT $2 OFFSET $3`, member, limitOrAll(limit), max(offset, 0))
}

func levelArg(l forum.Level) any {
	if l == forum.LevelDefault {
		return nil
	}
	return int(l)
}

// SetThreadLevel saves a member's level on a thread and no other column of
// the row (the read position is the unread tracker's).
func (db *DB) SetThreadLevel(ctx context.Context, member, thread int64, l forum.Level) error {
	return db.inTx(ctx, fmt.Sprintf("set level on thread %d", thread), func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, `INSERT INTO thread_members (member_id, thread_id, level) VALUES ($1, $2, $3)
		ON CONFLICT (member_id, thread_id) DO UPDATE SET level = excluded.level`, member, thread, levelArg(l)); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventLevelChanged, MemberID: member, ThreadID: thread})
	})
}

// SetCategoryLevel saves a member's level on a category, and nothing else.
func (db *DB) SetCategoryLevel(ctx context.Context, member, category int64, l forum.Level) error {
	return db.inTx(ctx, fmt.Sprintf("set level on category %d", category), func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, `INSERT INTO category_members (member_id, category_id, level) VALUES ($1, $2, $3)
		ON CONFLICT (member_id, category_id) DO UPDATE SET level = excluded.level`, member, category, levelArg(l)); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventLevelChanged, MemberID: member, CategoryID: category})
	})
}

// startTracking makes a member who posts in a thread track it, unless they
// chose a level there or watch its category (or the category's parent)
// already: replying must not lower what they hear.
// (PostgreSQL's reply does the same in its one statement.)
func (db *DB) startTracking(ctx context.Context, tx *sql.Tx, member, thread int64) error {
	_, err := db.txExec(ctx, tx, `INSERT INTO thread_members (member_id, thread_id, level)
		SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), 2 WHERE NOT EXISTS (
			SELECT 1 FROM threads t JOIN categories c ON c.id = t.category_id
			`+watchingCategory("$1")+`
			WHERE t.id = $2)
		ON CONFLICT (member_id, thread_id) DO UPDATE SET level = 2 WHERE thread_members.level IS NULL`, member, thread)
	return err
}

// watchingCategory joins category c to the row saying that member (a
// placeholder) watches it or its parent.
func watchingCategory(member string) string {
	return "JOIN category_members cm ON cm.member_id = " + member +
		" AND cm.category_id IN (c.id, COALESCE(c.parent_id, 0)) AND cm.level = 3"
}

func (db *DB) level(ctx context.Context, q string, member, id int64) (forum.Level, error) {
	var l sql.NullInt64
	err := db.readRow(ctx, q, member, id).Scan(&l)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !l.Valid) {
		return forum.LevelDefault, nil
	}
	if err != nil {
		return forum.LevelDefault, db.wrap("read level", err)
	}
	return forum.Level(l.Int64), nil
}

// ThreadLevel returns a member's chosen level on a thread, or LevelDefault.
func (db *DB) ThreadLevel(ctx context.Context, member, thread int64) (forum.Level, error) {
	return db.level(ctx, "SELECT level FROM thread_members WHERE member_id = $1 AND thread_id = $2", member, thread)
}

// CategoryLevel returns a member's chosen level on a category, or LevelDefault.
func (db *DB) CategoryLevel(ctx context.Context, member, category int64) (forum.Level, error) {
	return db.level(ctx, "SELECT level FROM category_members WHERE member_id = $1 AND category_id = $2", member, category)
}

// effectiveLevel is a member m's level on thread $5 in category $8 (parent
// $9): the thread's choice, else the category's, else its parent's, else
// normal.
const effectiveLevel = `COALESCE(
	(SELECT tm.level FROM thread_members tm WHERE tm.member_id = m.id AND tm.thread_id = $5),
	(SELECT cm.level FROM category_members cm WHERE cm.member_id = m.id AND cm.category_id = $8),
	(SELECT cm.level FROM category_members cm WHERE cm.member_id = m.id AND cm.category_id = $9),
	1)`

// NotifySources returns, by id, the posts among ids that are there and
// not deleted, in threads that are not deleted: one query for a batch of
// events, where a post and a thread read per event were a tenth of the
// CPU of a stream of replies.
func (db *DB) NotifySources(ctx context.Context, ids []int64) (map[int64]*forum.NotifySource, error) {
	out := make(map[int64]*forum.NotifySource, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var q strings.Builder
	q.WriteString(`SELECT p.id, p.thread_id, p.author_id, p.position, p.html, COALESCE(p.quote_post_id, 0), p.created_at,
	t.author_id, t.category_id
FROM posts p JOIN threads t ON t.id = p.thread_id
WHERE p.deleted_at = 0 AND t.deleted_at = 0 AND p.id IN (`)
	args := inList(&q, nil, ids)
	q.WriteString(")")
	rows, err := db.readRows(ctx, q.String(), args...)
	if err != nil {
		return nil, db.wrap("load posts to notify of", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src forum.NotifySource
		p := &src.Post
		var created int64
		if err := rows.Scan(&p.ID, &p.ThreadID, &p.AuthorID, &p.Position, &p.HTML, &p.QuotePostID, &created,
			&src.ThreadAuthorID, &src.CategoryID); err != nil {
			return nil, db.wrap("load posts to notify of", err)
		}
		p.CreatedAt = fromMillis(created)
		out[p.ID] = &src
	}
	return out, db.wrap("load posts to notify of", rows.Err())
}

// AddNotifications writes what each request notifies, in one transaction.
// Who may be notified is decided in the insert's query: active members
// other than the actor, who may see the category, whose level there is
// not muted (watching, for watchers), and who have no notification of
// this event yet (a recipient gets the first step naming them). The
// unique key (event_id, member_id, kind) makes a replay add nothing.
//
// It appends a notification.changed event per member notified, so that every
// other node's cached bell counts move, and returns those members for this
// node's; beyond maxNotifiedEvents members, one event (and id 0) for
// everyone.
func (db *DB) AddNotifications(ctx context.Context, rs []forum.NotifyRequest) ([]int64, error) {
	var ids []int64
	err := db.inSideTx(ctx, "add notifications", func(tx *sql.Tx) error {
		ids = ids[:0]
		notified := map[int64]bool{}
		cats := map[int64]*notifyCategory{}
		for _, r := range rs {
			if err := db.addNotifications(ctx, tx, r, cats, notified); err != nil {
				return fmt.Errorf("event %d: %w", r.EventID, err)
			}
		}
		if len(notified) > maxNotifiedEvents {
			ids = append(ids, 0)
			return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventNotified})
		}
		for _, id := range slices.Sorted(maps.Keys(notified)) {
			ids = append(ids, id)
			if err := db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventNotified, MemberID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, err
}

// maxNotifiedEvents bounds the events one batch of notifications appends.
const maxNotifiedEvents = 32

// notifyCategory is what the notifications of an event need of its
// category, read once per category and batch (nil: the category is gone).
type notifyCategory struct {
	parent int64
	staff  bool // it or its parent is staff-only
}

func (db *DB) addNotifications(ctx context.Context, tx *sql.Tx, r forum.NotifyRequest,
	cats map[int64]*notifyCategory, notified map[int64]bool) error {
	cat, seen := cats[r.CategoryID]
	if !seen {
		var c notifyCategory
		err := db.txRow(ctx, tx, `SELECT COALESCE(c.parent_id, 0), c.staff_only OR COALESCE(pc.staff_only, FALSE)
		FROM categories c LEFT JOIN categories pc ON pc.id = c.parent_id WHERE c.id = $1`, r.CategoryID).Scan(&c.parent, &c.staff)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			cat = &c
		}
		cats[r.CategoryID] = cat
	}
	if cat == nil {
		return nil // the category is gone: nobody to tell
	}
	for _, st := range r.Steps {
		args := []any{string(st.Kind), forum.GroupKey(st.Kind, r.ThreadID, r.PostID), r.EventID, r.ActorID,
			r.ThreadID, r.PostID, toMillis(r.At), r.CategoryID, cat.parent}
		// The query starts from the few candidates (the watchers, or the
		// members named), never from every member: a reply's event is
		// handled in a fraction of a millisecond on a forum of thousands.
		// CROSS JOIN is how SQLite is told to keep that order: left to
		// itself it walked every active member by the status index and
		// probed the watchers (15 ms an event with 8,000 members).
		from, join := "FROM members m", ""
		if st.Watchers != forum.WatchNone {
			from = `FROM (SELECT member_id AS id FROM thread_members WHERE thread_id = $5 AND level = 3
				UNION SELECT member_id FROM category_members WHERE category_id IN ($8, $9) AND level = 3) w
				CROSS JOIN members m`
			join = " AND m.id = w.id"
		}
		q := `INSERT INTO notifications (member_id, kind, group_key, event_id, actor_id, thread_id, post_id, created_at)
			SELECT m.id, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT), CAST($4 AS BIGINT),
				CAST($5 AS BIGINT), CAST($6 AS BIGINT), CAST($7 AS BIGINT)
			` + from + `
			WHERE m.id <> $4 AND m.status = 'active'` + join + `
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.event_id = $3 AND n.member_id = m.id)`
		if cat.staff {
			q += " AND m.role IN ('moderator', 'admin')"
		}
		switch {
		case st.Watchers != forum.WatchNone:
			q += ` AND ` + effectiveLevel + ` = 3`
		case len(st.Members) > 0:
			q += " AND m.id IN (" + placeholders(len(args)+1, len(st.Members)) + ") AND " + effectiveLevel + " <> 0"
			for _, id := range st.Members {
				args = append(args, id)
			}
		default:
			continue
		}
		if st.Kind == forum.NotifyLike {
			// Liking, unliking and liking again tells the author once.
			q += " AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.member_id = m.id AND n.group_key = $2 AND n.actor_id = $4)"
		}
		q += " ON CONFLICT (event_id, member_id, kind) DO NOTHING RETURNING member_id"
		rows, err := db.txQuery(ctx, tx, q, args...)
		if err != nil {
			return fmt.Errorf("notify %s: %w", st.Kind, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			notified[id] = true
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("notify %s: %w", st.Kind, err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("notify %s: %w", st.Kind, err)
		}
	}
	return nil
}

// Notifications returns a member's newest notifications, those of
// threads since deleted left out.
func (db *DB) Notifications(ctx context.Context, member int64, limit int) ([]*forum.Notification, error) {
	op := fmt.Sprintf("list notifications of member %d", member)
	rows, err := db.readRows(ctx, `SELECT n.id, n.member_id, n.kind, n.group_key, n.event_id, n.actor_id, COALESCE(a.name, ''),
		n.thread_id, t.title, t.slug, n.post_id, n.created_at, n.read_at
		FROM notifications n
		JOIN threads t ON t.id = n.thread_id
		LEFT JOIN members a ON a.id = n.actor_id
		WHERE n.member_id = $1 AND t.deleted_at = 0
		ORDER BY n.id DESC LIMIT $2`, member, limitOrAll(limit))
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []*forum.Notification
	for rows.Next() {
		var n forum.Notification
		var kind string
		var created, read int64
		if err := rows.Scan(&n.ID, &n.MemberID, &kind, &n.GroupKey, &n.EventID, &n.ActorID, &n.ActorName,
			&n.ThreadID, &n.ThreadTitle, &n.ThreadSlug, &n.PostID, &created, &read); err != nil {
			return nil, db.wrap(op, err)
		}
		n.Kind, n.CreatedAt, n.ReadAt = forum.NotificationKind(kind), fromMillis(created), fromMillis(read)
		out = append(out, &n)
	}
	return out, db.wrap(op, rows.Err())
}

// UnreadNotifications counts a member's unread notification groups, those
// of deleted threads left out as the list leaves them: one index range
// (notifications_member) and a thread probe per unread row.
func (db *DB) UnreadNotifications(ctx context.Context, member int64) (int, error) {
	var n int
	err := db.readRow(ctx, `SELECT COUNT(DISTINCT n.group_key) FROM notifications n
		JOIN threads t ON t.id = n.thread_id AND t.deleted_at = 0
		WHERE n.member_id = $1 AND n.read_at = 0`, member).Scan(&n)
	return n, db.wrap("count unread notifications", err)
}

// MarkNotificationRead marks a notification and the rest of its group read.
func (db *DB) MarkNotificationRead(ctx context.Context, member, id int64, at time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("mark notification %d read", id), func(tx *sql.Tx) error {
		var group string
		if err := db.txRow(ctx, tx, "SELECT group_key FROM notifications WHERE id = $1 AND member_id = $2", id, member).Scan(&group); err != nil {
			return err
		}
		if _, err := db.txExec(ctx, tx, "UPDATE notifications SET read_at = $3 WHERE member_id = $1 AND group_key = $2 AND read_at = 0",
			member, group, toMillis(at)); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventNotified, MemberID: member})
	})
}

// MarkAllNotificationsRead marks all of a member's notifications read.
func (db *DB) MarkAllNotificationsRead(ctx context.Context, member int64, at time.Time) error {
	return db.inTx(ctx, "mark notifications read", func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, "UPDATE notifications SET read_at = $2 WHERE member_id = $1 AND read_at = 0", member, toMillis(at)); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, forum.Event{Kind: forum.EventNotified, MemberID: member})
	})
}
