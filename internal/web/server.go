// Package web serves Hearth's HTML pages: server-rendered, usable without
// JavaScript, mobile-first. Its own middleware reads the session cookie,
// puts the pages behind the maintenance and database-down gate and caps
// form bodies; internal/app mounts it beside the JSON API, inside the
// middleware both share (internal/httpmw).
package web

import (
	"log/slog"
	"net/http"
	"time"

	"hearth/internal/cache"
	"hearth/internal/forum"
	"hearth/internal/httperr"
	"hearth/internal/httpmw"
	"hearth/internal/metrics"
	"hearth/internal/ratelimit"
	"hearth/internal/status"
)

// Config is what the web layer needs beyond the service.
type Config struct {
	SiteName      string
	BaseURL       string // e.g. "https://forum.example.org", for canonical links
	SecureCookies bool   // set Secure on cookies; on when BaseURL is https
	// ClientIP is the address of a request's client that rate limits are
	// keyed by (see internal/clientip); nil means the connection's.
	ClientIP func(*http.Request) string

	// Limits per client IP; the per-member limits are the service's.
	LoginLimit    *ratelimit.Limiter
	RegisterLimit *ratelimit.Limiter

	// Status is the forum's mode and status updates, kept outside the
	// database; nil means always normal.
	Status *status.Store
	// DBDown reports that the database is not answering (a monitor pings
	// it), so requests get the degraded answer at once instead of waiting
	// for timeouts. nil means never.
	DBDown func() bool
	// StorageFull reports that the database's disk is full: the forum is
	// read-only, with a banner saying why, until there is room. nil means never.
	StorageFull func() bool

	// StatusPage is the status page's incidents and components (outside
	// the database): the admin page changes them, and members see a
	// banner after an incident. nil leaves both out.
	StatusPage *status.PageStore
	// Broadcasts sends and lists member broadcasts (the status section's
	// form); nil hides the form.
	Broadcasts Broadcaster
	// StatusChanged is told after the admin page changed the status page.
	StatusChanged func()

	// PageCacheBytes bounds the cache of guests' pages: 0 means 32 MiB,
	// negative disables it.
	PageCacheBytes int
}

// DefaultLimits returns the production rate limits per client IP: 10
// logins a burst then one every 20s; 5 registrations then one every 10
// minutes.
func DefaultLimits(c *Config) {
	c.LoginLimit = ratelimit.New(20*time.Second, 10)
	c.RegisterLimit = ratelimit.New(10*time.Minute, 5)
}

// Server is the HTTP surface of the forum.
type Server struct {
	svc             *forum.Service
	log             *slog.Logger
	cfg             Config
	tmpl            *templates
	errs            httperr.Responder // failures answered as pages
	gate            httpmw.Gate       // maintenance mode and the database being down
	cache           *pageCache        // guests' pages; nil when disabled
	renders         renderFlights     // guests' pages being rendered, for those who miss meanwhile
	coreCache       *postCores        // posts' rendered header and body
	shellCache      *shellCache       // members' thread pages, less their own parts
	bookmarkButtons *bookmarkButtons
	sitemapMax      int // URLs per sitemap file; 0 is forum.SitemapSize (tests lower it)
}

// New returns a Server.
func New(svc *forum.Service, log *slog.Logger, cfg Config) (*Server, error) {
	if cfg.SiteName == "" {
		cfg.SiteName = "Hearth"
	}
	t, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	srv := &Server{svc: svc, log: log, cfg: cfg, tmpl: t,
		coreCache: newPostCores(svc.Changes(), 16<<20), shellCache: newShellCache(16 << 20),
		gate: httpmw.Gate{Status: cfg.Status, DBDown: cfg.DBDown}}
	srv.errs = httperr.Responder{Log: log, Surface: pages{srv}}
	if srv.bookmarkButtons, err = newBookmarkButtons(t); err != nil {
		return nil, err
	}
	if cfg.PageCacheBytes >= 0 {
		n := cfg.PageCacheBytes
		if n == 0 {
			n = 32 << 20
		}
		srv.cache = newPageCache(svc.Changes(), n)
	}
	return srv, nil
}

// CacheStats returns the counters of the web layer's caches by name.
func (s *Server) CacheStats() map[string]cache.Stats {
	m := map[string]cache.Stats{"post_cores": s.coreCache.Stats(), "shells": s.shellCache.Stats()}
	if s.cache != nil {
		m["guest_pages"] = s.cache.Stats()
	}
	return m
}

// Handler returns the pages with their own middleware; the shared
// middleware goes around it (internal/app, with Responder).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return s.loadActor(s.siteMode(s.limitBodies(mux, metrics.Routed(mux))))
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.cachedList(s.homeVersion, s.front))
	mux.HandleFunc("GET /latest", s.cachedList(s.latestVersion, s.latest))
	mux.HandleFunc("GET /categories", s.cachedList(s.frontVersion, s.home))
	mux.HandleFunc("GET /static/{hash}/{file}", s.static)
	s.metaRoutes(mux)

	mux.HandleFunc("GET /setup", s.setupForm)
	mux.HandleFunc("POST /setup", s.setup)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /register", s.registerForm)
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("GET /pending", s.pending)
	mux.HandleFunc("GET /confirm", s.confirmForm)
	mux.HandleFunc("POST /confirm", s.confirm)
	mux.HandleFunc("POST /confirm/resend", s.resendConfirm)
	mux.HandleFunc("GET /settings/email", s.emailForm)
	mux.HandleFunc("POST /settings/email", s.emailRequest)
	mux.HandleFunc("GET /email/change", s.emailChangeForm)
	mux.HandleFunc("POST /email/change", s.emailChange)
	mux.HandleFunc("GET /forgot", s.forgotForm)
	mux.HandleFunc("POST /forgot", s.forgot)
	mux.HandleFunc("GET /reset", s.resetForm)
	mux.HandleFunc("POST /reset", s.reset)

	mux.HandleFunc("GET /c/{id}", s.category)
	mux.HandleFunc("GET /c/{id}/{slug}", s.cachedList(s.categoryVersion, s.category))
	mux.HandleFunc("GET /c/{id}/new", s.newThreadForm)
	mux.HandleFunc("POST /c/{id}/new", s.newThread)
	mux.HandleFunc("POST /c/{id}/read", s.markCategoryRead)
	mux.HandleFunc("POST /read", s.markAllRead)

	mux.HandleFunc("GET /t/{id}", s.thread)
	mux.HandleFunc("GET /t/{id}/{slug}", s.cached(s.threadVersion, s.thread))
	mux.HandleFunc("GET /t/{id}/reply", s.replyForm)
	mux.HandleFunc("POST /t/{id}/reply", s.reply)
	mux.HandleFunc("POST /t/{id}/flags", s.threadFlags)

	mux.HandleFunc("GET /p/{id}", s.postRedirect)
	mux.HandleFunc("POST /p/{id}/bookmark", s.setBookmark)
	mux.HandleFunc("GET /bookmarks", s.bookmarks)
	mux.HandleFunc("GET /p/{id}/edit", s.editPostForm)
	mux.HandleFunc("POST /p/{id}/edit", s.editPost)
	mux.HandleFunc("GET /p/{id}/delete", s.deletePostForm)
	mux.HandleFunc("POST /p/{id}/delete", s.deletePost)
	mux.HandleFunc("POST /drafts", s.saveDraft)
	mux.HandleFunc("GET /welcome", s.welcome)
	mux.HandleFunc("POST /p/{id}/restore", s.restorePost)

	mux.HandleFunc("POST /t/{id}/level", s.threadLevel)
	mux.HandleFunc("POST /c/{id}/level", s.categoryLevel)
	mux.HandleFunc("POST /p/{id}/like", s.likePost)
	mux.HandleFunc("GET /notifications", s.notifications)
	mux.HandleFunc("POST /notifications/read", s.markAllNotificationsRead)
	mux.HandleFunc("POST /notifications/{id}/read", s.markNotificationRead)
	mux.HandleFunc("GET /u/{handle}", s.handleRedirect)
	mux.HandleFunc("POST /m/{id}/handle", s.editHandle)
	mux.HandleFunc("GET /latest.atom", s.asGuest(s.cached(s.frontFeedVersion, s.feed(atomFeed))))
	mux.HandleFunc("GET /latest.rss", s.asGuest(s.cached(s.frontFeedVersion, s.feed(rssFeed))))
	mux.HandleFunc("GET /c/{id}/feed.atom", s.asGuest(s.cached(s.categoryFeedVersion, s.feed(atomFeed))))
	mux.HandleFunc("GET /c/{id}/feed.rss", s.asGuest(s.cached(s.categoryFeedVersion, s.feed(rssFeed))))
	mux.HandleFunc("GET /t/{id}/feed.atom", s.asGuest(s.cached(s.threadVersion, s.feed(atomFeed))))
	mux.HandleFunc("GET /t/{id}/feed.rss", s.asGuest(s.cached(s.threadVersion, s.feed(rssFeed))))
	mux.HandleFunc("GET /search", s.search)

	mux.HandleFunc("GET /settings/mail", s.mailSettings)
	mux.HandleFunc("POST /settings/mail", s.saveMailSettings)
	mux.HandleFunc("GET /unsubscribe/{token}", s.unsubscribeForm)
	mux.HandleFunc("POST /unsubscribe/{token}", s.unsubscribe)
	mux.HandleFunc("GET /m/{id}", s.profile)
	mux.HandleFunc("GET /m/{id}/edit", s.editProfileForm)
	mux.HandleFunc("POST /m/{id}/edit", s.editProfile)
	mux.HandleFunc("POST /m/{id}/password", s.changePassword)
	mux.HandleFunc("POST /m/{id}/mail/resume", s.resumeMail)
	mux.HandleFunc("POST /m/{id}/lastseen", s.setLastSeen)

	mux.HandleFunc("GET /admin", s.admin)
	mux.HandleFunc("GET /admin/mail", s.adminMail)
	mux.HandleFunc("POST /admin/mail/{id}/retry", s.adminMailRetry)
	mux.HandleFunc("POST /admin/settings", s.adminSettings)
	mux.HandleFunc("GET /admin/community", s.communityForm)
	mux.HandleFunc("POST /admin/community", s.saveCommunity)
	mux.HandleFunc("POST /admin/mode", s.adminMode)
	mux.HandleFunc("POST /admin/status", s.adminStatusUpdate)
	mux.HandleFunc("POST /admin/status/incidents", s.adminOpenIncident)
	mux.HandleFunc("POST /admin/status/incidents/{id}/updates", s.adminUpdateIncident)
	mux.HandleFunc("POST /admin/status/incidents/{id}/thread", s.adminIncidentThread)
	mux.HandleFunc("POST /admin/status/components/{id}", s.adminSetComponent)
	mux.HandleFunc("POST /admin/status/broadcast", s.adminBroadcast)
	mux.HandleFunc("POST /status/dismiss", s.dismissStatus)
	mux.HandleFunc("POST /admin/members/{id}/status", s.adminMemberStatus)
	mux.HandleFunc("POST /admin/members/{id}/role", s.adminMemberRole)
	mux.HandleFunc("POST /admin/members/{id}/reset", s.adminMemberReset)
	mux.HandleFunc("GET /admin/categories/new", s.categoryForm)
	mux.HandleFunc("POST /admin/categories/new", s.saveCategory)
	mux.HandleFunc("GET /admin/categories/{id}/edit", s.categoryForm)
	mux.HandleFunc("POST /admin/categories/{id}/edit", s.saveCategory)
	mux.HandleFunc("POST /admin/categories/{id}/move", s.moveCategory)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.error(w, r, forum.ErrNotFound) })
}
