package e2e

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"hearth/internal/forum"
)

// axeSource is axe-core 4.14.1 (testdata/AXE_VERSION), vendored from the
// npm package (package/axe.min.js). To update it:
//
//	cd "$(mktemp -d)" && npm pack axe-core && tar xzf axe-core-*.tgz package/axe.min.js
//	cp package/axe.min.js "$OLDPWD/e2e/testdata/" && npm view axe-core version > "$OLDPWD/e2e/testdata/AXE_VERSION"
//
//go:embed testdata/axe.min.js
var axeSource string

//go:embed testdata/AXE_VERSION
var axeVersion string

// axeTags are the rule sets run: WCAG 2.0 and 2.1, levels A and AA, and
// axe's best practices.
const axeRun = `axe.run(document, {
	runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
	resultTypes: ['violations'],
}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, targets: v.nodes.map(n => n.target.join(' '))})))`

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axe injects axe-core into the page through DevTools (Runtime.evaluate is
// not subject to the page's CSP) and runs it.
func (b *tab) axe() []axeViolation {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== 'undefined'`) {
		eval[*runtime.RemoteObject](b, axeSource)
	}
	awaitPromise := func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }
	ctx, cancel := context.WithTimeout(b.ctx, 2*actionTimeout)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, awaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe on %s: %v", b.who, b.path(), err)
	}
	return vs
}

// checkAxe runs axe on the page: serious and critical violations fail the
// test, moderate and minor ones are logged.
func (b *tab) checkAxe(page string) {
	b.t.Helper()
	vs := b.axe()
	byImpact := map[string][]axeViolation{}
	for _, v := range vs {
		byImpact[v.Impact] = append(byImpact[v.Impact], v)
	}
	b.t.Logf("axe %s: %s at %s: critical %d, serious %d, moderate %d, minor %d", strings.TrimSpace(axeVersion), page, b.s.vp.name,
		len(byImpact["critical"]), len(byImpact["serious"]), len(byImpact["moderate"]), len(byImpact["minor"]))
	if bad := append(byImpact["critical"], byImpact["serious"]...); len(bad) > 0 {
		b.t.Errorf("axe: %s (%s) has serious or critical violations:%s", page, b.path(), describeViolations(bad))
	}
	if meh := append(byImpact["moderate"], byImpact["minor"]...); len(meh) > 0 {
		b.t.Logf("axe: %s (%s) moderate/minor:%s", page, b.path(), describeViolations(meh))
	}
}

// a11ySite fills a forum with what the main pages show: categories with a
// sub-category, a thread with a quoted reply, a thread of several pages, a
// member awaiting approval.
type a11yContent struct {
	content
	threadURL, longURL string
	first              *forum.Post
}

func (s *site) a11yContent() a11yContent {
	s.t.Helper()
	ctx := s.t.Context()
	c := a11yContent{content: s.content()}
	svc := s.app.Service
	sam := s.member(samName, samEmail, samPassword, forum.RoleModerator)
	if _, err := svc.CreateMember(ctx, forum.NewMember{Email: "pat@example.org", Name: "Pat Pending", Password: "pending-pass", Status: forum.StatusPending}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := svc.UpdateProfile(ctx, c.mia, c.mia.ID, forum.ProfileUpdate{Name: miaName, Title: "Travel agent, Sunway Tours", Location: "Porto", Bio: "Fam tours and river cruises."}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := svc.CreateCategory(ctx, c.admin, forum.CategoryInput{Name: "Portugal", Description: "Lisbon, Porto, the Algarve", ParentID: c.cat.ID}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := svc.CreateCategory(ctx, c.admin, forum.CategoryInput{Name: "Members lounge", Description: "Off topic", MembersOnly: true}); err != nil {
		s.t.Fatal(err)
	}
	c.threadURL, c.first = s.thread(c.mia, c.cat, "Lisbon in March?", "Anyone been to **Lisbon**?\n\n- trams\n- [the guide](https://example.org/lisbon)\n\n| month | rain |\n|---|---|\n| March | some |")
	quote := fmt.Sprintf("> **%s** [wrote](/p/%d):\n> Anyone been to Lisbon?\n\nYes, in spring.", miaName, c.first.ID)
	if _, err := svc.Reply(ctx, sam, c.first.ThreadID, quote, c.first.ID); err != nil {
		s.t.Fatal(err)
	}
	var long *forum.Post
	c.longURL, long = s.thread(sam, c.cat, "Roll call", "Say hello.")
	for i := range 45 {
		if _, err := svc.Reply(ctx, sam, long.ThreadID, fmt.Sprintf("Hello number %d.", i+1), 0); err != nil {
			s.t.Fatal(err)
		}
	}
	return c
}

// TestAccessibility runs axe-core and the keyboard and structure checks on
// the main pages, as a guest, a member and the admin (in parallel).
func TestAccessibility(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.a11yContent()
		catURL := fmt.Sprintf("/c/%d/%s", c.cat.ID, c.cat.Slug)
		type page struct {
			name, path string
			code       int
		}
		groups := []struct {
			who, email, password string
			pages                []page
		}{
			{"guest", "", "", []page{
				{"front page", "/", 200},
				{"categories", "/categories", 200},
				{"category", catURL, 200},
				{"thread", c.threadURL, 200},
				{"thread page 2", c.longURL + "?page=2", 200},
				{"login", "/login", 200},
				{"register", "/register", 200},
				{"profile", fmt.Sprintf("/m/%d", c.mia.ID), 200},
				{"error 404", "/no/such/page", 404},
				{"status page", "/status", 200},
				{"search", "/search?q=lisbon", 200},
			}},
			{"mia", miaEmail, miaPassword, []page{
				{"thread (member)", c.threadURL, 200},
				{"new thread", fmt.Sprintf("/c/%d/new", c.cat.ID), 200},
				{"reply (quote)", fmt.Sprintf("/t/%d/reply?quote=%d", c.first.ThreadID, c.first.ID), 200},
				{"edit profile", fmt.Sprintf("/m/%d/edit", c.mia.ID), 200},
				{"mail settings", "/settings/mail", 200},
				{"confirm", "/confirm", 200},
				{"welcome", "/welcome", 200},
				{"change email", "/settings/email", 200},
				{"delete confirmation", fmt.Sprintf("/p/%d/delete", c.first.ID), 200},
				{"notifications", "/notifications", 200},
				{"bookmarks", "/bookmarks", 200},
			}},
			{"admin", adminEmail, adminPassword, []page{
				{"front page (admin)", "/", 200},
				{"thread (admin)", c.threadURL, 200},
				{"admin", "/admin", 200},
				{"community settings", "/admin/community", 200},
				{"admin mail", "/admin/mail", 200},
			}},
		}
		for _, g := range groups {
			t.Run(g.who, func(t *testing.T) {
				t.Parallel()
				b := s.forTest(t).newTab(g.who)
				if g.email != "" {
					b.login(g.email, g.password)
				}
				for i, p := range g.pages {
					if st := b.open(p.path); st != p.code {
						t.Errorf("%s: status %d, want %d", p.name, st, p.code)
					}
					b.checkStructure() // ends with the skip link focused
					// Enter on the skip link moves focus to the content;
					// Tab then walks its first elements.
					b.key("\r")
					if f := b.focused(); f.ID != "main" {
						t.Errorf("%s: Enter on the skip link focuses %s, want <main>", p.name, f.Desc)
					}
					b.checkFocusOrder(6)
					b.checkAxe(p.name)
					if i == 0 {
						// The header is the same on every page: walk it once.
						b.open(p.path)
						b.checkFocusOrder(6)
					}
				}
			})
		}
	})
}

// tabTo presses Tab until the focused element matches (at most max
// times); every element passed must show its focus.
func (b *tab) tabTo(what string, match func(focusReport) bool, max int) {
	b.t.Helper()
	for range max {
		b.key("\t")
		f := b.focused()
		if !f.Outline {
			b.t.Errorf("%s: %s: focus is not visible on %s (%s)", b.who, b.path(), f.Desc, f.Style)
		}
		if match(f) {
			return
		}
	}
	b.t.Fatalf("%s: %s: %s not reached with %d presses of Tab", b.who, b.path(), what, max)
}

// TestKeyboardOnly logs in and replies with key presses only.
func TestKeyboardOnly(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.admin, c.cat, "Lisbon in March?", "Anyone been to **Lisbon**?")
		mia := s.newTab("mia")
		mia.open(threadURL)
		mia.tabTo(`the "Log in" link of the reply notice`, func(f focusReport) bool {
			return f.Tag == "a" && strings.HasPrefix(f.Href, "/login?next=")
		}, 20)
		mia.navigateBy("Enter on Log in", chromedp.KeyEvent("\r"))
		mia.at("/login")
		mia.tabTo("the email field", func(f focusReport) bool { return f.ID == "email" }, 10)
		mia.key(miaEmail)
		mia.key("\t")
		if f := mia.focused(); f.ID != "password" {
			t.Fatalf("Tab from the email field goes to %s, want the password", f.Desc)
		}
		mia.key(miaPassword)
		mia.navigateBy("Enter in the password field", chromedp.KeyEvent("\r"))
		if got := mia.location().Path; got != threadURL {
			t.Fatalf("after logging in: at %s, want back at the thread %s", got, threadURL)
		}
		mia.tabTo("the reply box", func(f focusReport) bool { return f.ID == "body" }, 40)
		mia.key("By keyboard only.")
		mia.key("\t")
		if f := mia.focused(); f.Tag != "button" || !strings.Contains(f.Desc, "Post reply") {
			t.Fatalf("Tab from the reply box goes to %s, want the Post reply button", f.Desc)
		}
		mia.navigateBy("Enter on Post reply", chromedp.KeyEvent("\r"))
		mia.at("/t/")
		mia.see("By keyboard only.")
	})
}
