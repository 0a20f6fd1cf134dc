package web

import (
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestRelTime: the labels of times on lists and post headers, in the
// reader's zone, at the minute, hour, midnight, year and daylight saving
// boundaries.
func TestRelTime(t *testing.T) {
	utc := time.UTC
	ny, tokyo, auckland := zone(t, "America/New_York"), zone(t, "Asia/Tokyo"), zone(t, "Pacific/Auckland")
	at := func(loc *time.Location, y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, loc)
	}
	noon := at(utc, 2026, 11, 17, 14, 5, 30)
	tests := []struct {
		name   string
		t, now time.Time
		loc    *time.Location
		want   string
	}{
		{"seconds ago", noon.Add(-10 * time.Second), noon, utc, "now"},
		{"59 s", noon.Add(-59 * time.Second), noon, utc, "now"},
		{"a minute", noon.Add(-time.Minute), noon, utc, "1m"},
		{"59m59s", noon.Add(-time.Hour + time.Second), noon, utc, "59m"},
		{"an hour", noon.Add(-time.Hour), noon, utc, "1h"},
		{"a little ahead (clock skew)", noon.Add(2 * time.Minute), noon, utc, "now"},
		{"far ahead", noon.Add(10 * time.Minute), noon, utc, "17 Nov"},

		// Midnight in UTC.
		{"a minute before midnight", at(utc, 2026, 11, 16, 23, 59, 0), at(utc, 2026, 11, 17, 0, 0, 0), utc, "1m"},
		{"an hour and a second before midnight", at(utc, 2026, 11, 16, 22, 59, 59), at(utc, 2026, 11, 17, 0, 0, 0), utc, "yesterday"},
		{"yesterday's first second", at(utc, 2026, 11, 16, 0, 0, 0), at(utc, 2026, 11, 17, 0, 0, 0), utc, "yesterday"},
		{"the day before's last second", at(utc, 2026, 11, 15, 23, 59, 59), at(utc, 2026, 11, 17, 0, 0, 0), utc, "15 Nov"},
		{"today's first second, at its end", at(utc, 2026, 11, 17, 0, 0, 0), at(utc, 2026, 11, 17, 23, 59, 59), utc, "23h"},
		{"yesterday's last second, 24h ago", at(utc, 2026, 11, 16, 23, 59, 59), at(utc, 2026, 11, 17, 23, 59, 59), utc, "yesterday"},

		// The same moments in other zones.
		{"7h ago in UTC", at(utc, 2026, 11, 17, 3, 0, 0), at(utc, 2026, 11, 17, 10, 0, 0), utc, "7h"},
		{"7h ago in New York is yesterday", at(utc, 2026, 11, 17, 3, 0, 0), at(utc, 2026, 11, 17, 10, 0, 0), ny, "yesterday"},
		{"7h ago in Tokyo", at(utc, 2026, 11, 17, 3, 0, 0), at(utc, 2026, 11, 17, 10, 0, 0), tokyo, "7h"},
		{"Tokyo's day before", at(utc, 2026, 11, 16, 14, 0, 0), at(utc, 2026, 11, 17, 16, 0, 0), tokyo, "16 Nov"},

		// Daylight saving time in New York: 1 Nov 2026 has 25 hours, 8 Mar 2026 23.
		{"fall back: 25h ago is yesterday", at(ny, 2026, 11, 1, 0, 30, 0), at(ny, 2026, 11, 2, 0, 30, 0), ny, "yesterday"},
		{"fall back: the long day is one day", at(ny, 2026, 11, 1, 0, 10, 0), at(ny, 2026, 11, 1, 23, 30, 0), ny, "24h"},
		{"spring forward: 23h ago is yesterday", at(ny, 2026, 3, 8, 0, 30, 0), at(ny, 2026, 3, 9, 0, 30, 0), ny, "yesterday"},
		{"spring forward: 24h ago is the day before", at(ny, 2026, 3, 7, 23, 30, 0), at(ny, 2026, 3, 9, 0, 30, 0), ny, "7 Mar"},
		{"spring forward, just after the gap", at(ny, 2026, 3, 8, 1, 59, 0), at(ny, 2026, 3, 8, 3, 30, 0), ny, "31m"},

		// Years.
		{"last year", at(utc, 2025, 12, 31, 10, 0, 0), at(utc, 2026, 1, 2, 9, 0, 0), utc, "31 Dec 2025"},
		{"new year's day, the day after", at(utc, 2026, 1, 1, 10, 0, 0), at(utc, 2026, 1, 2, 9, 0, 0), utc, "yesterday"},
		{"a year ago", at(utc, 2025, 11, 17, 14, 5, 0), noon, utc, "17 Nov 2025"},
		{"New Year in Auckland before UTC", at(utc, 2025, 12, 30, 10, 0, 0), at(utc, 2025, 12, 31, 12, 0, 0), auckland, "30 Dec 2025"},
		{"the same in UTC", at(utc, 2025, 12, 30, 10, 0, 0), at(utc, 2025, 12, 31, 12, 0, 0), utc, "yesterday"},
	}
	for _, tt := range tests {
		if got := relTime(tt.t, tt.now, tt.loc); got != tt.want {
			t.Errorf("%s: relTime(%v, now %v, %s) = %q, want %q", tt.name, tt.t, tt.now, tt.loc, got, tt.want)
		}
	}
}

// TestWhen: the <time> element, and the marker a cached post core gets
// in its place.
func TestWhen(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	ts := time.Date(2026, 11, 17, 14, 5, 0, 0, time.UTC)
	c := clock{now: ts.Add(3 * time.Hour), loc: paris}
	want := `<time datetime="2026-11-17T14:05:00Z" title="Tue 17 Nov 2026, 15:05 CET">3h</time>`
	if got := string(when(c, ts)); got != want {
		t.Errorf("when = %s\nwant %s", got, want)
	}
	if got := when(c, time.Time{}); got != "" {
		t.Errorf("when(zero) = %q", got)
	}
	marks := newTimeMarks()
	mc := clock{marks: marks}
	html := "<p>" + string(when(mc, ts)) + " · edited " + string(when(mc, ts.Add(time.Hour))) + "</p>"
	parts, ok := cutTimes(html, marks)
	if !ok || len(parts) != 3 || parts[0] != "<p>" || parts[1] != " · edited " || parts[2] != "</p>" {
		t.Fatalf("cut %q into %q (%v)", html, parts, ok)
	}
	if !marks.times[1].Equal(ts.Add(time.Hour)) {
		t.Errorf("recorded %v", marks.times)
	}
}

// TestTimeFormats holds the hand-written formats to AppendFormat's, over
// a spread of times (leap days, years' edges, single-digit days and hours)
// in zones with names, with numeric names and with half-hour offsets.
func TestTimeFormats(t *testing.T) {
	zones := []*time.Location{time.UTC, zone(t, "Europe/Paris"), zone(t, "America/New_York"),
		zone(t, "Asia/Kolkata"), zone(t, "America/Sao_Paulo"), zone(t, "Pacific/Chatham"), time.FixedZone("", 3600)}
	start := time.Date(1999, 12, 31, 23, 59, 59, 999, time.UTC)
	for i := range 3000 {
		ts := start.Add(time.Duration(i)*7*time.Hour + time.Duration(i*i%3600)*time.Second)
		for _, loc := range zones {
			lt := ts.In(loc)
			if got, want := string(appendRFC3339(nil, ts.UTC())), ts.UTC().Format(time.RFC3339); got != want {
				t.Fatalf("appendRFC3339(%v) = %q, want %q", ts, got, want)
			}
			if got, want := fullTime(ts, loc), lt.Format("Mon 2 Jan 2006, 15:04 MST"); got != want {
				t.Fatalf("appendFullTime(%v) = %q, want %q", lt, got, want)
			}
			now := ts.Add(time.Duration(i%3)*400*24*time.Hour + 72*time.Hour).In(loc) // this year, or the next
			want := lt.Format("2 Jan")
			if lt.Year() != now.Year() {
				want = lt.Format("2 Jan 2006")
			}
			if got := relTime(ts, now, loc); got != want {
				t.Fatalf("relTime(%v, %v) = %q, want %q", lt, now, got, want)
			}
		}
	}
}

func BenchmarkAppendTime(b *testing.B) {
	loc, _ := time.LoadLocation("Europe/Paris")
	c := clock{now: time.Now(), loc: loc}
	ts := c.now.Add(-400 * 24 * time.Hour)
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = appendTime(buf[:0], c, ts)
	}
}
