package progress

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// clock is a test's time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time            { return c.t }
func (c *clock) advance(d time.Duration)   { c.t = c.t.Add(d) }
func bar(buf *bytes.Buffer, c *clock) *Bar { b := New(buf); b.now = c.now; return b }

// screen is what a terminal shows after the output: each \r returns to
// the line's start, and the text written after it overwrites.
func screen(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		var cur []rune
		col := 0
		for _, r := range l {
			if r == '\r' {
				col = 0
				continue
			}
			if col < len(cur) {
				cur[col] = r
			} else {
				cur = append(cur, r)
			}
			col++
		}
		lines = append(lines, strings.TrimRight(string(cur), " "))
	}
	return lines
}

func TestBarRows(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	b := bar(&buf, c)
	b.Stage("importing posts", 1000, Rows)
	writes := buf.Len()
	for range 10 { // ten adds within the interval: one redraw at most
		c.advance(10 * time.Millisecond)
		b.Add(10)
	}
	if buf.Len() != writes {
		t.Errorf("redrew within %v: %q", Interval, buf.String())
	}
	c.advance(time.Second) // 100 done in 1.1 s
	b.Add(10)
	got := screen(buf.String())
	want := "importing posts:  110 / 1,000  11%  100/s  8.9s left"
	if got[len(got)-1] != want {
		t.Errorf("line %q, want %q", got[len(got)-1], want)
	}
	c.advance(9 * time.Second)
	b.Set(1000)
	b.Done()
	got = screen(buf.String())
	if want := "importing posts: 1,000 in 10.1s (99/s)"; got[0] != want {
		t.Errorf("final line %q, want %q (all: %q)", got[0], want, buf.String())
	}
	if !strings.HasSuffix(buf.String(), "\n") {
		t.Error("the finished stage does not end its line")
	}
}

func TestBarBytesAndStages(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	b := bar(&buf, c)
	b.Stage("copying the database", 4<<20, Bytes)
	w := b.Writer(&bytes.Buffer{})
	c.advance(2 * time.Second)
	w.Write(make([]byte, 1<<20))
	if got := screen(buf.String()); got[0] != "copying the database:  1.0 MiB / 4.0 MiB  25%  512.0 KiB/s  6s left" {
		t.Errorf("bytes line %q", got[0])
	}
	b.Stage("verifying", 0, Rows) // ends the stage before, with its own line
	c.advance(1500 * time.Millisecond)
	b.Add(0)
	b.Done()
	got := screen(buf.String())
	want := []string{"copying the database: 1.0 MiB in 2s (512.0 KiB/s)", "verifying in 1.5s", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("screen %q, want %q", got, want)
	}
	// The longer line before is blanked, not left half visible.
	if strings.Contains(got[1], "MiB") {
		t.Errorf("leftovers: %q", got[1])
	}
}

func TestNilBarAndNonTerminal(t *testing.T) {
	var b *Bar // what For gives off a terminal: every call is a no-op
	b.Stage("x", 1, Rows)
	b.Add(1)
	b.Set(1)
	b.Done()
	var buf bytes.Buffer
	if w := b.Writer(&buf); w != &buf {
		t.Error("a nil Bar wraps writers")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if For(f, false) != nil || IsTerminal(f) {
		t.Error("a file is taken for a terminal")
	}
	if For(os.Stderr, true) != nil {
		t.Error("--quiet still draws")
	}
}

func TestNumber(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
}
