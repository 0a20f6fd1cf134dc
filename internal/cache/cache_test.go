package cache

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// check verifies the cache's bookkeeping: the ring holds exactly the
// map's entries, and the size is theirs and within the budget.
func (c *Cache[K, V]) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	size, n := 0, 0
	if c.hand != nil {
		e := c.hand
		for {
			if c.m[e.key] != e {
				t.Fatalf("entry %v on the ring is not the map's", e.key)
			}
			if e.next.prev != e {
				t.Fatalf("broken ring at %v", e.key)
			}
			size += e.size
			n++
			if e = e.next; e == c.hand {
				break
			}
		}
	}
	if n != len(c.m) || size != c.size {
		t.Fatalf("ring has %d entries of %d bytes; map %d, size %d", n, size, len(c.m), c.size)
	}
	if c.size > c.max {
		t.Fatalf("holds %d bytes, budget %d", c.size, c.max)
	}
}

func TestGet(t *testing.T) {
	now := time.Unix(1000, 0)
	type step struct {
		put     bool
		version uint64
		advance time.Duration
		current bool // what Options.Current answers
		hit     bool // for a get
	}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"stored version hits", []step{{put: true, version: 3}, {version: 3, current: true, hit: true}}},
		{"another version misses", []step{{put: true, version: 3}, {version: 4, current: true}, {version: 2, current: true}}},
		{"a newer put replaces", []step{{put: true, version: 3}, {put: true, version: 4}, {version: 3, current: true}, {version: 4, current: true, hit: true}}},
		{"not current misses", []step{{put: true, version: 3}, {version: 3, current: false}, {version: 3, current: true, hit: true}}},
		{"within the age hits", []step{{put: true, version: 1}, {advance: time.Minute, version: 1, current: true, hit: true}}},
		{"past the age misses", []step{{put: true, version: 1}, {advance: time.Minute + time.Second, version: 1, current: true}}},
		{"nothing stored misses", []step{{version: 0, current: true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock, current := now, true
			c := New[string, string](Options[string]{MaxBytes: 100, MaxAge: time.Minute,
				Now: func() time.Time { return clock }, Current: func(string) bool { return current }})
			hits, misses := 0, 0
			for i, s := range tt.steps {
				clock = clock.Add(s.advance)
				if s.put {
					c.Put("k", s.version, fmt.Sprint("v", s.version), 10)
					continue
				}
				current = s.current
				v, ok := c.Get("k", s.version)
				if ok != s.hit || (ok && v != fmt.Sprint("v", s.version)) {
					t.Errorf("step %d: Get(%d) = %q, %v; want hit %v", i, s.version, v, ok, s.hit)
				}
				if ok {
					hits++
				} else {
					misses++
				}
			}
			if st := c.Stats(); st.Hits != uint64(hits) || st.Misses != uint64(misses) {
				t.Errorf("stats %+v, want %d hits and %d misses", st, hits, misses)
			}
			c.check(t)
		})
	}
}

// TestBudget: the sizes held never pass the budget; a value larger than
// the budget is not kept (and does not leave an older one behind).
func TestBudget(t *testing.T) {
	c := New[int, int](Options[int]{MaxBytes: 100})
	for i := range 50 {
		c.Put(i, 1, i, 7)
		c.check(t)
	}
	st := c.Stats()
	if st.Bytes > 100 || st.Entries != 14 || st.Evictions != 36 {
		t.Errorf("after 50 puts of 7 bytes into 100: %+v", st)
	}
	c.Put(49, 2, 49, 30) // replacing: the size is the new one's
	c.check(t)
	if _, ok := c.Get(49, 2); !ok {
		t.Error("the replaced entry is gone")
	}
	c.Put(49, 3, 49, 101)
	c.check(t)
	if _, ok := c.Saved(49); ok {
		t.Error("a value over the budget was kept, or left the older one")
	}
	c.Put(1, 1, 1, 100) // exactly the budget: everything else goes
	c.check(t)
	if st := c.Stats(); st.Entries != 1 {
		t.Errorf("a value of the whole budget shares it: %+v", st)
	}
}

// TestEvictionKeepsHotEntries: entries read between the clock's rounds
// survive a flood of entries read once, which go first.
func TestEvictionKeepsHotEntries(t *testing.T) {
	c := New[int, int](Options[int]{MaxBytes: 100})
	const hot = 20
	for i := range 100 {
		c.Put(i, 1, i, 1)
	}
	for i := 100; i < 10_000; i++ {
		for k := range hot {
			if i%10 == 0 { // read now and then, not on every put
				c.Get(k, 1)
			}
		}
		c.Put(i, 1, i, 1)
	}
	c.check(t)
	for k := range hot {
		if _, ok := c.Get(k, 1); !ok {
			t.Errorf("hot entry %d was evicted", k)
		}
	}
	if _, ok := c.Saved(150); ok {
		t.Error("an entry read once is still there after thousands of others")
	}
}

// TestSavedAndDelete: Saved ignores version and age but not deletion.
func TestSavedAndDelete(t *testing.T) {
	clock := time.Unix(0, 0)
	c := New[string, string](Options[string]{MaxBytes: 10, MaxAge: time.Second, Now: func() time.Time { return clock }})
	c.Put("a", 1, "old", 1)
	clock = clock.Add(time.Hour)
	if _, ok := c.Get("a", 1); ok {
		t.Error("an hour-old entry hit")
	}
	if v, ok := c.Saved("a"); !ok || v != "old" {
		t.Errorf("Saved = %q, %v", v, ok)
	}
	c.Delete("a")
	c.Delete("never there")
	if _, ok := c.Saved("a"); ok {
		t.Error("Saved found a deleted entry")
	}
	c.check(t)
}

func TestLoad(t *testing.T) {
	c := New[string, string](Options[string]{MaxBytes: 100})
	calls := 0
	load := func(v string, size int, err error) func() (string, int, error) {
		return func() (string, int, error) { calls++; return v, size, err }
	}
	if v, err := c.Load("k", 1, load("one", 1, nil)); v != "one" || err != nil {
		t.Fatalf("Load = %q, %v", v, err)
	}
	if v, _ := c.Load("k", 1, load("other", 1, nil)); v != "one" || calls != 1 {
		t.Errorf("second Load = %q after %d loads, want the kept value after 1", v, calls)
	}
	if v, _ := c.Load("k", 2, load("two", -1, nil)); v != "two" {
		t.Errorf("Load of a new version = %q", v)
	}
	if _, ok := c.Get("k", 2); ok {
		t.Error("a value loaded with a negative size was kept")
	}
	boom := errors.New("boom")
	if _, err := c.Load("k", 3, load("three", 1, boom)); err != boom {
		t.Errorf("Load error = %v", err)
	}
	if _, ok := c.Get("k", 3); ok {
		t.Error("a failed load was kept")
	}
}

// TestConcurrentUse runs gets, puts, loads and deletes at once (run it
// with -race) and checks the bookkeeping after.
func TestConcurrentUse(t *testing.T) {
	c := New[int, int](Options[int]{MaxBytes: 500, MaxAge: time.Hour, Current: func(v int) bool { return v%7 != 0 }})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 20_000 {
				k, v := r.IntN(200), uint64(r.IntN(3))
				switch r.IntN(10) {
				case 0:
					c.Delete(k)
				case 1, 2:
					c.Put(k, v, int(v)*1000+k, 1+r.IntN(20))
				case 3:
					c.Load(k, v, func() (int, int, error) { return int(v)*1000 + k, 5, nil })
				default:
					if got, ok := c.Get(k, v); ok && got != int(v)*1000+k {
						t.Errorf("Get(%d, %d) = %d", k, v, got)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	c.check(t)
	if st := c.Stats(); st.Hits == 0 || st.Misses == 0 || st.Evictions == 0 {
		t.Errorf("stats %+v: expected hits, misses and evictions", st)
	}
}
