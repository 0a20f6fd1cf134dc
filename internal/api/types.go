package api

import (
	"fmt"
	"time"

	"hearth/internal/forum"
)

// The JSON shapes of API v1. They are separate from the domain types so the
// API stays stable while the domain evolves.

type memberJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Handle    string    `json:"handle"`
	Email     string    `json:"email,omitempty"` // only to the member themselves and admins
	Role      string    `json:"role"`
	Status    string    `json:"status"`
	Title     string    `json:"title,omitempty"`
	Location  string    `json:"location,omitempty"`
	Bio       string    `json:"bio,omitempty"`
	PostCount int       `json:"post_count"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url"`

	LikesGiven    int `json:"likes_given"`
	LikesReceived int `json:"likes_received"`
}

func toMember(m *forum.Member, viewer *forum.Member) memberJSON {
	j := memberJSON{ID: m.ID, Name: m.Name, Handle: m.Handle, LikesGiven: m.LikesGiven, LikesReceived: m.LikesReceived, Role: string(m.Role), Status: string(m.Status), Title: m.Title,
		Location: m.Location, Bio: m.Bio, PostCount: m.PostCount, CreatedAt: m.CreatedAt, URL: fmt.Sprintf("/m/%d", m.ID)}
	if viewer != nil && (viewer.ID == m.ID || viewer.IsAdmin()) {
		j.Email = m.Email
	}
	return j
}

type categoryJSON struct {
	ID          int64          `json:"id"`
	ParentID    int64          `json:"parent_id,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Position    int            `json:"position"`
	MembersOnly bool           `json:"members_only"`
	StaffOnly   bool           `json:"staff_only"`
	ThreadCount int            `json:"thread_count"`
	PostCount   int            `json:"post_count"`
	LastPostAt  *time.Time     `json:"last_post_at,omitempty"`
	URL         string         `json:"url"`
	Children    []categoryJSON `json:"children,omitempty"`
}

func toCategory(c *forum.Category) categoryJSON {
	j := categoryJSON{ID: c.ID, ParentID: c.ParentID, Name: c.Name, Description: c.Description, Position: c.Position,
		MembersOnly: c.MembersOnly, StaffOnly: c.StaffOnly, ThreadCount: c.ThreadCount, PostCount: c.PostCount, LastPostAt: timePtr(c.LastPostAt),
		URL: fmt.Sprintf("/c/%d/%s", c.ID, c.Slug)}
	for _, ch := range c.Children {
		j.Children = append(j.Children, toCategory(ch))
	}
	return j
}

type threadJSON struct {
	ID             int64     `json:"id"`
	CategoryID     int64     `json:"category_id"`
	Title          string    `json:"title"`
	AuthorID       int64     `json:"author_id"`
	AuthorName     string    `json:"author_name"`
	Replies        int       `json:"replies"`
	Sticky         bool      `json:"sticky"`
	Locked         bool      `json:"locked"`
	Deleted        bool      `json:"deleted,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	LastPostAt     time.Time `json:"last_post_at"`
	LastPostID     int64     `json:"last_post_id"`
	LastPosterName string    `json:"last_poster_name,omitempty"`
	URL            string    `json:"url"`
	// What the member calling has not read; absent for guests.
	LastReadPosition *int       `json:"last_read_position,omitempty"`
	Unread           *int       `json:"unread,omitempty"`
	New              *bool      `json:"new,omitempty"`
	Page             int        `json:"page,omitempty"`
	Pages            int        `json:"pages,omitempty"`
	Posts            []postJSON `json:"posts,omitempty"`
}

func toThread(t *forum.Thread) threadJSON {
	return threadJSON{ID: t.ID, CategoryID: t.CategoryID, Title: t.Title, AuthorID: t.AuthorID, AuthorName: t.AuthorName,
		Replies: t.Replies(), Sticky: t.Sticky, Locked: t.Locked, Deleted: t.Deleted(), CreatedAt: t.CreatedAt,
		LastPostAt: t.LastPostAt, LastPostID: t.LastPostID, LastPosterName: t.LastPosterName,
		URL: fmt.Sprintf("/t/%d/%s", t.ID, t.Slug)}
}

// withUnread adds a member's unread state to a thread; us is nil for guests.
func (j *threadJSON) withUnread(us map[int64]forum.ThreadUnread) {
	if us == nil {
		return
	}
	u := us[j.ID]
	j.LastReadPosition, j.Unread, j.New = &u.LastReadPosition, &u.Unread, &u.New
}

type postJSON struct {
	ID          int64      `json:"id"`
	ThreadID    int64      `json:"thread_id"`
	Position    int        `json:"position"`
	AuthorID    int64      `json:"author_id"`
	AuthorName  string     `json:"author_name"`
	Body        string     `json:"body"`
	HTML        string     `json:"html"`
	QuotePostID int64      `json:"quote_post_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
	EditedBy    int64      `json:"edited_by,omitempty"`
	Deleted     bool       `json:"deleted,omitempty"`
	LikeCount   int        `json:"like_count"`
	URL         string     `json:"url"`
}

func toPost(p *forum.Post) postJSON {
	return postJSON{ID: p.ID, ThreadID: p.ThreadID, Position: p.Position, AuthorID: p.AuthorID, AuthorName: p.AuthorName,
		Body: p.Body, HTML: p.HTML, QuotePostID: p.QuotePostID, CreatedAt: p.CreatedAt, EditedAt: timePtr(p.EditedAt),
		EditedBy: p.EditedBy, Deleted: p.Deleted(), LikeCount: p.LikeCount, URL: forum.PostURL(p.ID)}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type notificationJSON struct {
	ID          int64     `json:"id"` // marking it read marks its group
	Kind        string    `json:"kind"`
	Text        string    `json:"text"`
	Count       int       `json:"count"`
	Actors      []string  `json:"actors"`
	ThreadID    int64     `json:"thread_id"`
	ThreadTitle string    `json:"thread_title"`
	PostID      int64     `json:"post_id"`
	CreatedAt   time.Time `json:"created_at"`
	Unread      bool      `json:"unread"`
	URL         string    `json:"url"`
}

func toNotification(g *forum.NotificationGroup) notificationJSON {
	return notificationJSON{ID: g.ID, Kind: string(g.Kind), Text: g.Text() + " " + g.ThreadTitle, Count: g.Count,
		Actors: g.Actors, ThreadID: g.ThreadID, ThreadTitle: g.ThreadTitle, PostID: g.PostID, CreatedAt: g.CreatedAt,
		Unread: g.Unread, URL: forum.PostURL(g.PostID)}
}
