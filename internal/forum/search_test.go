package forum

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseSearch(t *testing.T) {
	w := func(words ...string) SearchTerm { return SearchTerm{Words: words} }
	p := func(words ...string) SearchTerm { return SearchTerm{Words: words, Prefix: true} }
	tests := []struct {
		q              string
		terms, exclude []SearchTerm
	}{
		{"hotel booking", []SearchTerm{w("hotel"), w("booking")}, nil},
		{`"ferry timetable" lisbon`, []SearchTerm{w("ferry", "timetable"), w("lisbon")}, nil},
		{`ferry -cheap -"last minute"`, []SearchTerm{w("ferry")}, []SearchTerm{w("cheap"), w("last", "minute")}},
		{"cruis*", []SearchTerm{p("cruis")}, nil},
		{"cr*", []SearchTerm{w("cr")}, nil}, // too short for a prefix
		{`"fjord cru"*`, []SearchTerm{p("fjord", "cru")}, nil},
		{"-cruis*", nil, []SearchTerm{w("cruis")}},
		{"title:hotel", []SearchTerm{w("title"), w("hotel")}, nil},
		{"e-mail o'brien", []SearchTerm{w("e", "mail"), w("o", "brien")}, nil},
		{`NEAR(a b)`, []SearchTerm{w("NEAR"), w("a"), w("b")}, nil},
		{`"unclosed phrase`, []SearchTerm{w("unclosed", "phrase")}, nil},
		{`*`, nil, nil},
		{`-`, nil, nil},
		{`""`, nil, nil},
		{`( ) : ^ & | ! <->`, nil, nil},
		{"Café Müller", []SearchTerm{w("Café"), w("Müller")}, nil},
		{"日本語", []SearchTerm{w("日本語")}, nil},
		{`rome Rome "rome" -bus -bus rome*`, []SearchTerm{w("rome"), p("rome")}, []SearchTerm{w("bus")}},
		{"a\x00b", []SearchTerm{w("a"), w("b")}, nil},
	}
	for _, tt := range tests {
		terms, exclude := ParseSearch(tt.q)
		if !reflect.DeepEqual(terms, tt.terms) || !reflect.DeepEqual(exclude, tt.exclude) {
			t.Errorf("ParseSearch(%q) = %v, %v; want %v, %v", tt.q, terms, exclude, tt.terms, tt.exclude)
		}
	}
	// Long input is bounded: in length, in terms and in word length.
	var many strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&many, "word%d ", i)
	}
	terms, _ := ParseSearch(many.String())
	if len(terms) != maxSearchTerms {
		t.Errorf("%d terms kept, want %d", len(terms), maxSearchTerms)
	}
	terms, _ = ParseSearch(strings.Repeat("x", 10000))
	if len(terms) != 1 || len(terms[0].Words[0]) != maxSearchWord {
		t.Errorf("a long word: %v", terms)
	}
}

// Fuzz: any input parses into terms made of word characters only, which
// is what makes the engines' query text safe.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{`"a b" -c d*`, `NEAR(`, `title:`, "\xff", `"""`, `-*-`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms, excluded := ParseSearch(q)
		if len(terms)+len(excluded) > maxSearchTerms {
			t.Fatalf("%d terms", len(terms)+len(excluded))
		}
		for _, term := range append(terms, excluded...) {
			if len(term.Words) == 0 {
				t.Fatal("a term without words")
			}
			for _, w := range term.Words {
				for _, r := range w {
					if !wordRune(r) {
						t.Fatalf("word %q of %q has %q", w, q, r)
					}
				}
			}
		}
	})
}

func TestSnippet(t *testing.T) {
	terms, _ := ParseSearch(`booking cruis* "fjord"`)
	m := newMatcher(terms)
	tests := []struct{ text, want string }{
		{"Bookings for **fjord** cruises <b>open</b> & more.",
			"<mark>Bookings</mark> for <mark>fjord</mark> <mark>cruises</mark> &lt;b&gt;open&lt;/b&gt; &amp; more."},
		{"See [the fjörd page](https://example.org/booking) now.", "See the <mark>fjörd</mark> page now."},
		{"> quoted booking\n# Heading", "quoted <mark>booking</mark> Heading"},
		{"nothing to mark here", "nothing to mark here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := m.snippet(tt.text, 30); got != tt.want {
			t.Errorf("snippet(%q)\n got %s\nwant %s", tt.text, got, tt.want)
		}
	}
	// A long text: a window around the matches, cut with ellipses.
	long := strings.Repeat("filler words here ", 100) + "the booking of a fjord cruise " + strings.Repeat("more filler ", 100)
	got := m.snippet(long, 12)
	if !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") || strings.Count(got, "<mark>") != 3 {
		t.Errorf("long snippet: %s", got)
	}
	if !TitleIsQuery("Fjord Cruise!", []SearchTerm{{Words: []string{"fjord"}}, {Words: []string{"CRUISE"}}}) ||
		TitleIsQuery("Fjord cruise deals", []SearchTerm{{Words: []string{"fjord", "cruise"}}}) {
		t.Error("TitleIsQuery")
	}
}
