package mail

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth/internal/forum"
	"hearth/internal/render"
)

// NotifyStore is what the notifier reads and writes (internal/store).
type NotifyStore interface {
	WaitingMailNotifications(ctx context.Context, limit int) ([]*forum.MailNotification, error)
	HeldMailNotifications(ctx context.Context, memberID int64, limit int) ([]*forum.MailNotification, error)
	FinishMailNotifications(ctx context.Context, states map[int64]forum.NotifyMailState, mails []*forum.Mail, now time.Time) error
	NotifyMailsSince(ctx context.Context, memberID int64, since time.Time) (int, error)
	MailPrefs(ctx context.Context, memberID int64) (*forum.MailPrefs, error)
	DigestMembers(ctx context.Context) ([]*forum.DigestMember, error)
	DigestThreads(ctx context.Context, f forum.DigestFilter) (fresh, active []*forum.DigestThread, err error)
	FinishDigest(ctx context.Context, memberID int64, at time.Time, m *forum.Mail, held []int64) error
}

// Tokens makes the unsubscribe links (forum.Service.MailToken).
type Tokens interface {
	MailToken(ctx context.Context, purpose string, memberID int64, extra string) (string, error)
}

// Notifier turns notifications into mail as members' preferences say,
// and writes the daily and weekly digests. It runs on the node holding
// the singleton lease; what it writes is keyed (the first notification of
// a mail, the member and period of a digest) and recorded in the same
// transaction as the mail, so a round repeated after a crash sends
// nothing twice.
type Notifier struct {
	Store    NotifyStore
	Tokens   Tokens
	Identity Identity
	BaseURL  string
	// ReadWindow is how long a notification waits before it is mailed: if
	// the member reads the post or is on the site meanwhile, it is not.
	// Every notification of the thread that arrived by then is in the
	// same mail.
	ReadWindow time.Duration
	DailyCap   int              // notification mails a member gets a day at most; 0 for 20
	Now        func() time.Time // nil: time.Now
	Held       func() bool      // nil: always
	Wake       func()           // called after mail was enqueued (the worker's Notify)
	// ReplyTo, if set, gives a mail's Reply-To: the member's reply
	// address for the thread (forum.Service.ReplyAddress), where a reply
	// becomes a post. nil when the forum takes no mail (no --smtp-listen).
	ReplyTo func(ctx context.Context, memberID, threadID int64) (string, error)
	// SiteName, if set, is the community's name as the admin set it
	// (forum.Service.SiteName); else Identity.SiteName.
	SiteName func() string
	Log      *slog.Logger
}

// DefaultReadWindow and DefaultDailyCap are serve's defaults.
const (
	DefaultReadWindow = 10 * time.Minute
	DefaultDailyCap   = 20
)

// maxNotifyAge is how old a notification may be and still be mailed:
// older ones (the forum sent no mail for days) are news no more.
const maxNotifyAge = 48 * time.Hour

// DigestHour is when digests are written, in each member's time zone.
const DigestHour = 7

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Run makes rounds until ctx ends: notification mail often, digests every
// minute.
func (n *Notifier) Run(ctx context.Context) {
	tick := min(max(n.ReadWindow/4, 200*time.Millisecond), time.Minute)
	t := time.NewTicker(tick)
	defer t.Stop()
	var lastDigest time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.Held != nil && !n.Held() {
			continue
		}
		sent, err := n.Round(ctx)
		if err != nil && ctx.Err() == nil {
			n.Log.Warn("notification mail round failed (tried again)", "err", err)
		}
		if time.Since(lastDigest) >= time.Minute {
			lastDigest = time.Now()
			d, err := n.Digests(ctx)
			if err != nil && ctx.Err() == nil {
				n.Log.Warn("digest round failed (tried again)", "err", err)
			}
			sent += d
		}
		if sent > 0 && n.Wake != nil {
			n.Wake()
		}
	}
}

// roundSize bounds the notifications one round looks at.
const roundSize = 2000

// Round mails the notifications whose window has passed, one mail per
// member and thread, and returns how many mails it enqueued. It takes
// them a batch at a time until a batch decides nothing or is the last.
func (n *Notifier) Round(ctx context.Context) (int, error) {
	mailed := 0
	for {
		m, decided, full, err := n.batch(ctx)
		mailed += m
		if err != nil || decided == 0 || !full {
			return mailed, err
		}
	}
}

// batch decides on the oldest waiting notifications: how many mails it
// enqueued, how many notifications it decided, and whether the batch was
// full (more may wait).
func (n *Notifier) batch(ctx context.Context) (mailed, decided int, full bool, err error) {
	now := n.now()
	ns, err := n.Store.WaitingMailNotifications(ctx, roundSize)
	if err != nil || len(ns) == 0 {
		return 0, 0, false, err
	}
	full = len(ns) == roundSize
	type key struct{ member, thread int64 }
	groups := map[key][]*forum.MailNotification{}
	var order []key
	for _, x := range ns {
		k := key{x.MemberID, x.ThreadID}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], x)
	}
	states := map[int64]forum.NotifyMailState{}
	var mails []*forum.Mail
	prefs := map[int64]*forum.MailPrefs{}
	sentToday := map[int64]int{}
	for _, k := range order {
		g := groups[k]
		if now.Sub(g[0].CreatedAt) < n.ReadWindow {
			continue // the oldest waits: so do the others of its thread, to go in one mail
		}
		p, ok := prefs[k.member]
		if !ok {
			if p, err = n.Store.MailPrefs(ctx, k.member); err != nil {
				return 0, 0, false, err
			}
			prefs[k.member] = p
		}
		var send []*forum.MailNotification
		for _, x := range g {
			st := decide(x, p, now)
			states[x.ID] = st
			if st == forum.NotifyMailSent {
				send = append(send, x)
			}
		}
		if len(send) == 0 {
			continue
		}
		if _, ok := sentToday[k.member]; !ok {
			c, err := n.Store.NotifyMailsSince(ctx, k.member, now.Add(-24*time.Hour))
			if err != nil {
				return 0, 0, false, err
			}
			sentToday[k.member] = c
		}
		if sentToday[k.member] >= cmp.Or(n.DailyCap, DefaultDailyCap) {
			for _, x := range send {
				states[x.ID] = forum.NotifyMailSkipped // the bell still has it
			}
			continue
		}
		m, err := n.threadMail(ctx, send, p)
		if err != nil {
			return 0, 0, false, err
		}
		mails = append(mails, m)
		sentToday[k.member]++
	}
	if err := n.Store.FinishMailNotifications(ctx, states, mails, now); err != nil {
		return 0, 0, false, err
	}
	return len(mails), len(states), full, nil
}

// decide is what becomes of one notification whose window has passed.
func decide(x *forum.MailNotification, p *forum.MailPrefs, now time.Time) forum.NotifyMailState {
	list := forum.ListOf(x.Kind)
	switch {
	case list == "", !x.MayRead, x.ActorID == x.MemberID, now.Sub(x.CreatedAt) > maxNotifyAge:
		return forum.NotifyMailSkipped
	case x.PostPosition > 0 && x.ReadPosition >= x.PostPosition:
		return forum.NotifyMailSkipped // read on the site meanwhile
	case x.LastVisitAt.After(x.CreatedAt):
		return forum.NotifyMailSkipped // on the site since: the bell told them
	}
	switch p.Of(list) {
	case forum.FreqInstant:
		return forum.NotifyMailSent
	case forum.FreqDaily, forum.FreqWeekly:
		return forum.NotifyMailHeld
	}
	return forum.NotifyMailSkipped
}

// kindOrder ranks what a mail of several notifications is about.
var kindOrder = []forum.NotificationKind{forum.NotifyMention, forum.NotifyQuote, forum.NotifyReply, forum.NotifyPost, forum.NotifyThread}

func rank(k forum.NotificationKind) int {
	if i := slices.Index(kindOrder, k); i >= 0 {
		return i
	}
	return len(kindOrder)
}

// threadMail is the one mail about a thread's notifications ns (oldest
// first) for one member.
func (n *Notifier) threadMail(ctx context.Context, ns []*forum.MailNotification, p *forum.MailPrefs) (*forum.Mail, error) {
	first := ns[0]
	main := slices.MinFunc(ns, func(a, b *forum.MailNotification) int { return cmp.Compare(rank(a.Kind), rank(b.Kind)) })
	list := forum.ListOf(main.Kind)
	title := "“" + first.ThreadTitle + "”"
	subject := fmt.Sprintf("%d new posts in %s", len(ns), title)
	if len(ns) == 1 {
		subject = line(main) + " " + title
	}
	loc := p.Location()
	var text, body strings.Builder
	fmt.Fprintf(&text, "Hello %s,\n\n", first.Name)
	fmt.Fprintf(&body, "<p>Hello %s,</p>", html.EscapeString(first.Name))
	for _, x := range ns {
		link := n.BaseURL + forum.PostURL(x.PostID)
		when := x.CreatedAt.In(loc).Format("Mon 2 Jan, 15:04 MST")
		ex := render.HTMLExcerpt(x.PostHTML, 400)
		fmt.Fprintf(&text, "%s %s (%s):\n\n", line(x), title, when)
		for _, l := range strings.Split(ex, "\n") {
			fmt.Fprintf(&text, "> %s\n", l)
		}
		fmt.Fprintf(&text, "\nRead it: %s\n\n", link)
		fmt.Fprintf(&body, `<p><strong>%s</strong> %s <span style="color:#666">(%s)</span></p><blockquote>%s</blockquote><p><a href="%s">Read it on the forum</a></p>`,
			html.EscapeString(line(x)), html.EscapeString(title), html.EscapeString(when), html.EscapeString(ex), html.EscapeString(link))
	}
	m := &forum.Mail{
		Key: fmt.Sprintf("notify:%d:%d", first.MemberID, first.ID), Kind: "notify." + list,
		MemberID: first.MemberID, To: first.Email, Sender: forum.SenderNotify, Subject: subject,
	}
	thread := fmt.Sprintf("<thread-%d@%s>", first.ThreadID, n.Identity.Domain)
	headers := map[string]string{"In-Reply-To": thread, "References": thread}
	if n.ReplyTo != nil {
		addr, err := n.ReplyTo(ctx, first.MemberID, first.ThreadID)
		if err != nil {
			return nil, err
		}
		headers["Reply-To"] = addr
		text.WriteString("Reply to this mail to post your answer in the thread.\n\n")
		body.WriteString(`<p style="color:#666">Reply to this mail to post your answer in the thread.</p>`)
	}
	foot, footHTML, err := n.unsubscribe(ctx, first.MemberID, list, headers, "you chose to hear of "+forum.ListLabel(list)+" instantly")
	if err != nil {
		return nil, err
	}
	m.Text, m.HTML, m.Headers = text.String()+foot, body.String()+footHTML, headers
	return m, nil
}

// line says what one notification is, before the thread's title.
func line(x *forum.MailNotification) string {
	who := cmp.Or(x.ActorName, "Someone")
	switch x.Kind {
	case forum.NotifyMention:
		return who + " mentioned you in"
	case forum.NotifyQuote:
		return who + " quoted you in"
	case forum.NotifyReply:
		return who + " replied in"
	case forum.NotifyThread:
		return who + " started a thread in a category you watch:"
	}
	return who + " posted in"
}

// unsubscribe adds the list headers (RFC 2369, RFC 8058 one-click) for
// list to headers and returns the footer of the mail's parts, which says
// why the member gets it (what).
func (n *Notifier) unsubscribe(ctx context.Context, member int64, list string, headers map[string]string, what string) (string, string, error) {
	tok, err := n.Tokens.MailToken(ctx, forum.TokenUnsubscribe, member, list)
	if err != nil {
		return "", "", err
	}
	link := n.BaseURL + "/unsubscribe/" + tok
	headers["List-Unsubscribe"] = "<" + link + ">, <mailto:unsubscribe+" + tok + "@" + n.Identity.Domain + ">"
	headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	headers["List-Id"] = fmt.Sprintf("%s %s <%s.%s>", quoteName(n.siteName()), list, list, n.Identity.Domain)
	settings := n.BaseURL + "/settings/mail"
	text := fmt.Sprintf("-- \nYou get this mail because %s.\nUnsubscribe: %s\nAll your mail settings: %s\n", what, link, settings)
	body := fmt.Sprintf(`<hr><p style="color:#666;font-size:small">You get this mail because %s. <a href="%s">Unsubscribe</a> · <a href="%s">All your mail settings</a></p>`,
		html.EscapeString(what), html.EscapeString(link), html.EscapeString(settings))
	return text, body, nil
}

// quoteName keeps a site name usable as a List-Id phrase.
func quoteName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < ' ' {
			return -1
		}
		return r
	}, s)
	return strconv.Quote(s)
}

// Digests writes the digest of every member whose period (the day, or
// the week from Monday, starting at DigestHour in their time zone) has
// begun since their last one, and returns how many mails it enqueued.
// A member with nothing to read gets no mail; the period counts as done.
func (n *Notifier) Digests(ctx context.Context) (int, error) {
	now := n.now()
	ms, err := n.Store.DigestMembers(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, dm := range ms {
		ok, err := n.digest(ctx, dm, now)
		if err != nil {
			return sent, fmt.Errorf("digest of member %d: %w", dm.ID, err)
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// digestPeriod is daily if any list is daily, else weekly.
func digestPeriod(p *forum.MailPrefs) forum.MailFrequency {
	for _, l := range forum.MailLists {
		if p.Of(l.Name) == forum.FreqDaily {
			return forum.FreqDaily
		}
	}
	return forum.FreqWeekly
}

// PeriodStart is when the digest period holding now began: DigestHour
// today (or on Monday, weekly) in loc, or the one before if that is
// still to come.
func PeriodStart(now time.Time, loc *time.Location, period forum.MailFrequency) time.Time {
	l := now.In(loc)
	start := time.Date(l.Year(), l.Month(), l.Day(), DigestHour, 0, 0, 0, loc)
	days := 1
	if period == forum.FreqWeekly {
		start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
		days = 7
	}
	if start.After(l) {
		start = start.AddDate(0, 0, -days)
	}
	return start
}

func (n *Notifier) digest(ctx context.Context, dm *forum.DigestMember, now time.Time) (bool, error) {
	p := &dm.Prefs
	period := digestPeriod(p)
	start := PeriodStart(now, p.Location(), period)
	if !p.LastDigestAt.Before(start) || (p.LastDigestAt.IsZero() && dm.CreatedAt.After(start)) {
		return false, nil // done for this period, or joined during it: the next one is theirs
	}
	length := 24 * time.Hour
	if period == forum.FreqWeekly {
		length = 7 * 24 * time.Hour
	}
	since := start.Add(-length)
	for _, t := range []time.Time{p.LastDigestAt, dm.LastVisitAt} {
		if t.After(since) {
			since = t
		}
	}
	held, err := n.Store.HeldMailNotifications(ctx, dm.ID, 200)
	if err != nil {
		return false, err
	}
	var heldIDs []int64
	var items []*forum.MailNotification
	for _, x := range held {
		heldIDs = append(heldIDs, x.ID)
		if x.MayRead && now.Sub(x.CreatedAt) <= 8*24*time.Hour {
			items = append(items, x)
		}
	}
	var fresh, active []*forum.DigestThread
	if p.Of(forum.ListDigest) != forum.FreqNever {
		if fresh, active, err = n.Store.DigestThreads(ctx, forum.DigestFilter{Access: forum.AccessOf(&dm.Member), Since: since, Limit: 8}); err != nil {
			return false, err
		}
	}
	var m *forum.Mail
	if len(items) > 0 || len(fresh) > 0 || len(active) > 0 {
		if m, err = n.digestMail(ctx, dm, period, start, items, fresh, active); err != nil {
			return false, err
		}
	}
	return m != nil, n.Store.FinishDigest(ctx, dm.ID, now, m, heldIDs)
}

func (n *Notifier) digestMail(ctx context.Context, dm *forum.DigestMember, period forum.MailFrequency, start time.Time,
	items []*forum.MailNotification, fresh, active []*forum.DigestThread) (*forum.Mail, error) {
	word := map[forum.MailFrequency]string{forum.FreqDaily: "daily", forum.FreqWeekly: "weekly"}[period]
	var text, body strings.Builder
	fmt.Fprintf(&text, "Hello %s,\n\nYour %s digest of %s, %s.\n\n", dm.Name, word, n.siteName(), start.Format("Monday 2 January"))
	fmt.Fprintf(&body, "<p>Hello %s,</p><p>Your %s digest of %s, %s.</p>", html.EscapeString(dm.Name), word,
		html.EscapeString(n.siteName()), html.EscapeString(start.Format("Monday 2 January")))
	threadLink := func(id int64, slug string) string { return n.BaseURL + "/t/" + strconv.FormatInt(id, 10) + "/" + slug }
	if len(items) > 0 {
		text.WriteString("FOR YOU\n\n")
		body.WriteString("<h2>For you</h2><ul>")
		loc := dm.Prefs.Location()
		for _, x := range items {
			link := n.BaseURL + forum.PostURL(x.PostID)
			when := x.CreatedAt.In(loc).Format("Mon 2 Jan, 15:04")
			fmt.Fprintf(&text, "- %s “%s” (%s): %s\n", line(x), x.ThreadTitle, when, link)
			fmt.Fprintf(&body, `<li>%s <a href="%s">%s</a> (%s)</li>`, html.EscapeString(line(x)), html.EscapeString(link), html.EscapeString(x.ThreadTitle), when)
		}
		text.WriteString("\n")
		body.WriteString("</ul>")
	}
	section := func(head string, ts []*forum.DigestThread, count func(*forum.DigestThread) string) {
		if len(ts) == 0 {
			return
		}
		fmt.Fprintf(&text, "%s\n\n", strings.ToUpper(head))
		fmt.Fprintf(&body, "<h2>%s</h2><ul>", html.EscapeString(head))
		for _, t := range ts {
			link := threadLink(t.ID, t.Slug)
			fmt.Fprintf(&text, "- %s (%s, %s)\n  %s\n", t.Title, t.Category, count(t), link)
			fmt.Fprintf(&body, `<li><a href="%s">%s</a> <span style="color:#666">(%s, %s)</span>`, html.EscapeString(link), html.EscapeString(t.Title),
				html.EscapeString(t.Category), html.EscapeString(count(t)))
			if ex := render.HTMLExcerpt(t.Excerpt, 200); ex != "" {
				fmt.Fprintf(&text, "  %s\n", ex)
				fmt.Fprintf(&body, "<br>%s", html.EscapeString(ex))
			}
			body.WriteString("</li>")
		}
		text.WriteString("\n")
		body.WriteString("</ul>")
	}
	section("New threads", fresh, func(t *forum.DigestThread) string { return "started by " + cmp.Or(t.AuthorName, "someone") })
	section("Most active", active, func(t *forum.DigestThread) string {
		if t.PostsSince == 1 {
			return "1 new post"
		}
		return strconv.Itoa(t.PostsSince) + " new posts"
	})
	headers := map[string]string{}
	foot, footHTML, err := n.unsubscribe(ctx, dm.ID, forum.ListDigest, headers, "you chose a "+word+" digest")
	if err != nil {
		return nil, err
	}
	return &forum.Mail{
		Key:  fmt.Sprintf("digest:%d:%s", dm.ID, start.Format("2006-01-02")),
		Kind: "digest." + word, MemberID: dm.ID, To: dm.Email, Sender: forum.SenderNotify,
		Subject: fmt.Sprintf("Your %s digest of %s", word, n.siteName()),
		Text:    text.String() + foot, HTML: body.String() + footHTML, Headers: headers,
	}, nil
}

func (n *Notifier) siteName() string {
	if n.SiteName != nil {
		if s := n.SiteName(); s != "" {
			return s
		}
	}
	return n.Identity.SiteName
}
