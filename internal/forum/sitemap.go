package forum

import (
	"context"
	"fmt"
	"time"
)

// SitemapThread is one thread of the sitemap: what a search engine needs
// to find it and to know whether it changed.
type SitemapThread struct {
	ID      int64
	Slug    string
	Updated time.Time // its last post
}

// SitemapSize is the most URLs one sitemap file may list (sitemaps.org).
const SitemapSize = 50000

// SitemapThreadCount is how many threads guests may read: the sitemap
// lists them in files of SitemapSize.
func (s *Service) SitemapThreadCount(ctx context.Context) (int, error) {
	n, err := s.store.CountSitemapThreads(ctx)
	if err != nil {
		return 0, fmt.Errorf("count sitemap threads: %w", err)
	}
	return n, nil
}

// SitemapThreads returns sitemap file page (from 1, of size threads, at
// most SitemapSize) of the threads guests may read, oldest first so each
// file's contents stay put as threads are added.
func (s *Service) SitemapThreads(ctx context.Context, page, size int) ([]SitemapThread, error) {
	if page < 1 {
		return nil, ErrNotFound
	}
	if size <= 0 || size > SitemapSize {
		size = SitemapSize
	}
	ts, err := s.store.SitemapThreads(ctx, (page-1)*size, size)
	if err != nil {
		return nil, fmt.Errorf("sitemap threads: %w", err)
	}
	return ts, nil
}
