// Package render turns member-written markdown into HTML that is safe to put
// on a Hearth page.
//
// Posts are stored as the markdown the member typed; the HTML produced here is
// cached next to the post and served under a strict Content-Security-Policy.
// The renderer is the first wall, the CSP the second: whatever a member writes,
// the output of Render never contains script, style, event-handler
// attributes, iframe/object/embed, forms, or javascript:, vbscript: or data:
// URLs.
//
// Rendering is done in two independent steps so that a bug in one does not
// open a hole on its own:
//
//  1. goldmark parses CommonMark + GFM (tables, strikethrough, autolinks,
//     task lists). Raw HTML in the markdown is never passed through: goldmark
//     is used without html.WithUnsafe, so it is replaced by a comment.
//  2. The resulting HTML is sanitized with a bluemonday policy derived from
//     UGCPolicy (see newPolicy for the exact decisions).
//
// The work of both is bounded (limits.go): markdown can turn a short body
// into millions of elements, so a body over a limit is refused, with a
// message for the member, before the HTML is built.
//
// Quote builds the markdown for quoting a post in a reply; Excerpt and
// HTMLExcerpt a plain-text summary for page descriptions.
package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// linkRel is put on every link. Posts are user-generated content (ugc), we do
// not vouch for the targets (nofollow), and the target must not get a handle
// on our window (noopener).
const linkRel = "nofollow ugc noopener"

// Renderer converts markdown to sanitized HTML. Build it once with New and
// share it: a Renderer is immutable after construction and safe for
// concurrent use by multiple goroutines (goldmark.Markdown and
// bluemonday.Policy are both documented as safe for concurrent use once they
// are configured, and neither is modified after New returns).
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds the markdown converter and the sanitizer policy.
func New() *Renderer {
	return &Renderer{md: newMarkdown(), policy: newPolicy()}
}

// newMarkdown configures goldmark: CommonMark + GFM. There is no
// html.WithUnsafe, so raw HTML in the source is replaced by a comment and
// javascript:, vbscript: and most data: destinations are emptied already here
// (the data:image/png etc. goldmark lets through are removed by the policy).
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		// goldmark's default parser, with the list parsers wrapped in
		// listGuard (see limits.go).
		goldmark.WithParser(parser.NewParser(
			parser.WithBlockParsers(blockParsers()...),
			parser.WithInlineParsers(parser.DefaultInlineParsers()...),
			parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		)),
		// extension.GFM, spelled out so that table cell alignment comes as
		// a class (tables.go): the default is style="text-align:…", and we
		// allow no inline styles at all.
		goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignNone)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
		),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(linkRelTransformer{}, 1000), util.Prioritized(mentionTransformer{}, 900),
				util.Prioritized(tableAlignTransformer{}, 1100)),
			// The guards of limits.go, each ahead of the parser it protects
			// (a lower number runs first): blockquote 800, list 300,
			// setext heading 100; link 200, strikethrough 500; table
			// transformer 200 (and after link reference definitions, 100,
			// are taken out).
			parser.WithBlockParsers(util.Prioritized(nestingGuard{}, 50)),
			parser.WithInlineParsers(util.Prioritized(bracketGuard{}, 150), util.Prioritized(tildeGuard{}, 450)),
			parser.WithParagraphTransformers(util.Prioritized(tableGuard{}, 150)),
		),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(tableWrapRenderer{}, 100))),
	)
}

// codeClass is the only class we accept: the language hint goldmark puts on
// fenced code blocks (for client-side highlighting). Anything else would let
// members borrow the site's own CSS classes to spoof UI.
var codeClass = regexp.MustCompile(`^language-[a-zA-Z0-9_+-]+$`)

func newPolicy() *bluemonday.Policy {
	// UGCPolicy already allows only http, https, mailto and relative URLs
	// (AllowStandardURLs) and requires them to parse; it has no script,
	// style, iframe, object, embed, form controls, svg/math, base, meta or
	// link elements, no style or on* attributes, and no class. It allows
	// tables, lists, headings, blockquote and img (http/https/relative src
	// only; the CSP's img-src decides which hosts actually load).
	p := bluemonday.UGCPolicy()

	// The URL decision, restated so it is visible here (these calls only add
	// to what UGCPolicy set; the tests pin the combined result). data: is
	// deliberately absent (no AllowDataURIImages), and protocol-relative
	// //host links count as relative: they are http(s) links all the same.
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true) // posts link to /p/123
	p.RequireParseableURLs(true)

	// goldmark puts rel="nofollow ugc noopener" on every link (see
	// linkRelTransformer); keep exactly that value and nothing else. If the
	// attribute were ever missing, bluemonday still adds rel="nofollow".
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow ugc noopener$`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)

	p.AllowAttrs("class").Matching(codeClass).OnElements("code")
	// Mentions (mentions.go). Markdown cannot put a class on a link, so
	// only the mention transformer's links carry it.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention$`)).OnElements("a")

	// Tables (tables.go): the scrolling box and the columns' alignment.
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^table-wrap$`)).OnElements("div")
	p.AllowAttrs("tabindex").Matching(regexp.MustCompile(`^0$`)).OnElements("div")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^al-[lcr]$`)).OnElements("th", "td")

	// "3. foo" starts a list at 3; CommonMark caps the number at 9 digits.
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")

	// GFM task lists: goldmark emits <input checked="" disabled="" type="checkbox">.
	// bluemonday cannot require an attribute to be present, so the element is
	// additionally checked after sanitizing (see restrictInputs): only a
	// disabled checkbox survives.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^$`)).OnElements("input")

	return p
}

// Render converts member markdown to sanitized HTML. Any input, including
// invalid UTF-8, yields safe HTML, unless it is too big to render: a body
// over one of the limits (MaxTableColumns, MaxTableCells, MaxNesting,
// MaxLinks, MaxLinkScanBytes, MaxListSteps, MaxNodes, MaxHTMLBytes) gets a
// forum.FieldError on "body" saying which, before most of the work is done. Other errors are internal
// failures.
func (r *Renderer) Render(src string) (string, error) {
	md, err := toHTML(r.md, []byte(cleanInput(src)))
	if err != nil {
		return "", err
	}

	out := cappedBuffer{max: MaxHTMLBytes}
	out.Grow(md.Len())
	if err := r.policy.SanitizeReaderToWriter(md, &out); err != nil {
		if out.over {
			// Escaping can grow the text (' becomes &#39;).
			return "", tooBig("more than " + kb(MaxHTMLBytes))
		}
		return "", fmt.Errorf("render: sanitize: %w", err)
	}

	if bytes.Contains(out.Bytes(), []byte("<input")) {
		return restrictInputs(out.Bytes())
	}
	return out.String(), nil
}

// toHTML parses source with the guards of limits.go, refuses it if it is
// over a limit, and renders it, not yet sanitized. goldmark's Parser and
// Renderer are called apart (rather than Convert) so that the parsed
// document is measured before any HTML is written.
func toHTML(md goldmark.Markdown, source []byte) (*cappedBuffer, error) {
	pc, limits := newParseContext()
	doc := md.Parser().Parse(text.NewReader(source), parser.WithContext(pc))
	if limits.err != nil {
		return nil, limits.err
	}
	if err := checkDocument(doc, source); err != nil {
		return nil, err
	}
	buf := &cappedBuffer{max: MaxHTMLBytes}
	buf.Grow(len(source) + len(source)/4)
	if err := md.Renderer().Render(buf, source, doc); err != nil {
		if buf.over {
			return nil, tooBig("more than " + kb(MaxHTMLBytes))
		}
		return nil, fmt.Errorf("render: markdown: %w", err)
	}
	return buf, nil
}

// cleanInput makes the source valid UTF-8 without NUL bytes. Callers validate
// UTF-8 already; this keeps the parser and sanitizer away from byte sequences
// they may interpret differently from the browser.
func cleanInput(src string) string {
	if !utf8.ValidString(src) {
		src = strings.ToValidUTF8(src, "\uFFFD")
	}
	if strings.IndexByte(src, 0) >= 0 {
		src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	}
	return src
}

// restrictInputs re-serializes sanitized HTML, keeping an <input> only when it
// is a disabled checkbox (a rendered GFM task-list item). bluemonday limits
// the attributes of <input> but would keep, say, <input checked>, which a
// browser shows as an editable text box.
func restrictInputs(b []byte) (string, error) {
	var out strings.Builder
	out.Grow(len(b))
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return "", fmt.Errorf("render: restrict inputs: %w", err)
			}
			return out.String(), nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "input" {
				out.Write(z.Raw())
				continue
			}
			var isCheckbox, disabled, checked bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "type":
					isCheckbox = strings.EqualFold(string(v), "checkbox")
				case "disabled":
					disabled = true
				case "checked":
					checked = true
				}
			}
			if !isCheckbox || !disabled {
				continue // drop it
			}
			// Write a canonical element rather than the raw token.
			if checked {
				out.WriteString(`<input type="checkbox" disabled="" checked="">`)
			} else {
				out.WriteString(`<input type="checkbox" disabled="">`)
			}
		default:
			out.Write(z.Raw())
		}
	}
}

// linkRelTransformer sets rel on every link goldmark produces, both
// [text](url) links and autolinks (<https://…> and bare GFM URLs).
type linkRelTransformer struct{}

func (linkRelTransformer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	rel := []byte(linkRel)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindLink, ast.KindAutoLink:
			n.SetAttributeString("rel", rel)
		}
		return ast.WalkContinue, nil
	})
}
