package web

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hearth/internal/forum"
)

func at(stamp uint64) forum.Version { return forum.Version{Stamp: stamp} }

// TestRenderFlights: readers who miss a page while it is being rendered at
// their version or later get that rendering; a reader at a later version
// renders its own; a rendering that ends without a page (an error status,
// a panic) sends its waiters to render themselves.
func TestRenderFlights(t *testing.T) {
	var f renderFlights
	r := httptest.NewRequest("GET", "/", nil)
	page := &cachedPage{body: []byte("front")}

	fl := f.start("/", at(5))
	var wg sync.WaitGroup
	got := make([]*cachedPage, 8)
	for i := range got {
		wg.Go(func() {
			p, ok := f.wait(r, "/", at(5))
			if ok {
				got[i] = p
			}
		})
	}
	if _, ok := f.wait(r, "/", at(6)); ok {
		t.Error("a reader at a later version waited for an older rendering")
	}
	if _, ok := f.wait(r, "/other", at(1)); ok {
		t.Error("a reader of another page waited")
	}
	time.Sleep(10 * time.Millisecond) // let the waiters block
	fl.page = page
	f.finish("/", fl)
	wg.Wait()
	for i, p := range got {
		if p != page {
			t.Errorf("waiter %d got %v", i, p)
		}
	}
	if _, ok := f.wait(r, "/", at(5)); ok {
		t.Error("a finished rendering is still waited for")
	}

	fl = f.start("/", at(7))
	done := make(chan bool)
	go func() {
		_, ok := f.wait(r, "/", at(7))
		done <- ok
	}()
	time.Sleep(10 * time.Millisecond)
	f.finish("/", fl) // no page: an error status or a panic
	if <-done {
		t.Error("a rendering without a page handed one out")
	}
}
