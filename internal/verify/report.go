package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// marks are what each status looks like on a terminal.
var marks = map[Status]string{Passed: "✓", Failed: "✗", Skipped: "–"}

// WriteText prints one line per step and the verdict.
func (rep *Report) WriteText(w io.Writer) {
	for _, s := range rep.Steps {
		fmt.Fprintf(w, "%s %-16s %5d ms  %s\n", marks[s.Status], s.Name, s.MS, s.Detail)
	}
	fmt.Fprintln(w, rep.Verdict())
}

// Verdict is the one-line summary.
func (rep *Report) Verdict() string {
	counts := fmt.Sprintf("%d passed, %d failed, %d skipped in %d ms", rep.Passed, rep.Failed, rep.Skipped, rep.MS)
	if rep.OK {
		return fmt.Sprintf("Hearth at %s works: %s", rep.URL, counts)
	}
	var failed []string
	for _, s := range rep.Steps {
		if s.Status == Failed {
			failed = append(failed, s.Name)
		}
	}
	return fmt.Sprintf("Hearth at %s FAILED: %s; %s", rep.URL, strings.Join(failed, ", "), counts)
}

// WriteJSON prints the report as one JSON document.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
