package render

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Tables on a phone: a table wider than the screen scrolls sideways in
// its own box (<div class="table-wrap">) rather than squeezing its cells
// until words break ("$450" into "$4" / "50") or widening the page.
// Column alignment comes as classes (al-l, al-c, al-r), since the CSP
// allows no inline style and align is obsolete HTML; the policy allows
// exactly these classes on these elements, and raw HTML never reaches it,
// so only this renderer can put them there.

// alignClass names the class of a column alignment.
var alignClass = map[east.Alignment][]byte{
	east.AlignLeft:   []byte("al-l"),
	east.AlignCenter: []byte("al-c"),
	east.AlignRight:  []byte("al-r"),
}

// tableAlignTransformer puts each aligned cell's alignment in its class.
type tableAlignTransformer struct{}

func (tableAlignTransformer) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		if c, ok := n.(*east.TableCell); ok {
			if class, ok := alignClass[c.Alignment]; ok {
				c.SetAttributeString("class", class)
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}

// tableWrapRenderer renders a table inside its scrolling box. It takes
// the table element from the table extension's renderer (a lower
// priority number wins) and leaves its rows and cells to it.
type tableWrapRenderer struct{}

func (tableWrapRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(east.KindTable, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			// tabindex: a box that scrolls must be reachable by keyboard
			// to scroll it (WCAG 2.1.1).
			_, _ = w.WriteString(`<div class="table-wrap" tabindex="0"><table`)
			if n.Attributes() != nil {
				html.RenderAttributes(w, n, extension.TableAttributeFilter)
			}
			_, _ = w.WriteString(">\n")
		} else {
			_, _ = w.WriteString("</table></div>\n")
		}
		return ast.WalkContinue, nil
	})
}
