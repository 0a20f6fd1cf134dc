package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// What members have read (forum/unread.go). None of these writes appends
// an event: nothing cached depends on one member's read positions, visits
// or marks (they are read fresh for each list page and overlaid with the
// node's own unflushed reads), and a row per page view in the stream
// would outweigh everything else in it.

// MemberReads reads a member's positions in threadIDs, marks of
// categoryIDs and visit times in one round trip: a UNION ALL of three
// primary-key lookups.
func (db *DB) MemberReads(ctx context.Context, memberID int64, threadIDs, categoryIDs []int64) (*forum.MemberReads, error) {
	op := fmt.Sprintf("read positions of member %d", memberID)
	args := []any{memberID}
	var q strings.Builder
	q.WriteString("SELECT 2, last_visit_at, previous_visit_at, marked_read_at FROM members WHERE id = $1")
	if len(threadIDs) > 0 {
		q.WriteString(" UNION ALL SELECT 0, thread_id, last_read_position, 0 FROM thread_members WHERE member_id = $1 AND last_read_position > 0 AND thread_id IN (")
		args = inList(&q, args, threadIDs)
		q.WriteString(")")
	}
	if len(categoryIDs) > 0 {
		q.WriteString(" UNION ALL SELECT 1, category_id, 0, marked_read_at FROM category_members WHERE member_id = $1 AND category_id IN (")
		args = inList(&q, args, categoryIDs)
		q.WriteString(")")
	}
	rows, err := db.readRows(ctx, q.String(), args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	r := &forum.MemberReads{Positions: map[int64]int{}, CategoryMarks: map[int64]time.Time{}}
	found := false
	for rows.Next() {
		var kind int
		var a, b, c int64
		if err := rows.Scan(&kind, &a, &b, &c); err != nil {
			return nil, db.wrap(op, err)
		}
		switch kind {
		case 0:
			r.Positions[a] = int(b)
		case 1:
			r.CategoryMarks[a] = fromMillis(c)
		case 2:
			found = true
			r.LastVisitAt, r.PreviousVisitAt, r.MarkedReadAt = fromMillis(a), fromMillis(b), fromMillis(c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(op, err)
	}
	if !found {
		return nil, db.wrap(op, forum.ErrNotFound)
	}
	return r, nil
}

// inList appends placeholders for ids to q and the ids to args. The list
// is padded (repeating its last id) to a few sizes, so a page of 30
// threads and one of 27 run the same prepared statement.
func inList(q *strings.Builder, args []any, ids []int64) []any {
	n := len(ids)
	size := 1
	for size < n {
		size *= 2
	}
	for i := range size {
		if i > 0 {
			q.WriteString(", ")
		}
		args = append(args, ids[min(i, n-1)])
		q.WriteString("$" + strconv.Itoa(len(args)))
	}
	return args
}

// SaveReads upserts read positions (the larger position wins, so the
// order of flushes from several nodes does not matter) and visit times,
// in one transaction, in key order so two nodes' flushes cannot deadlock.
// It goes through the batcher: in a transaction of its own on PostgreSQL
// it would lock member and thread_members rows that a batch of replies
// locks in another order, a deadlock the server breaks only after its
// deadlock_timeout (a second), and replies then waited that long.
func (db *DB) SaveReads(ctx context.Context, reads []forum.ReadMark, visits []forum.VisitMark) error {
	if len(reads) == 0 && len(visits) == 0 {
		return nil
	}
	slices.SortFunc(reads, func(a, b forum.ReadMark) int {
		return cmp.Or(cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.ThreadID, b.ThreadID))
	})
	slices.SortFunc(visits, func(a, b forum.VisitMark) int { return cmp.Compare(a.MemberID, b.MemberID) })
	if db.dialect.name == enginePostgres {
		return db.inWriteRow(ctx, "save read positions", saveReadsPostgres(reads, visits))
	}
	return db.inWriteTx(ctx, "save read positions", func(tx *sql.Tx) error {
		for _, m := range reads {
			_, err := db.txExec(ctx, tx, `INSERT INTO thread_members (member_id, thread_id, last_read_position, last_visited_at)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (member_id, thread_id) DO UPDATE SET
				last_read_position = CASE WHEN excluded.last_read_position > thread_members.last_read_position
					THEN excluded.last_read_position ELSE thread_members.last_read_position END,
				last_visited_at = CASE WHEN excluded.last_visited_at > thread_members.last_visited_at
					THEN excluded.last_visited_at ELSE thread_members.last_visited_at END`,
				m.MemberID, m.ThreadID, m.Position, toMillis(m.At))
			if err != nil {
				return fmt.Errorf("member %d thread %d: %w", m.MemberID, m.ThreadID, err)
			}
		}
		for _, v := range visits {
			// A request after more than VisitGap of silence starts a visit:
			// the one before ended at last_visit_at.
			_, err := db.txExec(ctx, tx, `UPDATE members SET
				previous_visit_at = CASE WHEN $2 - last_visit_at > $3 THEN last_visit_at ELSE previous_visit_at END,
				last_visit_at = $2
				WHERE id = $1 AND last_visit_at < $2`,
				v.MemberID, toMillis(v.At), forum.VisitGap.Milliseconds())
			if err != nil {
				return fmt.Errorf("visit of member %d: %w", v.MemberID, err)
			}
		}
		return nil
	})
}

// saveReadsPostgres is SaveReads in one statement, the marks passed as
// arrays: a second's worth of read positions while members post was a
// thousand statements, a round trip each, which held the batch they were
// in (and the batcher) for 150 ms. As one, it goes in the batch's one
// round trip. The marks are distinct (the read buffer keys them), as
// ON CONFLICT requires.
func saveReadsPostgres(reads []forum.ReadMark, visits []forum.VisitMark) *rowWrite {
	var members, threads, positions, ats, visitors, visited []int64
	for _, m := range reads {
		members, threads = append(members, m.MemberID), append(threads, m.ThreadID)
		positions, ats = append(positions, int64(m.Position)), append(ats, toMillis(m.At))
	}
	for _, v := range visits {
		visitors, visited = append(visitors, v.MemberID), append(visited, toMillis(v.At))
	}
	return &rowWrite{query: `WITH r AS (
			INSERT INTO thread_members (member_id, thread_id, last_read_position, last_visited_at)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::bigint[])
			ON CONFLICT (member_id, thread_id) DO UPDATE SET
			last_read_position = CASE WHEN excluded.last_read_position > thread_members.last_read_position
				THEN excluded.last_read_position ELSE thread_members.last_read_position END,
			last_visited_at = CASE WHEN excluded.last_visited_at > thread_members.last_visited_at
				THEN excluded.last_visited_at ELSE thread_members.last_visited_at END
			RETURNING 1),
		v AS (
			UPDATE members SET
			previous_visit_at = CASE WHEN v.at - members.last_visit_at > $7 THEN members.last_visit_at ELSE members.previous_visit_at END,
			last_visit_at = v.at
			FROM unnest($5::bigint[], $6::bigint[]) AS v (id, at)
			WHERE members.id = v.id AND members.last_visit_at < v.at
			RETURNING 1)
		SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM v)`,
		args: []any{members, threads, positions, ats, visitors, visited, forum.VisitGap.Milliseconds()},
		scan: func(row rowScanner) error { return row.Scan(new(int64), new(int64)) },
	}
}

// markThreadsRead moves a member's positions to the threads' last ones:
// in categoryID's threads, or in all when categoryID is 0. Only the rows
// the member has are touched (their primary key's prefix); threads they
// never read are covered by the mark's time instead.
const markThreadsRead = `UPDATE thread_members SET last_read_position = t.last_position
	FROM threads t WHERE t.id = thread_members.thread_id AND thread_members.member_id = $1
	AND thread_members.last_read_position < t.last_position`

// MarkCategoriesRead stamps the categories read at at and moves the
// member's positions in their threads to the end.
func (db *DB) MarkCategoriesRead(ctx context.Context, memberID int64, categoryIDs []int64, at time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("mark categories %v read for member %d", categoryIDs, memberID), func(tx *sql.Tx) error {
		for _, c := range categoryIDs {
			if _, err := db.txExec(ctx, tx, markThreadsRead+" AND t.category_id = $2", memberID, c); err != nil {
				return err
			}
			_, err := db.txExec(ctx, tx, `INSERT INTO category_members (member_id, category_id, marked_read_at) VALUES ($1, $2, $3)
				ON CONFLICT (member_id, category_id) DO UPDATE SET marked_read_at = excluded.marked_read_at`,
				memberID, c, toMillis(at))
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkAllRead stamps everything read at at for the member.
func (db *DB) MarkAllRead(ctx context.Context, memberID int64, at time.Time) error {
	return db.inTx(ctx, fmt.Sprintf("mark everything read for member %d", memberID), func(tx *sql.Tx) error {
		if _, err := db.txExec(ctx, tx, markThreadsRead, memberID); err != nil {
			return err
		}
		return mustAffect(db.txExec(ctx, tx, "UPDATE members SET marked_read_at = $2 WHERE id = $1", memberID, toMillis(at)))
	})
}

const unreadThreadsSQL = `SELECT x.id, x.category_id, x.last_position, x.is_new FROM (
		SELECT t.id, t.category_id, t.last_position, 0 AS is_new
		FROM thread_members tm
		JOIN threads t ON t.id = tm.thread_id
		JOIN members m ON m.id = tm.member_id
		LEFT JOIN category_members cm ON cm.member_id = tm.member_id AND cm.category_id = t.category_id
		WHERE tm.member_id = $1 AND tm.last_read_position > 0 AND t.last_position > tm.last_read_position
			AND t.deleted_at = 0 AND t.last_post_at > m.marked_read_at AND t.last_post_at > COALESCE(cm.marked_read_at, 0)
		UNION ALL
		SELECT t.id, t.category_id, t.last_position, 1
		FROM threads t
		LEFT JOIN category_members cm ON cm.member_id = $1 AND cm.category_id = t.category_id
		WHERE t.created_at > $2 AND t.deleted_at = 0 AND t.created_at > COALESCE(cm.marked_read_at, 0)
			AND NOT EXISTS (SELECT 1 FROM thread_members tm
				WHERE tm.member_id = $1 AND tm.thread_id = t.id AND tm.last_read_position > 0)
	) x
	JOIN categories c ON c.id = x.category_id
	LEFT JOIN categories p ON p.id = c.parent_id
	WHERE ($3 OR (NOT c.members_only AND NOT COALESCE(p.members_only, FALSE)))
		AND ($4 OR (NOT c.staff_only AND NOT COALESCE(p.staff_only, FALSE)))`

// UnreadThreads lists what the front page counts for a member: threads
// they read that have posts since (walking their own rows) and threads
// created after since that they never read (walking threads_created from
// since on), in the categories they may see: the visibility is part of
// the query, as everywhere.
func (db *DB) UnreadThreads(ctx context.Context, memberID int64, since time.Time, see forum.Visibility) ([]forum.UnreadThread, error) {
	op := fmt.Sprintf("unread threads of member %d", memberID)
	rows, err := db.readRows(ctx, unreadThreadsSQL,
		memberID, toMillis(since), see.Member, see.Staff)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []forum.UnreadThread
	for rows.Next() {
		var u forum.UnreadThread
		var isNew int
		if err := rows.Scan(&u.ThreadID, &u.CategoryID, &u.LastPosition, &isNew); err != nil {
			return nil, db.wrap(op, err)
		}
		u.New = isNew == 1
		out = append(out, u)
	}
	return out, db.wrap(op, rows.Err())
}
