package forum

import "testing"

func TestSuggestHandle(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"Ada Lovelace", "ada_lovelace"},
		{"  Zoë  Ångström!! ", "zoe_angstrom"},
		{"Cy Ørsted", "cy_orsted"},
		{"Łukasz Straße", "lukasz_strasse"},
		{"李小龍", "member"},
		{"Al", "al_"},
		{"A", "a__"},
		{"Jean-Pierre de la Fontaine-Dupont", "jean_pierre_de_la_fo"},
		{"x_____________________y", "x_y"},
	} {
		got := SuggestHandle(c.name)
		if got != c.want || !ValidHandle(got) {
			t.Errorf("SuggestHandle(%q) = %q, want %q (valid: %v)", c.name, got, c.want, ValidHandle(got))
		}
	}
}

func TestNormalizeHandle(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"@Ada_Lovelace", "ada_lovelace", true}, {" bob ", "bob", true}, {"ab", "ab", false},
		{"twenty_one_characters", "twenty_one_characters", false}, {"no spaces", "no spaces", false}, {"é_accent", "é_accent", false},
	} {
		got, ok := NormalizeHandle(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("NormalizeHandle(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		base string
		n    int
		want string
	}{{"ada", 2, "ada2"}, {"twenty_characters_ab", 12, "twenty_characters12"}, {"nineteen_character_", 3, "nineteen_character_3"}} {
		if got := NumberedHandle(c.base, c.n); got != c.want || len(got) > MaxHandleLen {
			t.Errorf("NumberedHandle(%q, %d) = %q, want %q", c.base, c.n, got, c.want)
		}
	}
}
