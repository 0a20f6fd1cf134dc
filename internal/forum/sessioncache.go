package forum

import (
	"time"

	"hearth/internal/cache"
)

// Sessions are remembered for a few seconds (internal/cache), so a member
// browsing does not cost a database lookup per page. An entry holds its
// member's account (Changes.Holds): a logout, a password change, a new
// role, status or name of member X drops X's entries at once on this
// node, and no one else's; the event stream does the same on other nodes,
// and sessionCacheTTL bounds what it might miss. A password change or a
// suspension also ends the member's other sessions in the database.
type sessionEntry struct {
	member Member // a copy: callers may change what they are given
	shown  *Shown
}

const (
	sessionCacheTTL   = 10 * time.Second
	sessionCacheBytes = 8 << 20
)

func newSessionCache(ch *Changes, now func() time.Time) *cache.Cache[string, *sessionEntry] {
	return cache.New[string](cache.Options[*sessionEntry]{
		MaxBytes: sessionCacheBytes, MaxAge: sessionCacheTTL, Now: now,
		Current: func(e *sessionEntry) bool { return ch.Current(e.shown) },
	})
}

// size is roughly the bytes the entry holds.
func (e *sessionEntry) size() int {
	m := &e.member
	return 384 + len(m.Email) + len(m.Name) + len(m.PasswordHash) + len(m.Title) + len(m.Location) + len(m.Bio)
}
