package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"hearth/internal/app"
)

// tlsOptions are serve's HTTPS flags: certificate files, or ACME.
type tlsOptions struct {
	cert, key    string
	domains      domainsFlag
	email        string
	directory    string
	caRoot       string
	httpsAddr    string
	httpsAddrSet bool
}

// domainsFlag is a repeatable flag that also takes comma-separated values,
// lower-cased: the ACME domains.
type domainsFlag []string

func (l *domainsFlag) String() string { return strings.Join(*l, ",") }
func (l *domainsFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, strings.ToLower(s))
		}
	}
	return nil
}

func tlsFlags(fs *flag.FlagSet, o *tlsOptions) {
	fs.StringVar(&o.cert, "tls-cert", env("tls-cert", ""), "serve HTTPS with this certificate `FILE` (PEM, the chain after the leaf); reread when it changes (env HEARTH_TLS_CERT)")
	fs.StringVar(&o.key, "tls-key", env("tls-key", ""), "the private key `FILE` of --tls-cert (PEM) (env HEARTH_TLS_KEY)")
	o.domains.Set(env("acme-domain", ""))
	fs.Var(&o.domains, "acme-domain", "serve HTTPS with certificates obtained by ACME (Let's Encrypt) for this `DOMAIN`; repeat for more names (env HEARTH_ACME_DOMAIN, comma-separated)")
	fs.StringVar(&o.email, "acme-email", env("acme-email", ""), "contact address for the ACME account: expiry warnings and policy changes (env HEARTH_ACME_EMAIL)")
	fs.StringVar(&o.directory, "acme-directory", env("acme-directory", autocert.DefaultACMEDirectory), "the ACME directory `URL` (env HEARTH_ACME_DIRECTORY)")
	fs.StringVar(&o.caRoot, "acme-ca-root", env("acme-ca-root", ""), "a PEM `FILE` of root certificates to trust for the ACME directory, for a private ACME server; default: the system's (env HEARTH_ACME_CA_ROOT)")
	fs.StringVar(&o.httpsAddr, "https-addr", env("https-addr", ":443"), "with --tls-cert or --acme-domain: the HTTPS address; --addr then only redirects to it and answers ACME challenges (env HEARTH_HTTPS_ADDR)")
}

// apply turns the flags into c.TLS. Without any of them it changes nothing.
func (o *tlsOptions) apply(c *app.Config) error {
	files := o.cert != "" || o.key != ""
	switch {
	case files && len(o.domains) > 0:
		return errors.New("--tls-cert/--tls-key and --acme-domain exclude each other: choose certificate files or ACME")
	case files && (o.cert == "" || o.key == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case files:
		r := &certFiles{cert: o.cert, key: o.key}
		if err := r.load(); err != nil {
			return err
		}
		c.TLS = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}
	case len(o.domains) > 0:
		m, err := o.manager(c.DataDir)
		if err != nil {
			return err
		}
		c.TLS = m.TLSConfig()
		c.HTTPChallenge = m.HTTPHandler
		if c.BaseURL == "" {
			c.BaseURL = o.baseURL()
		}
	default:
		return nil
	}
	c.HTTPSAddr = o.httpsAddr
	return nil
}

// manager is the ACME client: accounts and certificates are kept in
// DATA/acme (0700: it holds private keys), renewed 30 days before expiry.
func (o *tlsOptions) manager(dataDir string) (*autocert.Manager, error) {
	for _, d := range o.domains {
		if strings.ContainsAny(d, "/:*@ ") || net.ParseIP(d) != nil {
			return nil, fmt.Errorf("--acme-domain %q: give a DNS name such as forum.example.org", d)
		}
	}
	dir := filepath.Join(dataDir, "acme")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, err
	}
	client := &acme.Client{DirectoryURL: o.directory, UserAgent: "hearth"}
	if o.caRoot != "" {
		pem, err := os.ReadFile(o.caRoot)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--acme-ca-root %s holds no PEM certificate", o.caRoot)
		}
		client.HTTPClient = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
			Proxy:           http.ProxyFromEnvironment,
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}}
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: hostPolicy(o.domains),
		Email:      o.email,
		Client:     client,
	}, nil
}

// hostPolicy allows only the configured names. autocert checks the Host
// of http-01 requests with it too, which carries a port when the HTTP
// listener is not on 80, so the port is dropped first.
func hostPolicy(domains []string) autocert.HostPolicy {
	allow := autocert.HostWhitelist(domains...)
	return func(ctx context.Context, host string) error {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return allow(ctx, host)
	}
}

// baseURL is the first domain's URL, with the HTTPS port unless it is 443
// (or 0, a test's: then app fills in the bound port).
func (o *tlsOptions) baseURL() string {
	_, port, err := net.SplitHostPort(o.httpsAddr)
	if err != nil || port == "443" || port == "" {
		return "https://" + o.domains[0]
	}
	if port == "0" {
		return ""
	}
	return "https://" + net.JoinHostPort(o.domains[0], port)
}

// certFiles serves a certificate from files and rereads them when they
// change (checked at most once a minute), so a renewal by another tool
// needs no restart.
type certFiles struct {
	cert, key string

	mu      sync.Mutex
	current *tls.Certificate
	mod     time.Time // the newer of the two files' times when loaded
	checked time.Time
}

func (f *certFiles) modTime() (time.Time, error) {
	var t time.Time
	for _, p := range []string{f.cert, f.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return t, err
		}
		if fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t, nil
}

func (f *certFiles) load() error {
	mod, err := f.modTime()
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	c, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return fmt.Errorf("TLS certificate %s with key %s: %w", f.cert, f.key, err)
	}
	f.mu.Lock()
	f.current, f.mod, f.checked = &c, mod, time.Now()
	f.mu.Unlock()
	return nil
}

func (f *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	c, stale := f.current, time.Since(f.checked) > time.Minute
	if stale {
		f.checked = time.Now()
	}
	mod := f.mod
	f.mu.Unlock()
	if stale {
		// A half-written renewal fails to load; the old certificate
		// serves until the next check.
		if m, err := f.modTime(); err == nil && !m.Equal(mod) {
			f.load()
			f.mu.Lock()
			c = f.current
			f.mu.Unlock()
		}
	}
	return c, nil
}
