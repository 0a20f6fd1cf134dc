package roster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"hearth/internal/forum"
)

// Store is what the consumer reads (internal/store).
type Store interface {
	MemberByID(ctx context.Context, id int64) (*forum.Member, error)
	ListMembers(ctx context.Context, status forum.MemberStatus, limit int) ([]*forum.Member, error)
	// MailBounced says whether mail to the member's address stopped
	// because it bounced.
	MailBounced(ctx context.Context, memberID int64) (bool, string, error)
	// MailOptOut says whether the member unsubscribed from broadcasts.
	MailOptOut(ctx context.Context, memberID int64) (bool, error)
	// MailStops returns the members whose address bounces and those off
	// broadcasts, all at once: what a rebuild asks.
	MailStops(ctx context.Context) (bounced, optedOut map[int64]bool, err error)
}

// mailStops are MailStops' answers, for a rebuild; nil asks per member.
type mailStops struct{ bounced, optedOut map[int64]bool }

// TokenFunc makes a member's one-click unsubscribe token for broadcasts:
// forum.Service.MailToken(ctx, forum.TokenUnsubscribe, id, List).
type TokenFunc func(ctx context.Context, memberID int64) (string, error)

// List is the mail list broadcasts are: the extra of their unsubscribe
// tokens.
const List = "broadcast"

// Consumer keeps the roster of DataDir current from the event stream
// (internal/events). On each member event it reads that member's row again
// and lists, changes or drops them, so handling an event twice after a
// crash changes nothing. Its first batch in each process rebuilds the
// whole roster first (the lease may have come from a node whose data
// directory held the roster until now), and so does every hour.
type Consumer struct {
	Store   Store
	Token   TokenFunc
	DataDir string
	Key     []byte // nil: the roster is written in the clear
	Site    string
	BaseURL string
	Log     *slog.Logger
	// Every is how often the roster is rebuilt in full; default an hour.
	Every time.Duration

	mu      sync.Mutex
	rebuilt time.Time
}

// Name is the consumer's cursor in event_cursors.
func (c *Consumer) Name() string { return "roster" }

// mailable says whether member m belongs on the roster and, if so, whether
// a broadcast skips them (unsubscribed from broadcasts, or an address that
// bounces). Members pending approval are listed: an outage concerns those
// waiting to take part too. Suspended members are not.
func (c *Consumer) mailable(ctx context.Context, m *forum.Member, stops *mailStops) (listed, unsub, bounced bool, err error) {
	if m.Status != forum.StatusActive && m.Status != forum.StatusPending {
		return false, false, false, nil
	}
	if stops != nil {
		return true, stops.optedOut[m.ID], stops.bounced[m.ID], nil
	}
	if bounced, _, err = c.Store.MailBounced(ctx, m.ID); err != nil {
		return false, false, false, fmt.Errorf("roster: mail state of member %d: %w", m.ID, err)
	}
	if unsub, err = c.Store.MailOptOut(ctx, m.ID); err != nil {
		return false, false, false, fmt.Errorf("roster: mail preferences of member %d: %w", m.ID, err)
	}
	return true, unsub, bounced, nil
}

// Handle applies the member events of evs, durably, before returning.
func (c *Consumer) Handle(ctx context.Context, evs []forum.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stale() {
		return c.rebuild(ctx, lastID(evs))
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, e := range evs {
		switch {
		case e.Kind == forum.EventImported:
			// Rows written behind the service's back: read them all.
			return c.rebuild(ctx, lastID(evs))
		case strings.HasPrefix(string(e.Kind), "member.") && e.MemberID != 0 && !seen[e.MemberID]:
			seen[e.MemberID] = true
			ids = append(ids, e.MemberID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	type change struct {
		id    int64
		entry *Entry // nil: drop
	}
	changes := make([]change, 0, len(ids))
	for _, id := range ids {
		m, err := c.Store.MemberByID(ctx, id)
		if errors.Is(err, forum.ErrNotFound) {
			changes = append(changes, change{id: id})
			continue
		}
		if err != nil {
			return fmt.Errorf("roster: %w", err)
		}
		e, err := c.entry(ctx, m, nil)
		if err != nil {
			return err
		}
		changes = append(changes, change{id: id, entry: e})
	}
	err := Update(c.DataDir, c.Key, func(r *Roster) error {
		for _, ch := range changes {
			if ch.entry == nil {
				r.remove(ch.id)
			} else {
				r.put(*ch.entry)
			}
		}
		r.Site, r.BaseURL = c.Site, c.BaseURL
		r.LastEvent = max(r.LastEvent, lastID(evs))
		return nil
	})
	if errors.Is(err, ErrNeedKey) || errors.Is(err, ErrDamaged) {
		// Written with another key (or encrypted, and now no key), or
		// damaged: start it afresh rather than stop following events.
		if c.Log != nil {
			c.Log.Warn("the member roster could not be read; it is rebuilt", "err", err, "encrypted", c.Key != nil)
		}
		return c.rebuild(ctx, lastID(evs))
	}
	return err
}

// stale reports whether the roster must be rebuilt before events apply.
func (c *Consumer) stale() bool {
	every := c.Every
	if every <= 0 {
		every = time.Hour
	}
	return c.rebuilt.IsZero() || time.Since(c.rebuilt) > every
}

func lastID(evs []forum.Event) int64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// entry is member m's line, or nil if m is not listed.
func (c *Consumer) entry(ctx context.Context, m *forum.Member, stops *mailStops) (*Entry, error) {
	listed, unsub, bounced, err := c.mailable(ctx, m, stops)
	if !listed || err != nil {
		return nil, err
	}
	tok, err := c.Token(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("roster: unsubscribe link of member %d: %w", m.ID, err)
	}
	return &Entry{ID: m.ID, Name: m.Name, Email: m.Email, Status: m.Status,
		Unsubscribed: unsub, Bounced: bounced,
		UnsubscribeURL: strings.TrimRight(c.BaseURL, "/") + "/unsubscribe/" + tok}, nil
}

// Rebuild writes the roster afresh from every member row.
func (c *Consumer) Rebuild(ctx context.Context) (Counts, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rebuild(ctx, 0); err != nil {
		return Counts{}, err
	}
	r, err := Load(c.DataDir, c.Key)
	if err != nil {
		return Counts{}, err
	}
	return r.Counts(), nil
}

func (c *Consumer) rebuild(ctx context.Context, lastEvent int64) error {
	ms, err := c.Store.ListMembers(ctx, "", 0)
	if err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	var stops mailStops
	if stops.bounced, stops.optedOut, err = c.Store.MailStops(ctx); err != nil {
		return fmt.Errorf("roster: %w", err)
	}
	now := time.Now().UTC()
	r := &Roster{Site: c.Site, BaseURL: c.BaseURL, BuiltAt: now, LastEvent: lastEvent}
	for _, m := range ms {
		e, err := c.entry(ctx, m, &stops)
		if err != nil {
			return err
		}
		if e != nil {
			r.put(*e)
		}
	}
	if err := Replace(c.DataDir, c.Key, r); err != nil {
		return err
	}
	c.rebuilt = now
	if c.Log != nil {
		c.Log.Info("member roster rebuilt", "listed", len(r.Entries), "path", Path(c.DataDir))
	}
	return nil
}

// Run rebuilds the roster when this process has not yet (or not for an
// hour), checking every few seconds while held says this node does the
// forum's singleton work (nil: always), so a forum with no member
// events has its roster from the start too.
func (c *Consumer) Run(ctx context.Context, held func() bool) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		if held == nil || held() {
			c.mu.Lock()
			if c.stale() {
				if err := c.rebuild(ctx, 0); err != nil && ctx.Err() == nil && c.Log != nil {
					c.Log.Warn("the member roster could not be rebuilt; it is tried again shortly", "err", err)
				}
			}
			c.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
