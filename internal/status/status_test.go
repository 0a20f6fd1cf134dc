package status

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestModesAndUpdates(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Get(); st.Mode != Normal || len(st.Updates) != 0 {
		t.Fatalf("fresh state %+v", st)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := s.SetMode(ReadOnly, "Upgrading the database server", until); err != nil {
		t.Fatal(err)
	}
	if err := s.Post("Halfway there."); err != nil {
		t.Fatal(err)
	}
	// Another process (hearth mode) sees the same file.
	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := other.Get()
	if st.Mode != ReadOnly || st.Reason != "Upgrading the database server" || !st.Until.Equal(until) {
		t.Fatalf("state %+v", st)
	}
	if len(st.Updates) != 1 || st.Updates[0].Text != "Halfway there." { // the reason is not repeated as an update
		t.Fatalf("updates %+v", st.Updates)
	}
	if err := other.SetMode(Normal, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.checked = time.Time{} // skip the once-a-second throttle
	if st := s.Get(); st.Mode != Normal || !st.Until.IsZero() {
		t.Fatalf("first store did not see the change: %+v", st)
	}
}

func TestLimits(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range maxUpdates + 5 {
		if err := s.Post("update " + strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Get().Updates); n != maxUpdates {
		t.Fatalf("%d updates kept", n)
	}
	for _, bad := range []string{"", "  ", "bad \xff", strings.Repeat("x", MaxText+1)} {
		if err := s.Post(bad); err == nil {
			t.Errorf("Post(%q) accepted", bad)
		}
	}
	if _, err := ParseMode("sideways"); err == nil {
		t.Error("unknown mode accepted")
	}
	if m, _ := ParseMode("Read-Only"); m != ReadOnly {
		t.Errorf("ParseMode(Read-Only) = %q", m)
	}
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "fix or delete it") {
		t.Fatalf("Open on a corrupt file: %v", err)
	}
}
