package e2e

// The flows of mentions, notifications, likes and watching, at the phone
// and the desktop size: a member is mentioned and sees the bell's count
// and the notification; a member likes a post; a member watches a
// category and hears of a new thread there. axe runs on /notifications.

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// bellCount is the number the header's bell shows.
func (b *tab) bellCount() string {
	b.t.Helper()
	return eval[string](b, `(document.querySelector('a.bell .count') || {textContent: ''}).textContent.trim()`)
}

// reloadUntil opens path again until the page shows text: notifications
// come from the event consumer a moment after the write.
func (b *tab) reloadUntil(path, text string) {
	b.t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		b.open(path)
		if strings.Contains(b.text(), text) {
			return
		}
		if time.Now().After(end) {
			b.t.Fatalf("%s: %s did not show %q within 10 s; it shows:\n%s", b.who, path, text, b.text())
		}
	}
}

const bellLink = "//a[@href='/notifications']"

func TestMentionNotification(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.mia, c.cat, "Lisbon in March?", "Anyone been?")
		ada := s.newTab("ada")
		ada.login(adminEmail, adminPassword)
		if n := ada.bellCount(); n != "0" {
			t.Fatalf("ada's bell before: %q", n)
		}
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.fill("Your post", "What do you think, @ada_admin?")
		mia.follow(button("Post reply"))
		mia.see("What do you think, @ada_admin?")
		if !mia.has("//a[@class='mention' and @href='/u/ada_admin']") {
			t.Error("the mention is not a link to the member")
		}

		for end := time.Now().Add(10 * time.Second); ada.bellCount() != "1"; ada.open("/") {
			if time.Now().After(end) {
				t.Fatalf("ada's bell shows %q, want 1", ada.bellCount())
			}
			time.Sleep(100 * time.Millisecond)
		}
		ada.follow(bellLink)
		ada.at("/notifications")
		ada.see(miaName+" mentioned you in", "Lisbon in March?")
		ada.checkAxe("notifications")
		ada.follow(link("Lisbon in March?"))
		ada.see("What do you think, @ada_admin?")
		ada.open("/notifications")
		ada.follow(button("Mark all read"))
		ada.at("/notifications")
		if n := ada.bellCount(); n != "0" {
			t.Errorf("ada's bell after marking all read: %q", n)
		}
		ada.dontSee("Mark read")
	})
}

func TestLikePost(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, first := s.thread(c.admin, c.cat, "Porto river cruises", "Worth it in winter?")
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.follow(within(post(first.ID), button("Like")))
		mia.see("1 like")
		if !mia.has(within(post(first.ID), "//button[@aria-pressed='true' and normalize-space()='Unlike']")) {
			t.Error("after liking, the post offers no Unlike")
		}
		ada := s.newTab("ada")
		ada.login(adminEmail, adminPassword)
		ada.reloadUntil("/notifications", miaName+" liked your post in")
		ada.open(threadURL)
		ada.see("1 like")
		if ada.has(within(post(first.ID), button("Like"))) {
			t.Error("the author is offered Like on their own post")
		}
		mia.follow(within(post(first.ID), button("Unlike")))
		mia.dontSee("1 like")
		mia.open(fmt.Sprintf("/m/%d", c.admin.ID))
		mia.see("Likes received")
	})
}

func TestWatchCategory(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(fmt.Sprintf("/c/%d/%s", c.cat.ID, c.cat.Slug))
		mia.choose("Notifications for this category", "Watching: every post")
		mia.follow(within("//form[@class='levelform']", button("Save")))
		if v := eval[string](mia, `document.getElementById('level').value`); v != "watching" {
			t.Fatalf("the category's level shows %q after saving watching", v)
		}
		s.thread(c.admin, c.cat, "Fam trip to the Douro", "Places for six agents.")
		mia.reloadUntil("/notifications", adminName+" started a thread in a category you watch:")
		if n := mia.bellCount(); n != "1" {
			t.Errorf("mia's bell: %q, want 1", n)
		}
		mia.follow(link("Fam trip to the Douro"))
		mia.see("Places for six agents.")
	})
}
