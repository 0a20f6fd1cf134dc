package render

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"

	"hearth/internal/forum"
)

// The tests in this file cover the finding "one post can take gigabytes":
// a 12 KB table of 2,000 columns and 2,000 one-cell rows took 9 s, 1.4 GB
// and made 40 MB of HTML. Time is measured in BenchmarkRenderWorstCases.

// Bounds every accepted body must stay under, whatever its shape.
const (
	// allocPerInputByte: goldmark and bluemonday allocate up to about 400
	// bytes per byte of dense markup (a task list of one-letter items);
	// the bound leaves room for that and nothing like the finding's 28,000.
	allocPerInputByte = 640
	// allocConstant covers what does not grow with the input: a table at
	// MaxTableCells (padded cells, about 8 MB) or HTML near MaxHTMLBytes
	// (sanitizing 1 MB of long links, about 18 MB).
	allocConstant = 24 << 20
)

// renderMeasured renders src and reports the bytes allocated meanwhile.
func renderMeasured(r *Renderer, src string) (string, error, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := r.Render(src)
	runtime.ReadMemStats(&after)
	return out, err, after.TotalAlloc - before.TotalAlloc
}

// raceDetector reports whether the test runs with -race, which makes
// every allocation several times bigger.
func raceDetector() bool {
	bi, _ := debug.ReadBuildInfo()
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// checkBounds fails t if rendering src breaks the contract of the limits:
// a refusal must be EINVALID on "body" (the member is told and keeps the
// text), and accepted output must stay under MaxHTMLBytes and the
// allocation bound. It reports whether src was accepted.
func checkBounds(t *testing.T, r *Renderer, name, src string) bool {
	t.Helper()
	out, err, alloc := renderMeasured(r, src)
	if err != nil {
		if forum.ErrorCode(err) != forum.EINVALID || forum.ErrorField(err) != "body" {
			t.Errorf("%s: refused with %v (code %q, field %q), want EINVALID on body", name, err, forum.ErrorCode(err), forum.ErrorField(err))
		}
		return false
	}
	if len(out) > MaxHTMLBytes {
		t.Errorf("%s: %d bytes of HTML, over MaxHTMLBytes", name, len(out))
	}
	if limit := uint64(allocPerInputByte*len(src) + allocConstant); alloc > limit && !raceDetector() {
		t.Errorf("%s: %d bytes allocated for %d bytes of input, over the bound %d", name, alloc, len(src), limit)
	}
	return true
}

func TestRenderLimitsRefuseTooBig(t *testing.T) {
	r := New()
	nest := func(open, mid, close string, depth int) string {
		return strings.Repeat(open, depth) + mid + strings.Repeat(close, depth)
	}
	tests := []struct {
		name, src string
		msg       string // in the member's message
	}{
		{"the finding: 2,000 columns, 2,000 rows", table(2000, 2000), "This table has 2,000 columns; posts can have tables of at most 64 columns."},
		{"65 columns", table(MaxTableColumns+1, 1), "65 columns"},
		{"padded cells over the limit", table(MaxTableColumns, MaxTableCells/MaxTableColumns), "20,032 cells"},
		{"cells summed over tables", strings.Repeat(table(40, 300)+"\n", 2), "24,080 cells"},
		{"table in a quote", "> " + strings.Repeat("|a", 2000) + "|\n> " + strings.Repeat("|-", 2000) + "|\n" + strings.Repeat("> a\n", 50), "2,000 columns"},
		{"blockquotes 25,000 deep", strings.Repeat(">", 25000) + " a", "more than 32 deep"},
		{"blockquotes one too deep", strings.Repeat(">", MaxNesting+1) + " a", "33 deep"},
		{"lists one too deep", nestedList(MaxNesting + 1), "33 deep"},
		{"lists 25,000 deep, lazy lines", strings.Repeat("- ", 12500) + "a\n" + strings.Repeat("b\n", 5000), "more than 32 deep"},
		{"blank lines in lists 32 deep", strings.Repeat("- ", MaxNesting) + "a" + strings.Repeat("\n", 40000) + "b", "too long for how deeply they are nested"},
		{"emphasis 12,000 deep", nest("*", "a", "*", 24000), "12,000 deep"},
		{"emphasis and quotes together", strings.Repeat(">", 20) + " " + nest("_", "a", "_", 26), "33 deep"},
		{"1,001 links", strings.Repeat("[a](/b) ", MaxLinks+1), "more than 1,000 links"},
		{"1,001 autolinks", strings.Repeat("https://example.com/ ", MaxLinks+1), "1,001 links"},
		{"50,000 unclosed brackets", strings.Repeat("[", 50000), "more than 1,000 links"},
		{"unclosed links before a long word", strings.Repeat("[a](", 100) + strings.Repeat("a", 45000), "Finding where the links in this post end"},
		{"nested brackets round a long text", strings.Repeat("[", 100) + strings.Repeat("a ", 20000) + strings.Repeat("]", 100), "Finding where the links in this post end"},
		{"reference link repeating a long address", linkRefAmplify(20000, 4*900), "about 17,"},
		{"HTML over the cap while written", linkRefAmplify(1040, 4*(MaxLinks-1)), "more than 1,024 KB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tt.src); n > maxBody {
				t.Fatalf("test body has %d characters; the forum refuses it before Render", n)
			}
			out, err := r.Render(tt.src)
			if err == nil {
				t.Fatalf("accepted (%d bytes of HTML), want a refusal", len(out))
			}
			if forum.ErrorCode(err) != forum.EINVALID || forum.ErrorField(err) != "body" {
				t.Fatalf("error %v: code %q field %q, want EINVALID on body", err, forum.ErrorCode(err), forum.ErrorField(err))
			}
			if msg := forum.ErrorMessage(err); !strings.Contains(msg, tt.msg) {
				t.Fatalf("message %q lacks %q", msg, tt.msg)
			}
		})
	}
}

// nestedList nests list items depth deep by indentation.
func nestedList(depth int) string {
	var b strings.Builder
	for i := range depth {
		fmt.Fprintf(&b, "%s- level %d\n", strings.Repeat("  ", i), i+1)
	}
	return b.String()
}

// TestRenderLimitsAcceptOrdinary: what members really write passes, and so
// does everything exactly at a limit.
func TestRenderLimitsAcceptOrdinary(t *testing.T) {
	r := New()
	var prices strings.Builder // 20 columns, 400 rows
	prices.WriteString("| Hotel |" + strings.Repeat(" Night |", 19) + "\n|---|" + strings.Repeat("--:|", 19) + "\n")
	for i := range 400 {
		fmt.Fprintf(&prices, "| Hotel %d |%s\n", i, strings.Repeat("129|", 19))
	}
	quotes := ""
	for i := range 6 { // a quote of a quote of a quote…
		quotes += strings.Repeat("> ", i) + "**Someone** [wrote](/p/1):\n" + strings.Repeat("> ", i+1) + "\n"
	}
	var links strings.Builder
	for i := range 300 {
		fmt.Fprintf(&links, "- [Supplier %d](https://example.com/suppliers/%d \"Supplier %d\"): *good* rates\n", i, i, i)
	}
	long := strings.Repeat(typicalPost, maxBody/len(typicalPost))

	tests := []struct{ name, src string }{
		{"price table 20 × 400", prices.String()},
		{"quotes nested 6 deep", quotes + "Agreed."},
		{"300 links in a list", links.String()},
		{"typical post at full length", long},
		{"table at 64 columns", table(MaxTableColumns, 10)},
		{"padded cells at the limit", table(MaxTableColumns, MaxTableCells/MaxTableColumns-1)},
		{"quotes exactly 32 deep", strings.Repeat(strings.Repeat(">", MaxNesting)+" 1999 was a year\n", 2) + strings.Repeat(">", MaxNesting) + " ***\n"},
		{"lists exactly 32 deep", nestedList(MaxNesting)},
		{"1,000 links", strings.Repeat("[a](/b) ", MaxLinks)},
		{"a loose list of 6,000 items", strings.Repeat("- word\n\n", 6000)},
		{"an outline 4 deep", strings.Repeat("- a\n  - b\n    - c\n      - d\n", 1400)},
		{"HTML just under the cap", linkRefAmplify(1000, 4*(MaxLinks-1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tt.src); n > maxBody {
				t.Fatalf("test body has %d characters, over MaxBodyLen", n)
			}
			if _, err := r.Render(tt.src); err != nil {
				t.Fatalf("refused: %v", err)
			}
			checkBounds(t, r, tt.name, tt.src)
		})
	}
}

// TestRenderBoundsWorstCases: of the benchmark's shapes, the ones that
// used to take gigabytes or seconds are refused, and the limit- shapes (the
// most work an accepted body can ask for) are accepted. FuzzRenderBounds
// checks the bounds on all of them.
func TestRenderBoundsWorstCases(t *testing.T) {
	r := New()
	for _, c := range worstCases() {
		if n := utf8.RuneCountInString(c.src); n > maxBody {
			t.Fatalf("%s: %d characters, over MaxBodyLen", c.name, n)
		}
		if !strings.HasPrefix(c.name, "limit-") {
			continue
		}
		if _, err := r.Render(c.src); err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
		}
	}
	for _, c := range []string{"table-2000cols-2000rows", "table-64cols-24000rows", "blockquote-deep", "blockquote-deep-lazy",
		"list-deep-lazy", "list-deep-blank-lines", "brackets-nested", "links-unclosed", "link-ref-amplify", "link-title-amplify"} {
		if _, err := r.Render(worstCaseSrc(t, c)); err == nil {
			t.Errorf("%s: accepted", c)
		}
	}
}

func worstCaseSrc(t *testing.T, name string) string {
	for _, c := range worstCases() {
		if c.name == name {
			return c.src
		}
	}
	t.Fatalf("no worst case %q", name)
	return ""
}

// blocks are the pieces the property test and the fuzz seeds build bodies
// from: ordinary markdown and the units of the pathological shapes.
var blocks = []string{
	"Plain words and more words. ", "\n", "\n\n", "> ", ">", "- ", "* ", "1. ", "  ", "\t",
	"*", "**", "_", "~~", "`", "```\n", "[", "]", "![", "](", "(", ")", "[a](/b)", "[a]: /b\n", "[a]", "[a][a]",
	"|", "|a", "|-", "|:-:", "|a|b|\n|-|-|\n", "a\n", "https://example.com/", "www.example.com", "a@b.c ",
	"&amp;", "&#123;", "<", ">", "<b>", "<!--", "\"", "'", "\\", "# ", "---\n", "- [x] ", "\U0001D11E", "é",
}

// randomBody builds a body of up to maxLen characters from blocks, each
// repeated a random number of times (long runs are what breaks renderers).
func randomBody(rng *rand.Rand, maxLen int) string {
	target := 1 + rng.IntN(maxLen)
	var b strings.Builder
	runes := 0
	for runes < target {
		piece := blocks[rng.IntN(len(blocks))]
		reps := 1
		switch rng.IntN(4) {
		case 0:
			reps = 1 + rng.IntN(10)
		case 1:
			reps = 1 + rng.IntN(1000)
		case 2:
			reps = 1 + rng.IntN(target)
		}
		n := utf8.RuneCountInString(piece)
		reps = min(reps, (target-runes)/n)
		if reps == 0 {
			break
		}
		b.WriteString(strings.Repeat(piece, reps))
		runes += reps * n
	}
	return b.String()
}

// TestRenderBoundsProperty renders many random bodies up to MaxBodyLen:
// each is accepted within the bounds or refused with EINVALID.
func TestRenderBoundsProperty(t *testing.T) {
	n := 150
	if testing.Short() {
		n = 30
	}
	r := New()
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: the same bodies every run
	refused := 0
	for i := range n {
		src := randomBody(rng, maxBody)
		if !checkBounds(t, r, fmt.Sprintf("body %d (%d bytes, starts %.40q)", i, len(src), src), src) {
			refused++
		}
	}
	t.Logf("%d of %d random bodies refused", refused, n)
}

// FuzzRenderBounds checks the same bounds on whatever the fuzzer makes;
// under plain go test it runs the worst cases and a few random bodies.
func FuzzRenderBounds(f *testing.F) {
	for _, c := range worstCases() {
		f.Add(c.src)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5 {
		f.Add(randomBody(rng, maxBody))
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		if utf8.RuneCountInString(src) > maxBody {
			t.Skip("the forum refuses bodies over MaxBodyLen before rendering")
		}
		checkBounds(t, r, "fuzz input", src)
	})
}

func TestCheckDocumentMaxNodes(t *testing.T) {
	// No body within MaxBodyLen reaches MaxNodes today (it is a backstop),
	// so build the document by hand.
	doc := ast.NewDocument()
	p := ast.NewParagraph()
	doc.AppendChild(doc, p)
	for range MaxNodes {
		p.AppendChild(p, ast.NewText())
	}
	err := checkDocument(doc, nil)
	if forum.ErrorCode(err) != forum.EINVALID || !strings.Contains(forum.ErrorMessage(err), "more than 100,000") {
		t.Fatalf("checkDocument = %v, want the MaxNodes refusal", err)
	}
}

func TestCappedBuffer(t *testing.T) {
	b := cappedBuffer{max: 4}
	if _, err := b.WriteString("abc"); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteByte('d'); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteRune('é'); err != errTooBig || !b.over || b.String() != "abcd" || b.Flush() != errTooBig {
		t.Fatalf("over the cap: %v over=%v %q", err, b.over, b.String())
	}
	if _, err := b.Write([]byte("x")); err != errTooBig {
		t.Fatal("write after the cap accepted")
	}
}

func TestExcerptOfRefusedBody(t *testing.T) {
	src := "Prices for **May**\n\n" + table(2000, 2000)
	got := Excerpt(src, 30)
	// The source's words, markup and all, cut before the 4,001-character
	// header row.
	if got != "Prices for **May**…" {
		t.Fatalf("Excerpt = %q", got)
	}
}

// TestHTMLExcerptReadsOnlyWhatItNeeds: a page's description comes from its
// first post's cached HTML (up to MaxHTMLBytes, more for posts rendered
// before the limits), so HTMLExcerpt must not copy or scan all of it for
// 160 characters.
func TestHTMLExcerptReadsOnlyWhatItNeeds(t *testing.T) {
	h := strings.Repeat("<p>Prices for <strong>May</strong> and June.</p>\n", 100000) // 5 MB
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := HTMLExcerpt(h, 160)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
		t.Errorf("HTMLExcerpt of %d bytes allocated %d bytes", len(h), alloc)
	}
	if !strings.HasPrefix(got, "Prices for May and June. Prices for May") || !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) > 160 {
		t.Errorf("HTMLExcerpt = %q", got)
	}
}

// TestRenderTildeRunInOnePiece: goldmark's strikethrough parser rescanned
// a run of "~" at each of its characters (0.7 s and 50,000 allocations for
// 50,000 "~"); tildeGuard takes the run as text in one piece, and what
// tildes render as does not change (expected output from the renderer
// before the guard).
func TestRenderTildeRunInOnePiece(t *testing.T) {
	r := New()
	src := "a" + strings.Repeat("~", maxBody-1)
	if allocs := testing.AllocsPerRun(2, func() { r.Render(src) }); allocs > 1000 {
		t.Errorf("a run of %d tildes: %.0f allocations, want a few hundred at most", len(src)-1, allocs)
	}
	tests := []struct{ src, want string }{
		{"~~a~~", "<p><del>a</del></p>\n"},
		{"~a~", "<p><del>a</del></p>\n"},
		{"a~~~b", "<p>a~~~b</p>\n"},
		{"x~~~www.example.com", "<p>x~~~<a href=\"http://www.example.com\" rel=\"nofollow ugc noopener\">www.example.com</a></p>\n"},
		{"x ~~www.example.com~~", "<p>x <del><a href=\"http://www.example.com\" rel=\"nofollow ugc noopener\">www.example.com</a></del></p>\n"},
		{"a~~~~~~~b~~c~~", "<p>a~~~~~~~b<del>c</del></p>\n"},
		{"~~a~~~", "<p>~~a~~~</p>\n"},
		{"a~~\n~~b", "<p>a~~\n~~b</p>\n"},
		{"`~~~`~~x~~", "<p><code>~~~</code><del>x</del></p>\n"},
		{"\\~~~a~~", "<p>~~~a~~</p>\n"},
		{"a~~~~", "<p>a~~~~</p>\n"},
		{"~~a ~~~~ b~~", "<p><del>a ~~~~ b</del></p>\n"},
	}
	for _, tt := range tests {
		if got, err := r.Render(tt.src); err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
		}
	}
}
