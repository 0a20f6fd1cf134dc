package forum

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Limits on what members write. They keep pages readable and requests small.
const (
	MaxNameLen        = 60
	MaxEmailLen       = 254
	MinPasswordLen    = 10
	MaxPasswordLen    = 256 // hashing cost grows with length; nobody needs more
	MaxTitleLen       = 150
	MaxBodyLen        = 50000
	MaxProfileLen     = 100 // title/organization, location
	MaxBioLen         = 2000
	MaxCategoryName   = 80
	MaxCategoryDesc   = 500
	minThreadTitleLen = 3
)

// text trims s and checks it is valid UTF-8 of at most max runes (and at
// least min when min > 0).
func text(field, label, s string, min, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldError(field, "%s contains invalid characters (not UTF-8).", label)
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case min > 0 && n == 0:
		return "", FieldError(field, "%s must not be empty.", label)
	case n < min:
		return "", FieldError(field, "%s must be at least %d characters.", label, min)
	case n > max:
		return "", FieldError(field, "%s must be at most %d characters (it has %d).", label, max, n)
	}
	if strings.ContainsFunc(s, isControl) {
		return "", FieldError(field, "%s contains control characters.", label)
	}
	return s, nil
}

// isControl reports control characters other than tab and newlines.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

func validEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", FieldError("email", "Email must not be empty.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > MaxEmailLen || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", FieldError("email", "%q is not an email address we can use.", s)
	}
	return s, nil
}

func validPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return FieldError("password", "Password contains invalid characters (not UTF-8).")
	case n < MinPasswordLen:
		return FieldError("password", "Password must be at least %d characters.", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return FieldError("password", "Password must be at most %d bytes.", MaxPasswordLen)
	}
	return nil
}

// body validates a post body: non-empty, valid UTF-8, within MaxBodyLen.
// Leading/trailing blank lines are trimmed; inner whitespace is the member's.
func body(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldError("body", "The post contains invalid characters (not UTF-8).")
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return "", FieldError("body", "The post must not be empty.")
	}
	if n := utf8.RuneCountInString(s); n > MaxBodyLen {
		return "", FieldError("body", "The post must be at most %d characters (it has %d).", MaxBodyLen, n)
	}
	if strings.ContainsRune(s, 0) {
		return "", FieldError("body", "The post contains a NUL character.")
	}
	return s, nil
}
