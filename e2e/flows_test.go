package e2e

// The member flows, each at the phone and the desktop size, done as a
// member does them: clicks (taps on the phone) on links and buttons, typing
// into fields found by their labels, then reading what the page shows.
//
// Added when the feature lands (not tested now because Hearth does not
// have them yet): search, unread markers, private messages, flagging
// posts, uploads (attachments, avatars). Mentions, notifications, likes
// and watching are in social_test.go.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/forum"
)

const (
	adminEmail, adminName, adminPassword = "ada@example.org", "Ada Admin", "admin-password"
	miaEmail, miaName, miaPassword       = "mia@example.org", "Mia Member", "member-password"
	samEmail, samName, samPassword       = "sam@example.org", "Sam Agent", "sam-password1"
)

// setupAdmin opens the setup link in b and creates the admin account.
func (s *site) setupAdmin(b *tab) {
	s.t.Helper()
	token, err := s.app.Service.NewSetupToken(s.t.Context())
	if err != nil {
		s.t.Fatal(err)
	}
	b.open("/setup?token=" + token)
	b.see("Set up your forum", "Create the first account")
	b.fill("Email", adminEmail)
	b.fill("Display name", adminName)
	b.fill("Password", adminPassword)
	if st := b.follow(button("Create admin account")); st != 200 {
		s.t.Fatalf("setup: status %d", st)
	}
	b.at("/admin")
	b.see("Administration", adminName)
}

// login logs b in: from the header's "Log in" link when the page has one,
// else from the login page.
func (b *tab) login(email, password string) {
	b.t.Helper()
	if b.has(link("Log in")) {
		b.follow(link("Log in"))
	} else {
		b.open("/login")
	}
	b.at("/login")
	b.fill("Email", email)
	b.fill("Password", password)
	b.follow(button("Log in"))
	if b.location().Path == "/login" {
		b.t.Fatalf("%s: login as %s failed:\n%s", b.who, email, b.text())
	}
}

// forumWithContent creates (in the service) an admin, a member and a
// category, for the flows that start from there.
type content struct {
	admin, mia *forum.Member
	cat        *forum.Category
}

func (s *site) content() content {
	s.t.Helper()
	var c content
	c.admin = s.member(adminName, adminEmail, adminPassword, forum.RoleAdmin)
	c.mia = s.member(miaName, miaEmail, miaPassword, forum.RoleMember)
	var err error
	c.cat, err = s.app.Service.CreateCategory(s.t.Context(), c.admin, forum.CategoryInput{Name: "Destinations", Description: "Trips and fam tours"})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// thread creates a thread in the service and returns its URL and first post.
func (s *site) thread(by *forum.Member, cat *forum.Category, title, body string) (string, *forum.Post) {
	s.t.Helper()
	th, p, err := s.app.Service.CreateThread(s.t.Context(), by, forum.NewThread{CategoryID: cat.ID, Title: title, Body: body})
	if err != nil {
		s.t.Fatal(err)
	}
	return fmt.Sprintf("/t/%d/%s", th.ID, th.Slug), p
}

// postIDs returns the ids of the posts on the page, in order.
func (b *tab) postIDs() []int64 {
	b.t.Helper()
	var ids []int64
	for _, s := range eval[[]string](b, `[...document.querySelectorAll('article.post')].map(a => a.id.slice(1))`) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.t.Fatalf("post id %q", s)
		}
		ids = append(ids, id)
	}
	return ids
}

// 1. First-run setup: the setup link creates the admin, who lands on /admin.
func TestFirstRunSetup(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		ada := s.newTab("admin")
		ada.open("/")
		ada.see("Welcome to Hearth", "has not been set up")
		if st := ada.open("/setup?token=not-the-token"); st != 403 {
			t.Errorf("setup with a bad token: status %d, want 403", st)
		}
		s.setupAdmin(ada)
		ada.dontSee("Log in")
		if account := "//nav[@aria-label='Account']"; !ada.has(within(account, link("Admin"))) || !ada.has(within(account, link(adminName))) {
			t.Error("the header does not show the admin's name and the Admin link")
		}
		ada.follow(link(adminName))
		ada.at("/m/")
		ada.see(adminName, "Joined", "admin")
	})
}

// 2. Approval: the admin requires approval; a new member registers, waits,
// cannot post; the admin approves; the member logs in and posts.
func TestApproval(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		ada := s.newTab("admin")
		s.setupAdmin(ada)
		ada.check("New members need an admin's approval", true)
		ada.follow(within("//section[@aria-labelledby='reg-h']", button("Save")))
		ada.at("/admin")
		if !ada.checked("New members need an admin's approval") {
			t.Fatal("the approval setting was not saved")
		}
		admin, err := s.app.Service.Authenticate(t.Context(), adminEmail, adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		cat, err := s.app.Service.CreateCategory(t.Context(), admin, forum.CategoryInput{Name: "Destinations"})
		if err != nil {
			t.Fatal(err)
		}
		threadURL, _ := s.thread(admin, cat, "Welcome, agents", "Say hello.")

		mia := s.newTab("mia")
		mia.open("/")
		mia.follow(link("Join"))
		mia.at("/register")
		mia.fill("Email", miaEmail)
		mia.fill("Display name", miaName)
		mia.fill("Password", miaPassword)
		mia.follow(button("Join"))
		// Registering does not log in (the answer is the same for a taken
		// address): the login form says so and keeps the email.
		mia.at("/login")
		mia.see(forum.RegisteredMessage)
		if v := mia.value("Email"); v != miaEmail {
			t.Errorf("the login form holds the email %q, want %q", v, miaEmail)
		}
		mia.fill("Password", miaPassword)
		mia.follow(button("Log in"))
		mia.at("/pending")
		mia.see("Awaiting approval", "an admin will review your registration")

		// Reading works; posting does not.
		mia.follow(link("Go to the forum"))
		mia.follow(link("Destinations"))
		if mia.has(link("New thread")) {
			t.Error("a pending member is offered New thread")
		}
		mia.follow(link("Welcome, agents"))
		mia.see("Say hello.", "Your account is awaiting approval")
		if mia.has(button("Post reply")) {
			t.Error("a pending member is offered the reply form")
		}
		// Typing the new-thread address does not get a post through either.
		mia.open(fmt.Sprintf("/c/%d/new", cat.ID))
		if mia.has("//label[normalize-space()='Title']") {
			mia.fill("Title", "Hello from Mia")
			mia.fill("Your post", "Hi all")
			mia.follow(button("Post thread"))
			mia.see("awaiting approval")
		} else {
			mia.see("awaiting approval")
		}

		ada.open("/admin")
		ada.see("Awaiting approval (1)", miaName, miaEmail)
		ada.follow(button("Approve " + miaName))
		ada.see("Awaiting approval (0)", "Nobody is waiting.")

		// Approved, she still confirms her address: the link mailed to her.
		mia.follow(button("Log out"))
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		mia.see("Confirm your email address first")
		mia.open("/confirm?token=" + confirmToken(t, s, miaEmail))
		mia.follow(button("Confirm my address"))
		mia.see("is confirmed, and you can post")
		mia.open(threadURL)
		mia.fill("Your post", "Hello, glad to be here.")
		mia.follow(button("Post reply"))
		mia.see("Hello, glad to be here.")
		mia.follow(link("Destinations"))
		mia.follow(link("New thread"))
		mia.fill("Title", "Lisbon in March?")
		mia.fill("Your post", "Anyone been?")
		mia.follow(button("Post thread"))
		mia.at("/t/")
		mia.see("Lisbon in March?", "Anyone been?")
	})
}

// confirmToken returns the newest confirmation link's token mailed to addr.
func confirmToken(t *testing.T, s *site, addr string) string {
	t.Helper()
	ms, err := s.app.Store.ListMail(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Kind == "account.confirm" && m.To == addr {
			if _, after, ok := strings.Cut(m.Text, "/confirm?token="); ok {
				return strings.Fields(after)[0]
			}
		}
	}
	t.Fatalf("no confirmation link for %s", addr)
	return ""
}

// 3. Categories: the admin creates a category and a sub-category from the
// admin page and reorders them with ↑/↓.
func TestCategories(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		ada := s.newTab("admin")
		s.setupAdmin(ada)
		newCategory := func(name, desc, parent string) {
			ada.follow(link("Admin"))
			ada.follow(link("New category"))
			ada.at("/admin/categories/new")
			ada.fill("Name", name)
			ada.fill("Description", desc)
			if parent != "" {
				ada.choose("Parent category", parent)
			}
			ada.follow(button("Save category"))
			ada.at("/c/")
			ada.see(name, desc, "No threads yet")
		}
		newCategory("Destinations", "Trips and fam tours", "")
		newCategory("Suppliers", "Cruise lines and tour operators", "")
		newCategory("Cruise lines", "Ships and commissions", "Suppliers")
		// The sub-category page leads back to its parent.
		if !ada.has(within("//nav[@aria-label='Breadcrumb']", link("Suppliers"))) {
			t.Error("the sub-category has no breadcrumb to Suppliers")
		}
		ada.follow(within("//nav[@aria-label='Breadcrumb']", link("Suppliers")))
		ada.see("Sub-categories", "Cruise lines")

		order := func() string {
			return strings.Join(eval[[]string](ada, `[...document.querySelectorAll('ul.categories > li.category > .catrow h2 a')].map(a => a.textContent.trim())`), ",")
		}
		ada.follow(link("Hearth"))
		ada.follow(link("Categories")) // the front page is the latest threads
		if got := order(); got != "Destinations,Suppliers" {
			t.Fatalf("front page order %q", got)
		}
		ada.see("Cruise lines")
		ada.follow(link("Admin"))
		ada.follow(button("Move Suppliers up"))
		ada.at("/admin")
		ada.follow(link("Hearth"))
		ada.follow(link("Categories")) // the front page is the latest threads
		if got := order(); got != "Suppliers,Destinations" {
			t.Fatalf("after moving Suppliers up: order %q", got)
		}
		ada.follow(link("Admin"))
		ada.follow(button("Move Suppliers down"))
		ada.follow(link("Hearth"))
		ada.follow(link("Categories")) // the front page is the latest threads
		if got := order(); got != "Destinations,Suppliers" {
			t.Fatalf("after moving Suppliers down: order %q", got)
		}
		// An empty name is refused and the description kept.
		ada.follow(link("Admin"))
		ada.follow(link("New category"))
		ada.fill("Description", "Kept text")
		ada.do("turn off the browser's validation", jsAction(`document.querySelector('main form').noValidate = true`))
		ada.follow(button("Save category"))
		ada.see("must not be empty")
		if v := ada.value("Description"); v != "Kept text" {
			t.Errorf("description after the error: %q", v)
		}
	})
}

// 4. A member posts a thread with markdown and sees it rendered.
func TestPostThread(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		s.content()
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.follow(link("Destinations"))
		mia.follow(link("New thread"))
		mia.see("New thread in Destinations")
		mia.fill("Title", "Lisbon in March?")
		mia.fill("Your post", "Anyone been to **Lisbon** lately?\n\n- trams\n- pastéis\n\nSee [the guide](https://example.org/lisbon).")
		mia.follow(button("Post thread"))
		mia.at("/t/")
		mia.see("Lisbon in March?", "Anyone been to Lisbon lately?", "trams", "the guide")
		body := "//article[1]//div[@class='body']"
		if !mia.has(body + "//strong[.='Lisbon']") {
			t.Error("**Lisbon** is not bold")
		}
		if n := eval[int](mia, `document.querySelectorAll('article.post .body ul > li').length`); n != 2 {
			t.Errorf("the list has %d items, want 2", n)
		}
		rel := eval[string](mia, `(document.querySelector('article.post .body a[href="https://example.org/lisbon"]') || {rel: 'missing'}).rel`)
		if !strings.Contains(rel, "nofollow") {
			t.Errorf("the member's link has rel %q, want nofollow", rel)
		}
		// The thread is listed in its category with its author.
		mia.follow(link("Destinations"))
		mia.see("Lisbon in March?", "by "+miaName)
	})
}

// 5. Another member quotes the first post; the quote links back to it.
func TestQuoteReply(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		s.member(samName, samEmail, samPassword, forum.RoleMember)
		_, first := s.thread(c.mia, c.cat, "Lisbon in March?", "Anyone been to **Lisbon**?")

		sam := s.newTab("sam")
		sam.login(samEmail, samPassword)
		sam.follow(link("Destinations"))
		sam.follow(link("Lisbon in March?"))
		sam.follow(within(post(first.ID), link("Quote")))
		sam.at("/t/")
		quote := sam.value("Your post")
		if want := fmt.Sprintf("**%s** [wrote](/p/%d)", miaName, first.ID); !strings.Contains(quote, want) {
			t.Fatalf("the reply form holds %q, want a quote with %q", quote, want)
		}
		sam.typeAtEnd("Your post", "\n\nYes, in spring: go by tram.")
		sam.follow(button("Post reply"))
		sam.at("/t/")
		ids := sam.postIDs()
		if len(ids) != 2 {
			t.Fatalf("posts on the page: %v", ids)
		}
		reply := post(ids[1])
		if !sam.has(reply + "//blockquote") {
			t.Fatal("the quote is not a blockquote")
		}
		if got := sam.location().Fragment; got != fmt.Sprintf("p%d", ids[1]) {
			t.Errorf("after replying the page is at #%s, want the reply #p%d", got, ids[1])
		}
		sam.see("Yes, in spring: go by tram.")
		back := reply + fmt.Sprintf("//blockquote//a[@href='/p/%d']", first.ID)
		if !sam.has(back) {
			t.Fatal("the quote does not link to the quoted post")
		}
		sam.follow(back)
		if got := sam.location().Fragment; got != fmt.Sprintf("p%d", first.ID) {
			t.Errorf("the quote link lands on #%s, want #p%d", got, first.ID)
		}
		if target := eval[string](sam, `(document.querySelector(':target') || {id: ''}).id`); target != fmt.Sprintf("p%d", first.ID) {
			t.Errorf("the targeted element is %q, want the quoted post", target)
		}
	})
}

// 6. A member edits a post (shown as edited) and deletes one; a moderator
// restores it.
func TestEditDeleteRestore(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		sam := s.member(samName, samEmail, samPassword, forum.RoleMember)
		s.member("Max Moderator", "max@example.org", "moderator-pass", forum.RoleMember)
		threadURL, first := s.thread(c.mia, c.cat, "Lisbon in March?", "Anyone been to **Lisbon**?")
		reply, err := s.app.Service.Reply(t.Context(), sam, first.ThreadID, "Yes, last spring.", 0)
		if err != nil {
			t.Fatal(err)
		}

		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(threadURL)
		if mia.has(within(post(reply.ID), link("Edit"))) {
			t.Error("Mia is offered to edit Sam's post")
		}
		mia.follow(within(post(first.ID), link("Edit")))
		mia.see("Edit post")
		if v := mia.value("Your post"); v != "Anyone been to **Lisbon**?" {
			t.Errorf("the edit form holds %q", v)
		}
		mia.fill("Your post", "Anyone been to *Lisbon* lately?")
		mia.follow(button("Save changes"))
		mia.at("/t/")
		mia.see("Anyone been to Lisbon lately?")
		if !mia.has(post(first.ID) + "//*[@class='edited']") {
			t.Error("the edited post is not marked edited")
		}
		if !mia.has(post(first.ID) + "//em[.='Lisbon']") {
			t.Error("the edit's markdown is not rendered")
		}

		samTab := s.newTab("sam")
		samTab.login(samEmail, samPassword)
		samTab.open(threadURL)
		samTab.follow(within(post(reply.ID), link("Delete")))
		samTab.see("Delete this post?", "Yes, last spring.")
		samTab.follow(button("Delete"))
		samTab.see("Post deleted.", "This post was deleted.")
		samTab.dontSee("Yes, last spring.")

		// The admin makes Max a moderator on the admin page.
		ada := s.newTab("admin")
		ada.login(adminEmail, adminPassword)
		ada.follow(link("Admin"))
		ada.choose("Role of Max Moderator", "moderator")
		ada.follow(within("//tr[td//a[.='Max Moderator']]", button("Set")))
		ada.see("moderator")

		max := s.newTab("max")
		max.login("max@example.org", "moderator-pass")
		max.open(threadURL)
		max.see("This post was deleted.")
		max.follow(within(post(reply.ID), button("Restore")))
		max.dontSee("This post was deleted.")
		max.see("Yes, last spring.")
		mia.open(threadURL)
		mia.see("Yes, last spring.")
	})
}

// 7. Log out.
func TestLogout(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		threadURL, _ := s.thread(c.mia, c.cat, "Lisbon in March?", "Anyone?")
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		if !mia.has(within("//nav[@aria-label='Account']", link(miaName))) {
			t.Fatal("the header does not show the member's name")
		}
		mia.open(threadURL)
		mia.follow(button("Log out"))
		mia.at("/")
		account := "//nav[@aria-label='Account']"
		if mia.has(within(account, link(miaName))) || !mia.has(within(account, link("Log in"))) || !mia.has(within(account, link("Join"))) {
			t.Error("after logging out the header still shows the member")
		}
		mia.open(threadURL)
		mia.see("Log in or join to reply.")
		if mia.has(button("Post reply")) {
			t.Error("the reply form is offered after logging out")
		}
	})
}

// 8. Bad input: each mistake gets a clear message and what was typed stays.
func TestBadInput(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		noValidate := jsAction(`document.querySelector('main form').noValidate = true`)

		// Register with a short password: the browser stops it first (the
		// field says minlength=10); a browser that does not validate gets
		// the server's message. Either way nothing typed is lost.
		b := s.newTab("newcomer")
		b.open("/register")
		b.fill("Email", "new@example.org")
		b.fill("Display name", "New Comer")
		b.fill("Password", "short")
		b.press(button("Join"))
		b.at("/register")
		if msg := eval[string](b, `document.getElementById('password').validationMessage`); msg == "" {
			t.Error("the browser does not object to a 5-character password")
		}
		b.do("turn off the browser's validation", noValidate)
		if st := b.follow(button("Join")); st != 422 {
			t.Errorf("short password: status %d, want 422", st)
		}
		b.see("at least 10 characters")
		if !b.has("//*[@role='alert']") {
			t.Error("the error is not announced (role=alert)")
		}
		if v := b.value("Email"); v != "new@example.org" {
			t.Errorf("email after the error: %q", v)
		}
		if v := b.value("Display name"); v != "New Comer" {
			t.Errorf("name after the error: %q", v)
		}
		if inv := eval[string](b, `document.getElementById('password').getAttribute('aria-invalid') || ''`); inv != "true" {
			t.Errorf("the password field is not marked invalid (aria-invalid=%q)", inv)
		}

		// A new thread with an empty body: blanks pass the browser's
		// "required" check and get the server's message.
		mia := s.newTab("mia")
		mia.login(miaEmail, miaPassword)
		mia.open(fmt.Sprintf("/c/%d/%s", c.cat.ID, c.cat.Slug))
		mia.follow(link("New thread"))
		mia.fill("Title", "Lisbon in March?")
		mia.fill("Your post", "   ")
		if st := mia.follow(button("Post thread")); st != 422 {
			t.Errorf("blank body: status %d, want 422", st)
		}
		mia.see("The post must not be empty.")
		if v := mia.value("Title"); v != "Lisbon in March?" {
			t.Errorf("title after the error: %q", v)
		}
		if inv := eval[string](mia, `document.getElementById('body').getAttribute('aria-invalid') || ''`); inv != "true" {
			t.Errorf("the body field is not marked invalid (aria-invalid=%q)", inv)
		}

		// A wrong password.
		g := s.newTab("guest")
		g.open("/login")
		g.fill("Email", miaEmail)
		g.fill("Password", "not-her-password")
		if st := g.follow(button("Log in")); st != 401 {
			t.Errorf("wrong password: status %d, want 401", st)
		}
		g.see("Wrong email or password.")
		if v := g.value("Email"); v != miaEmail {
			t.Errorf("email after the error: %q", v)
		}
	})
}

// 9. Without JavaScript: a member reads a thread and replies.
func TestNoJavaScript(t *testing.T) {
	eachSize(t, func(t *testing.T, s *site) {
		c := s.content()
		s.thread(c.admin, c.cat, "Lisbon in March?", "Anyone been to **Lisbon**?")
		mia := s.newTab("mia", withoutJavaScript)
		mia.login(miaEmail, miaPassword)
		mia.follow(link("Destinations"))
		mia.follow(link("Lisbon in March?"))
		mia.see("Anyone been to Lisbon?")
		mia.fill("Your post", "Yes, **twice**.")
		mia.follow(button("Post reply"))
		mia.at("/t/")
		mia.see("Yes, twice.")
		if len(mia.postIDs()) != 2 {
			t.Error("the reply is not on the page")
		}
		mia.follow(link("Destinations"))
		mia.see("1 reply")
	})
}
