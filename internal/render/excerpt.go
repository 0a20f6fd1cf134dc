package render

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// HTMLExcerpt returns a plain-text excerpt of HTML that Render made, for
// page descriptions and meta tags: no markup, whitespace collapsed, at
// most n runes, cut at a word boundary and marked with "…" when shortened.
// Code blocks and images are left out; they make poor descriptions.
// Working from the post's cached rendering, rather than stripping markdown
// by hand, gets escapes, entities, link syntax and emphasis exactly as
// Render saw them.
//
// The result is plain text, not HTML: it must be escaped where it is used
// (html/template does that).
func HTMLExcerpt(rendered string, n int) string {
	if n <= 0 {
		return ""
	}
	return truncateWords(htmlText([]byte(rendered)), n)
}

// htmlText extracts the text of an HTML fragment with whitespace collapsed.
// Block-level tags separate words; inline tags (emphasis, links, code) do
// not, so "**foo**bar" stays "foobar".
func htmlText(b []byte) string {
	var out strings.Builder
	out.Grow(len(b) / 2)
	space := false // a separator is pending
	skip := 0      // depth inside <pre>
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
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
				}
				space = false
				out.WriteRune(r)
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
}

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
