// Package progress shows how far a long operator command is (backup,
// restore, migrate, repair, seed) on one terminal line: the stage, what is
// done of how much, the rate and the time left, redrawn at most every
// 200 ms. A nil *Bar does nothing, so code takes an optional *Bar and
// calls it unconditionally; For gives nil when stderr is not a terminal.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Unit is what a stage counts.
type Unit int

const (
	Rows  Unit = iota // rows, posts, files: counted as numbers
	Bytes             // shown in KiB, MiB, GiB
)

// Interval is how often the line is redrawn at most.
const Interval = 200 * time.Millisecond

// Bar draws one stage at a time on a terminal. Its methods are safe for
// concurrent use and do nothing on a nil *Bar.
type Bar struct {
	w        io.Writer
	now      func() time.Time
	interval time.Duration

	mu          sync.Mutex
	stage       string
	unit        Unit
	total, done int64
	began, last time.Time
	width       int // of the line on screen, to blank what a shorter one leaves
}

// New returns a Bar writing to w (a terminal: it uses \r to redraw).
func New(w io.Writer) *Bar { return &Bar{w: w, now: time.Now, interval: Interval} }

// For returns a Bar on f when f is a terminal and quiet is false, else
// nil: nothing is drawn into a pipe, a log file or a --json run.
func For(f *os.File, quiet bool) *Bar {
	if quiet || !IsTerminal(f) {
		return nil
	}
	return New(f)
}

// IsTerminal reports whether f is a character device: a terminal, as far
// as a progress line cares, with no dependency.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Stage ends the stage before (leaving its final line) and starts one:
// name, how many units it has (0 if unknown) and what it counts.
func (b *Bar) Stage(name string, total int64, unit Unit) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finishLocked()
	b.stage, b.total, b.unit, b.done = name, total, unit, 0
	b.began = b.now()
	b.last = time.Time{}
	b.drawLocked(true)
}

// Add counts n more units done.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.done += n
	b.drawLocked(false)
	b.mu.Unlock()
}

// Set says how many units are done in all (e.g. a file's size so far).
func (b *Bar) Set(done int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.done = done
	b.drawLocked(false)
	b.mu.Unlock()
}

// Done ends the current stage, leaving its final line with its time.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.finishLocked()
	b.mu.Unlock()
}

// Writer returns w counting every byte written through it into the stage.
func (b *Bar) Writer(w io.Writer) io.Writer {
	if b == nil {
		return w
	}
	return countingWriter{w, b}
}

// Reader returns r counting every byte read through it into the stage.
func (b *Bar) Reader(r io.Reader) io.Reader {
	if b == nil {
		return r
	}
	return countingReader{r, b}
}

type countingWriter struct {
	w io.Writer
	b *Bar
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.b.Add(int64(n))
	return n, err
}

type countingReader struct {
	r io.Reader
	b *Bar
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.b.Add(int64(n))
	return n, err
}

func (b *Bar) finishLocked() {
	if b.stage == "" {
		return
	}
	elapsed := b.now().Sub(b.began)
	line := b.stage + ": " + b.amount(b.done)
	if b.unit == Rows && b.total == 0 && b.done == 0 {
		line = b.stage
	}
	line += " in " + roundDuration(elapsed)
	if r := b.rate(elapsed); r != "" && b.done > 0 {
		line += " (" + r + ")"
	}
	b.write(line + "\n")
	b.stage, b.width = "", 0
}

// drawLocked redraws the line if the interval has passed (or force).
func (b *Bar) drawLocked(force bool) {
	now := b.now()
	if !force && now.Sub(b.last) < b.interval {
		return
	}
	b.last = now
	elapsed := now.Sub(b.began)
	var parts []string
	parts = append(parts, b.stage+":")
	if b.total > 0 {
		parts = append(parts, b.amount(b.done)+" / "+b.amount(b.total), fmt.Sprintf("%d%%", min(100, b.done*100/b.total)))
	} else if b.done > 0 || b.unit == Bytes {
		parts = append(parts, b.amount(b.done))
	}
	if r := b.rate(elapsed); r != "" {
		parts = append(parts, r)
	}
	if b.total > 0 && b.done > 0 && b.done < b.total && elapsed > 0 {
		left := time.Duration(float64(elapsed) * float64(b.total-b.done) / float64(b.done))
		parts = append(parts, roundDuration(left)+" left")
	} else if b.total == 0 {
		parts = append(parts, roundDuration(elapsed))
	}
	b.write("\r" + strings.Join(parts, "  "))
}

// write puts line on screen, blanking what a longer one before it left.
func (b *Bar) write(line string) {
	s := line
	n := len([]rune(strings.TrimLeft(strings.TrimRight(line, "\n"), "\r")))
	if strings.HasSuffix(line, "\n") {
		s = "\r" + strings.TrimRight(line, "\n")
	}
	if pad := b.width - n; pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	if strings.HasSuffix(line, "\n") {
		s += "\n"
		b.width = 0
	} else {
		b.width = n
	}
	io.WriteString(b.w, s)
}

func (b *Bar) rate(elapsed time.Duration) string {
	if elapsed < 100*time.Millisecond || b.done == 0 {
		return ""
	}
	per := float64(b.done)/elapsed.Seconds() + 0.5
	if b.unit == Bytes {
		return bytesString(int64(per)) + "/s"
	}
	return number(int64(per)) + "/s"
}

func (b *Bar) amount(n int64) string {
	if b.unit == Bytes {
		return bytesString(n)
	}
	return number(n)
}

// number writes n with thousands separators: 1,234,567.
func number(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
