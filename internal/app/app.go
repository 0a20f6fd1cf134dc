// Package app wires Hearth together: configuration → store → service → web
// and API, mounted side by side → HTTP server. cmd/hearth calls it; tests
// and the load harness start it on port 0. It holds no forum logic.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"hearth/internal/api"
	"hearth/internal/cache"
	"hearth/internal/clientip"
	"hearth/internal/events"
	"hearth/internal/forum"
	"hearth/internal/httpmw"
	"hearth/internal/mail"
	"hearth/internal/metrics"
	"hearth/internal/notify"
	"hearth/internal/ops"
	"hearth/internal/render"
	"hearth/internal/status"
	"hearth/internal/store"
	"hearth/internal/web"
)

// Config is everything `hearth serve` can be told.
type Config struct {
	Addr       string // listen address, e.g. 127.0.0.1:8080 (":0" for tests)
	DataDir    string // the one folder for everything local
	DB         string // database DSN; default: SQLite at DataDir/hearth.db
	BaseURL    string // public URL; default http://Addr
	SiteName   string
	TrustProxy bool   // a reverse proxy on this machine: see TrustedProxies
	NoLimits   bool   // disable rate limits (load tests)
	Version    string // this binary's version, named in schema errors

	// TrustedProxies are reverse proxies on other machines. X-Forwarded-For
	// is believed only on connections from them, and from loopback with
	// TrustProxy; internal/clientip reads it.
	TrustedProxies clientip.Proxies

	// LeaseTTL is how long a node's hold on singleton work lasts without
	// renewal (default 30s): how soon another node takes over when it dies.
	LeaseTTL time.Duration
	// EventPoll is the longest a durable consumer of the event stream
	// (notifications) waits between reads; default 500ms.
	EventPoll time.Duration

	// MetricsToken, when set, is the bearer token /metrics requires;
	// without it /metrics answers only requests from this machine that
	// came through no proxy.
	MetricsToken string

	// Mail is the SMTP server and addresses mail goes out with.
	Mail MailConfig
	// RosterKey encrypts the member roster (DATA/roster); nil writes it
	// in the clear.
	RosterKey []byte

	// Status is the status page's token, publishing and webhooks.
	Status StatusConfig

	// TLS, when set, serves the forum over HTTPS on HTTPSAddr (default
	// :443); Addr then only answers ACME http-01 challenges (through
	// HTTPChallenge) and redirects everything else to HTTPS. See tls.go.
	TLS           *tls.Config
	HTTPSAddr     string
	HTTPChallenge func(fallback http.Handler) http.Handler

	Log *slog.Logger
}

// Proxies returns the reverse proxies whose X-Forwarded-For is believed.
func (c Config) Proxies() clientip.Proxies {
	p := slices.Clone(c.TrustedProxies)
	if c.TrustProxy {
		p = append(p, clientip.Loopback...)
	}
	return p
}

// DSN returns the database to use: the configured one, or the default
// SQLite file in the data directory.
func (c Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.DataDir, "hearth.db")
}

// App is a running (or ready to run) Hearth.
type App struct {
	Config  Config
	Store   *store.DB
	Service *forum.Service
	Status  *status.Store // mode and status updates, outside the database
	Metrics *metrics.Metrics
	Log     *slog.Logger

	// StatusPage is the status page's incidents and components, outside
	// the database too.
	StatusPage *status.PageStore

	handler http.Handler
	web     *web.Server
	srv     *http.Server
	ln      net.Listener // the forum's: HTTPS when Config.TLS is set
	plain   *plainHTTP   // with TLS: the HTTP listener (challenges, redirect)
	monitor *dbMonitor
	lease   *events.Lease  // singleton work: scheduled backups, pruning events
	mail    *mail.Worker   // sends the outbox on the lease holder; nil without SMTP
	notify  *mail.Notifier // notification mail and digests on the lease holder; nil without SMTP
	inbound *mail.Inbound  // takes replies and bounces; nil without --smtp-listen
	status  *statusPage
}

// Singleton reports whether this node does the forum's once-per-forum work
// now: with several nodes on one database, exactly one does.
func (a *App) Singleton() bool { return a.lease.Held() }

// eventRetention is how long events are kept once every consumer has read
// them: long enough to look into what happened.
const eventRetention = 7 * 24 * time.Hour

// pruneEvents deletes old events hourly, on the node holding the lease.
func (a *App) pruneEvents(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !a.Singleton() {
			continue
		}
		if n, err := a.Store.PruneEvents(ctx, time.Now().Add(-eventRetention)); err != nil {
			a.Log.Warn("pruning the event stream failed", "err", err)
		} else if n > 0 {
			a.Log.Info("pruned the event stream", "events", n)
		}
	}
}

// The search index's upkeep (SQLite): FTS5 writes a segment per batch of
// new posts and merges them as it goes, which leaves a dozen and more on a
// big forum; each search reads every one's list for each word. At 5,000,000
// posts, 17 segments made search p99 90 ms against 32 ms in one. So when
// there are more than searchMaxSegments, they are merged into one, a step
// of searchMergePages pages (a few ms of the writer's time) a second, in
// the seconds that see at most searchQuietWrites other writes: a step
// holds the replies behind it for as long as it writes (40-70 ms on
// 500,000 posts), and under a stream of replies merging never ends, each
// batch adding a segment; it can wait for a lull.
const (
	searchMaxSegments = 8
	searchMergePages  = 500
	searchMergeEvery  = time.Hour
	searchQuietWrites = 20
)

// mergeSearch keeps the search index in few segments, from a minute after
// start and then hourly.
func (a *App) mergeSearch(ctx context.Context) {
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = searchMergeEvery
		n, err := a.Store.SearchSegments(ctx)
		if err != nil || n <= searchMaxSegments {
			continue // a failure to count is the monitor's to report
		}
		start, steps, writes := time.Now(), 0, a.Store.Writes()
		for merged := true; merged && ctx.Err() == nil; {
			if w := a.Store.Writes(); w-writes <= searchQuietWrites {
				if merged, err = a.Store.MergeSearch(ctx, searchMergePages); err != nil {
					if ctx.Err() == nil {
						a.Log.Warn("merging the search index failed", "err", err)
					}
					break
				}
				steps++
			}
			writes = a.Store.Writes() // the step's own write left out
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		if err == nil && ctx.Err() == nil {
			a.Log.Info("merged the search index", "segments", n, "steps", steps, "took", time.Since(start).Round(time.Second))
		}
	}
}

// NewMarkup returns the renderer the service uses.
func NewMarkup() forum.Markup { return render.New() }

// OpenStore opens the database. A new, empty database gets its schema; an
// existing one must already be at this binary's schema: upgrading is
// `hearth migrate` (or `serve --migrate`), which takes a backup first.
func OpenStore(ctx context.Context, cfg Config) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	db, err := store.Open(ctx, cfg.DSN())
	if err != nil {
		return nil, err
	}
	cur, _, err := db.SchemaVersion(ctx)
	if err == nil && cur == 0 {
		_, err = db.Migrate(ctx) // nothing to lose: a new forum
	}
	if err == nil {
		err = ops.CheckSchema(ctx, db, cfg.Version)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenService opens the database and returns the service over it, for the
// subcommands that need no HTTP.
func OpenService(ctx context.Context, cfg Config) (*store.DB, *forum.Service, error) {
	db, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return db, forum.NewService(db, NewMarkup()), nil
}

// New opens the database and builds the handler. Close releases it.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	db, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db.SetNode(nodeName())
	st, err := status.Open(cfg.DataDir)
	if err != nil {
		db.Close()
		return nil, err
	}
	m := metrics.New()
	mon := newMonitor(cfg.Log)
	svc := forum.NewService(metrics.Store(db, m, metrics.StoreOptions{Timeout: storeTimeout, OnFailure: mon.failed}), NewMarkup())
	svc.SetReadOnly(func() (bool, string) {
		if mon.StorageFull() {
			return true, forum.StorageFullMessage
		}
		s := st.Get()
		return s.Mode == status.ReadOnly, s.Reason
	})
	a := &App{Config: cfg, Store: db, Service: svc, Status: st, Metrics: m, Log: cfg.Log, monitor: mon}
	mon.ping = a.ping
	a.lease = &events.Lease{Store: db, Name: "singleton", Holder: db.Node(), TTL: cfg.LeaseTTL, Log: cfg.Log}
	if db.Engine() == "sqlite" {
		mon.room = func() bool {
			free, err := ops.FreeSpace(filepath.Dir(db.Path()))
			return err == nil && free >= ops.WriteHeadroom
		}
	}
	// Bind now so the base URL (with the real port when Addr is :0) is
	// known to the pages' canonical links.
	if err := a.Listen(); err != nil {
		db.Close()
		return nil, err
	}
	cfg = a.Config
	if a.status, err = a.newStatusPage(st); err != nil {
		a.ln.Close()
		db.Close()
		return nil, err
	}
	svc.SetSite(forum.Site{Name: cfg.SiteName, BaseURL: cfg.BaseURL, MailDomain: cfg.MailIdentity().Domain})
	proxies := cfg.Proxies()
	clientIP := clientIPFunc(proxies, cfg.Log)
	wcfg := web.Config{SiteName: cfg.SiteName, BaseURL: cfg.BaseURL, ClientIP: clientIP, Status: st, DBDown: mon.Down, StorageFull: mon.StorageFull,
		StatusPage: a.StatusPage, StatusChanged: a.status.changed}
	wcfg.SecureCookies = strings.HasPrefix(cfg.BaseURL, "https://") || cfg.TLS != nil
	if cfg.Mail.SMTP.Host != "" {
		wcfg.Broadcasts = &broadcasts{a: a}
	}
	if !cfg.NoLimits {
		web.DefaultLimits(&wcfg)
		svc.SetLimits(forum.DefaultLimits())
	}
	apiHandler := api.New(svc, cfg.Log, api.Config{
		LoginLimit: wcfg.LoginLimit, RegisterLimit: wcfg.RegisterLimit,
		ClientIP: clientIP, Gate: httpmw.Gate{Status: st, DBDown: mon.Down},
	})
	ws, err := web.New(svc, cfg.Log, wcfg)
	if err != nil {
		a.closeListeners()
		db.Close()
		return nil, err
	}
	a.web = ws
	if a.mail, err = a.newMailWorker(); err != nil {
		a.closeListeners()
		db.Close()
		return nil, err
	}
	a.notify = a.newNotifier()
	if err := a.listenInbound(); err != nil {
		a.ln.Close()
		db.Close()
		return nil, err
	}
	a.registerGauges()
	a.registerMailMetrics()
	m.RegisterCaches(a.CacheStats)
	healthz, readyz := metrics.Health(a.ping, func(ctx context.Context) (bool, error) {
		cur, latest, err := db.SchemaVersion(ctx)
		return cur == latest, err
	})
	root := Surfaces(cfg.Log, cfg.BaseURL, ws, apiHandler)
	a.status.mount(root, a, ws)
	root.Handle("GET /metrics", m.Handler(cfg.MetricsToken, proxies))
	root.Handle("GET /healthz", healthz)
	root.Handle("GET /readyz", readyz)
	a.handler = m.Middleware(root) // outermost: every request and its whole time count
	if cfg.TLS != nil {
		a.handler = hsts(a.handler)
	}
	return a, nil
}

// CacheStats returns the counters of every cache (guest pages, shells,
// post cores, thread pages, sessions) by name; /metrics exports them.
func (a *App) CacheStats() map[string]cache.Stats {
	m := a.Service.CacheStats()
	maps.Copy(m, a.web.CacheStats())
	return m
}

// Surfaces mounts the two HTTP surfaces side by side, each inside the
// shared middleware (internal/httpmw) and answering failures its own way:
// the JSON API at /api/ (every path under it answers JSON, an unknown one
// too), the pages everywhere else. New adds the operator endpoints; a test
// may mount a stand-in API beside real pages.
func Surfaces(log *slog.Logger, baseURL string, pages *web.Server, apiHandler http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/api/", httpmw.Wrap(apiHandler, api.Responder(log), baseURL))
	mux.Handle("/", httpmw.Wrap(pages.Handler(), pages.Responder(), baseURL))
	return mux
}

// clientIPFunc returns the client address rate limits are keyed by. When
// proxies are configured but a request with X-Forwarded-For comes from an
// address not among them, it says so once: a proxy missing from the list
// makes all its clients one address, sharing one login limit.
func clientIPFunc(proxies clientip.Proxies, log *slog.Logger) func(*http.Request) string {
	var once sync.Once
	return func(r *http.Request) string {
		if len(proxies) > 0 && r.Header.Get("X-Forwarded-For") != "" {
			if a, ok := clientip.RemoteAddr(r); ok && !proxies.Contains(a) {
				once.Do(func() {
					log.Warn("a request with X-Forwarded-For came from an address that is not a trusted proxy, so the header was ignored; " +
						"if Hearth is behind a proxy on another machine, add the proxy's address to --trusted-proxies")
				})
			}
		}
		return proxies.ClientIP(r)
	}
}

// nodeName names this process in the events it writes: unique per start,
// readable in the database when an operator looks.
func nodeName() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

// ping is the database check of the monitor and /readyz: the server
// answers and the schema table reads (a missing or damaged SQLite file
// fails here, where a bare ping would not notice).
func (a *App) ping(ctx context.Context) error {
	if err := a.Store.Ping(ctx); err != nil {
		return err
	}
	_, _, err := a.Store.SchemaVersion(ctx)
	return err
}

// registerGauges exposes what is measured at scrape time.
func (a *App) registerGauges() {
	m := a.Metrics
	m.RegisterGauge("hearth_db_up", "1 if the database answered the last check, else 0.", func() float64 {
		if a.monitor.Down() {
			return 0
		}
		return 1
	})
	m.RegisterGauge("hearth_sessions_active", "Unexpired login sessions.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), metrics.CheckTimeout)
		defer cancel()
		n, err := a.Store.CountActiveSessions(ctx, time.Now())
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	})
	m.RegisterGauge("hearth_backup_last_good_age_seconds", "Seconds since the newest verified backup (+Inf if none).", func() float64 {
		e, ok, err := ops.LastGoodBackup(a.Config.DataDir)
		if err != nil || !ok {
			return math.Inf(1)
		}
		return time.Since(e.VerifiedAt).Seconds()
	})
	m.RegisterGauge("hearth_backup_last_good_size_bytes", "Size of the newest verified backup.", func() float64 {
		e, ok, err := ops.LastGoodBackup(a.Config.DataDir)
		if err != nil || !ok {
			return 0
		}
		return float64(e.Size)
	})
	m.RegisterCounterFunc("hearth_db_group_writes_total", "Writes sent through group commit (replies, cursors, notifications), failed ones included.", func() float64 {
		return float64(a.Store.Writes())
	})
	m.RegisterCounterFunc("hearth_db_group_commits_total", "Transactions of group commit: writes per commit is the mean batch.", func() float64 {
		return float64(a.Store.Commits())
	})
	m.RegisterGauge("hearth_singleton_lease_held", "1 if this node holds the lease for once-per-forum work (backups, pruning), else 0.", func() float64 {
		if a.lease.Held() {
			return 1
		}
		return 0
	})
}

// Handler returns the complete HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Listen binds the configured address and fills in BaseURL if unset.
func (a *App) Listen() error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	if a.Config.TLS != nil {
		return a.listenTLS(ln)
	}
	a.ln = ln
	if a.Config.BaseURL == "" {
		a.Config.BaseURL = "http://" + displayAddr(ln.Addr().String())
	}
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Addr is the address the server listens on: the real port when
// Config.Addr asked for port 0.
func (a *App) Addr() string { return a.ln.Addr().String() }

// URL is the base URL the forum is reachable at.
func (a *App) URL() string { return a.Config.BaseURL }

// Serve serves HTTP until ctx is cancelled, then shuts down gracefully:
// requests in flight get up to 15 seconds to finish.
func (a *App) Serve(ctx context.Context) error {
	a.srv = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	if a.Config.TLS != nil {
		a.srv.TLSConfig = a.Config.TLS
		go func() { errc <- a.srv.ServeTLS(a.ln, "", "") }()
		go a.plain.serve(a.Log)
		defer a.plain.shutdown()
	} else {
		go func() { errc <- a.srv.Serve(a.ln) }()
	}
	mctx, stopMonitor := context.WithCancel(ctx)
	// The background work ends before Serve returns, so that nothing
	// writes to the database or the data directory after (Close, a test's
	// clean-up): a roster half rebuilt, a lease not yet released.
	var bg sync.WaitGroup
	defer a.stopBackground(stopMonitor, &bg)
	bg.Go(func() { a.monitor.run(mctx) })
	modes := newModeSync(a.Status, a.Store, a.Log)
	apply := func(e forum.Event) {
		a.Service.ApplyEvent(e)
		modes.changed(e)
	}
	tail := &events.Tailer{Source: a.Store, Apply: apply, Log: a.Log}
	bg.Go(func() { tail.Run(mctx) })
	bg.Go(func() { modes.run(mctx) })
	bg.Go(func() { a.lease.Run(mctx) })
	bg.Go(func() { a.pruneEvents(mctx) })
	bg.Go(func() { a.mergeSearch(mctx) })
	a.status.run(mctx)
	// Durable consumers of the event stream, on the lease holder only.
	notifications := &notify.Consumer{Store: a.Store, Notified: a.Service.Changes().NotificationsChanged}
	if err := a.Store.StartConsumerAtHead(ctx, notifications.Name(), time.Now()); err != nil {
		a.Log.Warn("the notifications consumer could not start at the end of the event stream; it reads from its start", "err", err)
	}
	// The member roster, for broadcasts while the database is down:
	// rebuilt in full by the lease holder, then kept by its events.
	members := RosterConsumer(a.Config, a.Store, a.Service, a.Config.RosterKey)
	if err := a.Store.StartConsumerAtHead(ctx, members.Name(), time.Now()); err != nil {
		a.Log.Warn("the member roster consumer could not start at the end of the event stream; it reads from its start", "err", err)
	}
	bg.Go(func() { members.Run(mctx, a.lease.Held) })
	runner := &events.Runner{Source: a.Store, Lease: a.lease, Log: a.Log, Poll: a.Config.EventPoll,
		Consumers: []events.Consumer{notifications, members}}
	bg.Go(func() { runner.Run(mctx) })
	// Read positions and visits of page views are buffered and written
	// every second (forum.readBuffer); a crash loses at most that second.
	bg.Go(func() {
		a.Service.RunReads(mctx, time.Second, func(err error) {
			a.Log.Warn("saving read positions (kept for the next try)", "err", err)
		})
	})
	if a.mail != nil {
		bg.Go(func() { a.mail.Run(mctx) })
	}
	if a.notify != nil {
		bg.Go(func() { a.notify.Run(mctx) })
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if a.inbound != nil {
		a.inbound.Close()
		a.inbound = nil
	}
	// The requests are done: what they read goes to the database now.
	if err := a.Service.FlushReads(sctx); err != nil {
		a.Log.Warn("saving read positions at shutdown", "err", err)
	}
	return nil
}

// stopBackground cancels Serve's background work and waits for it, for
// at most a quarter of a minute: a mail being sent or a slow database
// should not hold the shutdown for ever.
func (a *App) stopBackground(stop context.CancelFunc, bg *sync.WaitGroup) {
	stop()
	done := make(chan struct{})
	go func() { bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		a.Log.Warn("background work still running at shutdown; stopping without it")
	}
}

// Close releases the listener (if never served) and the database.
func (a *App) Close() error {
	if a.srv == nil && a.ln != nil {
		a.closeListeners()
	}
	if a.inbound != nil {
		a.inbound.Close()
	}
	return a.Store.Close()
}
