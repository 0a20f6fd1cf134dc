package watch

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Result is one probe of one target.
type Result struct {
	Target string        `json:"target"`
	OK     bool          `json:"ok"`
	Status int           `json:"status,omitempty"`
	Took   time.Duration `json:"took_ns"`
	// Problem says in words what was wrong ("503 Service Unavailable",
	// "no answer within 5s", "readyz: database: …").
	Problem string `json:"problem,omitempty"`
	// CertExpires is when the TLS certificate expires (https only).
	CertExpires time.Time `json:"cert_expires,omitzero"`
	At          time.Time `json:"at"`
}

// maxBody bounds what a probe reads of an answer.
const maxBody = 1 << 20

// prober probes targets with one client that keeps no connections: each
// probe dials afresh, as a member's first visit would.
type prober struct {
	client  *http.Client
	timeout time.Duration
}

func newProber(timeout time.Duration, tlsConfig *tls.Config) *prober {
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}
	return &prober{
		client: &http.Client{Transport: tr, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		timeout: timeout,
	}
}

// probe checks t: its page, then its /readyz.
func (p *prober) probe(ctx context.Context, t Target) Result {
	r := Result{Target: t.Name, At: time.Now()}
	start := time.Now()
	status, body, cert, err := p.get(ctx, t.URL)
	r.Took, r.Status, r.CertExpires = time.Since(start), status, cert
	switch {
	case err != nil:
		r.Problem = err.Error()
	case status != t.ExpectStatus:
		r.Problem = fmt.Sprintf("answered %d %s, not %d", status, http.StatusText(status), t.ExpectStatus)
	case t.BodyContains != "" && !strings.Contains(body, t.BodyContains):
		r.Problem = fmt.Sprintf("the page does not contain %q", t.BodyContains)
	case r.Took > t.MaxResponse.D():
		r.Problem = fmt.Sprintf("answered in %v, slower than %v", r.Took.Round(time.Millisecond), t.MaxResponse.D())
	}
	if r.Problem == "" && *t.Readyz {
		if status, body, _, err := p.get(ctx, readyzURL(t.URL)); err != nil {
			r.Problem = "readyz: " + err.Error()
		} else if status != http.StatusOK {
			r.Problem = fmt.Sprintf("readyz answered %d: %s", status, firstLine(body))
		}
	}
	r.OK = r.Problem == ""
	return r
}

func (p *prober) get(ctx context.Context, u string) (status int, body string, cert time.Time, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", cert, err
	}
	req.Header.Set("User-Agent", "hearth-watch")
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", cert, fmt.Errorf("no answer within %v", p.timeout)
		}
		return 0, "", cert, fmt.Errorf("no answer: %v", plainNetError(err))
	}
	defer resp.Body.Close()
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		cert = resp.TLS.PeerCertificates[0].NotAfter
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, "", cert, fmt.Errorf("the answer broke off: %v", plainNetError(err))
	}
	return resp.StatusCode, string(b), cert, nil
}

func readyzURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j] + "/readyz"
		}
	}
	return strings.TrimRight(u, "/") + "/readyz"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// plainNetError drops Go's "Get \"URL\":" prefix: the alert names the URL.
func plainNetError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "\": "); i >= 0 && strings.HasPrefix(s, "Get \"") {
		s = s[i+3:]
	}
	return s
}
