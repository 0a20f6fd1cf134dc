package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"hearth/internal/clientip"
)

// Handler serves the registry in the Prometheus text format. With a token,
// a scraper must send "Authorization: Bearer TOKEN". Without one, only
// requests straight from this machine are answered: the connection is from
// a loopback address, it is not one of the trusted proxies and the request
// carries no forwarding header. A reverse proxy on the same machine would
// otherwise make every visitor look local.
func (m *Metrics) Handler(token string, proxies clientip.Proxies) http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:            m.reg, // counts its own errors as promhttp_metric_handler_errors_total
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := refuse(r, token, proxies); msg != "" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			if token != "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hearth metrics"`)
				w.WriteHeader(http.StatusUnauthorized)
			} else {
				w.WriteHeader(http.StatusForbidden)
			}
			w.Write([]byte(msg + "\n"))
			return
		}
		prom.ServeHTTP(w, r)
	})
}

// refuse returns why r may not read the metrics, or "" if it may.
func refuse(r *http.Request, token string, proxies clientip.Proxies) string {
	if token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			return "The metrics need the token: send Authorization: Bearer TOKEN (the value of --metrics-token)."
		}
		return ""
	}
	remote, ok := clientip.RemoteAddr(r)
	switch {
	case clientip.Forwarded(r.Header):
		return "The metrics are not served through a proxy; set --metrics-token to read them from elsewhere."
	case ok && proxies.Contains(remote):
		return "This request came from a trusted proxy (--trust-proxy or --trusted-proxies), so it may be from anyone; set --metrics-token to read the metrics."
	case !ok || !remote.IsLoopback():
		return "The metrics are only served to this machine (127.0.0.1 or ::1); set --metrics-token to read them from elsewhere."
	}
	return ""
}
