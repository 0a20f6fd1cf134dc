package ops

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Retention says which backups Prune keeps.
type Retention struct {
	Hourly time.Duration // keep every backup this young (default 24h)
	Daily  time.Duration // keep the newest good backup of each UTC day this young (default 30 days)
}

// DefaultRetention keeps hourly backups for a day and dailies for a month.
var DefaultRetention = Retention{Hourly: 24 * time.Hour, Daily: 30 * 24 * time.Hour}

// keep decides, for entries oldest first, which to keep at now. Always
// kept: anything younger than Hourly, the newest good backup of each day
// younger than Daily, pre-migration backups younger than Daily, and the
// newest good backup of all (never prune down to nothing).
func (r Retention) keep(list []Entry, now time.Time) []bool {
	if r.Hourly <= 0 {
		r.Hourly = DefaultRetention.Hourly
	}
	if r.Daily <= 0 {
		r.Daily = DefaultRetention.Daily
	}
	keep := make([]bool, len(list))
	newestOfDay := map[string]int{}
	newestGood := -1
	for i, e := range list {
		if e.OK {
			newestOfDay[e.CreatedAt.UTC().Format(time.DateOnly)] = i
			newestGood = i
		}
	}
	for i, e := range list {
		age := now.Sub(e.CreatedAt)
		switch {
		case age <= r.Hourly:
			keep[i] = true
		case age <= r.Daily && (e.Kind == "pre-migrate" || newestOfDay[e.CreatedAt.UTC().Format(time.DateOnly)] == i && e.OK):
			keep[i] = true
		case i == newestGood:
			keep[i] = true
		}
	}
	return keep
}

// Prune deletes the backups in DATA/backups the policy does not keep, and
// their index entries. Archives written elsewhere (--to) are never
// deleted. It returns the files it removed.
func Prune(dataDir string, policy Retention, now time.Time) (removed []string, err error) {
	err = updateIndex(dataDir, func(list []Entry) []Entry {
		keep := policy.keep(list, now)
		var out []Entry
		for i, e := range list {
			if keep[i] || filepath.IsAbs(e.File) {
				out = append(out, e)
				continue
			}
			p := e.Path(dataDir)
			if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				out = append(out, e) // keep the entry of a file we could not delete
				continue
			}
			removed = append(removed, p)
		}
		return out
	})
	return removed, err
}

// RunSchedule makes a backup every interval and prunes by policy, until
// ctx is cancelled. Failures are logged, never fatal: the forum keeps
// serving, and doctor reports the age of the last good backup.
//
// mine, when not nil, says whether this node does the forum's singleton
// work now (it holds the lease): with several nodes on one database, one
// of them takes the backups.
func RunSchedule(ctx context.Context, b *Backuper, every time.Duration, policy Retention, log *slog.Logger, mine func() bool) {
	if every <= 0 {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The first backup comes at once when the last good one is older than
	// the interval: a forum restarted often would otherwise never get one.
	first := every
	if e, ok, _ := LastGoodBackup(b.Config.DataDir); !ok || time.Since(e.CreatedAt) > every {
		first = min(every, time.Minute)
	}
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			t.Reset(every)
		}
		if mine != nil && !mine() {
			continue // another node holds the lease and takes the backups
		}
		e, err := b.Backup(ctx, BackupOptions{Kind: "scheduled"})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("scheduled backup failed", "err", err)
		} else {
			log.Info("scheduled backup", "file", e.Path(b.Config.DataDir), "bytes", e.Size, "seconds", e.Seconds)
		}
		removed, err := Prune(b.Config.DataDir, policy, time.Now())
		if err != nil {
			log.Error("pruning backups failed", "err", err)
		}
		for _, f := range removed {
			log.Info("pruned old backup", "file", f)
		}
	}
}
