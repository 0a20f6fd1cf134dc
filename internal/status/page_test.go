package status

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	for _, c := range []struct {
		kind     Kind
		from, to IncidentState
		ok       bool
	}{
		{KindIncident, Investigating, Identified, true},
		{KindIncident, Identified, Monitoring, true},
		{KindIncident, Monitoring, Investigating, true}, // the fix did not hold
		{KindIncident, Investigating, Resolved, true},
		{KindIncident, Monitoring, Monitoring, true}, // a note
		{KindIncident, Resolved, Resolved, true},     // a note after the fact
		{KindIncident, Resolved, Investigating, false},
		{KindIncident, Investigating, InProgress, false},
		{KindIncident, Investigating, Completed, false},
		{KindMaintenance, Scheduled, InProgress, true},
		{KindMaintenance, InProgress, Completed, true},
		{KindMaintenance, Scheduled, Completed, true}, // done early, or called off
		{KindMaintenance, InProgress, Scheduled, false},
		{KindMaintenance, Completed, InProgress, false},
		{KindMaintenance, Scheduled, Resolved, false},
		{KindMaintenance, InProgress, Identified, false},
	} {
		err := CheckTransition(c.kind, c.from, c.to)
		if (err == nil) != c.ok {
			t.Errorf("%s %s → %s: %v", c.kind, c.from, c.to, err)
		}
	}
}

func TestIncidentLifecycle(t *testing.T) {
	s, err := OpenPage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := s.Get()
	if len(p.Components) != 3 || p.Components[0].ID != "forum" {
		t.Fatalf("default components %+v", p.Components)
	}
	if ind, _ := p.Indicator(); ind != "none" {
		t.Fatalf("fresh indicator %s", ind)
	}
	inc, err := s.Open(NewIncident{Title: "Forum down", Impact: ImpactMajor, Components: []string{"forum"}, Text: "We are looking into it."})
	if err != nil {
		t.Fatal(err)
	}
	p = s.Get()
	if c, _ := p.Component("forum"); c.Status != PartialOutage {
		t.Errorf("forum after a major incident: %s", c.Status)
	}
	if ind, _ := p.Indicator(); ind != "major" {
		t.Errorf("indicator %s", ind)
	}
	steps := []struct {
		state IncidentState
		text  string
		ok    bool
		event string
	}{
		{Identified, "The database server's disk failed.", true, "incident.updated"},
		{InProgress, "wrong kind", false, ""},
		{"", "Still on it.", true, "incident.updated"},
		{Monitoring, "Moved to a new server.", true, "incident.updated"},
		{Resolved, "All good.", true, "incident.resolved"},
		{Investigating, "again?", false, ""},
		{"", "", false, ""},
	}
	for _, st := range steps {
		before := s.Get().Rev
		_, err := s.Post(inc.ID, st.state, st.text)
		if (err == nil) != st.ok {
			t.Fatalf("%s %q: %v", st.state, st.text, err)
		}
		p := s.Get()
		if !st.ok {
			if p.Rev != before {
				t.Errorf("a refused update changed the file")
			}
			continue
		}
		if e := p.Events[len(p.Events)-1]; e.Name != st.event || e.Update == nil || e.Update.Text != st.text {
			t.Errorf("event after %s: %+v", st.state, e)
		}
	}
	p = s.Get()
	got, _ := p.Incident(inc.ID)
	if got.State != Resolved || got.ResolvedAt.IsZero() || len(got.Updates) != 5 || got.Updates[0].Text != "All good." {
		t.Errorf("resolved incident %+v", got)
	}
	if c, _ := p.Component("forum"); c.Status != Operational {
		t.Errorf("forum after resolution: %s", c.Status)
	}
	if _, err := s.Post(999, "", "x"); err == nil || !err.(*TextError).NotFound {
		t.Errorf("update of a missing incident: %v", err)
	}
	if _, err := s.Open(NewIncident{Title: "x", Text: "y", Components: []string{"nope"}}); err == nil {
		t.Error("an unknown component was accepted")
	}

	// Maintenance: planned window, under maintenance while in progress.
	start := time.Now().Add(time.Hour)
	if _, err := s.Open(NewIncident{Kind: KindMaintenance, Title: "Upgrade", StartsAt: start, EndsAt: start.Add(-time.Minute)}); err == nil {
		t.Error("a window ending before it starts was accepted")
	}
	m, err := s.Open(NewIncident{Kind: KindMaintenance, Title: "Upgrade", StartsAt: start, EndsAt: start.Add(time.Hour), Components: []string{"search"}})
	if err != nil || m.State != Scheduled || m.Latest().Text == "" {
		t.Fatalf("schedule: %+v %v", m, err)
	}
	if _, err := s.Post(m.ID, InProgress, "Started."); err != nil {
		t.Fatal(err)
	}
	p = s.Get()
	if c, _ := p.Component("search"); c.Status != UnderMaintenance {
		t.Errorf("search during maintenance: %s", c.Status)
	}
	if m, err = s.Resolve(m.ID, ""); err != nil || m.State != Completed {
		t.Fatalf("complete: %+v %v", m, err)
	}
	if e := s.Get().Events; e[len(e)-1].Name != "maintenance.completed" {
		t.Errorf("last event %s", e[len(e)-1].Name)
	}
	if err := s.SetComponent("email", Degraded, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetComponent("chat", Degraded, false); err == nil {
		t.Error("an unknown component was set without --add")
	}
	if err := s.SetComponent("chat", MajorOutage, true); err != nil {
		t.Fatal(err)
	}
	p = s.Get()
	if ind, desc := p.Indicator(); ind != "critical" || desc != "Major System Outage" {
		t.Errorf("indicator %s %s", ind, desc)
	}
}

// TestTwoWriters: two stores on one directory (as `hearth serve` and
// `hearth status` are) write at once; every change survives and the file
// is always whole.
func TestTwoWriters(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenPage(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenPage(dir)
	if err != nil {
		t.Fatal(err)
	}
	modes := [2]*Store{}
	for i := range modes {
		if modes[i], err = Open(dir); err != nil {
			t.Fatal(err)
		}
	}
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for w, s := range []*PageStore{a, b} {
		wg.Go(func() {
			for i := range n {
				if _, err := s.Open(NewIncident{Title: fmt.Sprintf("writer %d incident %d", w, i), Text: "text"}); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for i := range n {
				if err := modes[w].Post(fmt.Sprintf("writer %d update %d", w, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() { // a reader never sees half a file
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, f := range []string{filepath.Join(dir, PageDir, "page.json"), filepath.Join(dir, FileName)} {
				if raw, err := os.ReadFile(f); err == nil && !json.Valid(raw) {
					errs <- fmt.Errorf("%s is not whole", f)
				}
			}
		}
	})
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c, _ := OpenPage(dir)
	p := c.Get()
	if len(p.Incidents) != 2*n || p.Rev != 2*n || len(p.Events) != 2*n {
		t.Errorf("%d incidents, rev %d, %d events; want %d", len(p.Incidents), p.Rev, len(p.Events), 2*n)
	}
	ids := map[int64]bool{}
	for _, i := range p.Incidents {
		if ids[i.ID] {
			t.Errorf("incident id %d given twice", i.ID)
		}
		ids[i.ID] = true
	}
	m, _ := Open(dir)
	if got := len(m.Get().Updates); got != maxUpdates {
		t.Errorf("%d mode updates kept, want %d", got, maxUpdates)
	}
	left, _ := filepath.Glob(filepath.Join(dir, PageDir, ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestWindows: updates belong to their maintenance or read-only window; a
// new window archives the previous one's, and the reason is not repeated.
func TestWindows(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		mode           Mode
		reason, post   string
		updates, kept  int
		archivedLatest string
	}{
		{Maintenance, "Moving servers", "Halfway.", 1, 0, ""},
		{ReadOnly, "Checking the copy", "", 1, 0, ""}, // the same window goes on
		{Normal, "", "Done.", 2, 0, ""},
		{Maintenance, "Upgrading", "", 0, 2, "Done."},
		{Normal, "", "", 0, 2, "Done."},
		{ReadOnly, "Disk check", "Nearly.", 1, 2, "Done."},
	}
	for i, st := range steps {
		if err := s.SetMode(st.mode, st.reason, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if st.post != "" {
			if err := s.Post(st.post); err != nil {
				t.Fatal(err)
			}
		}
		got := s.Get()
		if len(got.Updates) != st.updates || len(got.Archived) != st.kept || (st.kept > 0 && got.Archived[0].Text != st.archivedLatest) {
			t.Errorf("step %d: updates %+v archived %+v", i, got.Updates, got.Archived)
		}
		for _, u := range got.Updates {
			if st.reason != "" && strings.Contains(u.Text, st.reason) {
				t.Errorf("step %d: the reason was posted as an update", i)
			}
		}
	}
}
