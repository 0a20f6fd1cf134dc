package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"hearth/internal/status"
	"hearth/internal/statuspage"
	"hearth/internal/watch"
)

// watchIncidents is where the watcher opens incidents, in order: the
// forum's data directory (the watcher runs on the forum's machine), the
// forum's status API, and, when neither answers, a status page of the
// watcher's own published to the static target. An incident stays on the
// route that opened it. nil when none is configured.
func watchIncidents(cfg *watch.Config, log *slog.Logger) watch.Incidents {
	var routes []incidentRoute
	sc := cfg.Status
	if sc.Data != "" {
		routes = append(routes, &pageRoute{name: "data", dataDir: sc.Data, publish: sc.Publish})
	}
	if sc.URL != "" {
		routes = append(routes, &apiRoute{base: strings.TrimRight(sc.URL, "/"), token: os.Getenv("HEARTH_STATUS_TOKEN"),
			client: &http.Client{Timeout: cfg.Timeout.D()}})
	}
	if sc.Publish != "" {
		own := filepath.Join(filepath.Dir(cfg.StatePath()), "watch-status")
		routes = append(routes, &pageRoute{name: "own", dataDir: own, publish: sc.Publish})
	}
	if len(routes) == 0 {
		return nil
	}
	return &chainIncidents{routes: routes, log: log}
}

type incidentRoute interface {
	routeName() string
	open(ctx context.Context, title, text string) (int64, error)
	update(ctx context.Context, id int64, state, text string) error
}

type chainIncidents struct {
	routes []incidentRoute
	log    *slog.Logger
}

// Open tries each route in turn; the id names the route ("api:12").
func (c *chainIncidents) Open(ctx context.Context, title, text string) (string, error) {
	var errs []error
	for _, r := range c.routes {
		id, err := r.open(ctx, title, text)
		if err == nil {
			return r.routeName() + ":" + strconv.FormatInt(id, 10), nil
		}
		c.log.Warn("the status page route did not take the incident; trying the next", "route", r.routeName(), "err", err)
		errs = append(errs, fmt.Errorf("%s: %w", r.routeName(), err))
	}
	return "", errors.Join(errs...)
}

// Update posts to the route that opened the incident.
func (c *chainIncidents) Update(ctx context.Context, id, state, text string) error {
	name, num, ok := strings.Cut(id, ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil {
		return fmt.Errorf("incident id %q is not one this watcher made", id)
	}
	for _, r := range c.routes {
		if r.routeName() == name {
			return r.update(ctx, n, state, text)
		}
	}
	return fmt.Errorf("incident %q was opened through %s, which is no longer configured", id, name)
}

// pageRoute writes a status page's files directly (they need no
// database), then publishes the page to the static target if one is set.
type pageRoute struct {
	name, dataDir, publish string
}

func (r *pageRoute) routeName() string { return r.name }

func (r *pageRoute) store() (*status.PageStore, error) {
	if err := os.MkdirAll(r.dataDir, 0o700); err != nil {
		return nil, err
	}
	return status.OpenPage(r.dataDir)
}

func (r *pageRoute) open(_ context.Context, title, text string) (int64, error) {
	ps, err := r.store()
	if err != nil {
		return 0, err
	}
	inc, err := ps.Open(status.NewIncident{Title: title, Impact: status.ImpactMajor, Components: []string{"forum"}, Text: text})
	if err != nil {
		return 0, err
	}
	return inc.ID, r.republish(ps)
}

func (r *pageRoute) update(_ context.Context, id int64, state, text string) error {
	ps, err := r.store()
	if err != nil {
		return err
	}
	var st status.IncidentState
	if state != "" {
		if st, err = status.ParseState(state); err != nil {
			return err
		}
	}
	if _, err := ps.Post(id, st, text); err != nil {
		return err
	}
	return r.republish(ps)
}

// republish writes the static site; the running forum's publisher would
// too, but it may be what is down.
func (r *pageRoute) republish(ps *status.PageStore) error {
	if r.publish == "" {
		return nil
	}
	if err := os.MkdirAll(r.publish, 0o755); err != nil {
		return err
	}
	mode := status.State{Mode: status.Normal}
	if ms, err := status.Open(r.dataDir); err == nil {
		mode = ms.Get()
	}
	return statuspage.Publish(r.publish, statuspage.NewRenderer(statuspage.Site{}), ps.Get(), mode, time.Now())
}

// apiRoute calls the forum's status API (POST /api/v1/status/…), which
// answers while the database is down.
type apiRoute struct {
	base, token string
	client      *http.Client
}

func (r *apiRoute) routeName() string { return "api" }

func (r *apiRoute) open(ctx context.Context, title, text string) (int64, error) {
	var out struct {
		Incident status.Incident `json:"incident"`
	}
	err := r.post(ctx, "/api/v1/status/incidents", statuspage.IncidentInput{Title: title, Impact: string(status.ImpactMajor),
		Components: []string{"forum"}, Text: text}, &out)
	return out.Incident.ID, err
}

func (r *apiRoute) update(ctx context.Context, id int64, state, text string) error {
	return r.post(ctx, "/api/v1/status/incidents/"+strconv.FormatInt(id, 10)+"/updates", statuspage.UpdateInput{State: state, Text: text}, nil)
}

func (r *apiRoute) post(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s answered %d: %s", path, resp.StatusCode, e.Error)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}
