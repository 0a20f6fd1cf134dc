package e2e

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"hearth/internal/app"
	"hearth/internal/app/apptest"
	"hearth/internal/forum"
)

// actionTimeout bounds every browser action, so a hung browser fails the
// test instead of hanging CI.
const actionTimeout = 20 * time.Second

const skipMessage = "chromium not found: skipping the browser suite; install Debian's chromium package or run .ci/run"

// viewport is a screen the flows run at.
type viewport struct {
	name   string
	w, h   int64
	scale  float64
	mobile bool // mobile emulation with touch; taps instead of clicks
}

var (
	phone   = viewport{"phone", 390, 844, 3, true}
	desktop = viewport{"desktop", 1366, 768, 1, false}
	sizes   = []viewport{phone, desktop}
)

// The one browser of the package run; each test opens its own tabs in
// separate browser contexts (separate cookies).
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel []context.CancelFunc
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	// The tests mostly wait on the browser and the network, not the CPU:
	// unless -parallel is given, run more of them at once than GOMAXPROCS.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", strconv.Itoa(max(runtime.GOMAXPROCS(0), 4)))
	}
	code := m.Run()
	for i := len(browser.cancel) - 1; i >= 0; i-- {
		browser.cancel[i]()
	}
	if browser.dir != "" {
		os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// chromiumPath returns the browser to drive, or "" when there is none.
func chromiumPath() string {
	if p := os.Getenv("HEARTH_TEST_CHROMIUM"); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		return ""
	}
	return p
}

// needBrowser skips the test when there is no Chromium, and otherwise
// returns the shared browser's context, starting it on first use.
func needBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip(skipMessage)
	}
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatalf("start chromium %s: %v", path, browser.err)
	}
	return browser.ctx
}

func startBrowser(path string) {
	// A fresh profile for the package run; the browser outlives any one
	// test, so this is not a t.TempDir.
	dir, err := os.MkdirTemp("", "hearth-e2e-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dir = dir
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
	)
	bctx, bcancel := chromedp.NewContext(actx)
	browser.cancel = append(browser.cancel, acancel, bcancel)
	// The first run starts the browser and must not carry a timeout (that
	// would stop the browser with it); a watchdog cancels it instead.
	watchdog := time.AfterFunc(60*time.Second, bcancel)
	defer watchdog.Stop()
	if err := chromedp.Do(bctx); err != nil {
		browser.err = err
		return
	}
	browser.ctx = bctx
}

// site is one Hearth, started for one (sub)test on a fresh database.
type site struct {
	t    *testing.T
	app  *app.App
	base string
	vp   viewport
	tabs int // opened by this test, for the screenshots' names
	*notes
}

// notes are the problems already reported on a site, to report each once.
type notes struct {
	mu    sync.Mutex
	noted map[string]bool
}

// forTest returns the site for a subtest of the test that started it.
func (s *site) forTest(t *testing.T) *site {
	return &site{t: t, app: s.app, base: s.base, vp: s.vp, notes: s.notes}
}

// eachSize runs the flow as subtests "phone" and "desktop", each on its
// own Hearth.
func eachSize(t *testing.T, flow func(t *testing.T, s *site)) {
	t.Parallel()
	for _, vp := range sizes {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			needBrowser(t)
			flow(t, startSite(t, vp))
		})
	}
}

func startSite(t *testing.T, vp viewport) *site {
	t.Helper()
	a := apptest.Start(t, app.Config{})
	return &site{t: t, app: a, base: a.URL(), vp: vp, notes: &notes{noted: map[string]bool{}}}
}

// member creates an account directly in the service (for flows that are
// not about registering) and returns it.
func (s *site) member(name, email, password string, role forum.Role) *forum.Member {
	s.t.Helper()
	m, err := s.app.Service.CreateMember(s.t.Context(), forum.NewMember{Email: email, Name: name, Password: password, Role: role})
	if err != nil {
		s.t.Fatalf("create member %s: %v", name, err)
	}
	return m
}

// tab is one member's browser: a tab in its own browser context, emulating
// the site's viewport.
type tab struct {
	t    *testing.T
	s    *site
	ctx  context.Context
	who  string
	noJS bool
}

type tabOption func(*tab)

// withoutJavaScript disables script execution in the tab.
func withoutJavaScript(b *tab) { b.noJS = true }

// newTab opens a browser tab for who (used in failure screenshots' names).
func (s *site) newTab(who string, opts ...tabOption) *tab {
	t := s.t
	t.Helper()
	bctx := needBrowser(t)
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &tab{t: t, s: s, ctx: ctx, who: who}
	for _, o := range opts {
		o(b)
	}
	vpOpts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(s.vp.scale)}
	if s.vp.mobile {
		vpOpts = append(vpOpts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(s.vp.w, s.vp.h, vpOpts...),
		// Tabs run side by side: each behaves as the focused window, so
		// keyboard focus and :focus-visible work as for a member.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
			return err
		}),
	}
	if b.noJS {
		steps = append(steps, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	// The first run creates the tab: no timeout on its context (it would
	// close the tab), a watchdog instead.
	watchdog := time.AfterFunc(actionTimeout, cancel)
	err := chromedp.Do(ctx, steps...)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("open a tab for %s: %v", who, err)
	}
	name := screenshotName(t.Name())
	if s.tabs > 0 {
		name += "-" + screenshotName(who)
	}
	s.tabs++
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot(name)
		}
	})
	return b
}

func screenshotName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// screenshot saves a full-page PNG to screenshots/NAME.png.
func (b *tab) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot of %s: %v", b.who, err)
		return
	}
	if err := os.MkdirAll("screenshots", 0o755); err != nil {
		b.t.Log(err)
		return
	}
	path := filepath.Join("screenshots", name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Log(err)
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.t.Logf("screenshot of %s's tab (%s): e2e/%s", b.who, loc, path)
}

// do runs browser actions with a timeout and fails the test on error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	defer b.slow(what, time.Now())
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.who, what, err)
	}
}

// slow logs a browser step that took more than 3 seconds: a sign of a
// page waiting on something, or of a loaded machine.
func (b *tab) slow(what string, start time.Time) {
	if d := time.Since(start); d > 3*time.Second {
		b.t.Logf("%s: slow step (%v): %s", b.who, d.Round(time.Millisecond), what)
	}
}

// eval evaluates a JavaScript expression in the page (through DevTools, so
// neither the page's CSP nor disabled scripts stop it) and decodes it.
func eval[T any](b *tab, js string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		b.t.Fatalf("%s: evaluate %.80q: %v", b.who, js, err)
	}
	return v
}

// open goes to path (as if typed in the address bar), checks the page and
// returns the HTTP status.
func (b *tab) open(path string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	defer b.slow("open "+path, time.Now())
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.s.base+path))
	if err != nil {
		b.t.Fatalf("%s: open %s: %v", b.who, path, err)
	}
	b.checkPage()
	return int(res.Status)
}

// jsAction evaluates js in the page as a step of an action list.
func jsAction(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[*cdpruntime.RemoteObject](js)(ctx, t)
		return err
	})
}

// xq quotes s as an XPath string literal.
func xq(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	parts := strings.Split(s, "'")
	return "concat('" + strings.Join(parts, `', "'", '`) + "')"
}

// Element finders by what a member sees: XPath queries.
func link(text string) string { return "//a[normalize-space()=" + xq(text) + "]" }
func button(text string) string {
	return "//button[normalize-space()=" + xq(text) + " or @aria-label=" + xq(text) + "]"
}
func within(scope, x string) string { return scope + x } // x inside scope

func post(id int64) string { return fmt.Sprintf("//article[@id='p%d']", id) }

// activate taps (phone) or clicks (desktop) the element.
func (b *tab) activate(xpath string) chromedp.Action[chromedp.Void] {
	if b.s.vp.mobile {
		return chromedp.Tap(chromedp.Search(xpath))
	}
	return chromedp.Click(chromedp.Search(xpath))
}

// follow taps or clicks a link or submit button, waits for the page it
// leads to, checks it and returns the HTTP status.
func (b *tab) follow(xpath string) int {
	b.t.Helper()
	return b.navigateBy("activate "+xpath, b.activate(xpath))
}

// navigateBy runs steps that lead to a new page (a click, a key press) and
// waits for it.
func (b *tab) navigateBy(what string, steps ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	defer b.slow(what, time.Now())
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.who, what, err)
	}
	if res == nil {
		b.t.Fatalf("%s: %s: no page loaded", b.who, what)
	}
	b.checkPage()
	return int(res.Status)
}

// press taps or clicks an element that does not leave the page.
func (b *tab) press(xpath string) {
	b.t.Helper()
	b.do("activate "+xpath, b.activate(xpath))
}

// fieldID finds the form field labelled label (by its <label for>).
func (b *tab) fieldID(label string) string {
	b.t.Helper()
	x := "//label[normalize-space()=" + xq(label) + "]"
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.Search(x), "for", chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("%s: no label %q: %v", b.who, label, err)
	}
	if res.Value == "" {
		b.t.Fatalf("%s: the label %q is not tied to a field (no for=)", b.who, label)
	}
	return res.Value
}

// fill replaces the content of the field labelled label by typing value.
func (b *tab) fill(label, value string) {
	b.t.Helper()
	id := b.fieldID(label)
	b.do("fill "+label,
		jsAction(`document.getElementById(`+jsString(id)+`).value = ''`),
		b.typeInto(id, value))
}

// typeInto focuses the field with the id and enters value as one text
// insertion (Input.insertText: the input events of typing or pasting,
// twenty times quicker than a key event per character; TestKeyboardOnly
// types key by key).
func (b *tab) typeInto(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Focus(chromedp.ID(id)), insertText(value))
}

// insertText inserts text at the caret of the focused field.
func insertText(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})
}

// typeAtEnd types value after what the field labelled label holds (the
// caret is moved with Ctrl+End, as a member would).
func (b *tab) typeAtEnd(label, value string) {
	b.t.Helper()
	id := b.fieldID(label)
	b.do("type into "+label,
		b.activate("//*[@id="+xq(id)+"]"),
		chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		insertText(value))
}

// value reads the current value of the field labelled label.
func (b *tab) value(label string) string {
	b.t.Helper()
	id := b.fieldID(label)
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("%s: value of %s: %v", b.who, label, err)
	}
	return v
}

// check ticks (or unticks) the checkbox whose label contains text.
func (b *tab) check(text string, on bool) {
	b.t.Helper()
	box := "//label[contains(normalize-space(), " + xq(text) + ")]//input[@type='checkbox']"
	if b.checked(text) != on {
		b.press(box)
	}
	if b.checked(text) != on {
		b.t.Fatalf("%s: %q did not become %v", b.who, text, on)
	}
}

func (b *tab) checked(text string) bool {
	b.t.Helper()
	return eval[bool](b, `document.evaluate(`+jsString("//label[contains(normalize-space(), "+xq(text)+")]//input[@type='checkbox']")+
		`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue.checked`)
}

// choose selects the option with the given text in the select labelled label.
func (b *tab) choose(label, option string) {
	b.t.Helper()
	id := b.fieldID(label)
	val := eval[string](b, `[...document.getElementById(`+jsString(id)+`).options].find(o => o.text.trim() === `+jsString(option)+`).value`)
	b.do("choose "+option, jsAction(`(el => { el.value = `+jsString(val)+`; el.dispatchEvent(new Event('change', {bubbles: true})); })(document.getElementById(`+jsString(id)+`))`))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return `"` + r.Replace(s) + `"`
}

// text is what the page shows (its rendered text).
func (b *tab) text() string {
	b.t.Helper()
	return eval[string](b, `document.body.innerText`)
}

// see fails unless the page shows each of texts.
func (b *tab) see(texts ...string) {
	b.t.Helper()
	page := b.text()
	for _, s := range texts {
		if !strings.Contains(page, s) {
			b.t.Fatalf("%s: the page %s does not show %q; it shows:\n%s", b.who, b.path(), s, page)
		}
	}
}

// dontSee fails if the page shows any of texts.
func (b *tab) dontSee(texts ...string) {
	b.t.Helper()
	page := b.text()
	for _, s := range texts {
		if strings.Contains(page, s) {
			b.t.Fatalf("%s: the page %s shows %q; it should not:\n%s", b.who, b.path(), s, page)
		}
	}
}

// has reports whether the XPath matches an element.
func (b *tab) has(xpath string) bool {
	b.t.Helper()
	return eval[bool](b, `document.evaluate(`+jsString(xpath)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue !== null`)
}

// location returns the tab's URL.
func (b *tab) location() *url.URL {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("%s: location: %v", b.who, err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// path is the tab's URL path and query, for messages.
func (b *tab) path() string {
	u := b.location()
	return u.RequestURI()
}

// at fails unless the tab is at path; a path ending in "/" (other than
// "/" itself) is a prefix: at("/t/") is any thread.
func (b *tab) at(path string) {
	b.t.Helper()
	p := b.location().Path
	if path != "/" && strings.HasSuffix(path, "/") {
		if !strings.HasPrefix(p, path) {
			b.t.Fatalf("%s: at %s, want %s…", b.who, p, path)
		}
	} else if p != path {
		b.t.Fatalf("%s: at %s, want %s", b.who, p, path)
	}
}

// key sends key presses (kb.Tab, kb.Enter, text) to the focused element.
func (b *tab) key(keys string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}
