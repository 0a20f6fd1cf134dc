// Package seed fills an empty Hearth database with realistic synthetic data
// for benchmarks and load tests: travel-agent members, categories, threads
// of long-tailed length and markdown posts rendered to real HTML.
//
// Rows go in through Store.Import in batches, with IDs chosen here, and one
// Store.Recount at the end makes every counter and last-post pointer right.
// The output depends only on Options: the same Seed and Now give the same
// rows (all but the password hash's random salt).
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"hearth/internal/forum"
	"hearth/internal/password"
	"hearth/internal/progress"
)

// Password is every seeded member's password. Hashing is deliberately slow
// (argon2id), so one hash is computed and shared by all members.
const Password = "seed-password"

// batchPosts is about how many posts go in one Import (one transaction):
// large enough that commits are rare, small enough to keep memory flat.
const batchPosts = 5000

// membersPerBatch bounds the first Imports, which carry the members.
const membersPerBatch = 10000

// Options says how much to generate.
type Options struct {
	Members, Threads, Posts int
	Categories              int       // default 12
	Seed                    int64     // random seed, default 1
	Now                     time.Time // end of the time range; default time.Now
	// Progress, if not nil, shows each stage on a terminal line.
	Progress *progress.Bar
}

// Report says what Run wrote.
type Report struct {
	Members, Categories, Threads, Posts int
	Duration                            time.Duration
	Password                            string // every member's password
}

func (r Report) String() string {
	return fmt.Sprintf("seeded %d members, %d categories, %d threads, %d posts in %s; every member's password is %q (admin: admin@example.com)",
		r.Members, r.Categories, r.Threads, r.Posts, r.Duration.Round(time.Millisecond), r.Password)
}

// generator holds the run's state. Only the goroutine generating threads
// uses rng once members and categories are made, so output is deterministic.
type generator struct {
	opt                   Options
	rng                   *rand.Rand
	markup                forum.Markup
	text                  *textGen
	start, now            time.Time
	members               []*forum.Member // index ID-1, in order of joining
	staff, heavy, regular []int64         // member IDs, sorted
	cats                  []*forum.Category
	defs                  []catDef  // parallel to cats
	catCum                []float64 // cumulative category weights
	nextPost              int64
}

// Run generates opt's data into st, which must hold no members yet, and
// writes progress lines to out (which may be nil).
func Run(ctx context.Context, st forum.Store, markup forum.Markup, opt Options, out io.Writer) (Report, error) {
	began := time.Now()
	if out == nil {
		out = io.Discard
	}
	opt, err := opt.normalize()
	if err != nil {
		return Report{}, err
	}
	n, err := st.CountMembers(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("seed: count members: %w", err)
	}
	if n > 0 {
		return Report{}, fmt.Errorf("seed: the database already has %d members; seed needs an empty database", n)
	}
	hash, err := password.Hash(Password)
	if err != nil {
		return Report{}, fmt.Errorf("seed: %w", err)
	}

	rng := newRand(opt.Seed)
	g := &generator{opt: opt, rng: rng, markup: markup, now: opt.Now, start: opt.Now.AddDate(-5, 0, 0)}
	g.makeMembers(hash)
	g.makeCategories()
	g.text = newTextGen(rng, markup)

	bar := opt.Progress
	defer bar.Done()
	bar.Stage("importing members", int64(len(g.members)), progress.Rows)
	for i := 0; i < len(g.members); i += membersPerBatch {
		b := &forum.ImportBatch{Members: g.members[i:min(i+membersPerBatch, len(g.members))]}
		if i == 0 {
			b.Categories = g.cats
		}
		if err := st.Import(ctx, b); err != nil {
			return Report{}, fmt.Errorf("seed: import members: %w", err)
		}
		bar.Add(int64(len(b.Members)))
	}
	fmt.Fprintf(out, "members %d, categories %d (every member's password is %q; admin is admin@example.com) %.1fs\n",
		len(g.members), len(g.cats), Password, time.Since(began).Seconds())

	if err := g.importThreads(ctx, st, out, began); err != nil {
		return Report{}, err
	}

	t := time.Now()
	bar.Stage("recounting", 0, progress.Rows)
	if _, err := st.Recount(ctx); err != nil {
		return Report{}, fmt.Errorf("seed: recount: %w", err)
	}
	fmt.Fprintf(out, "recount %.1fs\n", time.Since(t).Seconds())
	// The index in one segment, as the server's upkeep keeps it (see
	// app.mergeSearch): imported in batches, it is in a dozen and more.
	t = time.Now()
	bar.Stage("merging the search index", 0, progress.Rows)
	for merged := true; merged; {
		if merged, err = st.MergeSearch(ctx, 50000); err != nil {
			return Report{}, fmt.Errorf("seed: merge the search index: %w", err)
		}
	}
	r := Report{Members: opt.Members, Categories: opt.Categories, Threads: opt.Threads, Posts: opt.Posts,
		Duration: time.Since(began), Password: Password}
	fmt.Fprintf(out, "search index merged %.1fs\n%s\n", time.Since(t).Seconds(), r)
	return r, nil
}

// importThreads generates threads in one goroutine while this one imports
// the previous batch: generating (rendering, mostly) and writing each take
// a core.
func (g *generator) importThreads(ctx context.Context, st forum.Store, out io.Writer, began time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *forum.ImportBatch, 1)
	var genErr error
	go func() {
		defer close(batches)
		genErr = g.threads(ctx, batches)
	}()
	var threads, posts int
	g.opt.Progress.Stage("generating and importing posts", int64(g.opt.Posts), progress.Rows)
	for b := range batches {
		if err := st.Import(ctx, b); err != nil {
			cancel()
			for range batches { // let the generator finish
			}
			return fmt.Errorf("seed: import posts %d-%d: %w", posts+1, posts+len(b.Posts), err)
		}
		threads += len(b.Threads)
		posts += len(b.Posts)
		g.opt.Progress.Add(int64(len(b.Posts)))
		fmt.Fprintf(out, "posts %d/%d (%d%%) threads %d/%d %.1fs\n", posts, g.opt.Posts,
			posts*100/g.opt.Posts, threads, g.opt.Threads, time.Since(began).Seconds())
	}
	if genErr != nil {
		return fmt.Errorf("seed: generate: %w", genErr)
	}
	return nil
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewPCG(uint64(seed), 0x6865617274680001)) }

// normalize applies defaults and checks the sizes make sense.
func (o Options) normalize() (Options, error) {
	if o.Categories == 0 {
		o.Categories = 12
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	o.Now = o.Now.UTC().Truncate(time.Millisecond)
	switch {
	case o.Members < 1:
		return o, errors.New("seed: need at least one member (the admin)")
	case o.Threads < 0 || o.Categories < 0:
		return o, errors.New("seed: threads and categories must not be negative")
	case o.Posts < o.Threads:
		return o, fmt.Errorf("seed: %d posts cannot fill %d threads: every thread needs at least one post", o.Posts, o.Threads)
	case o.Posts > 0 && o.Threads == 0:
		return o, fmt.Errorf("seed: %d posts need at least one thread", o.Posts)
	}
	return o, nil
}
