package e2e

import (
	"strconv"
	"testing"
)

// Bookmarks: Mia bookmarks a reply from its thread page (the button turns
// into "Remove bookmark"), finds it on /bookmarks from the header, opens it
// from there, and removes it there; then the same without JavaScript.
func TestBookmarkFlow(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.admin, c.cat, "Ferry timetables in Lisbon", "Which ferries run late in summer?")
		reply, err := s.app.Service.Reply(t.Context(), c.admin, mustThreadID(t, threadURL), "The Cacilhas ferry runs until 2am.", 0)
		if err != nil {
			t.Fatal(err)
		}
		mia := s.newTab("mia")
		mia.open("/")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.follow(within(post(reply.ID), button("Bookmark")))
		mia.at(threadURL)
		if got := mia.location().Fragment; got != "p"+strconv.FormatInt(reply.ID, 10) {
			t.Errorf("after bookmarking, at #%s, want the post's anchor", got)
		}
		if !mia.has(within(post(reply.ID), button("Remove bookmark"))) {
			t.Error("the bookmarked post does not offer Remove bookmark")
		}

		mia.follow(within("//nav[@aria-label='Account']", link("Bookmarks")))
		mia.at("/bookmarks")
		mia.see("1 bookmark", "Ferry timetables in Lisbon", "The Cacilhas ferry runs until 2am.")
		mia.checkAxe("bookmarks")
		mia.follow(link("Ferry timetables in Lisbon"))
		mia.at(threadURL)
		mia.see("The Cacilhas ferry runs until 2am.")

		mia.open("/bookmarks")
		mia.follow(button("Remove bookmark"))
		mia.at("/bookmarks")
		mia.see("0 bookmarks", "No bookmarks yet")
		mia.checkAxe("bookmarks, empty")
		mia.open(threadURL)
		if mia.has(button("Remove bookmark")) {
			t.Error("the thread page still marks the removed bookmark")
		}

		// Plain forms: no script needed.
		nojs := s.newTab("mia without JavaScript", withoutJavaScript)
		nojs.login(miaEmail, miaPassword)
		nojs.open(threadURL)
		nojs.follow(within(post(reply.ID), button("Bookmark")))
		nojs.follow(within("//nav[@aria-label='Account']", link("Bookmarks")))
		nojs.see("1 bookmark", "The Cacilhas ferry runs until 2am.")
		nojs.follow(button("Remove bookmark"))
		nojs.at("/bookmarks")
		nojs.see("0 bookmarks")
	})
}

// mustThreadID reads the id out of a thread URL /t/{id}/{slug}.
func mustThreadID(t *testing.T, u string) int64 {
	t.Helper()
	var id int64
	for _, ch := range u[len("/t/"):] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + int64(ch-'0')
	}
	if id == 0 {
		t.Fatalf("no thread id in %q", u)
	}
	return id
}
