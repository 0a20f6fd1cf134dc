package forum

import (
	_ "embed"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"unicode"
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

// validPassword checks a new password: long enough, not blank, not a few
// characters repeated, not a simple sequence, not the member's email or
// name, not one of the most common passwords. Each refusal says what to do.
// email and name are the member's (either may be empty).
func validPassword(pw, email, name string) error {
	bad := func(format string, args ...any) error { return FieldError("password", format, args...) }
	switch {
	case !utf8.ValidString(pw):
		return bad("Password contains invalid characters (not UTF-8).")
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return bad("Password must be at least %d characters.", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return bad("Password must be at most %d bytes.", MaxPasswordLen)
	case strings.TrimSpace(pw) == "":
		return bad("Password must not be only spaces: choose one with letters, digits or symbols.")
	}
	lower := strings.ToLower(pw)
	switch {
	case repetitive(lower):
		return bad("This password repeats a few characters (like aaaa or abab); choose one with more variety.")
	case sequence(lower):
		return bad("This password is a simple sequence (like 12345 or qwerty); choose another.")
	case personal(lower, emailLocal(email)):
		return bad("This password contains your email address; choose one that does not.")
	case personal(lower, name):
		return bad("This password contains your name; choose one that does not.")
	case commonPasswords()[lower]:
		return bad("This password is one of the most common ones; choose another. A few unrelated words make a strong one that is easy to remember.")
	}
	return nil
}

// repetitive reports a password made of fewer than 4 different characters,
// or of one short run repeated (abcabcabc).
func repetitive(pw string) bool {
	r := []rune(pw)
	distinct := map[rune]bool{}
	for _, c := range r {
		distinct[c] = true
	}
	if len(distinct) < 4 {
		return true
	}
	for p := 1; p <= len(r)/2; p++ {
		if slices.Equal(r[p:], r[:len(r)-p]) {
			return true
		}
	}
	return false
}

// keyboards are the letter rows of common layouts and the diagonals people
// type as passwords.
var keyboards = []string{
	"qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
	"1q2w3e4r5t6y7u8i9o0p", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp",
	"!@#$%^&*()_+",
}

// sequence reports a run up or down the alphabet or the digits (wrapping
// from 9 to 0, as on the keyboard), or along a keyboard row, either way.
func sequence(pw string) bool {
	for _, step := range []int{1, -1} {
		if stepped(pw, step) {
			return true
		}
	}
	rev := []rune(pw)
	slices.Reverse(rev)
	for _, k := range keyboards {
		if strings.Contains(k, pw) || strings.Contains(k, string(rev)) {
			return true
		}
	}
	return false
}

// stepped reports whether each character of pw follows the one before by
// step within a-z or 0-9, wrapping around.
func stepped(pw string, step int) bool {
	next := func(c byte, lo, n int) byte { return byte(lo + ((int(c)-lo+step)%n+n)%n) }
	for i := 1; i < len(pw); i++ {
		a, b := pw[i-1], pw[i]
		switch {
		case a >= 'a' && a <= 'z' && b == next(a, 'a', 26):
		case a >= '0' && a <= '9' && b == next(a, '0', 10):
		default:
			return false
		}
	}
	return true
}

// personal reports a password that is, or contains, part (the email's
// local part or the display name), ignoring case, spaces and punctuation.
// Parts shorter than 4 letters count only when they are the whole password.
func personal(pw, part string) bool {
	p, q := lettersAndDigits(pw), lettersAndDigits(part)
	if q == "" {
		return false
	}
	return p == q || (utf8.RuneCountInString(q) >= 4 && strings.Contains(p, q))
}

func lettersAndDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func emailLocal(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the embedded list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for line := range strings.Lines(commonPasswordList) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			set[strings.ToLower(line)] = true
		}
	}
	return set
})

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
