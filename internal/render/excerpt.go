package render

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// excerptMD is the converter used by Excerpt. It is built on first use and,
// like the one in Renderer, safe for concurrent use.
var excerptMD = sync.OnceValue(newMarkdown)

// Excerpt returns a plain-text excerpt of a markdown body for page
// descriptions and meta tags: no markup, whitespace collapsed, at most n
// runes, cut at a word boundary and marked with "…" when shortened. Code
// blocks and images are left out; they make poor descriptions.
//
// The result is plain text, not HTML: it must be escaped where it is used
// (html/template does that).
func Excerpt(src string, n int) string {
	if n <= 0 {
		return ""
	}
	// Going through the HTML rendering, rather than stripping markdown by
	// hand, gets escapes, entities, link syntax and emphasis rules exactly
	// as Render sees them, within the same limits.
	src = cleanInput(src)
	buf, err := toHTML(excerptMD(), []byte(src))
	if err != nil {
		// Too big to render (Render refuses such a body): the words of the
		// source, markup and all, still describe it.
		return truncateWords(collapseSpace(src), n)
	}
	return truncateWords(htmlText(bytes.NewReader(buf.Bytes()), n), n)
}

// HTMLExcerpt is Excerpt for HTML that Render made: it skips the markdown
// step, so a page can describe itself from a post's cached rendering. It
// reads only as far as the excerpt needs.
func HTMLExcerpt(rendered string, n int) string {
	if n <= 0 {
		return ""
	}
	return truncateWords(htmlText(strings.NewReader(rendered), n), n)
}

// htmlText extracts the text of an HTML fragment with whitespace collapsed,
// stopping once it has more than limit runes (enough for truncateWords to
// cut at limit). Block-level tags separate words; inline tags (emphasis,
// links, code) do not, so "**foo**bar" stays "foobar".
func htmlText(r io.Reader, limit int) string {
	var out strings.Builder
	runes := 0
	space := false // a separator is pending
	skip := 0      // depth inside <pre>
	z := html.NewTokenizer(r)
	for runes <= limit {
		switch z.Next() {
		case html.ErrorToken:
			return out.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			for _, r := range string(z.Text()) {
				if unicode.IsSpace(r) {
					space = true
					continue
				}
				if space && out.Len() > 0 {
					out.WriteByte(' ')
					runes++
				}
				space = false
				out.WriteRune(r)
				if runes++; runes > limit {
					break
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if string(name) == "pre" {
				skip++
			}
			if !inlineTag(name) {
				space = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "pre" && skip > 0 {
				skip--
			}
			if !inlineTag(name) {
				space = true
			}
		}
	}
	return out.String()
}

// collapseSpace joins the words of s with single spaces.
func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func inlineTag(name []byte) bool {
	switch string(name) {
	case "a", "em", "strong", "code", "del", "s", "span", "b", "i":
		return true
	}
	return false
}

// truncateWords shortens s to at most n runes, "…" included, cutting at the
// last space when there is one in the second half of the allowance.
func truncateWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	head := s[:byteOffsetOfRune(s, n-1)]
	// If the cut fell exactly between two words, the whole last word fits.
	if next, _ := utf8.DecodeRuneInString(s[len(head):]); next != ' ' {
		if i := strings.LastIndexByte(head, ' '); i >= len(head)/2 {
			head = head[:i]
		}
	}
	head = strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':'
	})
	return head + "…"
}
