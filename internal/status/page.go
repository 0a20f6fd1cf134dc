package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The status page: components and incidents (scheduled maintenance is an
// incident of its own kind), kept in DATA/status/page.json beside the mode
// file and, like it, apart from the main database, so the admin can tell
// members what is going on while the database is down.

// ComponentStatus is how one part of the service is doing. The names are
// Atlassian Statuspage's, which monitors and aggregators already know.
type ComponentStatus string

const (
	Operational      ComponentStatus = "operational"
	Degraded         ComponentStatus = "degraded_performance"
	PartialOutage    ComponentStatus = "partial_outage"
	MajorOutage      ComponentStatus = "major_outage"
	UnderMaintenance ComponentStatus = "under_maintenance"
)

// ParseComponentStatus accepts the names and the short forms the shell
// offers (degraded, partial, major, maintenance).
func ParseComponentStatus(s string) (ComponentStatus, error) {
	k := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case "operational", "ok", "up":
		return Operational, nil
	case "degraded", "degraded_performance":
		return Degraded, nil
	case "partial", "partial_outage":
		return PartialOutage, nil
	case "major", "major_outage", "down", "outage":
		return MajorOutage, nil
	case "maintenance", "under_maintenance":
		return UnderMaintenance, nil
	}
	return "", &TextError{msg: fmt.Sprintf("unknown component status %q: use operational, degraded, partial-outage, major-outage or maintenance", s)}
}

// Label is the status in words.
func (c ComponentStatus) Label() string {
	switch c {
	case Degraded:
		return "Degraded performance"
	case PartialOutage:
		return "Partial outage"
	case MajorOutage:
		return "Major outage"
	case UnderMaintenance:
		return "Under maintenance"
	}
	return "Operational"
}

// severity orders statuses from best to worst.
func (c ComponentStatus) severity() int {
	switch c {
	case UnderMaintenance:
		return 1
	case Degraded:
		return 2
	case PartialOutage:
		return 3
	case MajorOutage:
		return 4
	}
	return 0
}

// Component is one part of the service members can tell apart.
type Component struct {
	ID        string          `json:"id"` // short lower-case name: forum, email, search
	Name      string          `json:"name"`
	Status    ComponentStatus `json:"status"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// DefaultComponents is the list a new status page starts with.
var DefaultComponents = []string{"forum", "email", "search"}

// Kind tells incidents from scheduled maintenance.
type Kind string

const (
	KindIncident    Kind = "incident"
	KindMaintenance Kind = "maintenance"
)

// IncidentState is where an incident or a maintenance is.
type IncidentState string

const (
	Investigating IncidentState = "investigating"
	Identified    IncidentState = "identified"
	Monitoring    IncidentState = "monitoring"
	Resolved      IncidentState = "resolved"
	Scheduled     IncidentState = "scheduled"
	InProgress    IncidentState = "in_progress"
	Completed     IncidentState = "completed"
)

// ParseState accepts a state's name (in-progress for in_progress).
func ParseState(s string) (IncidentState, error) {
	st := IncidentState(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	switch st {
	case Investigating, Identified, Monitoring, Resolved, Scheduled, InProgress, Completed:
		return st, nil
	}
	return "", &TextError{msg: fmt.Sprintf("unknown state %q: incidents are investigating, identified, monitoring or resolved; maintenance is scheduled, in-progress or completed", s)}
}

// Label is the state in words.
func (s IncidentState) Label() string {
	switch s {
	case InProgress:
		return "In progress"
	case "":
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Closed reports whether the state ends its incident or maintenance.
func (s IncidentState) Closed() bool { return s == Resolved || s == Completed }

func (k Kind) owns(s IncidentState) bool {
	switch s {
	case Investigating, Identified, Monitoring, Resolved:
		return k == KindIncident
	}
	return k == KindMaintenance
}

// CheckTransition says whether an incident of kind k may go from one state
// to another: any open incident state to another (a cause identified may
// turn out wrong) or to resolved; maintenance only forward (scheduled, in
// progress, completed); a note without a change of state always; nothing
// out of resolved or completed: a new problem is a new incident.
func CheckTransition(k Kind, from, to IncidentState) error {
	if !k.owns(to) {
		return &TextError{msg: fmt.Sprintf("%s is not a state of %s", to.Label(), k.label())}
	}
	switch {
	case from == to:
		return nil
	case from.Closed():
		return &TextError{msg: fmt.Sprintf("this %s is %s: open a new one", k.label(), from)}
	case k == KindMaintenance && from == InProgress && to == Scheduled:
		return &TextError{msg: "maintenance in progress cannot go back to scheduled"}
	}
	return nil
}

func (k Kind) label() string {
	if k == KindMaintenance {
		return "maintenance"
	}
	return "incident"
}

// Impact is how bad an incident is.
type Impact string

const (
	ImpactNone     Impact = "none"
	ImpactMinor    Impact = "minor"
	ImpactMajor    Impact = "major"
	ImpactCritical Impact = "critical"
)

// ParseImpact accepts none, minor, major, critical.
func ParseImpact(s string) (Impact, error) {
	switch i := Impact(strings.ToLower(strings.TrimSpace(s))); i {
	case ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical:
		return i, nil
	case "":
		return ImpactMinor, nil
	}
	return "", &TextError{msg: fmt.Sprintf("unknown impact %q: use none, minor, major or critical", s)}
}

// componentStatus is what an open incident of this impact does to the
// components it affects.
func (i Impact) componentStatus() ComponentStatus {
	switch i {
	case ImpactMinor:
		return Degraded
	case ImpactMajor:
		return PartialOutage
	case ImpactCritical:
		return MajorOutage
	}
	return Operational
}

// IncidentUpdate is one message of an incident, with the state it put the
// incident in.
type IncidentUpdate struct {
	ID    int64         `json:"id"`
	At    time.Time     `json:"at"`
	State IncidentState `json:"state"`
	Text  string        `json:"text"`
}

// Incident is an incident or a scheduled maintenance.
type Incident struct {
	ID         int64            `json:"id"`
	Kind       Kind             `json:"kind"`
	Title      string           `json:"title"`
	Impact     Impact           `json:"impact"`
	State      IncidentState    `json:"state"`
	Components []string         `json:"components,omitempty"` // component IDs
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	ResolvedAt time.Time        `json:"resolved_at,omitzero"`
	StartsAt   time.Time        `json:"starts_at,omitzero"` // maintenance: the planned window
	EndsAt     time.Time        `json:"ends_at,omitzero"`
	Updates    []IncidentUpdate `json:"updates"`             // newest first
	ThreadID   int64            `json:"thread_id,omitempty"` // the forum thread made of it
}

// Open reports whether the incident is not yet resolved or completed.
func (i *Incident) Open() bool { return !i.State.Closed() }

// Latest is the newest update (the zero update if none).
func (i *Incident) Latest() IncidentUpdate {
	if len(i.Updates) == 0 {
		return IncidentUpdate{}
	}
	return i.Updates[0]
}

// Event is one change of an incident, kept in the page file as the outbox
// of webhook deliveries: written in the same write as the change, so a
// change is never made without its event nor an event sent for a change
// that was not made.
type Event struct {
	Seq      int64           `json:"seq"`
	Name     string          `json:"event"` // incident.created, incident.updated, incident.resolved, maintenance.scheduled, …
	At       time.Time       `json:"at"`
	Incident Incident        `json:"incident"` // as it was after the change
	Update   *IncidentUpdate `json:"update,omitempty"`
}

// Page is the whole page file.
type Page struct {
	// Rev counts the writes: the server's caches and the publisher notice
	// a change by it.
	Rev        int64       `json:"rev"`
	Changed    time.Time   `json:"changed,omitzero"`
	NextID     int64       `json:"next_id"`        // of incidents
	NextUpdate int64       `json:"next_update_id"` // of incidents' updates
	NextSeq    int64       `json:"next_seq"`
	Components []Component `json:"components"`
	Incidents  []Incident  `json:"incidents"`        // newest first
	Events     []Event     `json:"events,omitempty"` // oldest first, the latest maxEvents
}

// Incident returns the incident with id.
func (p *Page) Incident(id int64) (*Incident, bool) {
	for i := range p.Incidents {
		if p.Incidents[i].ID == id {
			return &p.Incidents[i], true
		}
	}
	return nil, false
}

// Component returns the component with id.
func (p *Page) Component(id string) (*Component, bool) {
	for i := range p.Components {
		if p.Components[i].ID == id {
			return &p.Components[i], true
		}
	}
	return nil, false
}

const (
	maxEvents      = 200                  // the outbox's length; a deliverer further behind is told so
	maxTitle       = 200                  // characters of an incident's title
	MaxUpdateText  = 5000                 // characters of an incident's update
	keepResolved   = 400 * 24 * time.Hour // resolved incidents older than this leave the file
	maxComponentID = 40
)

// PageStore reads and writes the page file.
type PageStore struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	page    Page
	modTime time.Time
	size    int64
	checked time.Time // the last look at the file by Get
}

// PageDir is the status page's directory in the data directory.
const PageDir = "status"

// OpenPage returns the page store of a data directory. A missing file is a
// page with the default components, all operational.
func OpenPage(dataDir string) (*PageStore, error) {
	s := &PageStore{path: filepath.Join(dataDir, PageDir, "page.json"), now: time.Now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(false); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the page file's path.
func (s *PageStore) Path() string { return s.path }

// load reads the file if it changed (always when force). Callers hold mu.
func (s *PageStore) load(force bool) error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.page, s.modTime, s.size = newPage(s.now()), time.Time{}, -1
		return nil
	}
	if err != nil {
		return fmt.Errorf("read status page file: %w", err)
	}
	if !force && fi.ModTime().Equal(s.modTime) && fi.Size() == s.size {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("read status page file: %w", err)
	}
	var p Page
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("status page file %s is not valid JSON (%v): fix or delete it", s.path, err)
	}
	s.page, s.modTime, s.size = p, fi.ModTime(), fi.Size()
	return nil
}

func newPage(now time.Time) Page {
	p := Page{NextID: 1, NextUpdate: 1, NextSeq: 1}
	for _, id := range DefaultComponents {
		p.Components = append(p.Components, Component{ID: id, Name: componentName(id), Status: Operational, UpdatedAt: now.UTC()})
	}
	return p
}

func componentName(id string) string { return strings.ToUpper(id[:1]) + id[1:] }

// Get returns the page as last written, re-reading the file when another
// process changed it (looking at most once a second: pages call it on
// every request). The page is shared: callers must not modify it. A file
// that became unreadable keeps the last page read.
func (s *PageStore) Get() Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Sub(s.checked) >= time.Second {
		s.checked = now
		s.load(false)
	}
	return s.page
}

// Reload re-reads the file now and reports the error Get keeps quiet.
func (s *PageStore) Reload() (Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.load(true)
	return s.page, err
}

// change applies fn to the page as on disk, under the lock, and writes it
// atomically if fn succeeds. fn gets a fresh copy (decoded from the file),
// so a failing fn leaves nothing changed.
func (s *PageStore) change(fn func(p *Page, now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lock(filepath.Join(filepath.Dir(s.path), "page.lock"))
	if err != nil {
		return fmt.Errorf("write status page file: %w", err)
	}
	defer unlock()
	if err := s.load(true); err != nil {
		return err
	}
	b, err := json.Marshal(s.page)
	if err != nil {
		return err
	}
	var p Page
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	now := s.now().UTC()
	if err := fn(&p, now); err != nil {
		return err
	}
	p.Rev++
	p.Changed = now
	prune(&p, now)
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(s.path, append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("write status page file: %w", err)
	}
	s.page, s.modTime, s.size = p, time.Time{}, -1 // stat again on the next Get
	s.checked = time.Time{}
	return nil
}

func prune(p *Page, now time.Time) {
	p.Incidents = slices.DeleteFunc(p.Incidents, func(i Incident) bool {
		return !i.Open() && now.Sub(i.ResolvedAt) > keepResolved
	})
	if n := len(p.Events); n > maxEvents {
		p.Events = slices.Clone(p.Events[n-maxEvents:])
	}
}

// NewIncident is what opening an incident or scheduling maintenance takes.
type NewIncident struct {
	Kind       Kind // default KindIncident
	Title      string
	Impact     Impact        // default minor (none for maintenance)
	State      IncidentState // default investigating, or scheduled
	Components []string
	Text       string    // the first update
	StartsAt   time.Time // maintenance: required
	EndsAt     time.Time // maintenance: required, after StartsAt
}

// Open opens an incident or schedules a maintenance and returns it.
func (s *PageStore) Open(in NewIncident) (Incident, error) {
	if in.Kind == "" {
		in.Kind = KindIncident
	}
	title, err := cleanLimit(in.Title, maxTitle)
	if err != nil {
		return Incident{}, err
	}
	if title == "" {
		return Incident{}, &TextError{msg: "the title is empty"}
	}
	text, err := cleanLimit(in.Text, MaxUpdateText)
	if err != nil {
		return Incident{}, err
	}
	if in.Impact == "" {
		in.Impact = ImpactMinor
		if in.Kind == KindMaintenance {
			in.Impact = ImpactNone
		}
	}
	if _, err := ParseImpact(string(in.Impact)); err != nil {
		return Incident{}, err
	}
	if in.State == "" {
		in.State = Investigating
		if in.Kind == KindMaintenance {
			in.State = Scheduled
		}
	}
	if err := CheckTransition(in.Kind, in.State, in.State); err != nil {
		return Incident{}, err
	}
	if in.Kind == KindMaintenance {
		if in.StartsAt.IsZero() || in.EndsAt.IsZero() {
			return Incident{}, &TextError{msg: "maintenance needs a planned start and end"}
		}
		if !in.EndsAt.After(in.StartsAt) {
			return Incident{}, &TextError{msg: "the maintenance ends before it starts"}
		}
		if text == "" {
			text = "Maintenance is scheduled from " + in.StartsAt.UTC().Format("2 Jan 15:04") + " to " + in.EndsAt.UTC().Format("2 Jan 15:04 UTC") + "."
		}
	} else if text == "" {
		return Incident{}, &TextError{msg: "say what members notice: the first update is empty"}
	}
	var out Incident
	err = s.change(func(p *Page, now time.Time) error {
		comps, err := p.componentIDs(in.Components)
		if err != nil {
			return err
		}
		inc := Incident{ID: p.NextID, Kind: in.Kind, Title: title, Impact: in.Impact, State: in.State, Components: comps,
			CreatedAt: now, UpdatedAt: now, StartsAt: in.StartsAt.UTC(), EndsAt: in.EndsAt.UTC()}
		if inc.State.Closed() {
			inc.ResolvedAt = now
		}
		p.NextID++
		u := IncidentUpdate{ID: p.nextUpdate(), At: now, State: in.State, Text: text}
		inc.Updates = []IncidentUpdate{u}
		p.Incidents = append([]Incident{inc}, p.Incidents...)
		p.settle(&inc, now)
		name := "incident.created"
		if inc.Kind == KindMaintenance {
			name = "maintenance.scheduled"
		}
		p.event(name, inc, &u, now)
		out = inc
		return nil
	})
	return out, err
}

// Post adds an update to incident id, moving it to state (empty: it stays
// where it is), and returns the incident.
func (s *PageStore) Post(id int64, state IncidentState, text string) (Incident, error) {
	text, err := cleanLimit(text, MaxUpdateText)
	if err != nil {
		return Incident{}, err
	}
	if text == "" {
		return Incident{}, &TextError{msg: "the update is empty"}
	}
	var out Incident
	err = s.change(func(p *Page, now time.Time) error {
		inc, ok := p.Incident(id)
		if !ok {
			return &TextError{msg: fmt.Sprintf("there is no incident %d", id), NotFound: true}
		}
		to := state
		if to == "" {
			to = inc.State
		}
		if err := CheckTransition(inc.Kind, inc.State, to); err != nil {
			return err
		}
		name := eventName(inc.Kind, inc.State, to)
		u := IncidentUpdate{ID: p.nextUpdate(), At: now, State: to, Text: text}
		inc.Updates = append([]IncidentUpdate{u}, inc.Updates...)
		if to.Closed() && !inc.State.Closed() {
			inc.ResolvedAt = now
		}
		inc.State, inc.UpdatedAt = to, now
		p.settle(inc, now)
		p.event(name, *inc, &u, now)
		out = *inc
		return nil
	})
	return out, err
}

// Resolve resolves an incident or completes a maintenance.
func (s *PageStore) Resolve(id int64, text string) (Incident, error) {
	p := s.Get()
	inc, ok := p.Incident(id)
	if !ok {
		return Incident{}, &TextError{msg: fmt.Sprintf("there is no incident %d", id), NotFound: true}
	}
	st := Resolved
	if inc.Kind == KindMaintenance {
		st = Completed
	}
	if text == "" {
		text = "This incident has been resolved."
		if st == Completed {
			text = "The maintenance is complete."
		}
	}
	return s.Post(id, st, text)
}

// SetThread records the forum thread made of incident id.
func (s *PageStore) SetThread(id, threadID int64) error {
	return s.change(func(p *Page, now time.Time) error {
		inc, ok := p.Incident(id)
		if !ok {
			return &TextError{msg: fmt.Sprintf("there is no incident %d", id), NotFound: true}
		}
		inc.ThreadID = threadID
		return nil
	})
}

func eventName(k Kind, from, to IncidentState) string {
	switch {
	case k == KindMaintenance && from != InProgress && to == InProgress:
		return "maintenance.started"
	case k == KindMaintenance && to == Completed && from != Completed:
		return "maintenance.completed"
	case k == KindMaintenance:
		return "maintenance.updated"
	case to == Resolved && from != Resolved:
		return "incident.resolved"
	}
	return "incident.updated"
}

// SetComponent sets a component's status. add creates it if it is missing
// (a typo otherwise would make a new component).
func (s *PageStore) SetComponent(id string, st ComponentStatus, add bool) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if err := checkComponentID(id); err != nil {
		return err
	}
	return s.change(func(p *Page, now time.Time) error {
		c, ok := p.Component(id)
		if !ok {
			if !add {
				return &TextError{msg: fmt.Sprintf("there is no component %q (the page has %s); add it with --add", id, strings.Join(p.componentList(), ", ")), NotFound: true}
			}
			p.Components = append(p.Components, Component{ID: id, Name: componentName(id)})
			c = &p.Components[len(p.Components)-1]
		}
		c.Status, c.UpdatedAt = st, now
		return nil
	})
}

// RemoveComponent takes a component off the page.
func (s *PageStore) RemoveComponent(id string) error {
	return s.change(func(p *Page, now time.Time) error {
		n := len(p.Components)
		p.Components = slices.DeleteFunc(p.Components, func(c Component) bool { return c.ID == id })
		if len(p.Components) == n {
			return &TextError{msg: fmt.Sprintf("there is no component %q", id), NotFound: true}
		}
		return nil
	})
}

func checkComponentID(id string) error {
	if id == "" || len(id) > maxComponentID {
		return &TextError{msg: "a component's name is 1 to 40 letters, digits or -"}
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return &TextError{msg: "a component's name is 1 to 40 letters, digits or -"}
		}
	}
	return nil
}

func (p *Page) componentList() []string {
	var l []string
	for _, c := range p.Components {
		l = append(l, c.ID)
	}
	return l
}

func (p *Page) componentIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		for f := range strings.SplitSeq(id, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if f == "" {
				continue
			}
			if _, ok := p.Component(f); !ok {
				return nil, &TextError{msg: fmt.Sprintf("there is no component %q (the page has %s)", f, strings.Join(p.componentList(), ", "))}
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// settle sets the components inc affects to the worst that the open
// incidents affecting them say: an incident by its impact, maintenance in
// progress as under maintenance; operational when none is left open.
func (p *Page) settle(inc *Incident, now time.Time) {
	for _, id := range inc.Components {
		c, ok := p.Component(id)
		if !ok {
			continue
		}
		worst := Operational
		for _, o := range p.Incidents {
			if !o.Open() || !slices.Contains(o.Components, id) {
				continue
			}
			st := o.Impact.componentStatus()
			if o.Kind == KindMaintenance {
				st = Operational
				if o.State == InProgress {
					st = UnderMaintenance
				}
			}
			if st.severity() > worst.severity() {
				worst = st
			}
		}
		if c.Status != worst {
			c.Status, c.UpdatedAt = worst, now
		}
	}
}

func (p *Page) nextUpdate() int64 {
	if p.NextUpdate < 1 {
		p.NextUpdate = 1
	}
	p.NextUpdate++
	return p.NextUpdate - 1
}

func (p *Page) event(name string, inc Incident, u *IncidentUpdate, now time.Time) {
	p.Events = append(p.Events, Event{Seq: p.NextSeq, Name: name, At: now, Incident: inc, Update: u})
	p.NextSeq++
}

// Indicator is the page's overall status, as Statuspage names it: none,
// minor, major, critical or maintenance, and its description.
func (p *Page) Indicator() (string, string) {
	worst := Operational
	for _, c := range p.Components {
		if c.Status.severity() > worst.severity() {
			worst = c.Status
		}
	}
	impact := ImpactNone
	for _, i := range p.Incidents {
		if i.Open() && i.Kind == KindIncident && impactRank(i.Impact) > impactRank(impact) {
			impact = i.Impact
		}
	}
	switch {
	case worst == MajorOutage || impact == ImpactCritical:
		return "critical", "Major System Outage"
	case worst == PartialOutage || impact == ImpactMajor:
		return "major", "Partial System Outage"
	case worst == Degraded || impact == ImpactMinor:
		return "minor", "Minor Service Outage"
	case worst == UnderMaintenance:
		return "maintenance", "Service Under Maintenance"
	}
	return "none", "All Systems Operational"
}

func impactRank(i Impact) int {
	switch i {
	case ImpactMinor:
		return 1
	case ImpactMajor:
		return 2
	case ImpactCritical:
		return 3
	}
	return 0
}

func cleanLimit(text string, n int) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case !utf8.ValidString(text):
		return "", &TextError{msg: "the text is not valid UTF-8"}
	case utf8.RuneCountInString(text) > n:
		return "", &TextError{msg: fmt.Sprintf("the text is longer than %d characters", n)}
	}
	return text, nil
}
