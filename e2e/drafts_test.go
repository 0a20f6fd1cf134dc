package e2e

import (
	"testing"
	"time"
)

// TestDraftAutosave: what is typed into a thread's reply box and left
// without posting is saved by the page's script when the member navigates
// away, and is in the box again when they come back. Posting it empties
// the box for good.
func TestDraftAutosave(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.admin, c.cat, "Porto in October", "Worth it in the rain?")
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.typeAtEnd("Your post", "Yes: the port cellars are dry and warm.")
		mia.open("/") // leaving sends the draft (pagehide, sendBeacon)

		// The beacon may land a moment after the next page: look again
		// for a while rather than race it.
		const want = "Yes: the port cellars are dry and warm."
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			mia.open(threadURL)
			if mia.value("Your post") == want {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the reply box holds %q after coming back, want the draft %q", mia.value("Your post"), want)
			}
		}
		mia.follow(button("Post reply"))
		mia.see(want)
		mia.open(threadURL)
		if v := mia.value("Your post"); v != "" {
			t.Errorf("after posting, the reply box holds %q, want it empty", v)
		}
	})
}
