// Package demo fills an empty forum with a small, believable community of
// travel agents for `hearth serve --demo`: a few members with profiles, the
// usual categories and a dozen conversations.
//
// Everything goes through forum.Service, so the data passes the same
// validation, rendering and counter updates as real use.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hearth/internal/forum"
)

// Login is a demo account to print for whoever runs the demo.
type Login struct{ Email, Password, Role string }

// event is one write of the script, at a point in demo time.
type event struct {
	at     time.Time
	thread int // index into script
	post   int // index into the thread's posts; -1 to pin the thread
	edit   bool
}

// Fill creates the demo community in an empty forum and returns the demo
// logins. It refuses a forum that has members. Posts are dated over the
// three weeks before now, in order; the Service's clock is set to the real
// time again when Fill returns.
func Fill(ctx context.Context, svc *forum.Service) ([]Login, error) {
	empty, err := svc.SetupRequired(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if !empty {
		return nil, errors.New("demo: the forum already has members; the demo needs an empty database")
	}

	// The Service stamps its own clock; moving it lets the demo have a past.
	var clock time.Time
	svc.SetClock(func() time.Time { return clock })
	defer svc.SetClock(func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) })
	base := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -20)

	members := map[string]*forum.Member{}
	var logins []Login
	for i, p := range people {
		clock = base.AddDate(0, 0, -60+i*7) // members joined before the conversations
		m, err := svc.CreateMember(ctx, forum.NewMember{Email: p.email, Name: p.name, Password: p.password, Role: p.role})
		if err != nil {
			return nil, fmt.Errorf("demo: member %s: %w", p.email, err)
		}
		m, err = svc.UpdateProfile(ctx, m, m.ID, forum.ProfileUpdate{Name: p.name, Title: p.title, Location: p.location, Bio: p.bio})
		if err != nil {
			return nil, fmt.Errorf("demo: profile of %s: %w", p.email, err)
		}
		members[p.key] = m
		logins = append(logins, Login{Email: p.email, Password: p.password, Role: string(p.role)})
	}
	admin := members["hannah"]

	cats := map[string]int64{}
	for _, c := range categories {
		c.in.ParentID = cats[c.parent]
		cat, err := svc.CreateCategory(ctx, admin, c.in)
		if err != nil {
			return nil, fmt.Errorf("demo: category %s: %w", c.in.Name, err)
		}
		cats[c.in.Name] = cat.ID
	}

	// Lay the script out in time, then play it in time order, so threads
	// interleave as they would on a real forum.
	var events []event
	for ti, th := range script {
		at := base.Add(th.start)
		for pi, p := range th.posts {
			at = at.Add(p.after)
			events = append(events, event{at: at, thread: ti, post: pi})
			if p.edit[0] != "" {
				events = append(events, event{at: at.Add(2 * time.Hour), thread: ti, post: pi, edit: true})
			}
		}
		if th.pin {
			events = append(events, event{at: base.Add(th.start + time.Minute), thread: ti, post: -1})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.at.UnixMilli(), b.at.UnixMilli()) })

	threads := make([]*forum.Thread, len(script))
	posts := make([][]*forum.Post, len(script))
	for _, e := range events {
		clock = e.at
		th := script[e.thread]
		if err := play(ctx, svc, e, th, members, admin, cats, threads, posts); err != nil {
			return nil, fmt.Errorf("demo: thread %q: %w", th.title, err)
		}
	}
	return logins, nil
}

// play performs one event, recording created threads and posts.
func play(ctx context.Context, svc *forum.Service, e event, th thread, members map[string]*forum.Member,
	admin *forum.Member, cats map[string]int64, threads []*forum.Thread, posts [][]*forum.Post) error {
	if e.post < 0 {
		return svc.SetThreadFlags(ctx, admin, threads[e.thread].ID, true, false)
	}
	p := th.posts[e.post]
	who := members[p.who]
	if e.edit {
		mine := posts[e.thread][e.post]
		edited := strings.Replace(mine.Body, p.edit[0], p.edit[1], 1)
		if edited == mine.Body {
			return fmt.Errorf("post %d: edit finds no %q", e.post+1, p.edit[0])
		}
		_, err := svc.EditPost(ctx, who, mine.ID, edited)
		return err
	}
	if e.post == 0 {
		t, first, err := svc.CreateThread(ctx, who, forum.NewThread{CategoryID: cats[th.cat], Title: th.title, Body: p.body})
		if err != nil {
			return err
		}
		threads[e.thread], posts[e.thread] = t, []*forum.Post{first}
		return nil
	}
	var quote int64
	if p.quote > 0 {
		quote = posts[e.thread][p.quote-1].ID
	}
	reply, err := svc.Reply(ctx, who, threads[e.thread].ID, p.body, quote)
	if err != nil {
		return err
	}
	posts[e.thread] = append(posts[e.thread], reply)
	return nil
}
