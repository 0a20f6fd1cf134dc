package seed

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"time"

	"hearth/internal/forum"
)

// makeMembers makes opt.Members members, IDs in order of joining: the admin
// first, then a few moderators among the earliest members. Everyone shares
// hash, the one password hash computed for the run.
func (g *generator) makeMembers(hash string) {
	n := g.opt.Members
	joined := g.spread(n, g.start, g.now.Add(-24*time.Hour))
	joined[0] = g.start
	mods := min(max(n/2000, 1), 6)
	g.members = make([]*forum.Member, n)
	g.staff = []int64{1}
	for i := range n {
		first, last := pick(g.rng, firstNames), pick(g.rng, lastNames)
		m := &forum.Member{
			ID:           int64(i + 1),
			Name:         first + " " + last,
			Email:        forum.Slugify(first) + "." + forum.Slugify(last) + strconv.Itoa(i+1) + "@example.com",
			PasswordHash: hash,
			Role:         forum.RoleMember,
			Status:       forum.StatusActive,
			CreatedAt:    joined[i],
		}
		if g.rng.Float64() < 0.6 {
			m.Title = pick(g.rng, jobTitles) + ", " + pick(g.rng, agencies)
		}
		if g.rng.Float64() < 0.75 {
			m.Location = pick(g.rng, locations)
		}
		if g.rng.Float64() < 0.2 {
			m.Bio = pick(g.rng, bios)
		}
		switch {
		case i == 0:
			m.Role, m.Email, m.Title = forum.RoleAdmin, "admin@example.com", "Community manager"
		case i <= mods && n > 1:
			m.Role = forum.RoleModerator
			g.staff = append(g.staff, m.ID)
		}
		g.members[i] = m
	}

	// ~1% of members ("heavy") write ~30% of posts and the next ~9%
	// ("regular") another ~25%: a crude power law, which is what forum
	// activity looks like.
	perm := g.rng.Perm(n)
	nh := max(n/100, 1)
	nr := max(n/10, 1) - nh
	for i, p := range perm {
		switch {
		case i < nh:
			g.heavy = append(g.heavy, int64(p+1))
		case i < nh+nr:
			g.regular = append(g.regular, int64(p+1))
		}
	}
	slices.Sort(g.heavy)
	slices.Sort(g.regular)
}

// spread returns n times in [from, to], sorted, denser towards to: forums
// grow, so recent years see more members and threads than early ones.
func (g *generator) spread(n int, from, to time.Time) []time.Time {
	d := float64(to.Sub(from))
	out := make([]time.Time, n)
	for i := range out {
		out[i] = from.Add(time.Duration(d * math.Sqrt(g.rng.Float64()))).Truncate(time.Millisecond)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// author picks who writes a post at time t among those who had joined by
// then: heavy writers first, then regular ones, else anyone. staffOnly is
// for announcements.
func (g *generator) author(t time.Time, staffOnly bool) int64 {
	joined, _ := slices.BinarySearchFunc(g.members, t, func(m *forum.Member, t time.Time) int {
		return cmp.Compare(m.CreatedAt.UnixMilli(), t.UnixMilli()+1)
	})
	joined = max(joined, 1) // the admin is always there
	within := func(ids []int64) int64 {
		k, _ := slices.BinarySearch(ids, int64(joined)+1)
		if k == 0 {
			return 0
		}
		return ids[g.rng.IntN(k)]
	}
	if staffOnly {
		if id := within(g.staff); id != 0 {
			return id
		}
		return 1
	}
	r := g.rng.Float64()
	var id int64
	switch {
	case r < 0.3:
		id = within(g.heavy)
	case r < 0.55:
		id = within(g.regular)
	}
	if id == 0 {
		id = int64(1 + g.rng.IntN(joined))
	}
	return id
}
