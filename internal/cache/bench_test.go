package cache

import (
	"strconv"
	"testing"
	"time"
)

// The shapes of Hearth's uses: guests' pages by URL (20 KB each, with a
// maximum age), post cores by post id.

func BenchmarkGetHitPage(b *testing.B) {
	c := New[string, []byte](Options[[]byte]{MaxBytes: 32 << 20, MaxAge: time.Minute})
	for i := range 1000 {
		c.Put("/t/"+strconv.Itoa(i), 3, make([]byte, 20000), 20000)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := c.Get("/t/"+strconv.Itoa(i%1000), 3); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				c.Get("/t/"+strconv.Itoa(i%1000), 3)
				i++
			}
		})
	})
}

func BenchmarkPutPage(b *testing.B) {
	c := New[string, []byte](Options[[]byte]{MaxBytes: 8 << 20, MaxAge: time.Minute})
	body := make([]byte, 20000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Put("/t/"+strconv.Itoa(i%5000), 3, body, len(body))
	}
}

func BenchmarkGetHitCore(b *testing.B) {
	c := New[int64, string](Options[string]{MaxBytes: 16 << 20})
	for i := range 1000 {
		c.Put(int64(i), 3, "<p>x</p>", 64)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, ok := c.Get(int64(i%1000), 3); !ok {
				b.Fatal("miss")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				c.Get(int64(i%1000), 3)
				i++
			}
		})
	})
}

func BenchmarkPutCore(b *testing.B) {
	c := New[int64, string](Options[string]{MaxBytes: 10000 * 64})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Put(int64(i%20000), 3, "<p>x</p>", 64)
	}
}

// BenchmarkMixedParallel is nine gets to one put (an eviction each, the
// cache being full), from all cores at once.
func BenchmarkMixedParallel(b *testing.B) {
	c := New[int64, string](Options[string]{MaxBytes: 1000 * 64})
	for i := range 1000 {
		c.Put(int64(i), 3, "<p>x</p>", 64)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if i%10 == 0 {
				c.Put(int64(1000+i%5000), 3, "<p>x</p>", 64)
			} else {
				c.Get(int64(i%1000), 3)
			}
			i++
		}
	})
}
