package ops

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// RepairStep is one thing Repair did.
type RepairStep struct {
	Name    string `json:"name"`
	Changed int    `json:"changed"` // rows corrected or removed
	Message string `json:"message"`
}

// RepairReport lists what Repair did.
type RepairReport struct {
	Steps []RepairStep `json:"steps"`
}

// Changed is the total of rows Repair corrected.
func (r RepairReport) Changed() int {
	n := 0
	for _, s := range r.Steps {
		n += s.Changed
	}
	return n
}

// Repair checks integrity, recounts every counter and last-post pointer,
// removes expired sessions and rebuilds the search index. Each step
// is its own short transaction, so it is safe on a live forum. A damaged
// SQLite file stops it: recounting cannot fix pages, only a restore can.
// bar, if not nil, is told each step as it starts.
func Repair(ctx context.Context, db *store.DB, now time.Time, bar *progress.Bar) (RepairReport, error) {
	var r RepairReport
	defer bar.Done()
	if db.Engine() == "sqlite" {
		bar.Stage("checking integrity", 0, progress.Rows)
		if err := db.QuickCheck(ctx); err != nil {
			return r, fmt.Errorf("the database fails its integrity check, which repair cannot fix (%v): restore the latest good backup with `hearth restore`", err)
		}
		r.Steps = append(r.Steps, RepairStep{Name: "integrity", Message: "SQLite quick_check passed"})
	} else {
		r.Steps = append(r.Steps, RepairStep{Name: "integrity", Message: "skipped on PostgreSQL (it checks its own pages)"})
	}

	bar.Stage("recounting counters", 0, progress.Rows)
	rc, err := db.Recount(ctx)
	if err != nil {
		return r, fmt.Errorf("recount: %w", err)
	}
	r.Steps = append(r.Steps, RepairStep{Name: "counters", Changed: rc.Threads + rc.Categories + rc.Members,
		Message: fmt.Sprintf("corrected the counters or last-post pointers of %d thread(s), %d category(-ies) and %d member(s)", rc.Threads, rc.Categories, rc.Members)})

	bar.Stage("removing expired sessions", 0, progress.Rows)
	n, err := db.DeleteExpiredSessions(ctx, now)
	if err != nil {
		return r, fmt.Errorf("remove expired sessions: %w", err)
	}
	r.Steps = append(r.Steps, RepairStep{Name: "sessions", Changed: int(n), Message: fmt.Sprintf("removed %d expired session(s)", n)})
	began := time.Now()
	bar.Stage("rebuilding the search index", 0, progress.Rows)
	if err := db.RebuildSearch(ctx); err != nil {
		return r, fmt.Errorf("rebuild the search index: %w", err)
	}
	posts, indexed, err := db.SearchIndexStatus(ctx)
	if err != nil {
		return r, fmt.Errorf("check the search index: %w", err)
	}
	r.Steps = append(r.Steps, RepairStep{Name: "search index",
		Message: fmt.Sprintf("rebuilt the search index: %d of %d posts in %s", indexed, posts, time.Since(began).Round(time.Millisecond))})
	return r, nil
}
