package forum

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Handles are the names members are mentioned by: @ada_lovelace. They are
// stored lower-cased, so one unique index makes them case-insensitive.
const (
	MinHandleLen = 3
	MaxHandleLen = 20
)

// ErrHandleTaken is what the store answers when a chosen handle belongs
// to another member.
var ErrHandleTaken = errors.New("handle taken")

// NormalizeHandle lower-cases a handle and drops a leading @, and reports
// whether what is left is a valid handle: 3-20 lower-case letters, digits
// and underscores.
func NormalizeHandle(s string) (string, bool) {
	s = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
	return s, ValidHandle(s)
}

// ValidHandle reports whether s is a stored handle's shape.
func ValidHandle(s string) bool {
	if len(s) < MinHandleLen || len(s) > MaxHandleLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// handleField checks a handle a member typed.
func handleField(s string) (string, error) {
	h, ok := NormalizeHandle(s)
	if !ok {
		return "", FieldError("handle", "A handle is %d to %d characters: lower-case letters, digits and _ (like ada_lovelace).", MinHandleLen, MaxHandleLen)
	}
	return h, nil
}

// SuggestHandle makes a handle from a display name: "Ada Lovelace" gives
// ada_lovelace, accents dropped, other characters turned into one _. A
// name with too few letters gives "member".
func SuggestHandle(name string) string {
	var b strings.Builder
	under := false
	for _, r := range norm.NFKD.String(handleLetters.Replace(strings.ToLower(name))) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
		default:
			under = true
		}
		if b.Len() >= MaxHandleLen {
			break
		}
	}
	s := strings.Trim(b.String(), "_")
	if len(s) > MaxHandleLen {
		s = strings.TrimRight(s[:MaxHandleLen], "_")
	}
	for len(s) < MinHandleLen {
		if s == "" {
			return "member"
		}
		s += "_"
	}
	return s
}

// handleLetters spells the Latin letters that do not decompose into a
// letter and an accent.
var handleLetters = strings.NewReplacer("ø", "o", "æ", "ae", "œ", "oe", "ß", "ss", "đ", "d", "ł", "l", "þ", "th", "ð", "d", "ı", "i")

// NumberedHandle returns base with the suffix n (n > 1), shortened so it
// stays within MaxHandleLen: ada_lovelace2.
func NumberedHandle(base string, n int) string {
	suf := strconv.Itoa(n)
	if len(base)+len(suf) > MaxHandleLen {
		base = strings.TrimRight(base[:MaxHandleLen-len(suf)], "_")
	}
	return base + suf
}
