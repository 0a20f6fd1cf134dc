package render

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"hearth/internal/forum"
)

// Limits on the work of rendering one post. The body is already at most
// forum.MaxBodyLen characters, but markdown can multiply it: goldmark pads
// every table row to the header's column count, so a 12 KB body of 2,000
// columns and 2,000 one-cell rows made 4 million cells and 40 MB of HTML.
// A body over any limit is refused with a forum.FieldError on "body" (the
// member keeps the text and gets told what is too big); the numbers leave
// ordinary posts far below them.
const (
	// MaxTableColumns: a wide price table has 10-20 columns; 64 is beyond
	// anything a screen shows.
	MaxTableColumns = 64
	// MaxTableCells counts rows × header columns over all tables of a post,
	// empty (padded) cells included: 20 columns × 1,000 rows fit.
	MaxTableCells = 20000
	// MaxNesting is how deep quotes, list items and emphasis (bold, italic,
	// strikethrough) may nest inside one another; real posts stay under 10.
	MaxNesting = 32
	// MaxLinks bounds links and images, and every "[" that may open one:
	// a long list of resources has a few hundred.
	MaxLinks = 1000
	// MaxLinkScanBytes bounds what goldmark's link parser reads: for each
	// "]" the text back to its "[", and after "](" the address up to a
	// space or ")". Real links read a few hundred bytes each; unclosed ones
	// before a long run of text without spaces read it all again each time
	// ("[a](" × 1,000 then 46,000 letters: 46 MB).
	MaxLinkScanBytes = 1 << 20
	// MaxListSteps bounds the lines goldmark walks inside lists, counted
	// once per open list and list item: it visits all of them for every
	// line, and a blank line is one byte, so 32 nested lists and 49,900
	// blank lines made 3.2 million visits (0.8 s, 420 MB). A 50,000
	// character list of one-word items takes 25,000.
	MaxListSteps = 100000
	// MaxNodes bounds the parsed document, as a backstop: a body of
	// forum.MaxBodyLen characters makes at most about one element per
	// character plus its padded cells; an ordinary long post a few thousand.
	MaxNodes = 100000
	// MaxHTMLBytes caps the HTML of one post, checked while it is written:
	// a full-length post of plain text makes about 50 KB, one of quote
	// marks (each written &#34;) 250 KB, a table at MaxTableCells 210 KB.
	MaxHTMLBytes = 1 << 20
)

// limitsKey holds the *parseLimits of one Parse call in its parser.Context.
var limitsKey = parser.NewContextKey()

// parseLimits is what the guards below count while goldmark parses, and the
// first limit found exceeded.
type parseLimits struct {
	err     *forum.Error
	cells   int // table cells so far, an upper bound
	openers int // "[" and "![" seen by the inline parser
	scanned int // bytes the link parser reads, an upper bound
	steps   int // lines walked inside lists, once per open list and item

	block ast.Node // the block whose brackets are in open
	open  []int    // source offsets of its "[" not yet closed
}

func limitsOf(pc parser.Context) *parseLimits {
	return pc.ComputeIfAbsent(limitsKey, func() any { return &parseLimits{} }).(*parseLimits)
}

func (l *parseLimits) refuse(err *forum.Error) {
	if l.err == nil {
		l.err = err
	}
}

// newParseContext returns a fresh context for one Parse, so the counts are
// per call and the Renderer stays safe for concurrent use.
func newParseContext() (parser.Context, *parseLimits) {
	pc := parser.NewContext()
	return pc, limitsOf(pc)
}

// The refusals, in words a member understands.

func tooManyColumns(n int) *forum.Error {
	return forum.FieldError("body", "This table has %s columns; posts can have tables of at most %s columns.", count(n), count(MaxTableColumns))
}

func tooManyCells(n int) *forum.Error {
	return forum.FieldError("body", "The tables in this post have %s cells (rows × columns, empty cells included); posts can have at most %s.", count(n), count(MaxTableCells))
}

func tooDeep(depth string) *forum.Error {
	return forum.FieldError("body", "This post nests quotes, lists or emphasis %s deep; posts can nest them at most %d deep.", depth, MaxNesting)
}

func tooManyLinks(n string) *forum.Error {
	return forum.FieldError("body", "This post has %s links, images or square brackets ([); posts can have at most %s.", n, count(MaxLinks))
}

func tooMuchLinkText() *forum.Error {
	return forum.FieldError("body", "Finding where the links in this post end means reading more than %s of text, the most a post may need: brackets [ ] or parentheses ( ) are left open before long stretches of text. Close each link's brackets, or split very long lines.", kb(MaxLinkScanBytes))
}

func tooManyListSteps() *forum.Error {
	return forum.FieldError("body", "The lists in this post are too long for how deeply they are nested: each line inside a list counts once for every list around it, and this post comes to more than %s; posts can have at most %s. Remove blank lines inside nested lists, or nest them less deeply.", count(MaxListSteps), count(MaxListSteps))
}

func tooManyNodes() *forum.Error {
	return forum.FieldError("body", "This post has more than %s pieces of formatting (paragraphs, list items, cells, emphasis…); posts can have at most %s.", count(MaxNodes), count(MaxNodes))
}

func tooBig(size string) *forum.Error {
	return forum.FieldError("body", "This post would make %s of HTML; posts can make at most %s. Reference links repeat their whole address each time they are used.", size, kb(MaxHTMLBytes))
}

// count writes n with thousands separators: 2,000.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func kb(n int) string { return count((n+1023)/1024) + " KB" }

// nestingGuard stops goldmark from opening quotes and lists deeper than
// MaxNesting: each level costs every later line a step (lazy continuation
// lines walk all open blocks), and 50,000 ">" took a second. Registered
// ahead of the blockquote and list parsers, it declines (nil) until the
// limit is passed, then ends the line with an empty block and records the
// refusal.
type nestingGuard struct{}

func (nestingGuard) Trigger() []byte {
	return []byte{'>', '-', '+', '*', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}
}

func (nestingGuard) Open(_ ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for _, b := range pc.OpenedBlocks() {
		if k := b.Node.Kind(); k == ast.KindBlockquote || k == ast.KindListItem {
			depth++
		}
	}
	// At exactly MaxNesting the character may start ordinary content (a
	// paragraph "1999 was…", a rule "---"); one level more is over anyway.
	if depth <= MaxNesting {
		return nil, parser.NoChildren
	}
	limitsOf(pc).refuse(tooDeep("more than " + strconv.Itoa(MaxNesting)))
	reader.AdvanceToEOL()
	return ast.NewTextBlock(), parser.NoChildren
}

func (nestingGuard) Continue(ast.Node, text.Reader, parser.Context) parser.State { return parser.Close }
func (nestingGuard) Close(ast.Node, text.Reader, parser.Context)                 {}
func (nestingGuard) CanInterruptParagraph() bool                                 { return true }
func (nestingGuard) CanAcceptIndentedLine() bool                                 { return false }

// listGuard wraps goldmark's list and list item parsers (newMarkdown puts
// it in their place) to count MaxListSteps: goldmark asks every open list
// and item to continue on every line. Past the limit it records the
// refusal and closes them, and after any refusal it opens no more lists,
// so the rest of the body costs little.
type listGuard struct{ parser.BlockParser }

func (g listGuard) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if limitsOf(pc).err != nil {
		return nil, parser.NoChildren
	}
	return g.BlockParser.Open(parent, reader, pc)
}

func (g listGuard) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	l := limitsOf(pc)
	if l.steps++; l.steps > MaxListSteps {
		l.refuse(tooManyListSteps())
	}
	if l.err != nil {
		return parser.Close
	}
	return g.BlockParser.Continue(node, reader, pc)
}

// blockParsers are goldmark's default block parsers with the list and list
// item parsers wrapped in listGuard.
func blockParsers() []util.PrioritizedValue {
	ps := parser.DefaultBlockParsers()
	for i, p := range ps {
		if p.Value == parser.NewListParser() || p.Value == parser.NewListItemParser() {
			ps[i].Value = listGuard{p.Value.(parser.BlockParser)}
		}
	}
	return ps
}

// bracketGuard watches the brackets the inline parser meets, ahead of
// goldmark's link parser. It counts "[" and "![" against MaxLinks, and
// charges each "]" with what the link parser will read for it against
// MaxLinkScanBytes: both grow with the square of the input in the worst
// case ("[" × 25,000 then "]" × 25,000 took a quarter of a second, "[a](" ×
// 12,500 half a second). Past a limit it records the refusal and skips the
// rest of the block. The charges follow goldmark 1.8's link parser; the
// worst cases in BenchmarkRenderWorstCases show when an upgrade moves them.
type bracketGuard struct{}

func (bracketGuard) Trigger() []byte { return []byte{'[', '!', ']'} }

func (bracketGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	l := limitsOf(pc)
	if l.block != parent { // goldmark parses one block at a time
		l.block, l.open = parent, l.open[:0]
	}
	switch {
	case line[0] == '[' || line[0] == '!' && len(line) > 1 && line[1] == '[':
		l.openers++
		l.open = append(l.open, seg.Start)
		if l.openers <= MaxLinks {
			return nil
		}
		l.refuse(tooManyLinks("more than " + count(MaxLinks)))
	case line[0] == ']' && len(l.open) > 0:
		// The link parser pairs "]" with the last "[" and looks at the
		// text between (the label), then at an address after "(".
		opener := l.open[len(l.open)-1]
		l.open = l.open[:len(l.open)-1]
		l.scanned += seg.Start - opener
		// Copying a label or title (block.Value) walks the block's lines
		// back from its last one: a link that is not plain [text](address)
		// costs the lines left, twice at most.
		cur, _ := block.Position()
		rest := 2 * (parent.Lines().Len() - cur)
		if len(line) > 1 && line[1] == '(' {
			d := destinationLen(line[2:], MaxLinkScanBytes-l.scanned+1)
			if l.scanned += d; 2+d >= len(line) || line[2+d] != ')' {
				l.scanned += rest
			}
		} else {
			l.scanned += rest
		}
		if l.scanned <= MaxLinkScanBytes {
			return nil
		}
		l.refuse(tooMuchLinkText())
	default:
		return nil
	}
	for {
		block.AdvanceLine()
		if line, _ := block.PeekLine(); line == nil {
			break
		}
	}
	return ast.NewTextSegment(seg)
}

// destinationLen is how far goldmark's parseLinkDestination reads line
// (what follows "]("), at most limit bytes: to the ">" of an <address>, or
// to a space or an unbalanced ")" otherwise.
func destinationLen(line []byte, limit int) int {
	n := min(len(line), limit)
	i := 0
	for i < n && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	angle := i < n && line[i] == '<'
	opened := 0
	for ; i < n; i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
		case angle && c == '>':
			return i
		case angle:
		case c == '(':
			opened++
		case c == ')':
			if opened--; opened < 0 {
				return i
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			return i
		}
	}
	return i
}

// tildeGuard takes a run of "~" as text in one piece. goldmark's
// strikethrough parser declines runs longer than "~~", but only after
// scanning the run, and does so again at each of its characters: 50,000
// "~" took 0.7 s. Ahead of it, inside a run (the previous character is
// "~", where the strikethrough parser always declines), this returns the
// run as text but for its last "~", which goes the usual way (so linkify
// still sees "~www.example.com").
type tildeGuard struct{}

func (tildeGuard) Trigger() []byte { return []byte{'~'} }

func (tildeGuard) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	if block.PrecendingCharacter() != '~' {
		return nil
	}
	line, seg := block.PeekLine()
	n := 0
	for n < len(line) && line[n] == '~' {
		n++
	}
	if n < 2 {
		return nil
	}
	block.Advance(n - 1)
	return ast.NewTextSegment(seg.WithStop(seg.Start + n - 1))
}

// tableGuard runs before goldmark's table transformer and measures the
// table it would build: the columns of the delimiter row times the lines
// from the header on. Over MaxTableColumns or MaxTableCells it records the
// refusal and cuts the paragraph before the delimiter row, so the padded
// cells are never allocated. The count is an upper bound: a delimiter-like
// row that goldmark would not take still counts.
type tableGuard struct{}

func (tableGuard) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	n := lines.Len()
	first, cols, cells := -1, 0, 0
	for i := 1; i < n; i++ {
		seg := lines.At(i)
		c := delimiterColumns(seg.Value(reader.Source()))
		if c == 0 {
			continue
		}
		if first < 0 {
			first = i
		}
		// goldmark takes one table per paragraph, at the first delimiter
		// row it accepts; the largest candidate bounds it.
		cols, cells = max(cols, c), max(cells, c*(n-i))
	}
	if first < 0 {
		return
	}
	l := limitsOf(pc)
	l.cells += cells
	switch {
	case cols > MaxTableColumns:
		l.refuse(tooManyColumns(cols))
	case l.cells > MaxTableCells:
		l.refuse(tooManyCells(l.cells))
	default:
		return
	}
	lines.SetSliced(0, first)
}

// delimiterColumns returns the number of columns of a GFM table delimiter
// row ("| --- | :-: |"), or 0 if line is not one. It follows goldmark's
// parseDelimiter, except that it does not reject indented rows (counting
// more is safe).
func delimiterColumns(line []byte) int {
	allDashes := true
	for _, b := range line {
		switch b {
		case '-':
		case ' ', '\t', '\n', '\r', '\v', '\f', '|', ':':
			allDashes = false
		default:
			return 0
		}
	}
	if allDashes {
		return 0
	}
	cols := bytes.Split(line, []byte{'|'})
	if len(cols) > 0 && len(bytes.TrimSpace(cols[0])) == 0 {
		cols = cols[1:]
	}
	if len(cols) > 0 && len(bytes.TrimSpace(cols[len(cols)-1])) == 0 {
		cols = cols[:len(cols)-1]
	}
	for _, c := range cols {
		c = bytes.TrimSpace(c)
		c = bytes.TrimPrefix(c, []byte{':'})
		c = bytes.TrimSuffix(c, []byte{':'})
		if len(c) == 0 || len(bytes.Trim(c, "-")) != 0 {
			return 0
		}
	}
	return len(cols)
}

// checkDocument measures the parsed document against MaxNesting, MaxLinks,
// MaxNodes and, as an estimate, MaxHTMLBytes (the source plus every link
// destination and title written out: a reference link repeats its address
// at each use), and returns the first limit exceeded as a *forum.Error.
func checkDocument(doc ast.Node, src []byte) error {
	var (
		depth, deepest, links, nodes int
		size                         = len(src)
		err                          error
	)
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		nests := false
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindListItem, ast.KindEmphasis, east.KindStrikethrough:
			nests = true
		}
		if !entering {
			if nests {
				depth--
			}
			return ast.WalkContinue, nil
		}
		if nests {
			depth++
			deepest = max(deepest, depth)
		}
		if nodes++; nodes > MaxNodes {
			err = tooManyNodes()
			return ast.WalkStop, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			links++
			size += len(n.Destination) + len(n.Title)
		case *ast.Image:
			links++
			size += len(n.Destination) + len(n.Title)
		case *ast.AutoLink:
			links++
		}
		return ast.WalkContinue, nil
	})
	switch {
	case err != nil:
		return err
	case deepest > MaxNesting:
		return tooDeep(count(deepest))
	case links > MaxLinks:
		return tooManyLinks(count(links))
	case size > MaxHTMLBytes:
		return tooBig("about " + kb(size))
	}
	return nil
}

// errTooBig is what cappedBuffer returns once the cap is passed.
var errTooBig = errors.New("render: output over MaxHTMLBytes")

// cappedBuffer collects output up to max bytes and fails every write after
// that, so an oversized post is stopped while it is written rather than
// after. It is a util.BufWriter, so goldmark writes to it directly, and an
// io.StringWriter, so bluemonday does.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) room(n int) bool {
	if b.over || b.Len()+n > b.max {
		b.over = true
		return false
	}
	return true
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if !b.room(len(p)) {
		return 0, errTooBig
	}
	return b.Buffer.Write(p)
}

func (b *cappedBuffer) WriteString(s string) (int, error) {
	if !b.room(len(s)) {
		return 0, errTooBig
	}
	return b.Buffer.WriteString(s)
}

func (b *cappedBuffer) WriteByte(c byte) error {
	if !b.room(1) {
		return errTooBig
	}
	return b.Buffer.WriteByte(c)
}

func (b *cappedBuffer) WriteRune(r rune) (int, error) {
	if !b.room(utf8.RuneLen(r)) {
		return 0, errTooBig
	}
	return b.Buffer.WriteRune(r)
}

func (b *cappedBuffer) Available() int { return max(b.max-b.Len(), 0) }
func (b *cappedBuffer) Buffered() int  { return 0 }
func (b *cappedBuffer) Flush() error {
	if b.over {
		return errTooBig
	}
	return nil
}
