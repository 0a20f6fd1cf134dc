package render

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"hearth/internal/forum"
)

var testRenderer = New()

func mustRender(t testing.TB, src string) string {
	t.Helper()
	out, err := testRenderer.Render(src)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return out
}

func TestRender(t *testing.T) {
	const rel = ` rel="nofollow ugc noopener"`
	tests := []struct {
		name    string
		src     string
		want    []string // substrings that must be present
		notWant []string // substrings that must be absent
	}{
		{"paragraphs", "one\n\ntwo", []string{"<p>one</p>", "<p>two</p>"}, nil},
		{"emphasis", "*em* and **strong**", []string{"<em>em</em>", "<strong>strong</strong>"}, nil},
		{"fenced code with language", "```go\nfmt.Println(\"<b>\")\n```",
			[]string{`<pre><code class="language-go">`, "fmt.Println(&#34;&lt;b&gt;&#34;)"}, []string{"<b>"}},
		{"language with symbols", "```c++\nx\n```", []string{`<code class="language-c++">`}, nil},
		{"bad language class dropped", "```go\"onclick=x\nx\n```", []string{"<pre><code>x"}, []string{"class=", "onclick"}},
		{"indented code", "    a < b\n", []string{"<pre><code>a &lt; b"}, nil},
		{"inline code", "use `a<b` here", []string{"<code>a&lt;b</code>"}, nil},
		{"gfm table", "| a | b |\n|:--|--:|\n| 1 | 2 |",
			[]string{`<div class="table-wrap" tabindex="0"><table>`, "<thead>", `<th class="al-l">a</th>`, `<td class="al-r">2</td>`, "</table></div>"}, []string{"style=", "align="}},
		{"strikethrough", "~~gone~~", []string{"<del>gone</del>"}, nil},
		{"autolinked url", "see https://example.com/x?y=1 ok",
			[]string{`<a href="https://example.com/x?y=1"` + rel + `>https://example.com/x?y=1</a>`}, nil},
		{"angle autolink", "<https://example.com>", []string{`<a href="https://example.com"` + rel + `>`}, nil},
		{"email autolink", "mail foo@example.com", []string{`<a href="mailto:foo@example.com"` + rel + `>`}, nil},
		{"mailto link", "[m](mailto:a@example.com)", []string{`<a href="mailto:a@example.com"` + rel + `>m</a>`}, nil},
		{"relative link", "[post](/p/12)", []string{`<a href="/p/12"` + rel + `>post</a>`}, nil},
		{"link with title", "[post](/p/12 \"The post\")", []string{`title="The post"`}, nil},
		{"image", "![cat](https://example.com/cat.png)", []string{`<img src="https://example.com/cat.png" alt="cat">`}, nil},
		{"headings", "# H1\n## H2\n###### H6", []string{"<h1>H1</h1>", "<h2>H2</h2>", "<h6>H6</h6>"}, []string{"id="}},
		{"unordered list", "- a\n- b", []string{"<ul>\n<li>a</li>\n<li>b</li>\n</ul>"}, nil},
		{"ordered list", "3. x\n4. y", []string{`<ol start="3">`, "<li>x</li>"}, nil},
		{"blockquote", "> quoted\n> more", []string{"<blockquote>\n<p>quoted\nmore</p>\n</blockquote>"}, nil},
		{"task list", "- [ ] todo\n- [x] done", []string{
			`<li><input type="checkbox" disabled=""> todo</li>`,
			`<li><input type="checkbox" disabled="" checked=""> done</li>`}, nil},
		{"hr and br", "a  \nb\n\n---", []string{"<br>", "<hr>"}, nil},
		{"raw html is not passed through", "a <b>bold</b> <span>s</span>", []string{"<p>a bold s</p>"}, []string{"<b>", "<span>", "<!--"}},
		{"entities", "AT&amp;T &copy; &#60;", []string{"AT&amp;T © &lt;"}, nil},
		{"empty", "", nil, []string{"<p>"}},
		{"invalid utf-8", "a\xffb\x00c", []string{"<p>a\uFFFDb\uFFFDc</p>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRender(t, tt.src)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q\nsrc: %q\nout: %q", w, tt.src, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output contains %q\nsrc: %q\nout: %q", w, tt.src, out)
				}
			}
			if why := unsafeReasons(out); why != nil {
				t.Errorf("unsafe output %q: %v", out, why)
			}
		})
	}
}

// xssVectors are markdown/HTML inputs that try to get script, styling,
// embedded content or a dangerous URL onto the page. They double as fuzz
// seeds.
var xssVectors = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`[x](javascript:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](&#106;avascript:alert(1))`,
	`[x](&#x6A;avascript&#x3A;alert(1))`,
	`[x](javascript&colon;alert(1))`,
	`[x]( javascript:alert(1))`,
	`[x](<javascript:alert(1)>)`,
	`[x](<java script:alert(1)>)`,
	`[x](javas&#x09;cript:alert(1))`,
	"[x](\x00javascript:alert(1))",
	"[x][1]\n\n[1]: javascript:alert(1)",
	`<javascript:alert(1)>`,
	`![x](javascript:alert(1))`,
	`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`![x](data:image/png;base64,iVBORw0KGgo=)`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`<a href="javascript:alert(1)">x</a>`,
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<style>body{display:none}</style>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<object data="evil.swf"></object>`,
	`<embed src="evil.swf">`,
	`<form action="https://evil.example/"><button>go</button></form>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`[x](vbscript:msgbox(1))`,
	`<!-- <script>alert(1)</script> -->`,
	`<base href="https://evil.example/">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<link rel="stylesheet" href="https://evil.example/x.css">`,
	`[x](/p/1 "a\" onmouseover=\"alert(1)")`,
	`[x](/p/1 'a" onmouseover="alert(1)')`,
	`![x" onerror="alert(1)](https://example.com/i.png)`,
	"`<img src=x onerror=alert(1)>`",
	"`\" onmouseover=\"alert(1)`",
	"```\"><script>alert(1)</script>\nx\n```",
	"```\n</code></pre><script>alert(1)</script>\n```",
	`https://example.com/"onmouseover="alert(1)`,
	`<https://example.com/" onclick="alert(1)>`,
	"| a |\n|---|\n| <img src=x onerror=alert(1)> |",
	`[<img src=x onerror=alert(1)>](https://example.com)`,
	`<details open ontoggle=alert(1)>`,
	`<video><source onerror=alert(1)></video>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<scr<script>ipt>alert(1)</script>`,
	`<textarea><script>alert(1)</script></textarea>`,
	"<input type=text value=x autofocus onfocus=alert(1)>",
	"- [x] <input type=text>",
	`[a](mailto:javascript:alert(1))`,
}

func TestRenderXSS(t *testing.T) {
	for _, src := range xssVectors {
		t.Run(src, func(t *testing.T) {
			out := mustRender(t, src)
			if why := unsafeReasons(out); why != nil {
				t.Errorf("unsafe output\nsrc: %q\nout: %q\n%s", src, out, strings.Join(why, "\n"))
			}
		})
	}
}

// Markup-looking text inside code must survive as inert, visible text.
func TestRenderCodeStaysText(t *testing.T) {
	tests := []struct{ src, want string }{
		{"`<img src=x onerror=alert(1)>`", "<code>&lt;img src=x onerror=alert(1)&gt;</code>"},
		{"`\" onmouseover=\"alert(1)`", "<code>&#34; onmouseover=&#34;alert(1)</code>"},
		{"```\n<script>alert(1)</script>\n```", "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>"},
	}
	for _, tt := range tests {
		if out := mustRender(t, tt.src); !strings.Contains(out, tt.want) {
			t.Errorf("Render(%q) = %q, want it to contain %q", tt.src, out, tt.want)
		}
	}
}

// The checker must not be vacuous: known-bad HTML has to be flagged.
func TestUnsafeReasonsDetects(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<p onclick="x">a</p>`,
		`<a href="java&#x0A;script:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<a href=" JavaScript:alert(1)" rel="nofollow ugc noopener">x</a>`,
		`<img src="data:image/png;base64,AAAA">`,
		`<a href="vbscript:x" rel="nofollow ugc noopener">x</a>`,
		`<a href="/p/1">no rel</a>`,
		`<p style="color:red">x</p>`,
		`<svg><a xlink:href="javascript:alert(1)">x</a></svg>`,
		`<input type="text">`,
		`<input type="checkbox">`,
		`<code class="btn">x</code>`,
		`<span>x</span>`,
		`<!-- x -->`,
		`<p title="x" onmouseover=alert(1)>x</p>`,
	}
	for _, s := range bad {
		if unsafeReasons(s) == nil {
			t.Errorf("unsafeReasons(%q) found nothing", s)
		}
	}
	good := `<p><a href="/p/1" rel="nofollow ugc noopener" title="a&#34; onmouseover=&#34;x">x</a></p>`
	if why := unsafeReasons(good); why != nil {
		t.Errorf("unsafeReasons(%q) = %v, want none", good, why)
	}
}

func TestRestrictInputs(t *testing.T) {
	in := `<p><input checked=""> <input type="checkbox"> <input type="checkbox" disabled=""> <input disabled="" checked="" type="checkbox"></p>`
	want := `<p>  <input type="checkbox" disabled=""> <input type="checkbox" disabled="" checked=""></p>`
	got, err := restrictInputs([]byte(in))
	if err != nil || got != want {
		t.Errorf("restrictInputs = %q, %v; want %q", got, err, want)
	}
}

func TestRenderConcurrent(t *testing.T) {
	const src = "Hello **world**, see [post](/p/1) and https://example.com\n\n- [x] done\n"
	want := mustRender(t, src)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got, err := testRenderer.Render(src); err != nil || got != want {
					t.Errorf("concurrent Render = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestQuote(t *testing.T) {
	t.Run("format", func(t *testing.T) {
		got := Quote("alice", "/p/12#post-3", "Hello\n\n  world\r\nagain\n")
		want := "> **alice** [wrote](/p/12#post-3):\n>\n> Hello\n>\n>   world\n> again\n\n"
		if got != want {
			t.Errorf("Quote = %q\nwant    %q", got, want)
		}
	})
	t.Run("empty body", func(t *testing.T) {
		got := Quote("bob", "/p/1", " \n\n")
		if want := "> **bob** [wrote](/p/1):\n\n"; got != want {
			t.Errorf("Quote = %q, want %q", got, want)
		}
	})

	t.Run("renders as blockquote with link", func(t *testing.T) {
		out := mustRender(t, Quote("alice", "/p/12#post-3", "Hello *there*")+"My reply")
		want := "<blockquote>\n<p><strong>alice</strong> <a href=\"/p/12#post-3\" rel=\"nofollow ugc noopener\">wrote</a>:</p>\n<p>Hello <em>there</em></p>\n</blockquote>\n<p>My reply</p>"
		if !strings.Contains(out, want) {
			t.Errorf("rendered quote = %q\nwant it to contain %q", out, want)
		}
	})

	escapes := []struct {
		author string
		want   string // rendered attribution paragraph
	}{
		{"*evil*", "<strong>*evil*</strong>"},
		{"_under_ `code`", "<strong>_under_ `code`</strong>"},
		{"[x](javascript:alert(1))", "<strong>[x](javascript:alert(1))</strong>"},
		{"![i](https://e.example/i.png)", "<strong>![i](https://e.example/i.png)</strong>"},
		{"<script>alert(1)</script>", "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"},
		{"<https://evil.example>", "<strong>&lt;https://evil.example&gt;</strong>"},
		{"https://evil.example", "<strong>https://evil.example</strong>"},
		{"a\n# heading\n\nb", "<strong>a # heading  b</strong>"},
		{"&amp; &#60;", "<strong>&amp;amp; &amp;#60;</strong>"},
		{`back\slash`, `<strong>back\slash</strong>`},
		{"~~gone~~", "<strong>~~gone~~</strong>"},
		{"", "<strong>Someone</strong>"},
	}
	for _, tt := range escapes {
		t.Run("author "+tt.author, func(t *testing.T) {
			out := mustRender(t, Quote(tt.author, "/p/1", "body"))
			if !strings.Contains(out, tt.want+` <a href="/p/1"`) {
				t.Errorf("author %q rendered as %q, want %q", tt.author, out, tt.want)
			}
			if n := strings.Count(out, "<a "); n != 1 {
				t.Errorf("author %q: %d links in %q, want only the post link", tt.author, n, out)
			}
			if why := unsafeReasons(out); why != nil {
				t.Errorf("unsafe: %v", why)
			}
		})
	}

	t.Run("odd post URL stays one link", func(t *testing.T) {
		out := mustRender(t, Quote("a", "/p/1 (x) <y>\nz", "body"))
		if !strings.Contains(out, `<a href="/p/1%20%28x%29%20%3Cy%3E%0Az" rel="nofollow ugc noopener">wrote</a>`) {
			t.Errorf("got %q", out)
		}
	})

	t.Run("nested quotes dropped", func(t *testing.T) {
		body := "> **carol** [wrote](/p/1):\n>\n> > older\n> original\n\nI agree.\n   > indented quote\n\n```\n> $ ls\n```\n\n    > indented code\n"
		got := Quote("bob", "/p/2", body)
		want := "> **bob** [wrote](/p/2):\n>\n> I agree.\n>\n> ```\n> > $ ls\n> ```\n>\n>     > indented code\n\n"
		if got != want {
			t.Errorf("Quote = %q\nwant    %q", got, want)
		}
		out := mustRender(t, got)
		if strings.Count(out, "<blockquote>") != 1 || strings.Contains(out, "carol") || strings.Contains(out, "older") {
			t.Errorf("rendered = %q, want a single blockquote without the older quote", out)
		}
	})

	t.Run("long body trimmed at line", func(t *testing.T) {
		line := strings.Repeat("word ", 19) + "end" // 98 bytes
		body := strings.Repeat(line+"\n", 40)       // ~3,960 characters
		got := Quote("a", "/p/1", body)
		quoted := got[strings.Index(got, ">\n> ")+4:]
		n := utf8.RuneCountInString(quoted)
		if n > 1600 || n < 1200 {
			t.Errorf("quoted part is %d runes, want about 1,500", n)
		}
		if !strings.HasSuffix(got, "end\n>\n> …\n\n") {
			t.Errorf("want the cut after a whole line and a … line, got tail %q", got[len(got)-40:])
		}
		out := mustRender(t, got)
		if !strings.Contains(out, "<p>…</p>\n</blockquote>") {
			t.Errorf("rendered tail: %q", out[len(out)-60:])
		}
	})

	t.Run("long body trimmed at word", func(t *testing.T) {
		body := strings.Repeat("wörd ", 1000) // one long line, multi-byte runes
		got := Quote("a", "/p/1", body)
		if !strings.HasSuffix(got, " wörd…\n\n") {
			t.Errorf("want a cut after a whole word, got tail %q", got[len(got)-20:])
		}
		if !utf8.ValidString(got) {
			t.Error("cut produced invalid UTF-8")
		}
		if n := utf8.RuneCountInString(got); n > 1560 {
			t.Errorf("quote is %d runes", n)
		}
	})
}

func TestHTMLExcerptOfMarkdown(t *testing.T) {
	tests := []struct {
		name string
		src  string
		n    int
		want string
	}{
		{"plain", "Hello world", 100, "Hello world"},
		{"markup removed", "# Title\n\nSome **bold** and *em* text with a [link](/p/1) and `code`.", 200,
			"Title Some bold and em text with a link and code."},
		{"inline markup does not add spaces", "**foo**bar and [a](/x)b", 100, "foobar and ab"},
		{"whitespace collapsed", "a   b\n\n\n c \t \n- d\n- e", 100, "a b c d e"},
		{"code blocks and images skipped", "Intro\n\n```go\nfunc main() {}\n```\n\n![diagram](/i.png)\n\nOutro", 100, "Intro Outro"},
		{"entities and escapes decoded", `AT&amp;T \*not em\* &lt;b&gt;`, 100, "AT&T *not em* <b>"},
		{"raw html tags dropped", "a <b>b</b> <i>alert(1)</i> c", 100, "a b alert(1) c"},
		{"raw html block dropped", "a\n\n<script>alert(1)</script>\n\nc", 100, "a c"},
		{"quote and table text", "> quoted\n\n| h |\n|---|\n| cell |", 100, "quoted h cell"},
		{"cut at word", "The quick brown fox jumps over the lazy dog", 20, "The quick brown fox…"},
		{"cut mid word", "The quick brown fox jumps", 14, "The quick…"},
		{"word ends exactly at cut", "The quick brown fox", 10, "The quick…"},
		{"exact fit", "The quick brown fox", 19, "The quick brown fox"},
		{"no space to cut at", "Supercalifragilistic", 8, "Superca…"},
		{"trailing punctuation trimmed", "Hello, world again", 8, "Hello…"},
		{"multi-byte runes", "żółw ćma ślimak", 10, "żółw ćma…"},
		{"n=1", "Hello", 1, "…"},
		{"n=0", "Hello", 0, ""},
		{"empty", "", 10, ""},
		{"invalid utf-8", "a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HTMLExcerpt(mustRender(t, tt.src), tt.n)
			if got != tt.want {
				t.Errorf("HTMLExcerpt of %q, %d = %q, want %q", tt.src, tt.n, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.n && tt.n >= 0 {
				t.Errorf("Excerpt is %d runes, limit %d", n, tt.n)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range xssVectors {
		f.Add(s)
	}
	f.Add("# Title\n\n- [x] done\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n```go\nx\n```\n> q\n\n~~s~~ https://example.com [l](/p/1)")
	f.Add("a\xffb\x00c")
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		out, err := r.Render(src)
		if err != nil && !refused(err) {
			t.Fatalf("Render(%q): %v", src, err)
		}
		if why := unsafeReasons(out); why != nil {
			t.Fatalf("unsafe output\nsrc: %q\nout: %q\n%s", src, out, strings.Join(why, "\n"))
		}
		// A quote of arbitrary content by an arbitrary author must be as
		// safe, and must keep the reply below it out of the blockquote.
		qout, err := r.Render(Quote(src, "/p/1", src) + "REPLYMARK")
		if refused(err) {
			return // over a limit (a quote nests one level deeper)
		}
		if err != nil {
			t.Fatalf("Render(Quote): %v", err)
		}
		if why := unsafeReasons(qout); why != nil {
			t.Fatalf("unsafe quote output\nsrc: %q\nout: %q\n%s", src, qout, strings.Join(why, "\n"))
		}
		if !strings.HasSuffix(qout, "</blockquote>\n<p>REPLYMARK</p>\n") {
			t.Fatalf("reply swallowed by quote\nsrc: %q\nout: %q", src, qout)
		}
		ex := HTMLExcerpt(out, 50)
		if utf8.RuneCountInString(ex) > 50 || !utf8.ValidString(ex) {
			t.Fatalf("HTMLExcerpt of %q, 50 = %q", src, ex)
		}
	})
}

// refused reports whether err is Render refusing a body over a limit.
func refused(err error) bool {
	return err != nil && forum.ErrorCode(err) == forum.EINVALID
}

func TestHTMLExcerpt(t *testing.T) {
	r := New()
	src := "# Lisbon\n\nAnyone been to **Lisbon** in [March](https://example.org)?\n\n```\ncode\n```\n"
	h, err := r.Render(src)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := HTMLExcerpt(h, 160), "Lisbon Anyone been to Lisbon in March?"; got != want {
		t.Errorf("HTMLExcerpt = %q, want %q", got, want)
	}
	if got := HTMLExcerpt(h, 0); got != "" {
		t.Errorf("n=0: %q", got)
	}
	// Reading only as far as the excerpt needs cuts where reading it all
	// would.
	for _, doc := range []string{h, "<p>a b</p><p>c</p>", "<p>word</p>\n<p>longerword  more   space</p><pre>x</pre><ul><li>é ü</li></ul>"} {
		for n := 1; n <= 40; n++ {
			if got, want := HTMLExcerpt(doc, n), truncateWords(htmlText(strings.NewReader(doc), len(doc)), n); got != want {
				t.Errorf("HTMLExcerpt(%q, %d) = %q, want %q", doc, n, got, want)
			}
		}
	}
}
