package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	h := time.Hour
	tests := []struct {
		name string
		list []Entry
		keep []bool
	}{
		{"hourly within a day kept", []Entry{
			{CreatedAt: ago(23 * h), OK: true}, {CreatedAt: ago(2 * h), OK: true}, {CreatedAt: ago(h), OK: true},
		}, []bool{true, true, true}},
		{"older: newest per day kept", []Entry{
			{CreatedAt: ago(50 * h), OK: true}, // June 28 10:00
			{CreatedAt: ago(48 * h), OK: true}, // June 28 12:00: newest of its day
			{CreatedAt: ago(30 * h), OK: true}, // June 29 06:00
			{CreatedAt: ago(26 * h), OK: true}, // June 29 10:00: newest of June 29 (older than a day)
			{CreatedAt: ago(h), OK: true},
		}, []bool{false, true, false, true, true}},
		{"failed backups are not a day's keeper", []Entry{
			{CreatedAt: ago(49 * h), OK: true}, {CreatedAt: ago(48 * h), OK: false}, {CreatedAt: ago(h), OK: true},
		}, []bool{true, false, true}},
		{"beyond a month: gone, except the newest good", []Entry{
			{CreatedAt: ago(40 * 24 * h), OK: true}, {CreatedAt: ago(35 * 24 * h), OK: true},
		}, []bool{false, true}},
		{"pre-migrate kept for the month", []Entry{
			{CreatedAt: ago(10*24*h + h), OK: true, Kind: "pre-migrate"}, {CreatedAt: ago(10 * 24 * h), OK: true},
			{CreatedAt: ago(31 * 24 * h), OK: true, Kind: "pre-migrate"}, {CreatedAt: ago(h), OK: true},
		}, []bool{false, true, true, true}}, // (sorted oldest first)
	}
	for _, tt := range tests {
		slices.SortStableFunc(tt.list, func(a, b Entry) int { return a.CreatedAt.Compare(b.CreatedAt) })
		if got := DefaultRetention.keep(tt.list, now); !slices.Equal(got, tt.keep) {
			t.Errorf("%s: keep %v, want %v", tt.name, got, tt.keep)
		}
	}
}

func TestPrune(t *testing.T) {
	data := t.TempDir()
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	var list []Entry
	for i := 72; i >= 0; i-- { // hourly for three days
		e := Entry{File: fmt.Sprintf("hearth-%d.tar.gz", i), CreatedAt: now.Add(-time.Duration(i) * time.Hour), OK: true}
		writeFile(t, e.Path(data), "x")
		list = append(list, e)
	}
	outside := filepath.Join(t.TempDir(), "mine.tar.gz")
	writeFile(t, outside, "x")
	list = append([]Entry{{File: outside, CreatedAt: now.Add(-60 * 24 * time.Hour), OK: true}}, list...)
	must(t, updateIndex(data, func([]Entry) []Entry { return list }))

	removed, err := Prune(data, DefaultRetention, now)
	must(t, err)
	left, err := ReadIndex(data)
	must(t, err)
	// 25 within the day (June 29's newest among them), the newest of June
	// 27 and 28, and the one outside the folder.
	if len(left) != 25+2+1 || len(removed) != len(list)-len(left) {
		t.Errorf("left %d, removed %d", len(left), len(removed))
	}
	for _, f := range removed {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s still exists", f)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Error("pruned a backup outside the backups folder")
	}
}
