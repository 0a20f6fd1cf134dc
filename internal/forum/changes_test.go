package forum

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestChangesAreFineGrained: each change moves the versions of what shows
// it and no others. The forum: thread 1 in category 2 (under 1), thread 2
// in category 3; members 7 and 8.
func TestChangesAreFineGrained(t *testing.T) {
	type moved struct {
		threads, cats []int64 // versions that move (stamps)
		front         bool    // the categories' list and the latest threads
		hidden        bool    // the Hidden of those moves too
		prefs         []int64 // members whose time zone must be read again
		shown         []int64 // members whose pages' Shown no longer hold
		sessions      []int64 // members whose sessions' no longer hold
		all           bool    // every page's version moves
	}
	for _, tt := range []struct {
		name   string
		change func(c *Changes)
		want   moved
	}{
		{"a reply", func(c *Changes) { c.PostAdded(1, 2, 1) }, moved{threads: []int64{1}, cats: []int64{2, 1}, front: true}},
		{"a reply in a top-level category", func(c *Changes) { c.PostAdded(2, 3) }, moved{threads: []int64{2}, cats: []int64{3}, front: true}},
		{"a post restored", func(c *Changes) { c.PostRestored(1, 2, 1) }, moved{threads: []int64{1}, cats: []int64{2, 1}, front: true}},
		{"a thread pinned", func(c *Changes) { c.ThreadChanged(1, 2, 1) }, moved{threads: []int64{1}, cats: []int64{2, 1}, front: true}},
		{"an edit", func(c *Changes) { c.PostEdited(1) }, moved{threads: []int64{1}, hidden: true}},
		{"a deletion", func(c *Changes) { c.PostDeleted(1, 2, 1) }, moved{threads: []int64{1}, cats: []int64{2, 1}, front: true, hidden: true}},
		{"a like", func(c *Changes) { c.PostLiked(1) }, moved{threads: []int64{1}}},
		{"a profile edit", func(c *Changes) { c.MemberChanged(7) }, moved{shown: []int64{7}, sessions: []int64{7}}},
		{"a time zone chosen", func(c *Changes) { c.PrefsChanged(7) }, moved{prefs: []int64{7}}},
		{"a logout", func(c *Changes) { c.SessionsEnded(8) }, moved{sessions: []int64{8}}},
		{"a category renamed", func(c *Changes) { c.ForumChanged() }, moved{all: true}},
		{"a category made private", func(c *Changes) { c.VisibilityChanged() }, moved{all: true, hidden: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, twice := range []bool{false, true} { // recording it again changes nothing more in kind
				c := newChanges()
				c.PostAdded(1, 2, 1) // some history
				c.MemberChanged(8)
				threads := func() []Version { return []Version{c.ThreadVersion(1), c.ThreadVersion(2)} }
				cats := func() []Version { return []Version{c.CategoryVersion(1), c.CategoryVersion(2), c.CategoryVersion(3)} }
				t0, c0, f0, l0 := threads(), cats(), c.FrontVersion(), c.LatestVersion()
				p0 := []uint64{c.PrefsVersion(7), c.PrefsVersion(8)}
				v := c.MembersVersion()
				shown := map[int64]*Shown{7: c.Shows(v, []int64{7, 7}), 8: c.Shows(v, []int64{8})}
				held := map[int64]*Shown{7: c.Holds(v, 7), 8: c.Holds(v, 8)}
				tt.change(c)
				if twice {
					tt.change(c)
				}
				check := func(what string, id int64, before, after Version, move bool) {
					t.Helper()
					move = move || tt.want.all
					if (after.Stamp != before.Stamp) != move {
						t.Errorf("%s %d: stamp moved %v, want %v", what, id, after.Stamp != before.Stamp, move)
					}
					if hid := move && tt.want.hidden; (after.Hidden != before.Hidden) != hid {
						t.Errorf("%s %d: hidden moved %v, want %v", what, id, after.Hidden != before.Hidden, hid)
					}
				}
				for i, v := range threads() {
					check("thread", int64(i+1), t0[i], v, slices.Contains(tt.want.threads, int64(i+1)))
				}
				for i, v := range cats() {
					check("category", int64(i+1), c0[i], v, slices.Contains(tt.want.cats, int64(i+1)))
				}
				check("front page", 0, f0, c.FrontVersion(), tt.want.front)
				check("latest threads", 0, l0, c.LatestVersion(), tt.want.front)
				for i, id := range []int64{7, 8} {
					if moved := c.PrefsVersion(id) != p0[i]; moved != slices.Contains(tt.want.prefs, id) {
						t.Errorf("member %d's preferences: moved %v", id, moved)
					}
				}
				for id, s := range shown {
					if c.Current(s) == slices.Contains(tt.want.shown, id) {
						t.Errorf("a page showing member %d: current %v", id, c.Current(s))
					}
				}
				for id, s := range held {
					if c.Current(s) == slices.Contains(tt.want.sessions, id) {
						t.Errorf("a session of member %d: current %v", id, c.Current(s))
					}
				}
			}
		})
	}
}

// TestShowsRefusesAMemberChangedMeanwhile: data read after a version was
// taken, while a member changed, cannot be told apart from older data, so
// Shows says not to keep it; once checked again after a change elsewhere,
// a Shown stays quick and right.
func TestShowsRefusesAMemberChangedMeanwhile(t *testing.T) {
	c := newChanges()
	v := c.ThreadVersion(1)
	c.MemberChanged(9) // anyone: the data read meanwhile may show them
	if s := c.Shows(v, []int64{7}); s != nil {
		t.Error("Shows kept data read while a member changed")
	}
	if c.Current(nil) {
		t.Error("a nil Shown is current")
	}
	v = c.ThreadVersion(1)
	s := c.Shows(v, []int64{7})
	c.MemberChanged(9)
	if !c.Current(s) || !c.Current(s) {
		t.Error("a change to another member made the page stale")
	}
	if s.people.Load() != c.people.Load() {
		t.Error("Current did not remember where it found the sum right")
	}
	c.MemberChanged(7)
	if c.Current(s) {
		t.Error("a change to a member shown left the page current")
	}
}

// TestVersionCovers: a rendering in flight stands in for a reader's own
// only if it read its version after every change the reader's counts, a
// member's rename included, though that moves no page's stamp.
func TestVersionCovers(t *testing.T) {
	c := newChanges()
	before := c.CategoryVersion(1)
	if !before.Covers(before) {
		t.Error("a version does not cover itself")
	}
	c.MemberChanged(7)
	after := c.CategoryVersion(1)
	if after.Stamp != before.Stamp {
		t.Fatal("a member's change moved the category's stamp")
	}
	if before.Covers(after) {
		t.Error("a version read before a rename covers one read after it")
	}
	if !after.Covers(before) {
		t.Error("a later version does not cover an earlier one")
	}
	c.PostAdded(5, 1)
	if after.Covers(c.CategoryVersion(1)) {
		t.Error("a version read before a reply covers one read after it")
	}
}

// TestChangesConcurrentUse records changes and reads versions at once
// (run with -race); counts only grow, so a version read after all
// writes differs from one read before.
func TestChangesConcurrentUse(t *testing.T) {
	c := newChanges()
	v0, f0 := c.ThreadVersion(1), c.FrontVersion()
	s := c.Shows(c.MembersVersion(), []int64{1, 2, 3})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				id := int64(i%5 + 1)
				switch (g + i) % 5 {
				case 0:
					c.PostAdded(id, id)
				case 1:
					c.PostDeleted(id, id)
				case 2:
					c.MemberChanged(id)
				case 3:
					c.Current(s)
					c.Shows(c.ThreadVersion(id), []int64{id})
				case 4:
					_ = fmt.Sprint(c.CategoryVersion(id), c.FrontVersion())
				}
			}
		})
	}
	wg.Wait()
	if c.ThreadVersion(1) == v0 || c.FrontVersion() == f0 || c.Current(s) {
		t.Error("versions did not move")
	}
}
