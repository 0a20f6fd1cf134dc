package e2e

import (
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
)

// Search: a guest types into the header's box on the front page, reads the
// results (axe-checked), narrows them with the filters and opens one, which
// lands on the post in its thread; a members-only thread is found only
// after logging in. Without JavaScript, as the forms need none.
func TestSearchAndOpenAResult(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		ctx := t.Context()
		club, err := s.app.Service.CreateCategory(ctx, c.admin, forum.CategoryInput{Name: "Agents' club", MembersOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		s.thread(c.admin, c.cat, "Norwegian fjord cruises", "Which line does the best **fjord** itinerary in June?")
		threadURL, _ := s.thread(c.mia, c.cat, "Ferry timetables in Lisbon", "The Cacilhas ferry runs every 20 minutes.")
		s.thread(c.mia, club, "Fjord commission rates", "Members only: fjord cruise commission is 12%.")
		th, err := s.app.Service.Thread(ctx, nil, idOf(t, threadURL), 1)
		if err != nil {
			t.Fatal(err)
		}
		reply, err := s.app.Service.Reply(ctx, c.admin, th.Thread.ID, "A fjord day trip also works from Bergen by ferry.", 0)
		if err != nil {
			t.Fatal(err)
		}

		guest := s.newTab("guest", withoutJavaScript)
		guest.open("/")
		guest.fill("Search the forum", "fjord")
		guest.follow("//header//button[normalize-space()='Search']")
		guest.at("/search")
		guest.see("2 results for “fjord”", "Norwegian fjord cruises", "Ferry timetables in Lisbon")
		guest.dontSee("Fjord commission rates")
		if n := eval[int](guest, `document.querySelectorAll('.result mark').length`); n < 2 {
			t.Errorf("%d matches marked on the results page", n)
		}
		// axe needs scripts: a tab of its own reads the same page.
		look := s.newTab("axe")
		look.open("/search?q=fjord")
		look.checkAxe("search results")

		// Narrow to first posts only: the reply drops out. On results the
		// filters are folded away, saying how many are on.
		if guest.has("//details[contains(@class,'filters') and @open]") {
			t.Error("the filters are unfolded above the results")
		}
		guest.press("//summary[normalize-space()='Filters']")
		guest.check("Only the first post of each thread", true)
		guest.follow("//main//button[normalize-space()='Search']")
		guest.see("1 result for “fjord”", "Norwegian fjord cruises")
		guest.dontSee("Ferry timetables in Lisbon")
		guest.see("Filters · 1 on")
		guest.press("//summary[starts-with(normalize-space(),'Filters')]")
		if !guest.checked("Only the first post of each thread") {
			t.Error("the filter did not stay ticked")
		}

		// A phrase, then open the result: the reply's page and anchor.
		guest.fill("Search for", `"day trip" -cruise`)
		guest.check("Only the first post of each thread", false)
		guest.follow("//main//button[normalize-space()='Search']")
		guest.see("1 result for “\"day trip\" -cruise”")
		guest.follow("//ol[@class='results']//h2/a")
		guest.at(threadURL)
		if frag := guest.location().Fragment; frag != "p"+itoa(reply.ID) {
			t.Errorf("the result opened #%s, want #p%d", frag, reply.ID)
		}
		guest.see("A fjord day trip also works from Bergen")

		// Nothing found says so; hostile input too.
		guest.open("/search?q=" + strings.ReplaceAll(`"NEAR( title: * -`, " ", "+"))
		guest.see("Search")
		guest.open("/search?q=zanzibar")
		guest.see("Nothing found.")

		mia := s.newTab("mia")
		mia.open("/")
		mia.login(miaEmail, miaPassword)
		mia.fill("Search the forum", "commission")
		mia.follow("//header//button[normalize-space()='Search']")
		mia.see("1 result for “commission”", "Fjord commission rates", "Agents' club")
		mia.checkAxe("search results (member)")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// idOf reads the thread id of a /t/{id}/{slug} URL.
func idOf(t *testing.T, threadURL string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(strings.Split(threadURL, "/")[2], 10, 64)
	if err != nil {
		t.Fatalf("no id in %q", threadURL)
	}
	return id
}
