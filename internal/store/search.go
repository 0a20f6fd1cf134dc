package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"hearth/internal/forum"
)

// Search finds the posts matching q that q.Viewer may read. Two queries:
// the candidates (the newest SearchCandidates matches, with the engine's
// relevance), ranked here the same way on both engines; then the page's
// rows with the start of their text. Permissions and filters are in the
// first query's WHERE, so a page is never short of what the viewer sees.
func (db *DB) Search(ctx context.Context, q forum.SearchQuery) ([]*forum.SearchHit, int, error) {
	const op = "search"
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cond, relevance := db.dialect.searchMatch(q.Terms, q.Excluded, arg)
	where := []string{cond}
	switch q.Viewer {
	case forum.ViewGuest:
		where = append(where, "NOT c.members_only AND NOT c.staff_only",
			"(pc.id IS NULL OR (NOT pc.members_only AND NOT pc.staff_only))")
	case forum.ViewMember:
		where = append(where, "NOT c.staff_only", "(pc.id IS NULL OR NOT pc.staff_only)")
	}
	if q.Viewer != forum.ViewStaff {
		where = append(where, "p.deleted_at = 0", "t.deleted_at = 0")
	}
	if q.CategoryID != 0 {
		a := arg(q.CategoryID)
		where = append(where, "(c.id = "+a+" OR c.parent_id = "+a+")")
	}
	if q.AuthorID != 0 {
		where = append(where, "p.author_id = "+arg(q.AuthorID))
	}
	if q.ThreadID != 0 {
		where = append(where, "p.thread_id = "+arg(q.ThreadID))
	}
	if q.FirstOnly {
		where = append(where, "p.position = 1")
	}
	if !q.From.IsZero() {
		where = append(where, "p.created_at >= "+arg(toMillis(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "p.created_at < "+arg(toMillis(q.To)))
	}
	from := " FROM " + db.dialect.searchFrom +
		" JOIN threads t ON t.id = p.thread_id JOIN categories c ON c.id = t.category_id" +
		" LEFT JOIN categories pc ON pc.id = c.parent_id" +
		" WHERE " + strings.Join(where, " AND ") +
		" ORDER BY " + db.dialect.searchOrder + " LIMIT " + strconv.Itoa(forum.SearchCandidates)
	candidates := func(ctx context.Context, relevance string) ([]forum.SearchCandidate, error) {
		// The text depends only on which filters are set (the terms are
		// bound), so the statement cache holds at most a few hundred.
		rows, err := db.readRows(ctx, "SELECT p.id, "+relevance+", p.created_at, CASE WHEN p.position = 1 THEN t.title ELSE '' END"+from,
			append(slices.Clip(db.dialect.planEachTime), args...)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var cands []forum.SearchCandidate
		for rows.Next() {
			var c forum.SearchCandidate
			var created int64
			if err := rows.Scan(&c.PostID, &c.Relevance, &created, &c.Title); err != nil {
				return nil, err
			}
			c.CreatedAt = fromMillis(created)
			cands = append(cands, c)
		}
		return cands, rows.Err()
	}
	var cands []forum.SearchCandidate
	var err error
	if db.dialect.relevanceWalksAll {
		// bm25 counts every match of each phrase first (its IDF): a common
		// word's 100,000 matches cost more than the search. So the newest
		// candidates come first without it; when they are all the matches
		// the reader may see (fewer than the cap), bm25 ranks them if it
		// can within db.relevanceBudget: common words whose few visible
		// matches are all there is still cost a full count each (65 ms
		// for two of them on 5,000,000 posts). Otherwise a match in the
		// title is the relevance, and recency orders the rest.
		titled := true
		if cands, err = candidates(ctx, "1.0"); err == nil && len(cands) < forum.SearchCandidates {
			bctx, cancel := context.WithTimeout(ctx, db.relevanceBudget)
			ranked, rerr := candidates(bctx, relevance)
			cancel()
			switch {
			case rerr == nil:
				cands, titled = ranked, false
			case ctx.Err() != nil || bctx.Err() == nil:
				err = rerr // a failure, not the budget
			}
		}
		if err == nil && titled {
			for i := range cands {
				if forum.TitleHasTerms(cands[i].Title, q.Terms) {
					cands[i].Relevance = 3
				}
			}
		}
	} else {
		cands, err = candidates(ctx, relevance)
	}
	if err != nil {
		return nil, 0, db.wrap(op, err)
	}
	forum.RankCandidates(cands, q.Terms, q.Now)
	total := len(cands)
	if q.Offset >= total {
		return nil, total, nil
	}
	page := cands[q.Offset:min(q.Offset+max(q.Limit, 1), total)]
	hits, err := db.searchHits(ctx, page)
	return hits, total, db.wrap(op, err)
}

// searchHits loads what a result line shows for the page's posts, in the
// page's order, with at most a few KB of each body.
func (db *DB) searchHits(ctx context.Context, page []forum.SearchCandidate) ([]*forum.SearchHit, error) {
	marks := make([]string, len(page))
	ids := make([]any, len(page))
	order := make(map[int64]int, len(page))
	for i, c := range page {
		marks[i], ids[i] = "$"+strconv.Itoa(i+1), c.PostID
		order[c.PostID] = i
	}
	rows, err := db.readRows(ctx, `SELECT p.id, p.thread_id, t.title, t.slug, t.category_id, c.name,
		p.author_id, COALESCE(a.name, ''), p.position, p.created_at, p.deleted_at <> 0 OR t.deleted_at <> 0,
		substr(p.body, 1, 4000)
	FROM posts p JOIN threads t ON t.id = p.thread_id JOIN categories c ON c.id = t.category_id
	LEFT JOIN members a ON a.id = p.author_id
	WHERE p.id IN (`+strings.Join(marks, ", ")+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hits := make([]*forum.SearchHit, len(page))
	for rows.Next() {
		var h forum.SearchHit
		var created int64
		if err := rows.Scan(&h.PostID, &h.ThreadID, &h.ThreadTitle, &h.ThreadSlug, &h.CategoryID, &h.CategoryName,
			&h.AuthorID, &h.AuthorName, &h.Position, &created, &h.Deleted, &h.Text); err != nil {
			return nil, err
		}
		h.CreatedAt = fromMillis(created)
		hits[order[h.PostID]] = &h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := hits[:0]
	for _, h := range hits {
		if h != nil { // hard-deleted meanwhile
			out = append(out, h)
		}
	}
	return out, nil
}

// SearchIndexStatus counts posts and the posts the search index holds.
func (db *DB) SearchIndexStatus(ctx context.Context) (posts, indexed int64, err error) {
	err = db.read.QueryRowContext(ctx, db.dialect.searchStatusSQL).Scan(&posts, &indexed)
	return posts, indexed, db.wrap("search index status", err)
}

// flushSearch indexes the posts the transaction added (SQLite: the
// triggers queue them in post_search_pending, see migration 0021), all at
// once before it commits, so a batch of replies makes one FTS5 segment
// rather than one each. Nothing queued costs one indexed lookup.
func (db *DB) flushSearch(ctx context.Context, tx *sql.Tx) error {
	if db.dialect.name != engineSQLite || !db.searchQueued.Load() {
		return nil
	}
	var n int
	if err := db.txRow(ctx, tx, "SELECT COUNT(*) FROM (SELECT 1 FROM post_search_pending LIMIT 1)").Scan(&n); err != nil {
		return fmt.Errorf("posts to index: %w", err)
	}
	if n == 0 {
		return nil
	}
	if _, err := db.txExec(ctx, tx, `INSERT INTO post_search (rowid, title, body)
		SELECT s.id, s.title, s.body FROM post_search_pending q JOIN post_search_source s ON s.id = q.id ORDER BY q.id`); err != nil {
		return fmt.Errorf("index new posts: %w", err)
	}
	if _, err := db.txExec(ctx, tx, "DELETE FROM post_search_pending"); err != nil {
		return fmt.Errorf("index new posts: %w", err)
	}
	return nil
}

// noteSearchQueue looks whether the schema queues new posts for the index.
func (db *DB) noteSearchQueue(ctx context.Context) {
	if db.dialect.name == engineSQLite {
		ok, err := db.tableExists(ctx, db.write, "post_search_pending")
		db.searchQueued.Store(err == nil && ok)
	}
}

// RebuildSearch rebuilds the search index from posts and threads, in one
// transaction (writes wait meanwhile; searches go on with the old index).
func (db *DB) RebuildSearch(ctx context.Context) error {
	return db.inTx(ctx, "rebuild search index", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.dialect.searchRebuildSQL); err != nil {
			return fmt.Errorf("rebuild: %w", err)
		}
		if db.dialect.name == engineSQLite && db.searchQueued.Load() {
			// Indexed by the rebuild: the flush must not add them again.
			if _, err := tx.ExecContext(ctx, "DELETE FROM post_search_pending"); err != nil {
				return fmt.Errorf("rebuild: %w", err)
			}
		}
		return nil
	})
}

// SearchIntegrityCheck compares the SQLite search index with the posts it
// was made from, token by token (FTS5 'integrity-check'; slow on a big
// forum, so only `hearth doctor --full` runs it). PostgreSQL's vectors are
// counted by SearchIndexStatus; there is nothing more to compare.
func (db *DB) SearchIntegrityCheck(ctx context.Context) error {
	if db.dialect.name != engineSQLite {
		return nil
	}
	// On the writer: it is an INSERT to FTS5, though it changes nothing.
	_, err := db.write.ExecContext(ctx, "INSERT INTO post_search (post_search, rank) VALUES ('integrity-check', 1)")
	return db.wrap("search index integrity check", err)
}

// SearchSegments counts the segments of the SQLite search index: FTS5
// adds one per batch of new posts and merges them as it goes, which leaves
// a dozen and more on a big forum, and a search reads and merges every
// one's list for each of its words. Zero on PostgreSQL (a GIN index).
func (db *DB) SearchSegments(ctx context.Context) (int, error) {
	if db.dialect.name != engineSQLite {
		return 0, nil
	}
	var n int
	err := db.read.QueryRowContext(ctx, "SELECT COUNT(DISTINCT segid) FROM post_search_idx").Scan(&n)
	return n, db.wrap("count search index segments", err)
}

// MergeSearch does one step of merging the SQLite search index's segments
// into one, writing about pages pages (FTS5 'merge' with a negative count:
// all levels as one), through the writer like any write, so a step holds
// replies back only as long as it writes. It reports whether the step
// found anything to merge: once it does not, the index is one segment.
func (db *DB) MergeSearch(ctx context.Context, pages int) (merged bool, err error) {
	if db.dialect.name != engineSQLite {
		return false, nil
	}
	err = db.inWriteTx(ctx, "merge search index segments", func(tx *sql.Tx) error {
		var before, after int64
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO post_search (post_search, rank) VALUES ('merge', $1)", -pages); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
			return err
		}
		// FTS5 counts a page written as a change; fewer than two means
		// there was nothing left to merge.
		merged = after-before >= 2
		return nil
	})
	return merged, err
}
