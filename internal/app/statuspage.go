package app

import (
	"context"
	"net/http"
	"path/filepath"

	"hearth/internal/api"
	"hearth/internal/httpmw"
	"hearth/internal/status"
	"hearth/internal/statuspage"
	"hearth/internal/web"
)

// StatusConfig is the status page's part of `hearth serve`'s configuration.
type StatusConfig struct {
	// Token is the bearer token of the status API; without it the API
	// takes the first line of DATA/status/api-token, and is off if that
	// file is missing.
	Token string
	// PublishDir, if set, receives the page as a static site after every
	// change; PublishCmd runs after each publish (rsync, an upload).
	PublishDir, PublishCmd string
	// PageURL is the status page's public URL if it is published
	// elsewhere; default BaseURL/status.
	PageURL string
	// Webhooks get every incident change, besides those in
	// DATA/status/webhooks.json.
	Webhooks []statuspage.Hook
}

// statusPage is the running status page: its handler, publisher and
// webhook deliverer. None of them touches the database.
type statusPage struct {
	handler   *statuspage.Handler
	publisher *statuspage.Publisher // nil without PublishDir or PublishCmd
	deliverer *statuspage.Deliverer // nil without webhooks
}

func (a *App) newStatusPage(st *status.Store) (*statusPage, error) {
	cfg := a.Config
	page, err := status.OpenPage(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	a.StatusPage = page
	site := statuspage.Site{Name: cfg.SiteName, ForumURL: cfg.BaseURL, PageURL: cfg.Status.PageURL}
	r := statuspage.NewRenderer(site)
	sp := &statusPage{}
	sp.handler = &statuspage.Handler{Page: page, Mode: st, Renderer: r, Errors: api.Responder(cfg.Log), Changed: sp.changed,
		Token: statuspage.FileToken(cfg.Status.Token, filepath.Join(cfg.DataDir, statuspage.TokenFile))}
	if cfg.Status.PublishDir != "" || cfg.Status.PublishCmd != "" {
		sp.publisher = &statuspage.Publisher{Dir: cfg.Status.PublishDir, Cmd: cfg.Status.PublishCmd, Page: page, Mode: st, Renderer: r, Log: cfg.Log}
		sp.publisher.Init()
	}
	hooks, err := statuspage.LoadHooks(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if hooks = append(hooks, cfg.Status.Webhooks...); len(hooks) > 0 {
		sp.deliverer = &statuspage.Deliverer{DataDir: cfg.DataDir, Page: page, Hooks: hooks, Site: site, Log: cfg.Log}
		sp.deliverer.Init()
	}
	return sp, nil
}

// changed is told of changes made in this process (the API, the admin
// page), so they go out at once rather than at the next look.
func (sp *statusPage) changed() {
	if sp.publisher != nil {
		sp.publisher.Poke()
	}
	if sp.deliverer != nil {
		sp.deliverer.Poke()
	}
}

// mount puts the page and its API on root, beside the forum's surfaces and
// outside their gate: they answer in maintenance mode and while the
// database is down, which is when they are needed.
func (sp *statusPage) mount(root *http.ServeMux, a *App, pages *web.Server) {
	pm := http.NewServeMux()
	sp.handler.Mount(pm)
	wrapped := httpmw.Wrap(pm, pages.Responder(), a.Config.BaseURL)
	for _, p := range []string{"GET /status", "GET /status/{$}", "GET /status.json", "GET /status/feed.atom", "GET /status/style.css"} {
		root.Handle(p, wrapped)
	}
	am := http.NewServeMux()
	sp.handler.MountAPI(am)
	root.Handle("/api/v1/status/", httpmw.Wrap(am, api.Responder(a.Config.Log), a.Config.BaseURL))
}

func (sp *statusPage) run(ctx context.Context) {
	if sp.publisher != nil {
		go sp.publisher.Run(ctx)
	}
	if sp.deliverer != nil {
		go sp.deliverer.Run(ctx)
	}
}
