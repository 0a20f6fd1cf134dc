package forum

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// What the front page is: the latest threads, or the categories.
const (
	HomeLatest     = "latest"
	HomeCategories = "categories"
)

// settingCommunity holds the Community as JSON: one row, one event.
const settingCommunity = "community"

// Limits of the community's settings.
const (
	MaxCommunityName  = 60
	MaxCommunityIntro = 2000
)

// Community is what the admin says about the forum on its pages: its
// name ("" for the configured one), which list is the front page, and a
// short introduction shown to guests (markdown, IntroHTML its rendering).
type Community struct {
	Name      string `json:"name,omitempty"`
	Home      string `json:"home,omitempty"` // HomeLatest ("" too) or HomeCategories
	Intro     string `json:"intro,omitempty"`
	IntroHTML string `json:"-"`
}

// HomeIsCategories reports whether the front page lists the categories.
func (c Community) HomeIsCategories() bool { return c.Home == HomeCategories }

// communityCache keeps the Community in memory: every page shows the
// name, so it must cost no query. A setting event (this node's or, via
// ApplyEvent, another's) forgets it; gen keeps a read that raced with the
// change from being kept.
type communityCache struct {
	mu  sync.Mutex
	gen uint64
	c   *Community
}

func (cc *communityCache) forget() {
	cc.mu.Lock()
	cc.gen++
	cc.c = nil
	cc.mu.Unlock()
}

// Community returns the community's settings. Should the database not
// answer, it returns the defaults (the configured name, the latest
// threads, no introduction) and the error, and keeps nothing.
func (s *Service) Community(ctx context.Context) (Community, error) {
	cc := &s.community
	cc.mu.Lock()
	c, gen := cc.c, cc.gen
	cc.mu.Unlock()
	if c != nil {
		return *c, nil
	}
	v, err := s.store.Setting(ctx, settingCommunity)
	var got Community
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return Community{}, fmt.Errorf("read the community settings: %w", err)
	default:
		if err := json.Unmarshal([]byte(v), &got); err != nil {
			got = Community{} // a damaged value must not take the pages down
		}
	}
	if got.Intro != "" {
		if got.IntroHTML, err = s.markup.Render(got.Intro); err != nil {
			got.IntroHTML = ""
		}
	}
	cc.mu.Lock()
	if cc.gen == gen {
		cc.c = &got
	}
	cc.mu.Unlock()
	return got, nil
}

// SetCommunity saves the community's settings (admins): the name and
// introduction checked as a post's words are, the introduction rendered
// by the same sanitizing renderer. Every page may show them.
func (s *Service) SetCommunity(ctx context.Context, actor *Member, in Community) (Community, error) {
	if !actor.IsAdmin() {
		return Community{}, Errorf(EFORBIDDEN, "Only admins can change the community's settings.")
	}
	if err := s.writable(actor); err != nil {
		return Community{}, err
	}
	var out Community
	var err error
	if out.Name, err = text("name", "The community's name", in.Name, 0, MaxCommunityName); err != nil {
		return Community{}, err
	}
	if strings.ContainsAny(out.Name, "\r\n\t") {
		return Community{}, FieldError("name", "The community's name must be one line.")
	}
	switch in.Home {
	case "", HomeLatest:
		out.Home = HomeLatest
	case HomeCategories:
		out.Home = HomeCategories
	default:
		return Community{}, FieldError("home", "Choose the latest threads or the categories as the front page.")
	}
	if out.Intro, err = text("intro", "The introduction", in.Intro, 0, MaxCommunityIntro); err != nil {
		return Community{}, err
	}
	if out.Intro != "" {
		if out.IntroHTML, err = s.markup.Render(out.Intro); err != nil {
			var fe *Error
			if errors.As(err, &fe) && fe.Code == EINVALID {
				return Community{}, FieldError("intro", "%s", fe.Message)
			}
			return Community{}, err
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return Community{}, err
	}
	if err := s.store.SetSetting(ctx, settingCommunity, string(b)); err != nil {
		return Community{}, err
	}
	s.community.forget()
	s.changes.ForumChanged() // the name is on every page, the front page may be another list
	return out, nil
}

// CachedCommunity returns the community's settings if they are in memory,
// for pages made while the database does not answer.
func (s *Service) CachedCommunity() (Community, bool) {
	s.community.mu.Lock()
	defer s.community.mu.Unlock()
	if s.community.c == nil {
		return Community{}, false
	}
	return *s.community.c, true
}

// siteName is the community's name as mail says it: the admin's choice,
// else the configured one.
func (s *Service) siteName() string {
	if c, ok := s.CachedCommunity(); ok {
		return cmp.Or(c.Name, s.site.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := s.Community(ctx); err == nil {
		return cmp.Or(c.Name, s.site.Name)
	}
	return s.site.Name
}

// SiteName is siteName for the mail of other packages (notifications,
// digests).
func (s *Service) SiteName() string { return s.siteName() }
