package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"hearth/internal/cache"
)

// RegisterCaches exports the counters of the node's caches, read from
// stats at each scrape, with the cache's name as the label: hit ratios
// and evictions say whether the byte budgets fit the forum.
func (m *Metrics) RegisterCaches(stats func() map[string]cache.Stats) {
	m.reg.MustRegister(cacheCollector(stats))
}

var (
	cacheHits      = prometheus.NewDesc("hearth_cache_hits_total", "Cache lookups answered from the cache.", []string{"cache"}, nil)
	cacheMisses    = prometheus.NewDesc("hearth_cache_misses_total", "Cache lookups that went to the database (absent or stale).", []string{"cache"}, nil)
	cacheEvictions = prometheus.NewDesc("hearth_cache_evictions_total", "Entries dropped to stay within the byte budget.", []string{"cache"}, nil)
	cacheEntries   = prometheus.NewDesc("hearth_cache_entries", "Entries held.", []string{"cache"}, nil)
	cacheBytes     = prometheus.NewDesc("hearth_cache_bytes", "Bytes held, as the budget counts them.", []string{"cache"}, nil)
)

type cacheCollector func() map[string]cache.Stats

func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHits, cacheMisses, cacheEvictions, cacheEntries, cacheBytes} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c() {
		ch <- prometheus.MustNewConstMetric(cacheHits, prometheus.CounterValue, float64(s.Hits), name)
		ch <- prometheus.MustNewConstMetric(cacheMisses, prometheus.CounterValue, float64(s.Misses), name)
		ch <- prometheus.MustNewConstMetric(cacheEvictions, prometheus.CounterValue, float64(s.Evictions), name)
		ch <- prometheus.MustNewConstMetric(cacheEntries, prometheus.GaugeValue, float64(s.Entries), name)
		ch <- prometheus.MustNewConstMetric(cacheBytes, prometheus.GaugeValue, float64(s.Bytes), name)
	}
}
