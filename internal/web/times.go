package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"html"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Times on pages are read at a glance: "now", "5m", "3h", "yesterday",
// "17 Nov", "17 Nov 2025", relative to when the page was rendered and in
// the reader's time zone (a member's own, UTC for guests), inside
// <time datetime="RFC 3339" title="the full date and time">.
//
// Caches and relative times: a guest's page is rendered once and shared,
// but kept at most pageCacheAge (30 s), so its labels, which change by
// the minute at the finest, are at most one step behind; a saved copy
// served while the database is down says when it was saved. Members'
// lists are rendered per request. A post's header is part of its cached
// core, shared by every reader: the core is rendered with a marker where
// each time goes (drawn at random per rendering, as the shells' are) and
// cut there, and the times are written per request in the reader's zone
// (see postCore). No cached HTML holds a member's zone.

// clock is how a page shows times: the moment it is rendered and the
// reader's zone. A clock with marks writes markers instead, recording the
// times, for HTML that is cached and shared (post cores).
type clock struct {
	now   time.Time
	loc   *time.Location
	marks *timeMarks
}

// timeMarks records the times a rendering asked for, in order, and the
// marker written in their place.
type timeMarks struct {
	marker string
	times  []time.Time
}

func newTimeMarks() *timeMarks {
	var b [8]byte
	rand.Read(b[:])
	return &timeMarks{marker: "zzTime" + hex.EncodeToString(b[:]) + "zz"}
}

// clockFor is the request's clock: now, in the member's zone (UTC for
// guests).
func (s *Server) clockFor(r *http.Request) clock {
	if s.cfg.DBDown != nil && s.cfg.DBDown() { // the maintenance page must not wait on the database
		return clock{now: time.Now(), loc: s.svc.CachedZone(actor(r))}
	}
	return clock{now: time.Now(), loc: s.svc.Zone(r.Context(), actor(r))}
}

// when is the template function writing t as a <time> element: relative
// label, RFC 3339 datetime, the full date and time in the reader's zone
// as its title. The zero time writes nothing.
func when(c clock, t time.Time) template.HTML {
	if t.IsZero() {
		return ""
	}
	if c.marks != nil {
		c.marks.times = append(c.marks.times, t)
		return template.HTML(c.marks.marker)
	}
	return template.HTML(appendTime(nil, c, t))
}

// writeTime writes t's <time> element to w. A page writes one per post
// and per thread listed, for each reader: it is appended straight into
// w's spare room, formatting the time once in the reader's zone.
func writeTime(w *bytes.Buffer, c clock, t time.Time) {
	w.Write(appendTime(w.AvailableBuffer(), c, t))
}

func appendTime(b []byte, c clock, t time.Time) []byte {
	loc := c.loc
	if loc == nil {
		loc = time.UTC
	}
	lt, zone := wall(t, loc)
	ln, _ := wall(c.now, loc)
	b = append(b, `<time datetime="`...)
	b = appendRFC3339(b, t.UTC())
	b = append(b, `" title="`...)
	if strings.ContainsAny(zone, `<>&'"`) { // a zone's name, if ever
		zone = html.EscapeString(zone)
	}
	b = appendFullTime(b, lt, zone)
	b = append(b, `">`...)
	b = appendRelTime(b, c.now.Sub(t), lt, ln)
	return append(b, `</time>`...)
}

// The times of a page are written by hand, not by AppendFormat, which
// reads its layout again for each and looks the zone up for every field:
// a member's thread page writes twenty and more per request, and
// formatting them took a twelfth of its CPU (TestTimeFormats holds them
// to AppendFormat's output).

// wall returns t's reading on the clocks of zone loc, as a time in UTC
// (whose fields need no zone lookup), and the zone's name there ("CET",
// or "+0530" where the zone has no abbreviation).
func wall(t time.Time, loc *time.Location) (time.Time, string) {
	name, offset := t.In(loc).Zone()
	if name == "" { // a FixedZone without a name: as AppendFormat's MST
		name = t.In(loc).Format("-0700")
	}
	return t.UTC().Add(time.Duration(offset) * time.Second), name
}

// fullTime is t in full in zone loc: "Mon 17 Nov 2025, 14:05 CET".
func fullTime(t time.Time, loc *time.Location) string {
	lt, zone := wall(t, loc)
	return string(appendFullTime(nil, lt, zone))
}

// appendRFC3339 appends t, in UTC, as time.RFC3339 does.
func appendRFC3339(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, time.RFC3339)
	}
	hh, mm, ss := t.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(m))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, hh)
	b = append(b, ':')
	b = append2(b, mm)
	b = append(b, ':')
	b = append2(b, ss)
	return append(b, 'Z')
}

// appendFullTime appends the wall time lt (see wall) in zone as
// "Mon 2 Jan 2006, 15:04 MST".
func appendFullTime(b []byte, lt time.Time, zone string) []byte {
	y, m, d := lt.Date()
	if y < 0 || y > 9999 {
		return append(lt.AppendFormat(b, "Mon 2 Jan 2006, 15:04 "), zone...)
	}
	hh, mm, _ := lt.Clock()
	b = append(b, lt.Weekday().String()[:3]...)
	b = append(b, ' ')
	b = appendDayMonth(b, d, m)
	b = append(b, ' ')
	b = append4(b, y)
	b = append(b, ", "...)
	b = append2(b, hh)
	b = append(b, ':')
	b = append2(b, mm)
	b = append(b, ' ')
	return append(b, zone...)
}

// appendDayMonth appends "2 Jan".
func appendDayMonth(b []byte, d int, m time.Month) []byte {
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ' ')
	return append(b, m.String()[:3]...)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// relTime is t as read at now in zone loc: "now" (under a minute, or a
// few minutes ahead: clocks differ), "5m" (under an hour), "3h" (earlier
// the same day), "yesterday" (the calendar day before), "17 Nov" (this
// year), "17 Nov 2025". Days are the reader's calendar days, so across a
// change of daylight saving time yesterday is still the day before.
func relTime(t, now time.Time, loc *time.Location) string {
	lt, _ := wall(t, loc)
	ln, _ := wall(now, loc)
	return string(appendRelTime(nil, now.Sub(t), lt, ln))
}

// appendRelTime appends relTime of a time d before now, lt and ln being
// the two's wall times in the reader's zone (see wall).
func appendRelTime(b []byte, d time.Duration, lt, ln time.Time) []byte {
	switch {
	case d < -5*time.Minute: // from the future: say when
	case d < time.Minute:
		return append(b, "now"...)
	case d < time.Hour:
		return append(strconv.AppendInt(b, int64(d/time.Minute), 10), 'm')
	}
	ty, tm, td := lt.Date()
	ny, nm, nd := ln.Date()
	if d > 0 && ty == ny && tm == nm && td == nd {
		return append(strconv.AppendInt(b, int64(d/time.Hour), 10), 'h')
	}
	// Calendar days, as wall times are: the day before today's.
	yy, ym, yd := time.Date(ny, nm, nd-1, 12, 0, 0, 0, time.UTC).Date()
	if d > 0 && ty == yy && tm == ym && td == yd {
		return append(b, "yesterday"...)
	}
	switch {
	case ty == ny:
		return appendDayMonth(b, td, tm)
	case ty < 0 || ty > 9999:
		return lt.AppendFormat(b, "2 Jan 2006")
	}
	return append4(append(appendDayMonth(b, td, tm), ' '), ty)
}

// cutTimes cuts HTML rendered with marks at its markers: len(parts) is
// len(marks.times)+1, or ok is false if the markers and times disagree.
func cutTimes(s string, marks *timeMarks) (parts []string, ok bool) {
	parts = strings.Split(s, marks.marker)
	return parts, len(parts) == len(marks.times)+1
}
