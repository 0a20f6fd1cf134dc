package render

import (
	"strings"
	"testing"
)

// typicalPost is about 600 characters: prose, a link, a list and a code block.
const typicalPost = `Thanks for the write-up! I ran into the same problem last week, see
[my earlier post](/p/1234) for the details. What fixed it for me:

- upgrade to the **latest** release (1.4.2 or later),
- clear the cache directory, and
- restart the service with ` + "`--verbose`" + ` so the logs show the reload.

Here is the config I ended up with:

` + "```yaml" + `
server:
  port: 8080
  cache: /var/cache/app
  workers: 4
` + "```" + `

If that still fails, the docs at https://example.com/docs/troubleshooting
have a whole section on it. Good luck, and _do_ report back.
`

func BenchmarkRenderTypical(b *testing.B) {
	r := New()
	b.SetBytes(int64(len(typicalPost)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(typicalPost); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderLong(b *testing.B) {
	r := New()
	var sb strings.Builder
	for sb.Len() < 5000 {
		sb.WriteString(typicalPost)
		sb.WriteString("\n| col | value |\n|-----|------:|\n| a | 1 |\n| b | 2 |\n\n> a quoted line\n\n")
	}
	src := sb.String()[:5000]
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderWorstCases measures Render on each pathological shape of
// worstCases (bodies up to forum.MaxBodyLen), and Excerpt and Quote on the
// ones that matter to them. Besides time and allocations it reports the
// HTML written (out-B) and whether the body was refused. It takes about a
// minute and a half, 15 s with -benchtime 100ms; on code without the
// limits, run the table shapes alone with -benchtime 1x (seconds and
// gigabytes each).
func BenchmarkRenderWorstCases(b *testing.B) {
	r := New()
	for _, c := range worstCases() {
		b.Run("render/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			b.ReportAllocs()
			var out string
			var err error
			for b.Loop() {
				out, err = r.Render(c.src)
			}
			b.ReportMetric(float64(len(out)), "out-B")
			if err != nil {
				b.ReportMetric(1, "refused")
			}
		})
	}
	// Excerpt parses as Render does, within the same limits; these shapes
	// cover what differs: refusals (it falls back to the source's words)
	// and the most HTML to read.
	for _, c := range worstCases() {
		switch c.name {
		case "table-2000cols-2000rows", "table-64cols-24000rows", "blockquote-deep", "list-deep-blank-lines", "link-ref-amplify",
			"tilde-run", "limit-table-cells", "limit-link-ref-amplify", "task-list", "paragraphs", "wide-letters":
		default:
			continue
		}
		b.Run("excerpt/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			b.ReportAllocs()
			for b.Loop() {
				Excerpt(c.src, 160)
			}
		})
	}
	// Quote reads each line once and keeps 1,500 characters: the shapes
	// that differ for it are long bodies, many lines and long lines.
	for _, c := range worstCases() {
		switch c.name {
		case "table-2000cols-2000rows", "blockquote-deep-lazy", "paragraphs", "fenced-code", "letters", "wide-letters":
		default:
			continue
		}
		b.Run("quote/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.src)))
			b.ReportAllocs()
			for b.Loop() {
				Quote("Ada", "/p/1", c.src)
			}
		})
	}
}
