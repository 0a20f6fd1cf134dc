package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// hstsValue tells browsers to come back only over HTTPS for a year. It is
// sent on HTTPS answers only (RFC 6797 §7.2: never over plain HTTP).
const hstsValue = "max-age=31536000"

func hsts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}

// plainHTTP is the HTTP listener beside HTTPS: ACME http-01 challenges,
// and a 301 to the same host and path over HTTPS for everything else.
type plainHTTP struct {
	ln  net.Listener
	srv *http.Server
}

// listenTLS binds HTTPSAddr for the forum, keeping plain (already bound
// to Addr) for challenges and redirects.
func (a *App) listenTLS(plain net.Listener) error {
	addr := a.Config.HTTPSAddr
	if addr == "" {
		addr = ":443"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		plain.Close()
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	a.ln = ln
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if a.Config.BaseURL == "" {
		a.Config.BaseURL = "https://" + strings.TrimSuffix(displayAddr(ln.Addr().String()), ":443")
	}
	var h http.Handler = redirectHTTPS(port)
	if a.Config.HTTPChallenge != nil {
		h = a.Config.HTTPChallenge(h)
	}
	a.plain = &plainHTTP{ln: plain, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}}
	return nil
}

// HTTPAddr is the plain HTTP listener's address when TLS is on (else the
// forum's own address).
func (a *App) HTTPAddr() string {
	if a.plain != nil {
		return a.plain.ln.Addr().String()
	}
	return a.Addr()
}

func (a *App) closeListeners() {
	if a.ln != nil {
		a.ln.Close()
	}
	if a.plain != nil {
		a.plain.ln.Close()
	}
}

func (p *plainHTTP) serve(log *slog.Logger) {
	p.srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	if err := p.srv.Serve(p.ln); err != nil && err != http.ErrServerClosed {
		log.Warn("the HTTP listener stopped", "err", err)
	}
}

func (p *plainHTTP) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

// redirectHTTPS answers with a 301 to the same host and path over HTTPS,
// on httpsPort (left out when it is 443); other methods get a 308, which
// keeps the method, where a 301 would turn a form post into a GET.
func redirectHTTPS(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@ ") {
			http.Error(w, "Use HTTPS.", http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") { // an IPv6 literal
			host = "[" + host + "]"
		}
		if httpsPort != "443" && httpsPort != "" {
			host += ":" + httpsPort
		}
		target := "https://" + host + r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, target, code)
	})
}
