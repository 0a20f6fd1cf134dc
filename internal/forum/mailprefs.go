package forum

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // members' time zones resolve on any machine, the static binary's too
)

// MailFrequency is how a member wants one kind of mail.
type MailFrequency string

const (
	FreqInstant MailFrequency = "instant" // soon after it happens (one mail per thread per window)
	FreqDaily   MailFrequency = "daily"   // in the daily digest
	FreqWeekly  MailFrequency = "weekly"  // in the weekly digest
	FreqNever   MailFrequency = "never"
)

// Valid reports whether f is a known frequency.
func (f MailFrequency) Valid() bool {
	return f == FreqInstant || f == FreqDaily || f == FreqWeekly || f == FreqNever
}

// Mail lists: the kinds of mail a member chooses for, named as in the
// unsubscribe links (forum.TokenUnsubscribe's extra).
const (
	ListReplies    = "replies"    // replies in your threads
	ListMentions   = "mentions"   // @handle
	ListQuotes     = "quotes"     // quotes of your posts
	ListThreads    = "threads"    // posts in threads you watch
	ListCategories = "categories" // new threads in categories you watch
	ListDigest     = "digest"     // the forum digest: active and new threads
	ListAll        = "all"        // every list above, and the broadcast
	// ListBroadcast is the status broadcast's list (built elsewhere): its
	// opt-out is MailPrefs.BroadcastOff, which the roster reads.
	ListBroadcast = "broadcast"
)

// MailLists are the lists a member sets a frequency for, in the settings'
// order, with what each is.
var MailLists = []struct{ Name, Label string }{
	{ListReplies, "Replies to your threads"},
	{ListMentions, "Mentions of you (@handle)"},
	{ListQuotes, "Quotes of your posts"},
	{ListThreads, "New posts in threads you watch"},
	{ListCategories, "New threads in categories you watch"},
	{ListDigest, "The forum digest: the most active and the new threads"},
}

// MailPrefs is what mail a member wants, and their time zone.
type MailPrefs struct {
	MemberID     int64
	Freq         map[string]MailFrequency // by list (MailLists); missing means the default
	TimeZone     string                   // IANA name
	BroadcastOff bool
	LastDigestAt time.Time // zero before the first
}

// DefaultMailPrefs are a member's preferences until they change them:
// what concerns them directly, and what they watch, at once (bundled per
// thread); no digest.
func DefaultMailPrefs() MailPrefs {
	return MailPrefs{TimeZone: "UTC", Freq: map[string]MailFrequency{
		ListReplies: FreqInstant, ListMentions: FreqInstant, ListQuotes: FreqInstant,
		ListThreads: FreqInstant, ListCategories: FreqInstant, ListDigest: FreqNever,
	}}
}

// Of returns the frequency of list.
func (p *MailPrefs) Of(list string) MailFrequency {
	if f, ok := p.Freq[list]; ok && f.Valid() {
		return f
	}
	return DefaultMailPrefs().Freq[list]
}

// Location returns the member's time zone, UTC if it does not resolve.
func (p *MailPrefs) Location() *time.Location {
	if l, err := time.LoadLocation(p.TimeZone); err == nil {
		return l
	}
	return time.UTC
}

// ListOf is the mail list a notification kind belongs to; "" for kinds
// that are never mailed (likes).
func ListOf(k NotificationKind) string {
	switch k {
	case NotifyReply:
		return ListReplies
	case NotifyMention:
		return ListMentions
	case NotifyQuote:
		return ListQuotes
	case NotifyPost:
		return ListThreads
	case NotifyThread:
		return ListCategories
	}
	return ""
}

// guessedZone keeps a time zone name the browser sent if it resolves.
func guessedZone(tz string) string {
	tz = strings.TrimSpace(tz)
	if tz == "" || len(tz) > 64 || tz == "Local" {
		return "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "UTC"
	}
	return tz
}

// TimeZones are the zones the settings' select offers (a member's own,
// if elsewhere, is added to it).
var TimeZones = []string{
	"UTC", "Europe/London", "Europe/Lisbon", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Budapest",
	"Europe/Athens", "Europe/Bucharest", "Europe/Istanbul", "Europe/Kyiv", "Europe/Moscow",
	"Africa/Casablanca", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg",
	"Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore",
	"Asia/Hong_Kong", "Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo", "Asia/Manila",
	"Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney", "Pacific/Auckland",
	"Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Phoenix",
	"America/Chicago", "America/Mexico_City", "America/New_York", "America/Toronto", "America/Halifax",
	"America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
}

// MailPrefs returns the actor's mail preferences.
func (s *Service) MailPrefs(ctx context.Context, actor *Member) (*MailPrefs, error) {
	if actor == nil {
		return nil, Errorf(EUNAUTHORIZED, "Log in to choose what mail you get.")
	}
	return s.store.MailPrefs(ctx, actor.ID)
}

// MailPrefsUpdate is what the settings page sends.
type MailPrefsUpdate struct {
	Freq     map[string]string // by list
	TimeZone string
}

// SetMailPrefs saves the actor's mail preferences and time zone, with an
// event in the same transaction.
func (s *Service) SetMailPrefs(ctx context.Context, actor *Member, u MailPrefsUpdate) (*MailPrefs, error) {
	p, err := s.MailPrefs(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, l := range MailLists {
		v, ok := u.Freq[l.Name]
		if !ok {
			continue
		}
		f := MailFrequency(v)
		if !f.Valid() || (l.Name == ListDigest && f == FreqInstant) {
			return nil, FieldError(l.Name, "Choose how often for %q: instantly, daily, weekly or never (the digest: daily, weekly or never).", l.Label)
		}
		p.Freq[l.Name] = f
	}
	if tz := strings.TrimSpace(u.TimeZone); tz != "" {
		if guessedZone(tz) != tz {
			return nil, FieldError("tz", "Unknown time zone %q: choose one from the list.", tz)
		}
		p.TimeZone = tz
	}
	if err := s.store.SaveMailPrefs(ctx, p, s.now()); err != nil {
		return nil, err
	}
	s.changes.PrefsChanged(actor.ID)
	return p, nil
}

// Unsubscribe applies a one-click unsubscribe link's token: the list it
// names (every list with "all") is set to never, or the broadcast turned
// off, at once, with an event. It returns the list.
func (s *Service) Unsubscribe(ctx context.Context, token string) (string, error) {
	id, list, err := s.unsubscribeToken(ctx, token)
	if err != nil {
		return "", err
	}
	p, err := s.store.MailPrefs(ctx, id)
	if err != nil {
		return "", err
	}
	switch list {
	case ListAll:
		for _, l := range MailLists {
			p.Freq[l.Name] = FreqNever
		}
		p.BroadcastOff = true
	case ListBroadcast:
		p.BroadcastOff = true
	case ListDigest:
		// No more digest mail at all: what was kept for it goes too.
		for _, l := range MailLists {
			if f := p.Of(l.Name); f == FreqDaily || f == FreqWeekly {
				p.Freq[l.Name] = FreqNever
			}
		}
		p.Freq[ListDigest] = FreqNever
	default:
		p.Freq[list] = FreqNever
	}
	if err := s.store.SaveMailPrefs(ctx, p, s.now()); err != nil {
		return "", err
	}
	s.changes.PrefsChanged(id)
	return list, nil
}

// UnsubscribeList checks a token and returns the list it unsubscribes from.
func (s *Service) UnsubscribeList(ctx context.Context, token string) (string, error) {
	_, list, err := s.unsubscribeToken(ctx, token)
	return list, err
}

var errUnsubscribeLink = Errorf(ENOTFOUND, "This unsubscribe link is not valid: it may have been cut in two by your mail program. Log in and choose what mail you get at /settings/mail.")

func (s *Service) unsubscribeToken(ctx context.Context, token string) (int64, string, error) {
	id, list, err := s.CheckMailToken(ctx, TokenUnsubscribe, token)
	if errors.Is(err, ErrBadToken) {
		return 0, "", errUnsubscribeLink
	}
	if err != nil {
		return 0, "", err
	}
	if list != ListAll && list != ListBroadcast && !slices.ContainsFunc(MailLists, func(l struct{ Name, Label string }) bool { return l.Name == list }) {
		return 0, "", errUnsubscribeLink
	}
	if _, err := s.store.MemberByID(ctx, id); errors.Is(err, ErrNotFound) {
		return 0, "", errUnsubscribeLink
	} else if err != nil {
		return 0, "", err
	}
	return id, list, nil
}

// ListLabel says what a list is, for the unsubscribe page.
func ListLabel(list string) string {
	switch list {
	case ListAll:
		return "all mail from this forum but account mail (password resets and the like)"
	case ListBroadcast:
		return "status broadcasts"
	}
	for _, l := range MailLists {
		if l.Name == list {
			return strings.ToLower(l.Label[:1]) + l.Label[1:]
		}
	}
	return list
}

// MailOptOut reports whether a member turned the status broadcast off.
func (s *Service) MailOptOut(ctx context.Context, memberID int64) (broadcastOff bool, err error) {
	return s.store.MailOptOut(ctx, memberID)
}
