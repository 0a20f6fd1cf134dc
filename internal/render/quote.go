package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxQuoteRunes is roughly how much of a post a quote carries. Quoting is for
// context; the full post is one click away through the "wrote" link.
const maxQuoteRunes = 1500

// Quote returns the markdown to put at the top of a reply that quotes a post:
//
//	> **author** [wrote](postURL):
//	>
//	> body…
//
// followed by a blank line. The author name is escaped so it is shown
// literally, lines of the body that are themselves quotes (of an earlier
// post) are dropped so quotes do not pile up, and a long body is trimmed to
// about 1,500 characters at a line or word boundary, marked with "…".
func Quote(author, postURL, body string) string {
	body = cleanInput(body)
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	body = dropNestedQuotes(body)
	body = trimBlankLines(body)
	body = trimQuote(body, maxQuoteRunes)

	var b strings.Builder
	b.Grow(len(body) + len(author) + len(postURL) + 64)
	b.WriteString("> **")
	b.WriteString(escapeMarkdown(author))
	b.WriteString("** [wrote](")
	b.WriteString(escapeURL(postURL))
	b.WriteString("):\n")
	if body != "" {
		b.WriteString(">\n")
		for line := range strings.SplitSeq(body, "\n") {
			if strings.TrimSpace(line) == "" {
				b.WriteString(">\n")
				continue
			}
			b.WriteString("> ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	// The blank line ends the blockquote, so the reply typed below it is not
	// swallowed by lazy continuation.
	b.WriteByte('\n')
	return b.String()
}

// trimBlankLines removes leading blank lines and trailing whitespace, but not
// the indentation of the first line (it may be an indented code block).
func trimBlankLines(s string) string {
	s = strings.TrimRight(s, " \t\n")
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			return s
		}
		s = s[i+1:]
	}
}

// escapeMarkdown makes s render as literal text on a single line. CommonMark
// lets any ASCII punctuation be backslash-escaped, so escaping all of it
// covers emphasis, links, images, code spans, autolinks, raw HTML and entity
// references without having to enumerate the special cases.
func escapeMarkdown(s string) string {
	s = cleanInput(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ') // a name must not start a new block
		case unicode.IsControl(r):
			// drop
		case r < utf8.RuneSelf && unicode.IsPunct(r) || r < utf8.RuneSelf && unicode.IsSymbol(r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "Someone"
	}
	return out
}

// escapeURL percent-encodes the characters that would end or break a
// markdown link destination. postURL comes from our own code, but it is
// cheap to make sure it cannot change the markup around it.
func escapeURL(u string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(u))
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c <= ' ' || c == 0x7f || c == '(' || c == ')' || c == '<' || c == '>' || c == '\\' || c == '"':
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dropNestedQuotes removes lines that start a blockquote (up to three spaces
// of indentation, then '>'), except inside fenced code blocks where '>' is
// just content (a shell prompt, a diff).
func dropNestedQuotes(body string) string {
	var b strings.Builder
	b.Grow(len(body))
	var fence string // the opening fence while inside a fenced code block
	for line := range strings.SplitSeq(body, "\n") {
		trimmed, indent := trimIndent(line)
		if fence != "" {
			if indent <= 3 && isClosingFence(trimmed, fence) {
				fence = ""
			}
		} else if indent <= 3 {
			if f := openingFence(trimmed); f != "" {
				fence = f
			} else if strings.HasPrefix(trimmed, ">") {
				continue
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// trimIndent strips leading spaces and tabs and reports the indentation width
// (tabs count as 4, which is what matters for the "up to 3" test).
func trimIndent(line string) (string, int) {
	width := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
			width++
		case '\t':
			width += 4
		default:
			return line[i:], width
		}
	}
	return "", width
}

// openingFence returns the fence run (``` or ~~~, possibly longer) that opens
// a fenced code block on this line, or "".
func openingFence(s string) string {
	if len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	if s[0] == '`' && strings.ContainsRune(s[n:], '`') {
		return "" // backtick info strings may not contain backticks
	}
	return s[:n]
}

func isClosingFence(s, fence string) bool {
	if !strings.HasPrefix(s, fence) {
		return false
	}
	rest := strings.TrimLeft(s, fence[:1])
	return strings.TrimSpace(rest) == ""
}

// trimQuote cuts body to about max runes and marks the cut with "…",
// preferring the last line break and otherwise the last space in the second
// half of the allowance so that words and, where possible, lines stay whole.
func trimQuote(body string, max int) string {
	if utf8.RuneCountInString(body) <= max {
		return body
	}
	head := body[:byteOffsetOfRune(body, max)]
	if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 {
		// On its own line: appended to a line such as a closing ``` it
		// would change what that line means.
		return strings.TrimRight(head[:i], " \t\n") + "\n\n…"
	}
	if i := strings.LastIndexAny(head, " \t"); i >= len(head)/2 {
		head = head[:i]
	}
	return strings.TrimRight(head, " \t\n") + "…"
}

// byteOffsetOfRune returns the byte offset at which the n-th rune of s
// starts (len(s) if s is shorter).
func byteOffsetOfRune(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// Quote is the package-level Quote as a method, so a *Renderer serves as
// the forum's Markup.
func (r *Renderer) Quote(author, postURL, body string) string { return Quote(author, postURL, body) }
