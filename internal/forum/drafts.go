package forum

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Drafts keep what a member typed into a reply box or a new thread's form
// and left without posting: saved by the page's script when they navigate
// away (and every few seconds while typing), or by the form's "Save
// draft" button, and put back in the form when they return. They are
// private to their member and read only by them, so nothing caches them
// and no event announces them.

const (
	// DraftTTL is how long a draft nobody touched is kept.
	DraftTTL = 30 * 24 * time.Hour
	// MaxDraftsPerMember bounds what one member keeps: the oldest go first.
	MaxDraftsPerMember = 50
	// pruneEvery is how often saving a draft also removes expired ones.
	pruneEvery = time.Hour
)

// Draft is one member's unposted text for one form.
type Draft struct {
	MemberID  int64
	Key       string // "t:THREAD" (a reply) or "c:CATEGORY" (a new thread)
	Title     string // a new thread's title; "" for replies
	Body      string
	UpdatedAt time.Time
}

// DraftStore is the part of Store for drafts and profiles.
type DraftStore interface {
	// SaveDraft inserts or replaces d and deletes the member's drafts
	// beyond the keep newest, in one transaction.
	SaveDraft(ctx context.Context, d *Draft, keep int) error
	// Draft returns a member's draft for key. ErrNotFound if none.
	Draft(ctx context.Context, member int64, key string) (*Draft, error)
	// DraftKeys returns the keys of a member's drafts, sorted.
	DraftKeys(ctx context.Context, member int64) ([]string, error)
	// DeleteDraft removes a draft; no error if there was none.
	DeleteDraft(ctx context.Context, member int64, key string) error
	// PruneDrafts removes drafts last saved before before.
	PruneDrafts(ctx context.Context, before time.Time) (int64, error)

	ProfileStore // profile.go
}

// DraftKeyThread and DraftKeyCategory name a reply's and a new thread's draft.
func DraftKeyThread(id int64) string   { return "t:" + strconv.FormatInt(id, 10) }
func DraftKeyCategory(id int64) string { return "c:" + strconv.FormatInt(id, 10) }

// parseDraftKey splits a key into its kind ('t' or 'c') and id.
func parseDraftKey(key string) (byte, int64, bool) {
	kind, num, ok := strings.Cut(key, ":")
	if !ok || (kind != "t" && kind != "c") {
		return 0, 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != num {
		return 0, 0, false
	}
	return kind[0], id, true
}

// mayDraft checks actor may keep a draft for key: a member who is not
// suspended, for a thread or category they may read.
func (s *Service) mayDraft(ctx context.Context, actor *Member, key string) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "Log in to keep drafts.")
	}
	if actor.Status == StatusSuspended {
		return Errorf(EFORBIDDEN, "Your account cannot do this.")
	}
	kind, id, ok := parseDraftKey(key)
	if !ok {
		return FieldError("key", "That is not a form a draft can be kept for.")
	}
	var err error
	if kind == 't' {
		_, _, _, err = s.thread(ctx, actor, id)
	} else {
		_, _, err = s.Category(ctx, actor, id)
	}
	return err
}

// SaveDraft keeps what actor typed into the form key names. An empty
// draft (no title, no body) deletes it. Its size limits are a post's.
func (s *Service) SaveDraft(ctx context.Context, actor *Member, key, title, body string) error {
	if err := s.mayDraft(ctx, actor, key); err != nil {
		return err
	}
	if !utf8.ValidString(title) || !utf8.ValidString(body) {
		return FieldError("body", "The draft contains invalid characters (not UTF-8).")
	}
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if n := utf8.RuneCountInString(body); n > MaxBodyLen {
		return FieldError("body", "The post must be at most %d characters (it has %d).", MaxBodyLen, n)
	}
	if n := utf8.RuneCountInString(title); n > MaxTitleLen {
		return FieldError("title", "Title must be at most %d characters (it has %d).", MaxTitleLen, n)
	}
	if strings.ContainsRune(body, 0) || strings.ContainsRune(title, 0) {
		return FieldError("body", "The draft contains a NUL character.")
	}
	now := s.now()
	s.pruneDrafts(ctx, now)
	if strings.TrimSpace(title) == "" && strings.TrimSpace(body) == "" {
		return s.DeleteDraft(ctx, actor, key)
	}
	d := &Draft{MemberID: actor.ID, Key: key, Title: title, Body: body, UpdatedAt: now}
	err := s.store.SaveDraft(ctx, d, MaxDraftsPerMember)
	s.changes.DraftsChanged(actor.ID) // perhaps a new form, or one pruned: also if it failed halfway
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

// draftKeys returns the forms actor has drafts for, from the cache while
// none was saved for a new form or dropped: most thread pages a member
// reads have no draft, and telling so costs no query.
func (s *Service) draftKeys(ctx context.Context, actor *Member) ([]string, error) {
	v := s.changes.DraftsVersion(actor.ID) // before reading
	return s.drafts.Load(actor.ID, v, func() ([]string, int, error) {
		keys, err := s.store.DraftKeys(ctx, actor.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("drafts of member %d: %w", actor.ID, err)
		}
		size := 48
		for _, k := range keys {
			size += 16 + len(k)
		}
		return keys, size, nil
	})
}

// hasDraft reports whether actor may have a draft for key: false only
// when the cache of their drafts' keys says there is none.
func (s *Service) hasDraft(ctx context.Context, actor *Member, key string) (bool, error) {
	keys, err := s.draftKeys(ctx, actor)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(keys, key)
	return found, nil
}

// Draft returns actor's draft for key, or nil if there is none (or it
// expired, or the form is no longer theirs to use).
func (s *Service) Draft(ctx context.Context, actor *Member, key string) (*Draft, error) {
	if actor == nil {
		return nil, nil
	}
	if _, _, ok := parseDraftKey(key); !ok {
		return nil, nil
	}
	if has, err := s.hasDraft(ctx, actor, key); err != nil || !has {
		return nil, err
	}
	d, err := s.store.Draft(ctx, actor.ID, key)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.now().Sub(d.UpdatedAt) > DraftTTL {
		return nil, nil
	}
	return d, nil
}

// DeleteDraft removes actor's draft for key: after the post was made.
// Most posts had no draft, and then nothing is written. (A draft saved a
// moment ago on another node, whose event is not here yet, stays: it
// comes back in the box, a nuisance, not a loss.)
func (s *Service) DeleteDraft(ctx context.Context, actor *Member, key string) error {
	if actor == nil {
		return nil
	}
	if has, err := s.hasDraft(ctx, actor, key); err == nil && !has {
		return nil
	}
	err := s.store.DeleteDraft(ctx, actor.ID, key)
	s.changes.DraftsChanged(actor.ID)
	return err
}

// pruneDrafts removes expired drafts at most once an hour per process,
// on the way of a save: no background job to wire, and a failure only
// leaves them for the next time.
func (s *Service) pruneDrafts(ctx context.Context, now time.Time) {
	last := s.draftsPruned.Load()
	if now.Unix()-last < int64(pruneEvery/time.Second) || !s.draftsPruned.CompareAndSwap(last, now.Unix()) {
		return
	}
	if n, _ := s.store.PruneDrafts(ctx, now.Add(-DraftTTL)); n > 0 {
		s.changes.DraftsChanged(0)
	}
}

// PruneDrafts removes the drafts nobody saved for DraftTTL, and says how many.
func (s *Service) PruneDrafts(ctx context.Context) (int64, error) {
	n, err := s.store.PruneDrafts(ctx, s.now().Add(-DraftTTL))
	if n > 0 {
		s.changes.DraftsChanged(0)
	}
	return n, err
}

// Preview renders a post's source as it would be posted, with a post's
// limits, and saves nothing.
func (s *Service) Preview(src string) (string, error) {
	b, err := body(src)
	if err != nil {
		return "", err
	}
	html, err := s.markup.Render(b)
	if err != nil {
		return "", renderError(err, "render preview")
	}
	return html, nil
}
