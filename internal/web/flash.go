package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// Flash messages: what an action did, shown on the page it sends the
// member back to. The redirect carries a fixed key (?done=approved) and
// at most a member's or post's id (&m=12, &post=34); the sentence is made
// here from the key and from the database, so no text typed into a link
// is ever shown back (a forged link can only show one of these sentences).
type flash struct {
	Text     string
	UndoPost int64 // a post the member may restore: the Undo button
}

// doneURL adds the flash key (and params) to a path that may have a query
// and a fragment already.
func doneURL(target, key string, params ...string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set("done", key)
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// flashOf returns the request's flash message, or nil. Only members get
// one: guests' pages are cached by URL and no action of theirs has one.
func (s *Server) flashOf(r *http.Request) *flash {
	a := actor(r)
	q := r.URL.Query()
	key := q.Get("done")
	if a == nil || key == "" || r.Method != http.MethodGet {
		return nil
	}
	id := func(name string) int64 {
		n, _ := strconv.ParseInt(q.Get(name), 10, 64)
		return max(n, 0)
	}
	name := func() string {
		if !a.IsAdmin() || id("m") == 0 {
			return "The member"
		}
		m, err := s.svc.Member(r.Context(), a, id("m"))
		if err != nil {
			return "The member"
		}
		return m.Name
	}
	switch key {
	case "deleted":
		return &flash{Text: "Post deleted.", UndoPost: id("post")}
	case "thread-deleted":
		return &flash{Text: "Thread deleted: it was its first post.", UndoPost: id("post")}
	case "restored":
		return &flash{Text: "Post restored."}
	}
	if !a.IsAdmin() {
		return nil
	}
	switch key {
	case "saved":
		return &flash{Text: "Saved."}
	case "approved":
		return &flash{Text: name() + " approved."}
	case "rejected":
		return &flash{Text: name() + " rejected: the account is suspended."}
	case "status":
		n := name()
		if m, err := s.svc.Member(r.Context(), a, id("m")); err == nil {
			return &flash{Text: n + " is now " + string(m.Status) + "."}
		}
		return &flash{Text: "Status changed."}
	case "role":
		n := name()
		if m, err := s.svc.Member(r.Context(), a, id("m")); err == nil {
			return &flash{Text: n + ": role changed to " + string(m.Role) + "."}
		}
		return &flash{Text: "Role changed."}
	case "moved":
		return &flash{Text: "Category moved."}
	case "mode":
		return &flash{Text: "Site mode set to " + string(s.status().Mode) + "."}
	case "update":
		return &flash{Text: "Status update posted."}
	case "retried":
		return &flash{Text: "The mail will be sent again now."}
	}
	return nil
}

// adminBadge is the count on the header's Admin link: registrations
// awaiting approval. Open flags will add to it once moderation has them.
// A failure shows no count rather than failing the page.
func (s *Server) adminBadge(r *http.Request) int {
	a := actor(r)
	if !a.IsAdmin() {
		return 0
	}
	n, err := s.svc.PendingCount(r.Context(), a)
	if err != nil {
		return 0
	}
	return n
}
