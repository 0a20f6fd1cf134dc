package render

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"

	"hearth/internal/forum"
)

// MaxMentions is how many @handles of one post become links (and so
// notify): a post naming more is a list, not a conversation, and the
// rest stay plain text.
const MaxMentions = 50

// mentionTransformer turns @handle in a post's text into a link to the
// member, /u/handle, with class "mention". Text inside code spans, code
// blocks, links and images is left alone, and so is an @ that follows a
// letter, digit or _ (an email address, a@b). It runs before
// linkRelTransformer, so mentions get rel like every link, and before
// checkDocument, so they count against MaxLinks and the size bound.
type mentionTransformer struct{}

func (mentionTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	if bytes.IndexByte(src, '@') < 0 {
		return
	}
	var texts []*ast.Text
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindCodeSpan, ast.KindCodeBlock, ast.KindFencedCodeBlock, ast.KindHTMLBlock,
			ast.KindRawHTML, ast.KindLink, ast.KindAutoLink, ast.KindImage:
			return ast.WalkSkipChildren, nil
		case ast.KindText:
			if t := n.(*ast.Text); bytes.IndexByte(t.Segment.Value(src), '@') >= 0 {
				texts = append(texts, t)
			}
		}
		return ast.WalkContinue, nil
	})
	made := 0
	for _, t := range texts {
		if made >= MaxMentions {
			return
		}
		made += splitMentions(t, src, MaxMentions-made)
	}
}

func isHandleByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// splitMentions replaces the mentions in t by links, at most max, and
// returns how many: the text before each goes into a new node ahead of
// t, and t keeps what follows the last (with its line break).
func splitMentions(t *ast.Text, src []byte, max int) int {
	parent := t.Parent()
	if parent == nil {
		return 0
	}
	made := 0
	for made < max {
		seg := t.Segment
		v := seg.Value(src)
		at := -1
		for i := 0; i < len(v); i++ {
			if v[i] != '@' {
				continue
			}
			pos := seg.Start + i
			if pos > 0 && (isHandleByte(src[pos-1]) || src[pos-1] == '@') {
				continue
			}
			j := i + 1
			for j < len(v) && isHandleByte(v[j]) {
				j++
			}
			// goldmark cuts text at _ (it may open emphasis): a handle
			// goes on into the text nodes that follow it in the source.
			end, tail := seg.Start+j, []*ast.Text(nil)
			for nx, ok := t.NextSibling().(*ast.Text); j == len(v) && ok && nx.Segment.Start == end; nx, ok = nx.NextSibling().(*ast.Text) {
				k := nx.Segment.Start
				for k < nx.Segment.Stop && isHandleByte(src[k]) {
					k++
				}
				end = k
				tail = append(tail, nx)
				if k < nx.Segment.Stop || nx.SoftLineBreak() || nx.HardLineBreak() {
					break
				}
			}
			if n := end - pos - 1; n < forum.MinHandleLen || n > forum.MaxHandleLen {
				continue
			}
			at = i
			h := strings.ToLower(string(src[pos+1 : end]))
			if i > 0 {
				parent.InsertBefore(parent, t, ast.NewTextSegment(text.NewSegment(seg.Start, pos)))
			}
			link := ast.NewLink()
			link.Destination = []byte("/u/" + h)
			link.SetAttributeString("class", []byte("mention"))
			link.AppendChild(link, ast.NewTextSegment(text.NewSegment(pos, end)))
			parent.InsertBefore(parent, t, link)
			t.Segment = text.NewSegment(min(end, seg.Stop), seg.Stop)
			for _, nx := range tail { // what the handle took of them
				nx.Segment = text.NewSegment(min(end, nx.Segment.Stop), nx.Segment.Stop)
			}
			made++
			break
		}
		if at < 0 {
			break
		}
	}
	return made
}

// mentionLink finds the mention links of rendered HTML: Render writes them
// as <a href="/u/handle" class="mention" …>, and nothing a member writes
// can carry that class past the sanitizer.
var mentionLink = regexp.MustCompile(`<a href="/u/([a-z0-9_]{3,20})" class="mention"`)

// Mentions returns the handles a post's rendered HTML mentions, each once,
// in order.
func Mentions(html string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionLink.FindAllStringSubmatch(html, MaxMentions) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}
