package forum

import (
	"strings"
	"testing"
)

// TestPasswordRule covers finding 16: passwords are checked for more than
// their length, and each refusal says what to do.
func TestPasswordRule(t *testing.T) {
	const email, name = "mia.rossi@example.org", "Mia Rossi"
	tests := []struct {
		pw   string
		want string // part of the message; "" means accepted
	}{
		{"short", "at least 10 characters"},
		{"          ", "only spaces"},
		{"\t \t \t \t \t ", "only spaces"},
		{"aaaaaaaaaa", "repeats a few characters"},
		{"AAAAAAAAAAAA", "repeats a few characters"},
		{"abababababab", "repeats a few characters"},
		{"abcabcabcabcab", "repeats a few characters"},
		{"1212121213", "repeats a few characters"},
		{"1234567890", "simple sequence"},
		{"0987654321", "simple sequence"},
		{"abcdefghij", "simple sequence"},
		{"ZYXWVUTSRQPO", "simple sequence"},
		{"789012345678", "simple sequence"},
		{"qwertyuiop", "simple sequence"},
		{"asdfghjklzx", "simple sequence"},
		{"poiuytrewq", "simple sequence"},
		{"1q2w3e4r5t6y", "simple sequence"},
		{"mia.rossi", "at least 10 characters"},
		{"miarossi99!", "contains your email address"},
		{"MIA.ROSSI.2024", "contains your email address"},
		{"the mia rossi pass", "contains your email address"}, // the local part and the name are the same here
		{"password123", "one of the most common"},
		{"PASSWORD123", "one of the most common"},
		{"1q2w3e4r5t", "simple sequence"},
		{"qwerty12345", "one of the most common"},
		{"iloveyou123", "one of the most common"},
		{"password1234", "one of the most common"},
		{"basketball", "one of the most common"},
		{"correct horse battery", ""},
		{"member-password", ""},
		{"Tram 28 to Graça", ""},
		{"mia-likes-trams", ""}, // "mia" alone is too short to count
		{strings.Repeat("x", MaxPasswordLen+1), "at most 256 bytes"},
		{"caf\xe9 au lait!", "invalid characters"},
	}
	for _, tt := range tests {
		err := validPassword(tt.pw, email, name)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q refused: %v", tt.pw, err)
		case tt.want != "" && (err == nil || !strings.Contains(ErrorMessage(err), tt.want)):
			t.Errorf("%q: got %v, want a refusal saying %q", tt.pw, err, tt.want)
		case err != nil && ErrorField(err) != "password":
			t.Errorf("%q: field %q, want password", tt.pw, ErrorField(err))
		}
	}

	// The name counts on its own when it differs from the email.
	if err := validPassword("OkaforHannah!", "admin@demo.hearth", "Hannah Okafor"); err != nil {
		t.Errorf("a name in the other order refused: %v", err)
	}
	if err := validPassword("hannah okafor 1", "admin@demo.hearth", "Hannah Okafor"); err == nil || !strings.Contains(ErrorMessage(err), "contains your name") {
		t.Errorf("a password with the name: %v", err)
	}
	if err := validPassword("my admin pass", "admin@demo.hearth", "Hannah Okafor"); err == nil || !strings.Contains(ErrorMessage(err), "contains your email") {
		t.Errorf("a password with the email's local part: %v", err)
	}
	if n := len(commonPasswords()); n < 300 {
		t.Errorf("the common password list has %d entries, want a few hundred", n)
	}
	for pw := range commonPasswords() {
		if len([]rune(pw)) < MinPasswordLen {
			t.Errorf("common password %q is shorter than the minimum: the length rule refuses it already", pw)
		}
	}
}
