package seed

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
)

// makeCategories takes the first opt.Categories of the catalogue; past its
// end, every extra one is a destination under "Destinations".
func (g *generator) makeCategories() {
	positions := map[int64]int{}
	var total float64
	for i := range g.opt.Categories {
		var d catDef
		if i < len(catalogue) {
			d = catalogue[i]
		} else {
			k := i - len(catalogue)
			p := allPlaces[k%len(allPlaces)]
			d = catDef{name: strings.ToUpper(p[:1]) + p[1:], desc: "Trip reports and questions about " + p + ".",
				topic: "dest", parent: 1, weight: 0.3, places: []string{p}}
			if k >= len(allPlaces) {
				d.name += " " + strconv.Itoa(k/len(allPlaces)+1)
			}
		}
		c := &forum.Category{ID: int64(i + 1), Name: d.name, Slug: forum.Slugify(d.name),
			Description: d.desc, MembersOnly: d.membersOnly}
		if d.parent >= 0 {
			c.ParentID = int64(d.parent + 1)
		}
		positions[c.ParentID]++
		c.Position = positions[c.ParentID]
		g.cats = append(g.cats, c)
		g.defs = append(g.defs, d)
		total += d.weight
		g.catCum = append(g.catCum, total)
	}
}

// category picks a category index, weighted.
func (g *generator) category() int {
	r := g.rng.Float64() * g.catCum[len(g.catCum)-1]
	return min(sort.SearchFloat64s(g.catCum, r), len(g.catCum)-1)
}

// lengths splits opt.Posts among opt.Threads threads, each at least one
// post, the rest drawn from a capped Lomax (Pareto II) distribution: most
// threads get a handful of posts, a few get hundreds. The total is exact.
func (g *generator) lengths() []int {
	n, extra := g.opt.Threads, g.opt.Posts-g.opt.Threads
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = min(math.Pow(1-g.rng.Float64(), -1/1.2)-1, 200)
		sum += w[i]
	}
	ls := make([]int, n)
	left := extra
	for i := range ls {
		k := 0
		if sum > 0 {
			k = int(float64(extra) * w[i] / sum)
		}
		ls[i] = 1 + k
		left -= k
	}
	for ; left > 0; left-- { // rounding leftovers
		ls[g.rng.IntN(n)]++
	}
	return ls
}

// postTimes returns n increasing times from t0, no later than g.now: a
// thread lasts hours to months, with random (exponential) gaps.
func (g *generator) postTimes(t0 time.Time, n int) []time.Time {
	ts := make([]time.Time, n)
	ts[0] = t0
	if n == 1 {
		return ts
	}
	avail := g.now.Sub(t0)
	minGap := min(time.Second, avail/time.Duration(n))
	span := time.Duration(float64(n-1) * g.rng.ExpFloat64() * float64(4*time.Hour))
	span = min(span, 120*24*time.Hour, avail-minGap*time.Duration(n))
	gaps := make([]float64, n-1)
	var sum float64
	for i := range gaps {
		gaps[i] = g.rng.ExpFloat64()
		sum += gaps[i]
	}
	var acc float64
	for i := 1; i < n; i++ {
		acc += gaps[i-1]
		d := time.Duration(i)*minGap + time.Duration(float64(span)*acc/sum)
		ts[i] = t0.Add(d).Truncate(time.Millisecond)
	}
	return ts
}

// thread makes thread id, started at t0, with n posts.
func (g *generator) thread(id int64, t0 time.Time, n int) (*forum.Thread, []*forum.Post, error) {
	ci := g.category()
	d := g.defs[ci]
	news := d.topic == "news"
	title := g.text.title(d.topic, d.places)
	t := &forum.Thread{ID: id, CategoryID: g.cats[ci].ID, Title: title, Slug: forum.Slugify(title), CreatedAt: t0,
		AuthorID: g.author(t0, news), Sticky: news && g.rng.Float64() < 0.25, Locked: !news && g.rng.Float64() < 0.01}
	times := g.postTimes(t0, n)
	posts := make([]*forum.Post, n)
	for i := range n {
		author := t.AuthorID
		if i > 0 {
			author = g.author(times[i], false)
			if author == posts[i-1].AuthorID { // people rarely answer themselves
				author = g.author(times[i], false)
			}
		}
		md, html, err := g.text.body(i == 0)
		if err != nil {
			return nil, nil, err
		}
		g.nextPost++
		p := &forum.Post{ID: g.nextPost, ThreadID: id, AuthorID: author, Position: i + 1,
			Body: md, HTML: html, CreatedAt: times[i]}
		if i > 0 && g.rng.Float64() < 0.07 {
			if err := g.quote(p, posts[:i]); err != nil {
				return nil, nil, err
			}
		}
		if g.rng.Float64() < 0.03 {
			p.EditedAt = times[i].Add(time.Duration(1+g.rng.IntN(180)) * time.Minute)
			if p.EditedAt.After(g.now) {
				p.EditedAt = g.now
			}
		}
		posts[i] = p
	}
	last := posts[n-1]
	t.PostCount, t.LastPosition = n, n
	t.LastPostAt, t.LastPostID, t.LastPosterID = last.CreatedAt, last.ID, last.AuthorID
	return t, posts, nil
}

// quote puts an earlier post of the thread on top of p, as the Service's
// Reply does: usually the post just before, sometimes an older one.
func (g *generator) quote(p *forum.Post, earlier []*forum.Post) error {
	q := earlier[len(earlier)-1]
	if len(earlier) > 1 && g.rng.Float64() < 0.3 {
		q = earlier[g.rng.IntN(len(earlier)-1)]
	}
	md := g.markup.Quote(g.members[q.AuthorID-1].Name, forum.PostURL(q.ID), q.Body)
	html, err := g.markup.Render(md)
	if err != nil {
		return err
	}
	p.Body, p.HTML, p.QuotePostID = md+p.Body, html+p.HTML, q.ID
	return nil
}

// threads generates every thread and post and sends them in batches of
// about batchPosts posts, each with the threads its posts belong to.
func (g *generator) threads(ctx context.Context, out chan<- *forum.ImportBatch) error {
	n := g.opt.Threads
	lengths := g.lengths()
	started := g.spread(n, g.start.Add(time.Hour), g.now.Add(-time.Hour))
	b := &forum.ImportBatch{}
	for i := range n {
		t, posts, err := g.thread(int64(i+1), started[i], lengths[i])
		if err != nil {
			return err
		}
		b.Threads = append(b.Threads, t)
		b.Posts = append(b.Posts, posts...)
		if len(b.Posts) >= batchPosts || i == n-1 {
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = &forum.ImportBatch{Posts: make([]*forum.Post, 0, batchPosts+100)}
		}
	}
	return nil
}
