package forum

import "testing"

// TestFeedAndBookmarkVersions: a feed of a list moves with its page and
// with any edit (it shows first posts' words, its page does not); a
// member's bookmarks move with their own bookmark events only, applied
// from another node as from this one.
func TestFeedAndBookmarkVersions(t *testing.T) {
	s := &Service{changes: newChanges()}
	c := s.changes
	front, cat, other := c.FrontFeedVersion(), c.CategoryFeedVersion(2), c.CategoryFeedVersion(3)
	c.PostEdited(9)
	for name, v := range map[string][2]Version{
		"front":    {front, c.FrontFeedVersion()},
		"category": {cat, c.CategoryFeedVersion(2)},
	} {
		if v[0].Stamp == v[1].Stamp || v[0].Hidden == v[1].Hidden {
			t.Errorf("%s feed: an edit moved stamp %v, hidden %v; want both", name, v[0].Stamp != v[1].Stamp, v[0].Hidden != v[1].Hidden)
		}
	}
	cat, other = c.CategoryFeedVersion(2), c.CategoryFeedVersion(3)
	c.PostAdded(1, 2)
	if c.CategoryFeedVersion(2).Stamp == cat.Stamp || c.CategoryFeedVersion(3).Stamp != other.Stamp {
		t.Error("a reply in category 2 must move its feed and not category 3's")
	}

	b7, b8 := c.BookmarksVersion(7), c.BookmarksVersion(8)
	for _, k := range []EventKind{EventBookmarkAdded, EventBookmarkRemoved} {
		s.ApplyEvent(Event{Kind: k, MemberID: 7, PostID: 5})
		if c.BookmarksVersion(7) == b7 || c.BookmarksVersion(8) != b8 {
			t.Errorf("%s: member 7's bookmarks version moved %v, member 8's %v", k, c.BookmarksVersion(7) != b7, c.BookmarksVersion(8) != b8)
		}
		b7 = c.BookmarksVersion(7)
	}
	front = c.FrontFeedVersion()
	s.ApplyEvent(Event{Kind: EventBookmarkAdded, MemberID: 7})
	if c.FrontFeedVersion() != front {
		t.Error("a bookmark moved the pages' versions")
	}
}

func TestBookmarkSet(t *testing.T) {
	b := BookmarkSet{2, 5, 9}
	for id, want := range map[int64]bool{1: false, 2: true, 5: true, 6: false, 9: true, 10: false} {
		if b.Has(id) != want {
			t.Errorf("Has(%d) = %v", id, !want)
		}
	}
	if BookmarkSet(nil).Has(1) {
		t.Error("an empty set has 1")
	}
}
