package e2e

import (
	"fmt"
	"regexp"
	"strings"
)

// The checks run on every page a tab visits (checkPage) and the ones the
// accessibility tests add (focus, labels, landmarks).

// pageReport is what layoutJS measures.
type pageReport struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	TooSmall    []string `json:"tooSmall"`  // under 24x24 and not exempt: WCAG 2.5.8 failure
	Under44     []string `json:"under44"`   // under 44x44 (reported on phone)
	Exempt      []string `json:"exempt"`    // under 24x24 but exempt (inline in text, or spaced)
	Offscreen   []string `json:"offscreen"` // focusable but entirely left or right of the viewport
}

// targetsJS lists the elements a member can activate or type into.
const targetsJS = `const TARGETS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';`

// layoutJS measures the page: horizontal overflow, target sizes (WCAG 2.2
// 2.5.8 with its inline and spacing exceptions) and off-screen focusables.
const layoutJS = `(() => {
` + targetsJS + `
const vw = window.innerWidth;
const all = [...document.querySelectorAll(TARGETS)];
const label = el => {
	let s = el.tagName.toLowerCase();
	if (el.tagName === 'INPUT') s += '[type=' + el.type + ']';
	const t = (el.getAttribute('aria-label') || el.innerText || el.value || el.id || el.name || '').trim().replace(/\s+/g, ' ').slice(0, 40);
	return s + ' "' + t + '"';
};
const size = r => Math.round(r.width * 10) / 10 + 'x' + Math.round(r.height * 10) / 10;
const shown = el => {
	const cs = getComputedStyle(el);
	if (cs.visibility === 'hidden' || cs.display === 'none') return false;
	const r = el.getBoundingClientRect();
	return r.width > 1 || r.height > 1; // 1px boxes are visually hidden on purpose
};
// A checkbox or radio inside its label is activated by the whole label.
const targetRect = el => {
	if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
		const l = el.closest('label');
		if (l) return l.getBoundingClientRect();
	}
	return el.getBoundingClientRect();
};
const blockOf = el => {
	let p = el.parentElement;
	while (p && getComputedStyle(p).display.startsWith('inline')) p = p.parentElement;
	return p;
};
// WCAG 2.5.8 "inline" exception: a link in a sentence or block of text.
const inText = el => {
	if (getComputedStyle(el).display !== 'inline') return false;
	const b = blockOf(el);
	if (!b) return false;
	const w = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
	for (let n = w.nextNode(); n; n = w.nextNode()) {
		const owner = n.parentElement.closest(TARGETS);
		if (owner && b.contains(owner)) continue;
		if (/[\p{L}\p{N}]/u.test(n.data)) return true;
	}
	return false;
};
const skip = all[0] && all[0].matches('a[href^="#"]') ? all[0] : null;
const items = all.filter(shown).map(el => ({el, r: targetRect(el)}));
// Inside a box that scrolls sideways (a wide table) an element is reached
// by scrolling the box, which focusing it does: not off-screen.
const inScroller = el => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
const offscreen = items.filter(x => x.el !== skip && (x.r.right <= 0 || x.r.left >= vw) && !inScroller(x.el));
const onscreen = items.filter(x => !offscreen.includes(x) && x.el !== skip);
const small = onscreen.filter(x => x.r.width < 24 || x.r.height < 24);
const center = r => [r.left + r.width / 2, r.top + r.height / 2];
const dist = (c, r) => Math.hypot(Math.max(r.left - c[0], 0, c[0] - r.right), Math.max(r.top - c[1], 0, c[1] - r.bottom));
const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, tooSmall: [], under44: [], exempt: [], offscreen: offscreen.map(x => label(x.el) + ' at x=' + Math.round(x.r.left))};
for (const x of small) {
	if (inText(x.el)) { out.exempt.push(label(x.el) + ' ' + size(x.r) + ' (inline in text)'); continue; }
	// WCAG 2.5.8 spacing exception: a 24px circle centred on the target
	// touches no other target and no other small target's circle.
	const c = center(x.r);
	const clash = onscreen.find(y => y !== x && !y.el.contains(x.el) && !x.el.contains(y.el) &&
		(dist(c, y.r) < 12 || (small.includes(y) && Math.hypot(c[0] - center(y.r)[0], c[1] - center(y.r)[1]) < 24)));
	if (clash) out.tooSmall.push(label(x.el) + ' ' + size(x.r) + ', too close to ' + label(clash.el));
	else out.exempt.push(label(x.el) + ' ' + size(x.r) + ' (spaced)');
}
for (const x of onscreen) if (x.r.width < 44 || x.r.height < 44) out.under44.push(label(x.el) + ' ' + size(x.r));
return out;
})()`

// checkPage runs the layout checks on the tab's current page: no
// horizontal scrolling, every target at least 24x24 CSS px (or exempt
// under WCAG 2.5.8), no focusable element off-screen. On the phone it
// logs (once per site) the targets under 44x44.
func (b *tab) checkPage() {
	b.t.Helper()
	r := eval[pageReport](b, layoutJS)
	where := b.path()
	if r.ScrollWidth > r.InnerWidth {
		b.t.Errorf("%s: %s scrolls sideways at %s: content is %dpx wide in a %dpx window", b.who, where, b.s.vp.name, r.ScrollWidth, r.InnerWidth)
	}
	for _, s := range r.TooSmall {
		b.t.Errorf("%s: %s: target smaller than 24x24 CSS px (WCAG 2.5.8): %s", b.who, where, s)
	}
	for _, s := range r.Offscreen {
		b.t.Errorf("%s: %s: focusable element off-screen: %s", b.who, where, s)
	}
	if b.s.vp.mobile {
		b.s.mu.Lock()
		defer b.s.mu.Unlock()
		for _, s := range r.Under44 {
			key := pageKind(where) + " " + digits.ReplaceAllString(s, "N")
			if !b.s.noted[key] {
				b.s.noted[key] = true
				b.t.Logf("note: %s: target under 44x44 on the phone: %s", pageKind(where), s)
			}
		}
	}
}

// once reports whether key is new for the site (to report a problem seen
// on every page once).
func (b *tab) once(key string) bool {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	if b.s.noted[key] {
		return false
	}
	b.s.noted[key] = true
	return true
}

var digits = regexp.MustCompile(`[0-9.]+`)

// pageKind turns /t/12/slug?page=2 into /t/{id} for de-duplicated notes.
func pageKind(path string) string {
	path, _, _ = strings.Cut(path, "?")
	parts := strings.Split(path, "/")
	if len(parts) > 2 {
		parts[2] = "{id}"
		if len(parts) > 3 && parts[1] != "admin" && parts[3] != "edit" && parts[3] != "new" && parts[3] != "reply" {
			parts = parts[:3]
		}
	}
	return strings.Join(parts, "/")
}

// focusReport describes document.activeElement.
type focusReport struct {
	Desc     string  `json:"desc"`
	Tag      string  `json:"tag"`
	ID       string  `json:"id"`
	Href     string  `json:"href"`
	Visible  bool    `json:"visible"`  // box inside the viewport
	Outline  bool    `json:"outline"`  // outline or box-shadow drawn
	Contrast float64 `json:"contrast"` // outline colour against what is behind it
	Style    string  `json:"style"`
}

const focusJS = `(() => {
const el = document.activeElement;
if (!el || el === document.body) return {desc: 'body', tag: 'body'};
const cs = getComputedStyle(el);
const r = el.getBoundingClientRect();
const rgb = s => { const m = s.match(/[\d.]+/g) || [0, 0, 0, 0]; return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
let bg = [255, 255, 255, 1];
for (let p = el.parentElement; p; p = p.parentElement) { const c = rgb(getComputedStyle(p).backgroundColor); if (c[3] > 0) { bg = c; break; } }
const oc = rgb(cs.outlineColor);
const l1 = lum(oc), l2 = lum(bg);
const outline = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none';
return {
	desc: el.tagName.toLowerCase() + ' "' + (el.getAttribute('aria-label') || el.innerText || el.id || el.name || '').trim().replace(/\s+/g, ' ').slice(0, 40) + '"',
	tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href') || '',
	visible: r.width > 1 && r.height > 1 && r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight,
	outline, contrast: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
	style: cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor + ' on ' + 'rgb(' + bg.slice(0, 3).join(', ') + ')' + (cs.boxShadow !== 'none' ? ' shadow ' + cs.boxShadow : ''),
};
})()`

func (b *tab) focused() focusReport {
	b.t.Helper()
	return eval[focusReport](b, focusJS)
}

// checkFocusVisible fails unless the focused element shows a focus
// indicator (outline or box-shadow) with a 3:1 contrast against what
// surrounds it (WCAG 2.4.7 and 1.4.11).
func (b *tab) checkFocusVisible(f focusReport) {
	b.t.Helper()
	if !f.Outline {
		b.t.Errorf("%s: %s: focus is not visible on %s (%s)", b.who, b.path(), f.Desc, f.Style)
		return
	}
	if f.Contrast < 3 && b.once("focus contrast "+f.Desc) {
		b.t.Errorf("%s: %s: the focus outline of %s has a contrast of %.2f:1 against its background, under 3:1 (WCAG 1.4.11): %s",
			b.who, pageKind(b.path()), f.Desc, f.Contrast, f.Style)
	}
}

// structureReport is the landmark and label check.
type structureReport struct {
	Mains      int      `json:"mains"`
	Unlabelled []string `json:"unlabelled"`
	FirstFocus string   `json:"firstFocus"` // outerHTML start of the first focusable element
	FirstHref  string   `json:"firstHref"`
	SkipTarget bool     `json:"skipTarget"` // the first element links to an element that exists
}

const structureJS = `(() => {
` + targetsJS + `
const fields = [...document.querySelectorAll('input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea')];
const unlabelled = fields.filter(f => !(f.labels && f.labels.length) && !f.getAttribute('aria-label') && !f.getAttribute('aria-labelledby'))
	.map(f => f.outerHTML.slice(0, 80));
const first = document.querySelector(TARGETS);
const href = first ? first.getAttribute('href') || '' : '';
return {mains: document.querySelectorAll('main, [role=main]').length, unlabelled,
	firstFocus: first ? first.outerHTML.slice(0, 80) : '', firstHref: href,
	skipTarget: href.startsWith('#') && document.getElementById(href.slice(1)) !== null};
})()`

// checkStructure checks the landmarks, labels and skip link of the page,
// then presses Tab once: the skip link must take focus and show.
func (b *tab) checkStructure() {
	b.t.Helper()
	where := pageKind(b.path())
	r := eval[structureReport](b, structureJS)
	if r.Mains != 1 {
		b.t.Errorf("%s: %d <main> landmarks, want 1", where, r.Mains)
	}
	for _, f := range r.Unlabelled {
		b.t.Errorf("%s: a field has no label: %s", where, f)
	}
	if !r.SkipTarget {
		b.t.Errorf("%s: the first focusable element is not a skip link to the content: %s", where, r.FirstFocus)
	}
	b.key("\t")
	f := b.focused()
	if f.Href != r.FirstHref || f.Tag != "a" {
		b.t.Errorf("%s: Tab once focuses %s, want the skip link", where, f.Desc)
	} else if !f.Visible {
		b.t.Errorf("%s: the skip link has focus but is not on screen", where)
	}
	b.checkFocusVisible(f)
}

// checkFocusOrder presses Tab up to n times after the skip link and checks
// that every element focused shows its focus.
func (b *tab) checkFocusOrder(n int) {
	b.t.Helper()
	seen := map[string]bool{}
	for range n {
		b.key("\t")
		f := b.focused()
		if f.Tag == "body" {
			return
		}
		if seen[f.Desc] {
			continue
		}
		seen[f.Desc] = true
		b.checkFocusVisible(f)
	}
}

func describeViolations(vs []axeViolation) string {
	var sb strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&sb, "\n  %s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, "\n    "))
	}
	return sb.String()
}
