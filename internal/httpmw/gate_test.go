package httpmw_test

import (
	"testing"
	"time"

	"hearth/internal/httpmw"
	"hearth/internal/status"
)

// TestGate: the database being down closes the forum to everyone; the
// maintenance mode to all but those let through; Retry-After follows the
// expected end.
func TestGate(t *testing.T) {
	st, err := status.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	down := false
	g := httpmw.Gate{Status: st, DBDown: func() bool { return down }}
	for _, c := range []struct {
		name         string
		mode         status.Mode
		until        time.Duration
		down, pass   bool
		closed, mnt  bool
		retryAtLeast int
	}{
		{"normal", status.Normal, 0, false, false, false, false, 0},
		{"read-only is open", status.ReadOnly, 0, false, false, false, false, 0},
		{"maintenance", status.Maintenance, 0, false, false, true, true, 300},
		{"maintenance with an end", status.Maintenance, 2 * time.Hour, false, false, true, true, 7000},
		{"maintenance, let through", status.Maintenance, 0, false, true, false, false, 0},
		{"database down", status.Normal, 0, true, false, true, false, 300},
		{"database down, let through maintenance", status.Maintenance, 0, true, true, true, false, 300},
	} {
		var until time.Time
		if c.until > 0 {
			until = time.Now().Add(c.until)
		}
		if err := st.SetMode(c.mode, "Upgrading.", until); err != nil {
			t.Fatal(err)
		}
		down = c.down
		o, closed := g.Closed(c.pass)
		if closed != c.closed || o.Maintenance != c.mnt || (closed && (o.Status != 503 || o.Message == "" || o.RetryAfter < c.retryAtLeast)) {
			t.Errorf("%s: closed %v %+v", c.name, closed, o)
		}
	}
	if _, closed := (httpmw.Gate{}).Closed(false); closed {
		t.Error("the zero gate is closed")
	}
}
