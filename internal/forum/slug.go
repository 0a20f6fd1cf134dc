package forum

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slugify makes a URL-friendly form of a title: lower-case ASCII letters,
// digits and hyphens, at most 60 characters. Accents are dropped; other
// scripts fall back to "thread" because IDs, not slugs, find things.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(title)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r): // combining accent: drop
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		return "thread"
	}
	if reservedSlugs[s] {
		return s + "-1" // keep /t/{id}/{slug} apart from /t/{id}/reply and friends
	}
	return s
}

// reservedSlugs are the action words used after an ID in URLs.
var reservedSlugs = map[string]bool{"new": true, "reply": true, "edit": true, "flags": true, "delete": true, "restore": true, "move": true, "password": true}
