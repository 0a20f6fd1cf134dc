package render

import (
	"strings"
	"testing"
)

// TestTables: a table comes in its scrolling box with its columns'
// alignment as classes, and nothing a member types can borrow either.
func TestTables(t *testing.T) {
	r := New()
	tests := []struct {
		name, src string
		want, not []string
	}{
		{"aligned columns", "| Item | Nights | Price |\n|:--|:-:|--:|\n| Room | 3 | $450 |",
			[]string{`<div class="table-wrap" tabindex="0"><table>`, `<th class="al-l">Item</th>`, `<th class="al-c">Nights</th>`, `<td class="al-r">$450</td>`, "</table></div>"},
			[]string{"align=", "style="}},
		{"no alignment, no class", "| a |\n|---|\n| 1 |", []string{"<th>a</th>", "<td>1</td>"}, []string{"class=\"al"}},
		{"raw box", `<div class="table-wrap">x</div>`, nil, []string{"<div"}},
		{"raw cell class", "<table><tr><td class=\"al-r\">1</td></tr></table>", nil, []string{"al-r", "<td"}},
		{"a table in a quote", "> | a |\n> |--:|\n> | 1 |", []string{`<blockquote>`, `<div class="table-wrap" tabindex="0">`, `<td class="al-r">1</td>`}, nil},
	}
	for _, tt := range tests {
		out, err := r.Render(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no %q in\n%s", tt.name, w, out)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(out, n) {
				t.Errorf("%s: %q in\n%s", tt.name, n, out)
			}
		}
	}
}
