package e2e

import (
	"fmt"
	"testing"

	"hearth/internal/forum"
)

// onPhone runs a flow at the phone's size only: what it checks is how the
// pages fit a 390 px screen.
func onPhone(t *testing.T, flow func(t *testing.T, s *site)) {
	t.Parallel()
	needBrowser(t)
	flow(t, startSite(t, phone))
}

// box is a measured element.
type box struct {
	Label string  `json:"label"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
}

// boxesJS measures the elements matching a selector.
func boxesJS(selector string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].map(el => { const r = el.getBoundingClientRect();
		return {label: (el.getAttribute('aria-label') || el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 40), w: r.width, h: r.height}; })`, selector)
}

// checkTargets fails unless every element matching selector (there must
// be some) is at least 44x44 CSS px: a finger's target.
func (b *tab) checkTargets(what, selector string) {
	b.t.Helper()
	boxes := eval[[]box](b, boxesJS(selector))
	if len(boxes) == 0 {
		b.t.Fatalf("%s: nothing matches %s", what, selector)
	}
	for _, x := range boxes {
		if x.W < 44 || x.H < 44 {
			b.t.Errorf("%s: %q is %.1fx%.1f CSS px, under 44x44", what, x.Label, x.W, x.H)
		}
	}
}

// TestPhonePostHeaderAndLists: on a 390 px phone every link in a post's
// header and on the thread lists (latest threads, a category) is at least
// 44x44; a post's header without a title is one line (avatar, name, time
// and number); the pages pass axe.
func TestPhonePostHeaderAndLists(t *testing.T) {
	onPhone(t, func(t *testing.T, s *site) {
		c := s.content()
		ctx, svc := t.Context(), s.app.Service
		if _, err := svc.UpdateProfile(ctx, c.admin, c.admin.ID, forum.ProfileUpdate{Name: adminName, Title: "Lisbon travel desk"}); err != nil {
			t.Fatal(err)
		}
		threadURL, first := s.thread(c.admin, c.cat, "Lisbon in March", "Who has been in March?")
		th := mustThreadID(t, threadURL)
		reply, err := svc.Reply(ctx, c.mia, th, "Me: book the ferry early.", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.EditPost(ctx, c.admin, first.ID, "Who has been in March? Edited."); err != nil {
			t.Fatal(err)
		}
		if err := svc.Like(ctx, c.mia, first.ID); err != nil {
			t.Fatal(err)
		}
		s.thread(c.mia, c.cat, "Porto by train", "Tips?")

		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.checkTargets("post header", ".post .posthead a, .post .posthead button")
		mia.checkTargets("post actions height", ".post .actions a, .post .actions button") // 44 tall; words may be narrower
		if h := eval[float64](mia, fmt.Sprintf(`document.querySelector('#p%d .posthead').getBoundingClientRect().height`, reply.ID)); h > 60 {
			t.Errorf("Mia's post header is %.0f px tall: not one line", h)
		}
		mia.see("edited", "1 like")
		mia.checkAxe("thread page with compact post headers")

		mia.open("/")
		mia.see("Lisbon in March", "Porto by train", "Destinations")
		mia.checkTargets("latest threads", "ol.threads a")
		mia.checkTargets("tabs", "nav.tabs a")
		mia.checkAxe("latest threads")
		mia.open(fmt.Sprintf("/c/%d/%s", c.cat.ID, c.cat.Slug))
		mia.checkTargets("category's threads", "ol.threads a")

		guest := s.newTab("guest")
		guest.open("/")
		guest.checkTargets("latest threads (guest)", "ol.threads a")
		guest.checkAxe("latest threads (guest)")
		guest.open("/categories")
		guest.checkAxe("categories")
	})
}

// TestPhoneTables: a price table in a post keeps "$450" whole and aligned
// right, a table wider than the phone scrolls in its own box while the
// page does not scroll sideways, and the admin's members table keeps
// addresses whole.
func TestPhoneTables(t *testing.T) {
	onPhone(t, func(t *testing.T, s *site) {
		c := s.content()
		body := "Prices for March:\n\n" +
			"| Hotel | Nights | Price |\n|:--|:-:|--:|\n| Pestana Palace Lisboa | 3 | $450 |\n| Memmo Alfama | 2 | $1,280 |\n\n" +
			"Everything we know:\n\n" +
			"| Destination | Accommodation | Transportation | Recommendations | Availability | Commission | Cancellation |\n" +
			"|---|---|---|---|---|---|---|\n" +
			"| Lisbon | Boutique hotels | Ferries and trams | Book early | All year | Twelve percent | Flexible |\n"
		threadURL, _ := s.thread(c.admin, c.cat, "Lisbon hotel prices", body)

		guest := s.newTab("guest")
		guest.open(threadURL) // checkPage: the page does not scroll sideways
		type cell struct {
			Text  string `json:"text"`
			Lines int    `json:"lines"`
			Align string `json:"align"`
		}
		cells := eval[[]cell](guest, `[...document.querySelectorAll('.post .body td.al-r')].map(td => {
			const r = document.createRange(); r.selectNodeContents(td);
			const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
			return {text: td.innerText.trim(), lines: tops.size, align: getComputedStyle(td).textAlign}; })`)
		if len(cells) != 2 {
			t.Fatalf("right-aligned price cells: %+v", cells)
		}
		for _, c := range cells {
			if c.Lines != 1 || c.Align != "right" {
				t.Errorf("price cell %q: %d lines, aligned %s; want 1 line, right", c.Text, c.Lines, c.Align)
			}
		}
		type scroll struct {
			Page, Window     int
			Wide, WideClient int
			Overflow         string
		}
		got := eval[scroll](guest, `(() => { const w = document.querySelectorAll('.post .body .table-wrap')[1];
			return {Page: document.scrollingElement.scrollWidth, Window: innerWidth, Wide: w.scrollWidth, WideClient: w.clientWidth, Overflow: getComputedStyle(w).overflowX}; })()`)
		if got.Page > got.Window {
			t.Errorf("the page scrolls sideways: %d px in a %d px window", got.Page, got.Window)
		}
		if got.Wide <= got.WideClient || got.Overflow != "auto" {
			t.Errorf("the wide table does not scroll in its box: %+v", got)
		}
		guest.checkAxe("thread with tables")

		ada := s.newTab("admin")
		ada.login(adminEmail, adminPassword)
		ada.open("/admin")
		lines := eval[[]int](ada, `[...document.querySelectorAll('#members td')].filter(td => td.innerText.includes('@')).map(td => {
			const r = document.createRange(); r.selectNodeContents(td);
			return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })`)
		if len(lines) == 0 {
			t.Fatal("no addresses in the members table")
		}
		for i, n := range lines {
			if n != 1 {
				t.Errorf("members table: address %d takes %d lines", i, n)
			}
		}
	})
}
