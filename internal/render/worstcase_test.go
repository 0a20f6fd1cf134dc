package render

import (
	"fmt"
	"strings"
)

// maxBody mirrors forum.MaxBodyLen: the forum refuses longer bodies before
// they reach Render, so no shape here needs to be longer.
const maxBody = 50000

// worstCase is a pathological body: the shapes that make markdown renderers
// (and this one in particular) do more than linear work or write more than
// linear output.
type worstCase struct {
	name string
	src  string
}

// repeatTo repeats unit until the result would pass n bytes.
func repeatTo(unit string, n int) string {
	return strings.Repeat(unit, n/len(unit))
}

// growingRuns writes open, then sep + open repeated 1, 2, 3, … times, until
// n bytes: "*a**a***a…", "`a“a```…".
func growingRuns(open, sep string, n int) string {
	var b strings.Builder
	for k := 1; b.Len()+k*len(open)+len(sep) <= n; k++ {
		b.WriteString(strings.Repeat(open, k))
		b.WriteString(sep)
	}
	return b.String()
}

// table returns a GFM table with cols columns in the header and rows body
// rows of one cell each: goldmark pads every row to the header's width.
func table(cols, rows int) string {
	return strings.Repeat("|a", cols) + "|\n" + strings.Repeat("|-", cols) + "|\n" + strings.Repeat("a\n", rows)
}

// fullTable returns a table whose rows have every cell filled.
func fullTable(cols, rows int) string {
	row := strings.Repeat("| 12.50 ", cols) + "|\n"
	return strings.Repeat("| head ", cols) + "|\n" + strings.Repeat("|---", cols) + "|\n" + strings.Repeat(row, rows)
}

// nestedIndentedList nests list items by indentation until n bytes.
func nestedIndentedList(n int) string {
	var b strings.Builder
	for i := 0; ; i++ {
		line := strings.Repeat("  ", i) + "- a\n"
		if b.Len()+len(line) > n {
			return b.String()
		}
		b.WriteString(line)
	}
}

// linkRefs defines k references and uses each once.
func linkRefs(k int) string {
	var b strings.Builder
	for i := range k {
		fmt.Fprintf(&b, "[r%d]: /u%d\n", i, i)
	}
	b.WriteString("\n")
	for i := range k {
		fmt.Fprintf(&b, "[r%d] ", i)
	}
	return b.String()
}

// linkRefAmplify defines one reference with a long destination and uses
// it (n/4 times): each 4-byte use writes the whole URL again.
func linkRefAmplify(urlLen, n int) string {
	return "[x]: /" + strings.Repeat("a", urlLen) + "\n\n" + repeatTo("[x] ", n)
}

// unclosedLinks is as many "[a](" as MaxLinkScanBytes allows before a run
// of fill without spaces: goldmark reads the run again for each.
func unclosedLinks(fill string, n int) string {
	runes := n - 200
	k := MaxLinkScanBytes/(runes*len(fill)) - 1
	return repeatTo("[a](", 4*k) + strings.Repeat(fill, runes)
}

// nestedLabels is as many nested "[" … "]" around a long text as
// MaxLinkScanBytes allows: goldmark reads the text again for each "]".
func nestedLabels(n int) string {
	fill := n - 200
	k := MaxLinkScanBytes/(fill+200) - 1
	return strings.Repeat("[", k) + repeatTo("a ", fill) + strings.Repeat("]", k)
}

// worstCases are the shapes measured by BenchmarkRenderWorstCases and
// seeded into the fuzz and property tests. Each is at most maxBody bytes.
func worstCases() []worstCase {
	n := maxBody
	return []worstCase{
		// Tables: goldmark pads every row to the header's column count.
		{"table-2000cols-2000rows", table(2000, 2000)}, // the finding: 12 KB
		{"table-64cols-24000rows", table(64, 24000)},
		{"table-full-20cols-300rows", fullTable(20, 300)}, // a big price table, accepted
		{"table-2cols-8000rows", "|a|b|\n|-|-|\n" + repeatTo("|1|2|\n", n-12)},

		// Nesting.
		{"blockquote-deep", repeatTo(">", n)},
		{"blockquote-deep-lazy", repeatTo(">", n/2) + "a\n" + repeatTo("b\n", n/2-2)},
		{"list-deep", repeatTo("- ", n)},
		{"list-deep-lazy", repeatTo("- ", n/2) + "a\n" + repeatTo("b\n", n/2-2)},
		{"list-deep-indented", nestedIndentedList(n)},
		{"list-long", repeatTo("- a\n", n)},
		{"list-deep-blank-lines", repeatTo("- ", 2*MaxNesting) + "a" + repeatTo("\n", n-2*MaxNesting-2) + "b"},

		// Emphasis and other delimiter runs.
		{"emphasis-star-runs", growingRuns("*", "a", n)},
		{"emphasis-underscore-runs", growingRuns("_", "a", n)},
		{"emphasis-unclosed", repeatTo("*a ", n)},
		{"emphasis-nested", repeatTo("*", n/2) + "a" + repeatTo("*", n/2-1)},
		{"emphasis-alternating", repeatTo("*_", n/2) + "a" + repeatTo("_*", n/2-1)},
		{"strikethrough-runs", growingRuns("~", "a", n)},
		{"tilde-run", "a" + repeatTo("~", n-1)},

		// Links and images.
		{"brackets-open", repeatTo("[", n)},
		{"brackets-close", repeatTo("]", n)},
		{"brackets-nested", repeatTo("[", n/2) + repeatTo("]", n/2)},
		{"images-open", repeatTo("![", n)},
		{"links-unclosed", repeatTo("[a](", n)},
		{"links-many", repeatTo("[a](/b) ", n)},
		{"images-many", repeatTo("![a](/b) ", n)},
		{"link-refs-2000", linkRefs(2000)},
		{"link-ref-defs", repeatTo("[a]:/\n", n)},
		{"link-titles-open-lines", repeatTo("[a](/b \"", 8*MaxLinks) + repeatTo("a\n", n-8*MaxLinks)},
		{"link-ref-amplify", linkRefAmplify(20000, 4*900)},
		{"link-title-amplify", "[x]: /a \"" + strings.Repeat("t", 20000) + "\"\n\n" + repeatTo("[x] ", 4*900)},

		// Code spans.
		{"backticks-long", repeatTo("`", n)},
		{"backtick-runs", growingRuns("`", "a", n)},
		{"backticks-unmatched", repeatTo("`a", n)},

		// Autolinks (linkify) and plain runs.
		{"linkify-dots", repeatTo("a.", n)},
		{"linkify-www-dots", "www." + repeatTo("a.", n-4)},
		{"linkify-http-dots", "http://" + repeatTo("a.", n-7)},
		{"linkify-emails", repeatTo("a@a.", n)},
		{"linkify-many-urls", repeatTo("https://example.com/a ", n)},
		{"letters", repeatTo("a", n)},
		{"autolinks-angle", repeatTo("<https://a.b/>", n)},

		// Escaping growth and raw HTML.
		{"entities-amp", repeatTo("&amp;", n)},
		{"entities-numeric", repeatTo("&#12345;", n)},
		{"less-than", repeatTo("<", n)},
		{"double-quotes", repeatTo(`"`, n)},
		{"apostrophes", repeatTo("'", n)},
		{"raw-html-tags", repeatTo("<b>", n)},
		{"html-block", repeatTo("<div>\n", n)},
		{"raw-html-attr-lines", repeatTo("<a b=\"\n", n)},

		// Many small blocks.
		{"headings", repeatTo("# a\n", n)},
		{"paragraphs", repeatTo("a\n\n", n)},
		{"hard-breaks", repeatTo("a  \n", n)},
		{"task-list", repeatTo("- [x] a\n", n)},
		{"fenced-code", repeatTo("```\na\n```\n", n)},
		{"thematic-breaks", repeatTo("***\n", n)},

		// Just inside the limits: the most work an accepted body can ask for.
		{"limit-table-cells", alignedTable(MaxTableColumns, MaxTableCells/MaxTableColumns-1)},
		{"limit-blockquote-lazy", repeatTo(">", MaxNesting) + "a\n" + repeatTo("b\n", n-MaxNesting-2)},
		{"limit-list-lazy", repeatTo("- ", MaxNesting) + "a\n" + repeatTo("b\n", n-2*MaxNesting-2)},
		{"limit-list-blank-lines", repeatTo("- ", 2*MaxNesting) + "a" + repeatTo("\n", MaxListSteps/(2*MaxNesting+1)-2) + "b"},
		{"limit-emphasis", repeatTo("*", MaxNesting) + "a" + repeatTo("*", MaxNesting) + repeatTo(" *a*", n-2*MaxNesting-1)},
		{"limit-links", repeatTo("[a](/b) ", 8*MaxLinks) + repeatTo("a ", n-8*MaxLinks)},
		{"limit-links-unclosed", unclosedLinks("a", n)},
		{"limit-links-unclosed-wide", unclosedLinks(wide, n)},
		{"limit-link-labels", nestedLabels(n)},
		{"limit-link-ref-amplify", linkRefAmplify((MaxHTMLBytes-n)/MaxLinks, 4*(MaxLinks-1))},

		// Four-byte characters: a body of MaxBodyLen characters is 200 KB.
		{"wide-letters", repeatTo(wide, 4*n)},
		{"wide-emphasis-unclosed", repeatTo("*"+wide+" ", 6*n/3)},
		{"wide-table-rows", "|a|b|\n|-|-|\n" + repeatTo("|"+wide+"|"+wide+"|\n", 2*(n-12))},
	}
}

// wide is a four-byte character.
const wide = "\U0001D11E"

// alignedTable is a table of centred columns (the longest cells goldmark
// writes, <td align="center">) and one-cell rows padded to the header.
func alignedTable(cols, rows int) string {
	return strings.Repeat("|a", cols) + "|\n" + strings.Repeat("|:-:", cols) + "|\n" + strings.Repeat("a\n", rows)
}
