package forum

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Changes counts writes so that what was derived from the store (a cached
// page, a thread page, a session, later a live update) can tell whether it
// is still current. Counts are kept as fine as the pages that depend on
// them:
//
//   - a thread's pages: the thread's count (its posts, flags, deletion);
//   - a category's page: the category's count (its threads and their last
//     posts; a sub-category's too, since its parent lists its counts);
//   - the categories' list: its own count (every category's counts and latest post);
//   - the latest threads across categories: their own count (any thread's activity);
//   - every page: the global count (category names and visibility, setup).
//
// Pages also show members (authors, last posters), and a session holds
// its member. Which members is known only once the data is read, so those
// are not in a page's count: a cached value carries a Shown, the sum of
// its members' counts, which Current checks. See Shows.
//
// Hidden counts only the changes that take something away from readers
// (a post deleted or edited, a thread deleted, a category made members-
// or staff-only): a saved copy served while the database is down may be
// older than the forum, but must never show what the forum would now
// refuse.
//
// The methods that record a change are named for what happened and take
// only ids. Each moves counts on, so calling one twice is harmless: the
// service calls them after its own writes, and a consumer of the event
// stream calls the same ones for writes made elsewhere. Changes is safe
// for concurrent use.
type Changes struct {
	mu                     sync.RWMutex
	global, hiddenGlobal   uint64
	front, hiddenFront     uint64
	latest, hiddenLatest   uint64 // the latest threads across categories
	threads, hiddenThreads map[int64]uint64
	states                 map[int64]uint64 // what a reply to a thread checks: deleted, locked (not its posts)
	categories, hiddenCats map[int64]uint64
	members                map[int64]uint64 // what pages show of a member: name, title, role
	accounts               map[int64]uint64 // what its sessions hold besides: the password, the sessions
	people                 atomic.Uint64    // moves with every count of members or accounts
	bookmarks              map[int64]uint64 // a member's bookmarks
	bells                  map[int64]uint64 // a member's unread notifications; 0: everyone's (a thread deleted, many notified at once)
	drafts                 map[int64]uint64 // which forms a member has drafts for; 0: everyone's (expired drafts pruned)
	levels                 map[int64]uint64 // a member's levels on threads
	prefs                  map[int64]uint64 // a member's mail preferences and time zone
	edits                  uint64           // every post edit: feeds list first posts' words
}

// Version is a snapshot of the counts something was derived from, read
// before the data. Stamp moves with every change to what depends on it
// (but for the members it shows, see Shown); Hidden moves when something
// it may show was taken away (and Stamp with it).
type Version struct {
	Stamp, Hidden uint64
	people        uint64 // for Shows: had any member changed since?
}

// Covers reports whether v was read after every change w counts: data
// read after v is as fresh as data read after w. The members' changes
// count too, though they are not in Stamp: a page rendered before a
// rename must not stand in for one asked for after it.
func (v Version) Covers(w Version) bool {
	return v.Stamp >= w.Stamp && v.Hidden >= w.Hidden && v.people >= w.people
}

func newChanges() *Changes {
	return &Changes{
		threads: map[int64]uint64{}, hiddenThreads: map[int64]uint64{}, states: map[int64]uint64{},
		categories: map[int64]uint64{}, hiddenCats: map[int64]uint64{},
		members: map[int64]uint64{}, accounts: map[int64]uint64{},
		bookmarks: map[int64]uint64{}, bells: map[int64]uint64{}, drafts: map[int64]uint64{}, levels: map[int64]uint64{}, prefs: map[int64]uint64{},
	}
}

// Sums of counts that only grow: equal sums mean none of them moved.

// ThreadVersion is the version a thread's pages depend on.
func (c *Changes) ThreadVersion(id int64) Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{c.global + c.threads[id], c.hiddenGlobal + c.hiddenThreads[id], c.people.Load()}
}

// ThreadStateVersion is the version of what a reply to a thread checks
// (whether it is deleted or locked, and its category's rules, which move
// the global count): replies do not move it.
func (c *Changes) ThreadStateVersion(id int64) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.global + c.states[id]
}

// CategoryVersion is the version a category's pages depend on.
func (c *Changes) CategoryVersion(id int64) Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{c.global + c.categories[id], c.hiddenGlobal + c.hiddenCats[id], c.people.Load()}
}

// FrontVersion is the version the front page depends on.
func (c *Changes) FrontVersion() Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{c.global + c.front, c.hiddenGlobal + c.hiddenFront, c.people.Load()}
}

// LatestVersion is the version the latest threads across categories
// depend on: any post or thread change moves it, an edit or a like not
// (the list shows neither words nor likes).
func (c *Changes) LatestVersion() Version {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Version{c.global + c.latest, c.hiddenGlobal + c.hiddenLatest, c.people.Load()}
}

// FrontFeedVersion is the version the latest threads' feed depends on:
// the front page's, and every edit, since the feed shows first posts'
// words, which the front page does not.
func (c *Changes) FrontFeedVersion() Version {
	v := c.FrontVersion()
	c.mu.RLock()
	v.Stamp += c.edits
	v.Hidden += c.edits // an edit takes the old words away
	c.mu.RUnlock()
	return v
}

// CategoryFeedVersion is the version a category's feed depends on: its
// page's, and every edit (see FrontFeedVersion).
func (c *Changes) CategoryFeedVersion(id int64) Version {
	v := c.CategoryVersion(id)
	c.mu.RLock()
	v.Stamp += c.edits
	v.Hidden += c.edits // an edit takes the old words away
	c.mu.RUnlock()
	return v
}

// count and bump read and move one member's count in one of the
// per-member maps (bookmarks, bells, levels, preferences).
func (c *Changes) count(m map[int64]uint64, id int64) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return m[id]
}

// countWithAll is count for the maps whose id 0 counts the changes to
// every member's (bells, drafts).
func (c *Changes) countWithAll(m map[int64]uint64, id int64) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return m[id] + m[0]
}

func (c *Changes) bump(m map[int64]uint64, id int64) {
	c.mu.Lock()
	m[id]++
	c.mu.Unlock()
}

// BookmarksVersion is the version of member id's bookmarks.
func (c *Changes) BookmarksVersion(id int64) uint64 {
	return c.count(c.bookmarks, id)
}

// BookmarksChanged records that member id bookmarked a post or took a
// bookmark back: only what shows that member's bookmarks changes.
func (c *Changes) BookmarksChanged(id int64) {
	c.bump(c.bookmarks, id)
}

// BellVersion is the version of member id's count of unread notifications.
func (c *Changes) BellVersion(id int64) uint64 {
	return c.countWithAll(c.bells, id)
}

// NotificationsChanged records that member id's notifications came or
// were read; id 0 means any member's.
func (c *Changes) NotificationsChanged(id int64) {
	c.bump(c.bells, id)
}

// DraftsVersion is the version of which forms member id has drafts for.
func (c *Changes) DraftsVersion(id int64) uint64 {
	return c.countWithAll(c.drafts, id)
}

// DraftsChanged records that member id saved a draft for another form or
// dropped one; id 0 means any member's (expired drafts pruned).
func (c *Changes) DraftsChanged(id int64) {
	c.bump(c.drafts, id)
}

// LevelsVersion is the version of member id's levels on threads.
func (c *Changes) LevelsVersion(id int64) uint64 {
	return c.count(c.levels, id)
}

// LevelsChanged records that member id chose a level, or posted (which
// starts tracking a thread).
func (c *Changes) LevelsChanged(id int64) {
	c.bump(c.levels, id)
}

// PrefsVersion is the version of member id's preferences (the time zone
// their pages show times in).
func (c *Changes) PrefsVersion(id int64) uint64 {
	return c.count(c.prefs, id)
}

// PrefsChanged records that member id's mail preferences or time zone
// changed: only what is kept of them (the zone) changes.
func (c *Changes) PrefsChanged(id int64) {
	c.bump(c.prefs, id)
}

// MembersVersion is the version of what depends on members alone (a
// session): Stamp is always 0, and Holds says which member.
func (c *Changes) MembersVersion() Version {
	return Version{people: c.people.Load()}
}

// Shown is the members a cached value shows, and the sum of their counts
// when it was made. Nil means it could not be told (a member changed while
// the data was read): such a value must not be kept.
type Shown struct {
	ids     []int64
	account bool // counts of accounts, not members: a session
	sum     uint64
	// people is a count of all members' changes at which sum was found
	// right: while nobody changed, checking costs one atomic load.
	people atomic.Uint64
}

// Shows returns what a value derived from data read after v shows of
// members ids: nil if any member changed since v was read, since then the
// names in the data may be older or newer than their counts now.
//
// Why this is enough: while the people count stays where it was when v
// was read, no member's count moved, so the counts read now are those from
// before the data; and a change after now moves a count in the sum, which
// Current sees.
func (c *Changes) Shows(v Version, ids []int64) *Shown {
	return c.shows(v, ids, false)
}

// Holds is Shows for a session of member id: it holds what pages show of
// the member and its account too (password, sessions).
func (c *Changes) Holds(v Version, id int64) *Shown {
	return c.shows(v, []int64{id}, true)
}

func (c *Changes) shows(v Version, ids []int64, account bool) *Shown {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.people.Load() != v.people {
		return nil
	}
	s := &Shown{ids: ids, account: account, sum: c.sum(ids, account)}
	s.people.Store(v.people)
	return s
}

func (c *Changes) sum(ids []int64, account bool) uint64 {
	m := c.members
	if account {
		m = c.accounts
	}
	var n uint64
	for _, id := range ids {
		n += m[id]
	}
	return n
}

// Current reports whether no member s shows has changed since s was made.
func (c *Changes) Current(s *Shown) bool {
	if s == nil {
		return false
	}
	if s.people.Load() == c.people.Load() {
		return true // nobody changed at all
	}
	c.mu.RLock()
	people, sum := c.people.Load(), c.sum(s.ids, s.account)
	c.mu.RUnlock()
	if sum != s.sum {
		return false
	}
	s.people.Store(people) // still right at this count: the next check is quick again
	return true
}

// PostAdded records a new post in a thread (a reply, or a new thread's
// first post): the thread's pages, the lists of categories (the thread's
// and its parent's, which shows its sub-categories' counts) and the front
// page change, and no other category's page. A caller that knows only the
// thread's category looks its parent up: a category moves only with
// ForumChanged, which moves every page anyway.
func (c *Changes) PostAdded(thread int64, categories ...int64) {
	c.mu.Lock()
	c.threads[thread]++
	for _, id := range categories {
		c.categories[id]++
	}
	c.front++
	c.latest++
	c.mu.Unlock()
}

// PostRestored records a deleted post (or thread) back: as PostAdded,
// and the thread's state (it may have been the thread restored).
func (c *Changes) PostRestored(thread int64, categories ...int64) {
	c.stateChanged(thread)
	c.PostAdded(thread, categories...)
}

// ThreadChanged records a change to a thread itself (pinned, locked):
// its pages, its state, the lists of categories that show it and the
// front page.
func (c *Changes) ThreadChanged(thread int64, categories ...int64) {
	c.stateChanged(thread)
	c.PostAdded(thread, categories...)
}

func (c *Changes) stateChanged(thread int64) {
	c.mu.Lock()
	c.states[thread]++
	c.mu.Unlock()
}

// PostEdited records a post's new words: only its thread's pages show
// them, and their saved copies must not keep the old ones.
func (c *Changes) PostEdited(thread int64) {
	c.mu.Lock()
	c.threads[thread]++
	c.hiddenThreads[thread]++
	c.edits++
	c.mu.Unlock()
}

// PostLiked records a like given or taken back: only its thread's pages
// show the count.
func (c *Changes) PostLiked(thread int64) {
	c.mu.Lock()
	c.threads[thread]++
	c.mu.Unlock()
}

// PostDeleted records a post deleted (the whole thread, if it was the
// first): as PostAdded, and what showed it (the thread's pages; lists,
// where the thread and its last post show) must not keep saved copies.
func (c *Changes) PostDeleted(thread int64, categories ...int64) {
	c.mu.Lock()
	c.threads[thread]++
	c.states[thread]++ // it may have been the first: the thread deleted
	c.hiddenThreads[thread]++
	for _, id := range categories {
		c.categories[id]++
		c.hiddenCats[id]++
	}
	c.front++
	c.hiddenFront++
	c.latest++
	c.hiddenLatest++
	c.mu.Unlock()
}

// MemberChanged records a change to what pages show of a member (name,
// title, role) or to what decides whether it may use the forum (status):
// the pages showing the member and its sessions change, no others.
func (c *Changes) MemberChanged(id int64) {
	c.mu.Lock()
	c.members[id]++
	c.accounts[id]++
	c.people.Add(1)
	c.mu.Unlock()
}

// SessionsEnded records that sessions of a member ended or changed (a
// logout, a password change): its cached sessions are read again, and no
// page changes.
func (c *Changes) SessionsEnded(id int64) {
	c.mu.Lock()
	c.accounts[id]++
	c.people.Add(1)
	c.mu.Unlock()
}

// ForumChanged records a change that may show on every page: a category
// created, renamed or moved, setup done. Rare admin actions, so coarse.
func (c *Changes) ForumChanged() {
	c.mu.Lock()
	c.global++
	c.mu.Unlock()
}

// VisibilityChanged records that what guests or members may see changed
// (a category became members-only or staff-only, or moved under one that
// is): every page may show what is no longer visible.
func (c *Changes) VisibilityChanged() {
	c.mu.Lock()
	c.global++
	c.hiddenGlobal++
	c.mu.Unlock()
}
