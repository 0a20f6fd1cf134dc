// Package statuspage is the forum's status page: an HTML page readable on
// a phone without JavaScript, a JSON summary shaped like Atlassian
// Statuspage's, and an Atom feed of incidents. It renders from the files
// of internal/status alone, never the database, so `hearth serve` answers
// it while the database is down, and `hearth status publish` writes the
// same as a static site to host elsewhere. Webhooks tell other systems of
// every incident change.
package statuspage

import (
	"bytes"
	"embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth/internal/status"
)

//go:embed page.html style.css
var files embed.FS

// Site says whose status page it is and where it lives.
type Site struct {
	Name     string // the forum's name
	ForumURL string // the forum's public URL
	PageURL  string // the status page's public URL: the feed's and the JSON's links
}

func (site Site) withDefaults() Site {
	if site.Name == "" {
		site.Name = "Hearth"
	}
	site.ForumURL = strings.TrimRight(site.ForumURL, "/")
	if site.PageURL == "" {
		site.PageURL = site.ForumURL + "/status"
	}
	return site
}

// HistoryDays is how far back the page lists closed incidents.
const HistoryDays = 90

// Renderer renders the page's three forms.
type Renderer struct {
	site Site
	tmpl *template.Template
}

// NewRenderer returns a renderer for site.
func NewRenderer(site Site) *Renderer {
	site = site.withDefaults()
	t := template.Must(template.New("page.html").Funcs(template.FuncMap{
		"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"when":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
		"paras": paragraphs,
	}).ParseFS(files, "page.html"))
	return &Renderer{site: site, tmpl: t}
}

// CSS is the page's style sheet.
func CSS() []byte {
	b, _ := files.ReadFile("style.css")
	return b
}

// Links are where the page's parts are, relative to the page: served at
// /status they are status/…, published as index.html they sit beside it.
type Links struct {
	CSS, Feed, JSON string
	Forum           string // "" leaves the link out
}

// ServedLinks are the links of the page served at /status.
var ServedLinks = Links{CSS: "/status/style.css", Feed: "/status/feed.atom", JSON: "/status.json", Forum: "/"}

type view struct {
	Site        Site
	Links       Links
	Indicator   string
	Description string
	Updated     time.Time
	Mode        status.State
	Components  []status.Component
	Open        []status.Incident // incidents not yet resolved
	Maintenance []status.Incident // scheduled or in progress
	History     []status.Incident // closed within HistoryDays
	Archived    []status.Update   // earlier windows' mode updates within HistoryDays
}

func (r *Renderer) view(p status.Page, mode status.State, now time.Time, links Links) view {
	v := view{Site: r.site, Links: links, Mode: mode, Components: p.Components, Updated: p.Changed}
	if links.Forum != "" && !strings.Contains(links.Forum, "://") {
		v.Links.Forum = r.site.ForumURL + links.Forum
	}
	v.Indicator, v.Description = p.Indicator()
	if mode.Mode == status.Maintenance && v.Indicator == "none" {
		v.Indicator, v.Description = "maintenance", "Service Under Maintenance"
	}
	if mode.Changed.After(v.Updated) {
		v.Updated = mode.Changed
	}
	since := now.Add(-HistoryDays * 24 * time.Hour)
	for _, i := range p.Incidents {
		switch {
		case i.Open() && i.Kind == status.KindMaintenance:
			v.Maintenance = append(v.Maintenance, i)
		case i.Open():
			v.Open = append(v.Open, i)
		case i.ResolvedAt.After(since):
			v.History = append(v.History, i)
		}
	}
	slices.SortStableFunc(v.Maintenance, func(a, b status.Incident) int { return a.StartsAt.Compare(b.StartsAt) })
	for _, u := range mode.Archived {
		if u.At.After(since) {
			v.Archived = append(v.Archived, u)
		}
	}
	return v
}

// HTML renders the page.
func (r *Renderer) HTML(p status.Page, mode status.State, now time.Time, links Links) []byte {
	var b bytes.Buffer
	if err := r.tmpl.Execute(&b, r.view(p, mode, now, links)); err != nil {
		// The template is ours and its data plain: a failure is a bug the
		// tests catch; the page still says something.
		return []byte("<!doctype html><title>Status</title><p>The status page could not be drawn.</p>")
	}
	return b.Bytes()
}

func paragraphs(s string) []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// The JSON summary follows Atlassian Statuspage's /api/v2/summary.json, so
// tools that read status pages read this one.
type summary struct {
	Page                  summaryPage        `json:"page"`
	Status                summaryStatus      `json:"status"`
	Components            []summaryComponent `json:"components"`
	Incidents             []summaryIncident  `json:"incidents"`
	ScheduledMaintenances []summaryIncident  `json:"scheduled_maintenances"`
	Hearth                *summaryMode       `json:"hearth,omitempty"`
}

type summaryPage struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	TimeZone  string    `json:"time_zone"`
	UpdatedAt time.Time `json:"updated_at"`
}

type summaryStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type summaryComponent struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	Status             string    `json:"status"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Position           int       `json:"position"`
	Description        *string   `json:"description"`
	Showcase           bool      `json:"showcase"`
	StartDate          *string   `json:"start_date"`
	GroupID            *string   `json:"group_id"`
	PageID             string    `json:"page_id"`
	Group              bool      `json:"group"`
	OnlyShowIfDegraded bool      `json:"only_show_if_degraded"`
}

type summaryIncident struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`
	MonitoringAt    *time.Time         `json:"monitoring_at"`
	ResolvedAt      *time.Time         `json:"resolved_at"`
	Impact          string             `json:"impact"`
	Shortlink       string             `json:"shortlink"`
	StartedAt       time.Time          `json:"started_at"`
	PageID          string             `json:"page_id"`
	IncidentUpdates []summaryUpdate    `json:"incident_updates"`
	Components      []summaryComponent `json:"components"`
	ScheduledFor    *time.Time         `json:"scheduled_for,omitempty"`
	ScheduledUntil  *time.Time         `json:"scheduled_until,omitempty"`
}

type summaryUpdate struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	Body               string    `json:"body"`
	IncidentID         string    `json:"incident_id"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	DisplayAt          time.Time `json:"display_at"`
	AffectedComponents []string  `json:"affected_components"`
}

// summaryMode is Hearth's own addition: the forum's mode and this
// window's updates.
type summaryMode struct {
	Mode    status.Mode     `json:"mode"`
	Reason  string          `json:"reason,omitempty"`
	Until   *time.Time      `json:"until,omitempty"`
	Updates []status.Update `json:"updates,omitempty"`
}

const pageID = "hearth"

// JSON renders the summary.
func (r *Renderer) JSON(p status.Page, mode status.State, now time.Time) []byte {
	v := r.view(p, mode, now, Links{})
	s := summary{
		Page:                  summaryPage{ID: pageID, Name: r.site.Name, URL: r.site.PageURL, TimeZone: "Etc/UTC", UpdatedAt: v.Updated.UTC()},
		Status:                summaryStatus{Indicator: v.Indicator, Description: v.Description},
		Components:            []summaryComponent{},
		Incidents:             []summaryIncident{},
		ScheduledMaintenances: []summaryIncident{},
		Hearth:                &summaryMode{Mode: mode.Mode, Reason: mode.Reason, Updates: mode.Updates},
	}
	if !mode.Until.IsZero() {
		u := mode.Until.UTC()
		s.Hearth.Until = &u
	}
	comps := map[string]summaryComponent{}
	for i, c := range p.Components {
		sc := summaryComponent{ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: c.UpdatedAt, UpdatedAt: c.UpdatedAt,
			Position: i + 1, Showcase: true, PageID: pageID}
		comps[c.ID] = sc
		s.Components = append(s.Components, sc)
	}
	for _, i := range v.Open {
		s.Incidents = append(s.Incidents, r.summaryIncident(i, comps))
	}
	for _, i := range v.Maintenance {
		s.ScheduledMaintenances = append(s.ScheduledMaintenances, r.summaryIncident(i, comps))
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

func (r *Renderer) summaryIncident(i status.Incident, comps map[string]summaryComponent) summaryIncident {
	id := strconv.FormatInt(i.ID, 10)
	si := summaryIncident{ID: id, Name: i.Title, Status: string(i.State), CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
		Impact: string(i.Impact), Shortlink: r.site.PageURL + "#incident-" + id, StartedAt: i.CreatedAt, PageID: pageID,
		IncidentUpdates: []summaryUpdate{}, Components: []summaryComponent{}}
	if !i.ResolvedAt.IsZero() {
		t := i.ResolvedAt
		si.ResolvedAt = &t
	}
	if i.Kind == status.KindMaintenance {
		a, b := i.StartsAt, i.EndsAt
		si.ScheduledFor, si.ScheduledUntil, si.StartedAt = &a, &b, a
	}
	for _, u := range i.Updates {
		if u.State == status.Monitoring && (si.MonitoringAt == nil || u.At.Before(*si.MonitoringAt)) {
			t := u.At
			si.MonitoringAt = &t
		}
		si.IncidentUpdates = append(si.IncidentUpdates, summaryUpdate{ID: strconv.FormatInt(u.ID, 10), Status: string(u.State), Body: u.Text,
			IncidentID: id, CreatedAt: u.At, UpdatedAt: u.At, DisplayAt: u.At, AffectedComponents: slices.Clone(i.Components)})
	}
	for _, c := range i.Components {
		if sc, ok := comps[c]; ok {
			si.Components = append(si.Components, sc)
		}
	}
	return si
}

// Atom renders the feed: an entry per incident or maintenance of the last
// HistoryDays, its updates in the content, updated with each update.
func (r *Renderer) Atom(p status.Page, now time.Time) []byte {
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
	}
	type text struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
	type entry struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Link      link   `xml:"link"`
		Content   text   `xml:"content"`
	}
	type author struct {
		Name string `xml:"name"`
	}
	type feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  author   `xml:"author"`
		Links   []link   `xml:"link"`
		Entries []entry  `xml:"entry"`
	}
	updated := p.Changed
	if updated.IsZero() {
		updated = now
	}
	f := feed{ID: r.site.PageURL, Title: r.site.Name + " status", Updated: updated.UTC().Format(time.RFC3339), Author: author{r.site.Name},
		Links: []link{{Href: r.site.PageURL + "/feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: r.site.PageURL, Rel: "alternate", Type: "text/html"}}}
	since := now.Add(-HistoryDays * 24 * time.Hour)
	for _, i := range p.Incidents {
		if !i.Open() && !i.ResolvedAt.After(since) {
			continue
		}
		id := strconv.FormatInt(i.ID, 10)
		var c strings.Builder
		for _, u := range i.Updates {
			fmt.Fprintf(&c, "<p><strong>%s</strong> — %s<br>%s</p>", template.HTMLEscapeString(u.State.Label()),
				u.At.UTC().Format("2 Jan 2006, 15:04 UTC"), strings.ReplaceAll(template.HTMLEscapeString(u.Text), "\n", "<br>"))
		}
		if i.Kind == status.KindMaintenance {
			fmt.Fprintf(&c, "<p>Planned from %s to %s.</p>", i.StartsAt.UTC().Format("2 Jan 2006, 15:04"), i.EndsAt.UTC().Format("2 Jan 2006, 15:04 UTC"))
		}
		f.Entries = append(f.Entries, entry{
			ID:    r.site.PageURL + "#incident-" + id,
			Title: "[" + i.State.Label() + "] " + i.Title, Updated: i.UpdatedAt.UTC().Format(time.RFC3339),
			Published: i.CreatedAt.UTC().Format(time.RFC3339),
			Link:      link{Href: r.site.PageURL + "#incident-" + id, Rel: "alternate", Type: "text/html"},
			Content:   text{Type: "html", Body: c.String()},
		})
	}
	b, _ := xml.MarshalIndent(f, "", "  ")
	return append([]byte(xml.Header), append(b, '\n')...)
}
