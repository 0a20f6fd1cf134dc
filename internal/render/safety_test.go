package render

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// These helpers state the safety contract of Render independently of the
// bluemonday policy, by looking at the output the way a browser would.

// bannedElements must never appear, whatever the input.
var bannedElements = map[string]bool{
	"script": true, "iframe": true, "style": true, "object": true, "embed": true,
	"form": true, "svg": true, "math": true, "base": true, "meta": true, "link": true,
	"button": true, "textarea": true, "select": true, "frame": true, "frameset": true,
	"applet": true, "template": true, "noscript": true, "xmp": true, "plaintext": true,
}

// allowedAttrs is everything goldmark + the policy may legitimately produce:
// an allowlist, so anything new (a policy change, a goldmark upgrade) fails
// the tests and gets a conscious decision.
var allowedAttrs = map[string]map[string]bool{
	"a":          {"href": true, "rel": true, "title": true},
	"img":        {"src": true, "alt": true, "title": true},
	"code":       {"class": true},
	"input":      {"type": true, "disabled": true, "checked": true},
	"th":         {"class": true}, // al-l, al-c, al-r (tables.go)
	"td":         {"class": true},
	"div":        {"class": true, "tabindex": true}, // table-wrap and 0 only
	"ol":         {"start": true},
	"p":          {},
	"br":         {},
	"hr":         {},
	"em":         {},
	"strong":     {},
	"del":        {},
	"pre":        {},
	"blockquote": {},
	"ul":         {},
	"li":         {},
	"table":      {},
	"thead":      {},
	"tbody":      {},
	"tr":         {},
	"h1":         {}, "h2": {}, "h3": {}, "h4": {}, "h5": {}, "h6": {},
}

// urlAttrs are attributes a browser may dereference as a URL.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "cite": true,
	"xlink:href": true, "srcset": true, "poster": true, "background": true,
	"data": true, "codebase": true, "dynsrc": true, "lowsrc": true, "ping": true,
}

var (
	rawBannedTag = regexp.MustCompile(`(?i)<\s*/?\s*(script|iframe|style|object|embed|form|svg|math|base|meta|link)\b`)
	rawTag       = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	quotedValue  = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	rawEventAttr = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

// dangerousScheme reports whether a URL attribute value would run code or
// embed content: javascript:, vbscript:, data:. Browsers ignore ASCII
// whitespace and control characters inside the scheme, so those are removed
// before comparing.
func dangerousScheme(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, v)
	v = strings.ToLower(v)
	for _, s := range []string{"javascript:", "vbscript:", "data:", "livescript:", "mocha:"} {
		if strings.HasPrefix(v, s) {
			return true
		}
	}
	return false
}

// unsafeReasons returns every violation of the safety contract found in out
// (nil when it is safe). It checks the raw text, every token, and the tree a
// browser would build when inserting out into a <div>.
func unsafeReasons(out string) []string {
	var why []string
	add := func(format string, args ...any) { why = append(why, fmt.Sprintf(format, args...)) }

	// 1. Raw text: banned tags, and on*= inside a tag once quoted attribute
	// values (which may legitimately contain such text) are removed.
	if m := rawBannedTag.FindString(out); m != "" {
		add("raw banned tag %q", m)
	}
	for _, tag := range rawTag.FindAllString(out, -1) {
		if rawEventAttr.MatchString(quotedValue.ReplaceAllString(tag, `""`)) {
			add("raw event handler in %q", tag)
		}
	}

	// 2. Tokens, then 3. the parsed tree. Both see attribute values with
	// character references decoded, as the browser does.
	checkElem := func(where, name string, attrs []html.Attribute) {
		if bannedElements[name] {
			add("%s: banned element <%s>", where, name)
		}
		allowed, known := allowedAttrs[name]
		if !known {
			add("%s: unexpected element <%s>", where, name)
		}
		var isCheckbox, disabled bool
		for _, a := range attrs {
			key := a.Key
			if a.Namespace != "" {
				key = a.Namespace + ":" + a.Key
			}
			lk := strings.ToLower(key)
			if strings.HasPrefix(lk, "on") {
				add("%s: event handler %s=%q on <%s>", where, key, a.Val, name)
			}
			if lk == "style" {
				add("%s: style attribute on <%s>", where, name)
			}
			if known && !allowed[lk] {
				add("%s: unexpected attribute %s on <%s>", where, key, name)
			}
			if (urlAttrs[lk] || strings.Contains(lk, "href") || strings.Contains(lk, "src")) && dangerousScheme(a.Val) {
				add("%s: dangerous URL %s=%q on <%s>", where, key, a.Val, name)
			}
			if name == "a" && lk == "rel" && a.Val != linkRel {
				add("%s: rel=%q", where, a.Val)
			}
			if name == "code" && lk == "class" && !codeClass.MatchString(a.Val) {
				add("%s: class=%q on <code>", where, a.Val)
			}
			if (name == "th" || name == "td") && lk == "class" && a.Val != "al-l" && a.Val != "al-c" && a.Val != "al-r" {
				add("%s: class=%q on <%s>", where, a.Val, name)
			}
			if name == "div" && ((lk == "class" && a.Val != "table-wrap") || (lk == "tabindex" && a.Val != "0")) {
				add("%s: %s=%q on <div>", where, key, a.Val)
			}
			if name == "input" && lk == "type" && a.Val == "checkbox" {
				isCheckbox = true
			}
			if name == "input" && lk == "disabled" {
				disabled = true
			}
		}
		if name == "input" && (!isCheckbox || !disabled) {
			add("%s: <input> that is not a disabled checkbox: %v", where, attrs)
		}
		if name == "a" {
			hasHref, hasRel := false, false
			for _, a := range attrs {
				hasHref = hasHref || a.Key == "href"
				hasRel = hasRel || a.Key == "rel"
			}
			if hasHref && !hasRel {
				add("%s: link without rel: %v", where, attrs)
			}
		}
	}

	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			checkElem("token", tok.Data, tok.Attr)
		case html.EndTagToken:
			if bannedElements[tok.Data] {
				add("token: banned end tag </%s>", tok.Data)
			}
		case html.CommentToken:
			// Comments are inert, but nothing should produce them: goldmark's
			// "raw HTML omitted" comments are stripped by the sanitizer.
			add("token: comment %q", tok.Data)
		}
	}

	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
	if err != nil {
		add("parse: %v", err)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name := n.Data
			if n.Namespace != "" {
				// Foreign content (svg/math) must not exist at all.
				add("tree: foreign element %s:%s", n.Namespace, name)
			}
			checkElem("tree", name, n.Attr)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return why
}
