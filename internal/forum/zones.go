package forum

import (
	"context"
	"sync"
	"time"

	"hearth/internal/cache"
)

// zoneCache keeps members' time zones (from their mail preferences) for
// the times on their pages: one lookup a request instead of a query.
// An entry is kept under the member's PrefsVersion, which moves when they
// save their settings here or, through ApplyEvent, on another node.
type zoneCache struct {
	once sync.Once
	c    *cache.Cache[int64, *time.Location]
}

// get returns the cache, made on first use (the Service's zero value has none).
func (zc *zoneCache) get() *cache.Cache[int64, *time.Location] {
	zc.once.Do(func() { zc.c = cache.New[int64](cache.Options[*time.Location]{MaxBytes: 1 << 20}) })
	return zc.c
}

// locations are the zones loaded so far by name: time.LoadLocation reads
// and parses the zone's data each time.
var locations sync.Map // string → *time.Location

// LoadZone returns the zone named name, UTC if it does not resolve.
func LoadZone(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	locations.Store(name, l)
	return l
}

// Zone returns the time zone actor's pages show times in: the member's
// own, UTC for guests. A failure to read it gives UTC, not an error: a
// time in the wrong zone beats no page.
func (s *Service) Zone(ctx context.Context, actor *Member) *time.Location {
	if actor == nil {
		return time.UTC
	}
	v := s.changes.PrefsVersion(actor.ID) // before reading: a change meanwhile leaves the entry stale
	l, err := s.zones.get().Load(actor.ID, v, func() (*time.Location, int, error) {
		p, err := s.store.MailPrefs(ctx, actor.ID)
		if err != nil {
			return nil, 0, err
		}
		return LoadZone(p.TimeZone), 48, nil
	})
	if err != nil || l == nil {
		return time.UTC
	}
	return l
}

// CachedZone is Zone from memory only, for pages made while the database
// does not answer: UTC when the member's zone is not held.
func (s *Service) CachedZone(actor *Member) *time.Location {
	if actor == nil {
		return time.UTC
	}
	if l, ok := s.zones.get().Get(actor.ID, s.changes.PrefsVersion(actor.ID)); ok && l != nil {
		return l
	}
	return time.UTC
}
