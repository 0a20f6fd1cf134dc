// Package metrics exposes Hearth's Prometheus metrics and its health
// endpoints: HTTP request counts and latencies per route, database query
// latencies and errors per store operation, and gauges (the database,
// sessions, backups) that the wiring registers as callbacks read at
// scrape time.
//
// Every Metrics has its own registry, never Prometheus's global default, so
// tests and several servers in one process do not share counters.
//
// Metric names, for dashboards and alerts:
//
//	hearth_http_requests_total{route,method,code}        counter
//	hearth_http_request_duration_seconds{route,method}   histogram
//	hearth_db_query_duration_seconds{op}                 histogram
//	hearth_db_errors_total{op}                           counter
//	hearth_db_up, hearth_sessions_active,
//	hearth_db_group_writes_total, hearth_db_group_commits_total,
//	hearth_backup_last_good_age_seconds, hearth_backup_last_good_size_bytes   registered by the wiring
package metrics

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the registry and the collectors Hearth updates.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	dbDuration *prometheus.HistogramVec
	dbErrors   *prometheus.CounterVec
	// series keeps each (route, method, code)'s counter and histogram:
	// finding them by label values hashes the labels on every request.
	series sync.Map // seriesKey -> *httpSeries
}

type seriesKey struct {
	route, method string
	code          int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// httpSeriesFor returns the series of requests of route, method and code.
func (m *Metrics) httpSeriesFor(route, method string, code int) *httpSeries {
	k := seriesKey{route, method, code}
	if s, ok := m.series.Load(k); ok {
		return s.(*httpSeries)
	}
	s := &httpSeries{m.requests.WithLabelValues(route, method, strconv.Itoa(code)), m.duration.WithLabelValues(route, method)}
	actual, _ := m.series.LoadOrStore(k, s)
	return actual.(*httpSeries)
}

// httpBuckets span 0.5 ms (a cached page) to 5 s (something is wrong).
var httpBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

// dbBuckets start lower: an indexed SQLite read takes tens of microseconds.
var dbBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// New returns Metrics on a fresh registry that also carries the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hearth_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: httpBuckets,
		}, []string{"route", "method"}),
		dbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hearth_db_query_duration_seconds",
			Help:    "Time spent in each store operation.",
			Buckets: dbBuckets,
		}, []string{"op"}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_db_errors_total",
			Help: "Store operations that failed (not counting not-found, conflicts and cancelled requests).",
		}, []string{"op"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.dbDuration, m.dbErrors,
	)
	return m
}

// RegisterGauge adds a gauge whose value fn returns at each scrape, e.g.
// hearth_sessions_active or hearth_backup_last_good_age_seconds. fn must be
// quick and safe to call concurrently; bound any database call it makes.
// It panics if the name is taken or invalid: that is a wiring mistake,
// found at startup.
// RegisterCounterFunc exports a counter read from fn at each scrape.
func (m *Metrics) RegisterCounterFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

func (m *Metrics) RegisterGauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}
