package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/ops"
	"hearth/internal/roster"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var demoMode, debug, migrateFirst bool
	var pprofAddr string
	var backupEvery time.Duration
	var err error
	var tlsOpt tlsOptions
	fs := newFlags("serve", stderr)
	fs.StringVar(&c.Addr, "addr", env("addr", "127.0.0.1:8080"), "address to listen on (env HEARTH_ADDR)")
	storageFlags(fs, &c)
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", ""), "public URL of the forum, e.g. https://forum.example.org (default http://ADDR) (env HEARTH_BASE_URL)")
	fs.StringVar(&c.SiteName, "site-name", env("site-name", "Hearth"), "the community's name, shown on every page (env HEARTH_SITE_NAME)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool("trust-proxy", false), "a reverse proxy runs on this machine: take client addresses from X-Forwarded-For on connections from 127.0.0.1 and ::1 (env HEARTH_TRUST_PROXY)")
	if err := c.TrustedProxies.Set(env("trusted-proxies", "")); err != nil {
		return fmt.Errorf("HEARTH_TRUSTED_PROXIES: %w", err)
	}
	fs.Var(&c.TrustedProxies, "trusted-proxies", "reverse proxies on other machines, a comma-separated `LIST` of addresses and CIDR ranges, e.g. 10.0.0.0/8,192.168.1.5: take client addresses from X-Forwarded-For on their connections (env HEARTH_TRUSTED_PROXIES)")
	fs.BoolVar(&c.NoLimits, "no-rate-limits", envBool("no-rate-limits", false), "disable login, registration and posting rate limits (load tests only) (env HEARTH_NO_RATE_LIMITS)")
	fs.BoolVar(&demoMode, "demo", envBool("demo", false), "fill an empty database with a small demo community and print its logins (env HEARTH_DEMO)")
	fs.BoolVar(&debug, "debug", envBool("debug", false), "log every request (env HEARTH_DEBUG)")
	fs.BoolVar(&migrateFirst, "migrate", envBool("migrate", false), "apply pending migrations at start, after a verified backup (env HEARTH_MIGRATE)")
	fs.DurationVar(&backupEvery, "backup-every", envDuration("backup-every", time.Hour), "make a verified backup this often, keeping hourly ones a day and daily ones a month; 0 turns it off (env HEARTH_BACKUP_EVERY)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("metrics-token", ""), "bearer token for /metrics; without one, /metrics answers only local requests (env HEARTH_METRICS_TOKEN)")
	mailFlags(fs, &c)
	inboundFlags(fs, &c)
	finishStatus := statusServeFlags(fs, &c)
	tlsFlags(fs, &tlsOpt)
	fs.StringVar(&pprofAddr, "pprof", env("pprof", ""), "serve Go's profiler (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060; off by default (env HEARTH_PPROF)")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", envDuration("lease-ttl", 30*time.Second), "several nodes: how long after a node stops answering another takes over its once-per-forum work (backups, pruning) (env HEARTH_LEASE_TTL)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := finishStatus(); err != nil {
		return err
	}
	if err := tlsOpt.apply(&c); err != nil {
		return err
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	c.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	c.Version = version()
	if c.RosterKey, err = roster.KeyFromEnv(); err != nil {
		return err
	}

	// One server per data directory; restore and migrate check this lock.
	release, err := ops.AcquireServeLock(c.DataDir)
	if err != nil {
		return err
	}
	defer release()
	if migrateFirst {
		rep, err := ops.SafeMigrate(ctx, opsConfig(c), c.Log)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, rep)
	}
	// The fast checks of `hearth doctor`: a plain sentence and its fix
	// instead of a stack trace.
	if err := ops.Preflight(ctx, opsConfig(c)); err != nil {
		return err
	}
	a, err := app.New(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if pprofAddr != "" {
		if err := servePprof(ctx, pprofAddr, c.Log); err != nil {
			return err
		}
	}
	if backupEvery > 0 {
		go ops.RunSchedule(ctx, &ops.Backuper{Config: opsConfig(c), DB: a.Store, Log: c.Log}, backupEvery, ops.DefaultRetention, c.Log, a.Singleton)
	}

	setup, err := a.Service.SetupRequired(ctx)
	if err != nil {
		return err
	}
	switch {
	case setup && demoMode:
		logins, err := demo.Fill(ctx, a.Service)
		if err != nil {
			return fmt.Errorf("fill demo community: %w", err)
		}
		fmt.Fprintf(stdout, "\nDemo community created. Log in at %s/login with:\n", a.URL())
		for _, l := range logins {
			fmt.Fprintf(stdout, "  %-10s %-28s password: %s\n", l.Role, l.Email, l.Password)
		}
		fmt.Fprintln(stdout)
	case setup:
		token, err := a.Service.NewSetupToken(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nThis forum has no admin yet. Open this link to create the admin account:\n\n  %s/setup?token=%s\n\n(The link works once. Restarting 'hearth serve' prints a new one.)\n\n", a.URL(), token)
	case demoMode:
		fmt.Fprintln(stdout, "The database already has members, so --demo added nothing.")
	}
	fmt.Fprintf(stdout, "Hearth is serving %s on %s (data: %s). Press Ctrl+C to stop.\n", a.URL(), a.Store.Engine(), describeDB(c))
	if addr := a.InboundAddr(); addr != "" {
		fmt.Fprintf(stdout, "Taking replies and bounces by mail on %s for @%s.\n", addr, a.Config.MailIdentity().Domain)
	}
	if c.TLS != nil {
		fmt.Fprintf(stdout, "HTTPS on %s; HTTP on %s redirects to it.\n", a.Addr(), a.HTTPAddr())
	}
	return a.Serve(ctx)
}

// describeDB names the database without any password in it.
func describeDB(c app.Config) string {
	if c.DB == "" {
		return c.DSN()
	}
	return "configured database"
}
