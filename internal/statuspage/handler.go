package statuspage

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"hearth/internal/forum"
	"hearth/internal/httperr"
	"hearth/internal/status"
)

// Handler serves the status page and its API from the status files. It
// never touches the database, so it answers while the database is down.
type Handler struct {
	Page     *status.PageStore
	Mode     *status.Store // the forum's mode; nil means normal
	Renderer *Renderer
	// Token returns the bearer token the API wants; "" turns the API off.
	Token func() string
	// Errors answers the API's failures (JSON).
	Errors httperr.Responder
	// Changed, if set, is told after every change made through the API
	// (the publisher republishes at once instead of at its next look).
	Changed func()

	mu    sync.Mutex
	key   string
	html  []byte
	json  []byte
	atom  []byte
	etags [3]string
}

// Mount adds the routes: the page, its JSON and feed, its CSS, and the API.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /status", h.serve(0))
	mux.HandleFunc("GET /status/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /status.json", h.serve(1))
	mux.HandleFunc("GET /status/feed.atom", h.serve(2))
	mux.HandleFunc("GET /status/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(CSS())
	})
}

// MountAPI adds the API's routes, for the outage watcher and scripts.
func (h *Handler) MountAPI(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/status/incidents", h.auth(h.openIncident))
	mux.HandleFunc("POST /api/v1/status/incidents/{id}/updates", h.auth(h.postUpdate))
	mux.HandleFunc("POST /api/v1/status/components/{id}", h.auth(h.setComponent))
	mux.HandleFunc("/api/v1/status/", func(w http.ResponseWriter, r *http.Request) {
		h.Errors.Error(w, r, forum.Errorf(forum.ENOTFOUND, "The status API has POST /api/v1/status/incidents, /incidents/{id}/updates and /components/{id}."))
	})
}

func (h *Handler) mode() status.State {
	if h.Mode == nil {
		return status.State{Mode: status.Normal}
	}
	return h.Mode.Get()
}

// rendered returns the three forms, rendered again only when the files
// changed (or the day did, which moves the 90-day history).
func (h *Handler) rendered() ([3][]byte, [3]string) {
	p, m, now := h.Page.Get(), h.mode(), time.Now()
	key := fmt.Sprintf("%d/%d/%d/%s", p.Rev, p.Changed.UnixNano(), m.Changed.UnixNano(), now.UTC().Format("2006-01-02"))
	h.mu.Lock()
	defer h.mu.Unlock()
	if key != h.key {
		h.html = h.Renderer.HTML(p, m, now, ServedLinks)
		h.json = h.Renderer.JSON(p, m, now)
		h.atom = h.Renderer.Atom(p, now)
		for i, b := range [][]byte{h.html, h.json, h.atom} {
			sum := sha256.Sum256(b)
			h.etags[i] = `"` + hex.EncodeToString(sum[:8]) + `"`
		}
		h.key = key
	}
	return [3][]byte{h.html, h.json, h.atom}, h.etags
}

var contentTypes = [3]string{"text/html; charset=utf-8", "application/json; charset=utf-8", "application/atom+xml; charset=utf-8"}

func (h *Handler) serve(form int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		bodies, etags := h.rendered()
		hd := w.Header()
		hd.Set("Content-Type", contentTypes[form])
		hd.Set("Cache-Control", "public, max-age=15") // fresh enough during an outage, cheap under a rush
		hd.Set("ETag", etags[form])
		if form == 1 {
			hd.Set("Access-Control-Allow-Origin", "*") // other sites' widgets read it
		}
		if r.Header.Get("If-None-Match") == etags[form] {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hd.Set("Content-Length", strconv.Itoa(len(bodies[form])))
		w.Write(bodies[form])
	}
}

// auth lets through requests with the status API's bearer token.
func (h *Handler) auth(next func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := ""
		if h.Token != nil {
			want = h.Token()
		}
		if want == "" {
			h.Errors.Error(w, r, forum.Errorf(forum.ENOTFOUND, "The status API is off: start the server with --status-token or write a token to DATA/status/api-token."))
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			h.Errors.Error(w, r, forum.Errorf(forum.EUNAUTHORIZED, "The status API wants Authorization: Bearer with the status token."))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := next(w, r); err != nil {
			h.Errors.Error(w, r, apiError(err))
			return
		}
		if h.Changed != nil {
			h.Changed()
		}
	}
}

// apiError maps the status files' errors to the API's: a refused input is
// 400 (404 for a missing incident) with its sentence; the file's own
// errors name its path, so clients get a plain sentence and the log the rest.
func apiError(err error) error {
	if te, ok := errors.AsType[*status.TextError](err); ok {
		code := forum.EINVALID
		if te.NotFound {
			code = forum.ENOTFOUND
		}
		return forum.Errorf(code, "%s.", upperFirst(te.Error()))
	}
	if fe, ok := errors.AsType[*forum.Error](err); ok {
		return fe
	}
	return fmt.Errorf("%w: %w", forum.Errorf(forum.EINTERNAL, "The status page could not be saved; the server's log says why."), err)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// IncidentInput is the API's body for a new incident or maintenance.
type IncidentInput struct {
	Kind       string    `json:"kind"` // incident (default) or maintenance
	Title      string    `json:"title"`
	Impact     string    `json:"impact"`
	State      string    `json:"state"`
	Components []string  `json:"components"`
	Text       string    `json:"text"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
}

// UpdateInput is the API's body for an update.
type UpdateInput struct {
	State string `json:"state"`
	Text  string `json:"text"`
}

func decode(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return forum.Errorf(forum.EINVALID, "The body is not the JSON this call takes: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func (h *Handler) openIncident(w http.ResponseWriter, r *http.Request) error {
	var in IncidentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	n := status.NewIncident{Kind: status.KindIncident, Title: in.Title, Components: in.Components, Text: in.Text,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt}
	switch in.Kind {
	case "", "incident":
	case "maintenance":
		n.Kind = status.KindMaintenance
	default:
		return forum.Errorf(forum.EINVALID, "kind is incident or maintenance.")
	}
	var err error
	if in.Impact != "" {
		if n.Impact, err = status.ParseImpact(in.Impact); err != nil {
			return err
		}
	}
	if in.State != "" {
		if n.State, err = status.ParseState(in.State); err != nil {
			return err
		}
	}
	inc, err := h.Page.Open(n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"incident": inc})
	return nil
}

func (h *Handler) postUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return forum.Errorf(forum.ENOTFOUND, "There is no incident %q.", r.PathValue("id"))
	}
	var in UpdateInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var st status.IncidentState
	if in.State != "" {
		if st, err = status.ParseState(in.State); err != nil {
			return err
		}
	}
	inc, err := h.Page.Post(id, st, in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"incident": inc, "update": inc.Latest()})
	return nil
}

func (h *Handler) setComponent(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := status.ParseComponentStatus(in.Status)
	if err != nil {
		return err
	}
	if err := h.Page.SetComponent(r.PathValue("id"), st, false); err != nil {
		return err
	}
	p := h.Page.Get()
	c, _ := p.Component(r.PathValue("id"))
	writeJSON(w, http.StatusOK, map[string]any{"component": c})
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// TokenFile is where the status API's token may be kept, in the data
// directory.
const TokenFile = "status/api-token"

// FileToken returns a token source: fixed if set, else the first line of
// path, read again when it changes (so a token can be written or rotated
// while the server runs).
func FileToken(fixed, path string) func() string {
	if fixed != "" {
		return func() string { return fixed }
	}
	var mu sync.Mutex
	var mod time.Time
	var tok string
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		fi, err := os.Stat(path)
		if err != nil {
			tok, mod = "", time.Time{}
			return ""
		}
		if !fi.ModTime().Equal(mod) {
			b, err := os.ReadFile(path)
			if err != nil {
				return tok
			}
			line, _, _ := strings.Cut(string(b), "\n")
			tok, mod = strings.TrimSpace(line), fi.ModTime()
		}
		return tok
	}
}
