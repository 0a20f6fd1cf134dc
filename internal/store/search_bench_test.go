package store

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"hearth/internal/forum"
	"hearth/internal/render"
	seeder "hearth/internal/seed"
)

// BenchmarkSearch: many distinct queries (a third each one word, two words
// and a two-word phrase, made of the posts' own words) on a seeded forum of
// 20,000 posts, as a guest would search; reports the p95 of one search
// (candidates, ranking, the page's rows) besides the mean.
//
//	go test -run XXX -bench Search ./internal/store/
func BenchmarkSearch(b *testing.B) {
	for _, engine := range []string{engineSQLite, enginePostgres} {
		b.Run(engine, func(b *testing.B) {
			var db *DB
			if engine == engineSQLite {
				db = openSQLiteTest(b)
			} else {
				db = openPostgresTest(b)
			}
			ctx := context.Background()
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			opt := seeder.Options{Members: 200, Threads: 1600, Posts: 20000, Now: t0}
			if _, err := seeder.Run(ctx, db, render.New(), opt, nil); err != nil {
				b.Fatal(err)
			}
			queries := benchQueries(b, db, 600)
			var took []time.Duration
			i := 0
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				terms, excluded := forum.ParseSearch(queries[i%len(queries)])
				i++
				start := time.Now()
				_, _, err := db.Search(ctx, forum.SearchQuery{Terms: terms, Excluded: excluded,
					Viewer: forum.ViewGuest, Now: t0, Limit: forum.SearchPerPage})
				if err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			cpu := cpuTime() - cpu0
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
			// CPU time of this process per search (on PostgreSQL: the
			// client's share only): what a busy shared machine does not inflate.
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms/op")
		})
	}
}

// cpuTime is the user and system time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchQueries makes n distinct queries from the words of posts spread
// over the forum.
func benchQueries(b *testing.B, db *DB, n int) []string { return benchQueriesT(b, db, n) }

func benchQueriesT(b testing.TB, db *DB, n int) []string {
	rows, err := db.read.Query("SELECT body FROM posts WHERE id % 37 = 0 ORDER BY id LIMIT 400")
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var texts [][]string
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			b.Fatal(err)
		}
		var ws []string
		for _, w := range strings.FieldsFunc(strings.ToLower(body), func(r rune) bool { return !unicode.IsLetter(r) }) {
			ws = append(ws, w) // all words, so that neighbours are neighbours
		}
		if len(ws) >= 2 {
			texts = append(texts, ws)
		}
	}
	rng := rand.New(rand.NewPCG(3, 5))
	seen := map[string]bool{}
	var out []string
	for tries := 0; len(out) < n && tries < 50*n; tries++ {
		ws := texts[rng.IntN(len(texts))]
		i, j := rng.IntN(len(ws)-1), rng.IntN(len(ws))
		if len(ws[i]) < 4 || len(ws[j]) < 4 || len(ws[i+1]) < 3 {
			continue // words people search for, and phrases that exist
		}
		q := []string{ws[i], ws[i] + " " + ws[j], `"` + ws[i] + " " + ws[i+1] + `"`}[tries%3]
		if !seen[q] {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out
}
