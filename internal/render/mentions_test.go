package render

import (
	"slices"
	"strings"
	"testing"
)

func TestMentions(t *testing.T) {
	r := New()
	link := func(h, text string) string {
		return `<a href="/u/` + h + `" class="mention" rel="nofollow ugc noopener">` + text + `</a>`
	}
	for _, c := range []struct {
		name, src string
		has       []string // in the HTML
		hasNot    []string
		mentions  []string
	}{
		{"plain", "hi @ada_lovelace!", []string{link("ada_lovelace", "@ada_lovelace") + "!"}, nil, []string{"ada_lovelace"}},
		{"case", "@Bob_Smith and @bob_smith", []string{link("bob_smith", "@Bob_Smith")}, nil, []string{"bob_smith"}},
		{"in emphasis", "**@strong_one** *@em_two*", []string{"<strong>" + link("strong_one", "@strong_one") + "</strong>", "<em>" + link("em_two", "@em_two") + "</em>"}, nil, []string{"strong_one", "em_two"}},
		{"email", "write to ada@example.org", []string{`href="mailto:ada@example.org"`}, []string{"mention"}, nil},
		{"code span", "`@not_me` but @yes_me", []string{"<code>@not_me</code>"}, []string{`/u/not_me`}, []string{"yes_me"}},
		{"code block", "```\n@block_user\n```\n\n    @indented_user\n", nil, []string{"mention"}, nil},
		{"link text", "[@ada](/x) and <https://x.example/@ada_l>", nil, []string{"mention"}, nil},
		{"too short or long", "@ab @abcdefghijklmnopqrstu", nil, []string{"mention"}, nil},
		{"after a word", "x@ada_l @@bob_b", nil, []string{"mention"}, nil},
		{"line breaks", "one @first_one\n@second_two\nend", []string{link("first_one", "@first_one") + "\n" + link("second_two", "@second_two")}, nil, []string{"first_one", "second_two"}},
		{"in a quote", "> @quoted_one said", []string{link("quoted_one", "@quoted_one")}, nil, []string{"quoted_one"}},
		{"raw html stays out", `<a href="/u/evil" class="mention">x</a>`, nil, []string{"mention", "/u/evil"}, nil},
	} {
		html, err := r.Render(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, s := range c.has {
			if !strings.Contains(html, s) {
				t.Errorf("%s: %q lacks %q", c.name, html, s)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(html, s) {
				t.Errorf("%s: %q has %q", c.name, html, s)
			}
		}
		if got := Mentions(html); !slices.Equal(got, c.mentions) {
			t.Errorf("%s: Mentions = %q, want %q", c.name, got, c.mentions)
		}
	}
}

// TestMentionsBounded: a post of nothing but mentions links the first
// MaxMentions and renders within the limits.
func TestMentionsBounded(t *testing.T) {
	src := strings.Repeat("@someone_here ", 3000)
	html, err := New().Render(src)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html, `class="mention"`); n != MaxMentions {
		t.Errorf("%d mention links, want %d", n, MaxMentions)
	}
	if got := Mentions(html); len(got) != 1 {
		t.Errorf("Mentions = %q", got)
	}
}
