package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Unread markers, at both sizes: a new thread is marked on the front page
// and the category; reading clears it; another member's reply brings a
// marker back, and its link jumps to the first unread post, on the next
// page when it is there; "Mark this category read" clears what is left.
func TestUnreadMarkers(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.admin, c.cat, "Lisbon in March", "Who has been in March?")
		catURL := fmt.Sprintf("/c/%d/%s", c.cat.ID, c.cat.Slug)
		target := func(b *tab, want string) {
			t.Helper()
			if got := eval[string](b, `(document.querySelector(':target') || {}).id || ''`); got != want {
				t.Errorf("%s: the page %s jumped to %q, want %q", b.who, b.path(), got, want)
			}
		}

		mia := s.newTab("mia")
		mia.open("/")
		mia.login(miaEmail, miaPassword)
		mia.open("/categories")
		mia.see("1 new")
		mia.checkAxe("front page with unread counts")
		mia.follow(link("Destinations"))
		if !mia.has("//span[@class='badge new']") {
			t.Fatal("the new thread has no New marker")
		}
		mia.see("1 unread")
		mia.checkAxe("category page with unread markers")
		mia.follow(link("Lisbon in March"))
		mia.open(catURL)
		mia.dontSee("1 unread")
		if mia.has("//span[@class='badge new']") {
			t.Error("the thread is still marked new after reading it")
		}

		// Another member replies, in their browser.
		ada := s.newTab("admin")
		ada.open("/")
		ada.login(adminEmail, adminPassword)
		ada.open(threadURL)
		ada.fill("Your post", "I was there last March: book the ferry early.")
		ada.follow(button("Post reply"))

		mia.open("/")
		mia.see("1 unread")
		mia.open(catURL)
		mia.follow(link("1 unread"))
		mia.at(threadURL)
		target(mia, "n2")
		mia.see("book the ferry early")
		mia.open(catURL)
		mia.dontSee("unread")

		// 25 more replies: the jump goes to #3 on page 1, then, once page 1
		// is read, to #21 on page 2.
		for i := range 25 {
			if _, err := s.app.Service.Reply(t.Context(), c.admin, threadIDOf(t, threadURL), fmt.Sprintf("Reply number %d.", i), 0); err != nil {
				t.Fatal(err)
			}
		}
		mia.open(catURL)
		mia.follow(link("25 unread"))
		target(mia, "n3")
		mia.open(catURL)
		mia.follow(link("7 unread"))
		if u := mia.location(); u.Query().Get("page") != "2" {
			t.Errorf("the jump went to %s, want page 2", u)
		}
		target(mia, "n21")
		mia.open(catURL)
		mia.dontSee("unread")

		// Mark the category read.
		if _, err := s.app.Service.Reply(t.Context(), c.admin, threadIDOf(t, threadURL), "One more.", 0); err != nil {
			t.Fatal(err)
		}
		mia.open(catURL)
		mia.see("1 unread")
		mia.follow(button("Mark this category read"))
		mia.at(catURL)
		mia.dontSee("1 unread")
	})
}

// threadIDOf reads the id out of a thread URL /t/{id}/{slug}.
func threadIDOf(t *testing.T, u string) int64 {
	var id int64
	if _, err := fmt.Sscanf(strings.TrimPrefix(u, "/t/"), "%d", &id); err != nil {
		t.Fatalf("thread URL %q: %v", u, err)
	}
	return id
}
