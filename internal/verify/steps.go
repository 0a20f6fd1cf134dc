package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// notTried is the failure of a step whose prerequisite failed: what it
// checks was not shown to work, so it cannot pass.
func notTried(prereq string) error {
	return fmt.Errorf("not tried: needs the %s step, which failed", prereq)
}

var (
	categoryLink = regexp.MustCompile(`href="((?:https?://[^"/]+)?/c/\d+/[^"?#]*)"`)
	threadLink   = regexp.MustCompile(`href="((?:https?://[^"/]+)?/t/\d+/[^"?#]*)"`)
)

// firstLink returns the first link in page matching re, skipping the
// action links (/c/ID/new, /t/ID/reply) that are not content.
func firstLink(page string, re *regexp.Regexp) string {
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		link := html.UnescapeString(m[1])
		if !strings.HasSuffix(link, "/new") && !strings.HasSuffix(link, "/reply") {
			return link
		}
	}
	return ""
}

// page fetches an HTML page and checks it is a whole one.
func (r *runner) page(ctx context.Context, path string) (string, error) {
	resp, err := r.do(ctx, "GET", path, "", nil)
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusOK); err != nil {
		return "", err
	}
	ct := resp.header.Get("Content-Type")
	body := string(resp.body)
	if !strings.HasPrefix(ct, "text/html") {
		return "", fmt.Errorf("GET %s answered %s instead of an HTML page", path, ct)
	}
	if !strings.Contains(body, "<html") || !strings.Contains(body, "</html>") {
		return "", fmt.Errorf("GET %s answered an incomplete page (%d bytes, no <html>…</html>)", path, len(body))
	}
	return body, nil
}

func (r *runner) frontPageStep(ctx context.Context) (string, error) {
	body, err := r.page(ctx, "/")
	if err != nil {
		return "", err
	}
	r.frontPage = body
	return fmt.Sprintf("GET / 200, %s of HTML", size(len(body))), nil
}

func (r *runner) categoryStep(ctx context.Context) (string, error) {
	if r.frontPage == "" {
		return "", notTried("front page")
	}
	link := firstLink(r.frontPage, categoryLink)
	if link == "" {
		// The front page may be the latest threads, of which there may be
		// none yet: the categories are at /categories.
		if cats, err := r.page(ctx, "/categories"); err == nil {
			link = firstLink(cats, categoryLink)
		}
	}
	if link == "" {
		return "", errors.New("the front page links to no category: is the forum empty, or is every category members-only?")
	}
	body, err := r.page(ctx, link)
	if err != nil {
		return "", err
	}
	r.categoryPage = body
	return "GET " + link + " 200", nil
}

func (r *runner) threadStep(ctx context.Context) (string, error) {
	if r.categoryPage == "" {
		return "", notTried("category")
	}
	link := firstLink(r.categoryPage, threadLink)
	if link == "" {
		return "", errors.New("the category page links to no thread: is the category empty?")
	}
	page, err := r.page(ctx, link)
	if err != nil {
		return "", err
	}
	if m := titleTag.FindStringSubmatch(page); m != nil {
		r.threadTitle = html.UnescapeString(m[1])
	}
	return "GET " + link + " 200", nil
}

var titleTag = regexp.MustCompile(`<h1>([^<]*)</h1>`)

// searchStep searches for the longest word of the thread's title, as a
// guest: the search index answers and finds it.
func (r *runner) searchStep(ctx context.Context) (string, error) {
	if r.threadTitle == "" {
		return "", notTried("thread")
	}
	word := ""
	for _, w := range strings.FieldsFunc(r.threadTitle, func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsDigit(c) }) {
		if len([]rune(w)) > len([]rune(word)) {
			word = w
		}
	}
	if word == "" {
		return "", skip("the thread's title has no word to search for")
	}
	path := "/api/v1/search?q=" + url.QueryEscape(word)
	resp, err := r.do(ctx, "GET", path, "", nil)
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusOK); err != nil {
		return "", err
	}
	var out struct {
		Total int `json:"total"`
	}
	if err := resp.decode(&out); err != nil {
		return "", err
	}
	if out.Total == 0 {
		return "", fmt.Errorf("searching for %q found nothing, though a thread's title has it: the search index may be behind (hearth repair rebuilds it)", word)
	}
	return fmt.Sprintf("%q: %d results", word, out.Total), nil
}

func (r *runner) loginStep(ctx context.Context) (string, error) {
	if r.o.GuestOnly {
		return "", skip("guest steps only: no check account")
	}
	if r.o.Email == "" || r.o.Password == "" {
		return "", errors.New("no check account given: pass --email and the password on standard input or in HEARTH_VERIFY_PASSWORD")
	}
	resp, err := r.do(ctx, "POST", "/api/v1/sessions", "", map[string]string{"email": r.o.Email, "password": r.o.Password})
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusCreated); err != nil {
		return "", err
	}
	var out struct {
		Token  string `json:"token"`
		Member struct {
			Name string `json:"name"`
			Role string `json:"role"`
		} `json:"member"`
	}
	if err := resp.decode(&out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errors.New("POST /api/v1/sessions answered 201 without a token")
	}
	r.token, r.role = out.Token, out.Member.Role
	r.who = fmt.Sprintf("%s (%s)", out.Member.Name, out.Member.Role)
	return "as " + r.who, nil
}

type categoryJSON struct {
	ID       int64          `json:"id"`
	Name     string         `json:"name"`
	Children []categoryJSON `json:"children"`
}

// findCategory looks the check category up by name, sub-categories included.
func (r *runner) findCategory(ctx context.Context, token string) (int64, error) {
	resp, err := r.do(ctx, "GET", "/api/v1/categories", token, nil)
	if err != nil {
		return 0, err
	}
	if err := resp.expect(http.StatusOK); err != nil {
		return 0, err
	}
	var out struct {
		Categories []categoryJSON `json:"categories"`
	}
	if err := resp.decode(&out); err != nil {
		return 0, err
	}
	var find func([]categoryJSON) int64
	find = func(cs []categoryJSON) int64 {
		for _, c := range cs {
			if strings.EqualFold(strings.TrimSpace(c.Name), strings.TrimSpace(r.o.Category)) {
				return c.ID
			}
			if id := find(c.Children); id != 0 {
				return id
			}
		}
		return 0
	}
	return find(out.Categories), nil
}

func (r *runner) postStep(ctx context.Context) (detail string, err error) {
	if r.o.GuestOnly {
		return "", skip("guest steps only")
	}
	if r.token == "" {
		return "", notTried("log in")
	}
	catID, err := r.findCategory(ctx, r.token)
	if err != nil {
		return "", err
	}
	if catID == 0 {
		return "", fmt.Errorf("no category named %q is visible to %s: create it as a staff-only category on the admin page, and make the check account a moderator", r.o.Category, r.who)
	}
	if id, err := r.findCategory(ctx, ""); err != nil {
		return "", err
	} else if id != 0 {
		return "", fmt.Errorf("the check category %q is visible to guests: make it staff-only on the admin page before checks post in it", r.o.Category)
	}

	var mark [6]byte
	rand.Read(mark[:])
	marker := "check-" + hex.EncodeToString(mark[:])
	body := "Automated check by `hearth verify`; it deletes this post right away. Marker: " + marker
	title := "Hearth check " + time.Now().UTC().Format("2006-01-02 15:04:05")
	resp, err := r.do(ctx, "POST", "/api/v1/threads", r.token, map[string]any{"category_id": catID, "title": title, "body": body})
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusCreated); err != nil {
		return "", err
	}
	var created struct {
		ID     int64 `json:"id"`
		PostID int64 `json:"post_id"`
	}
	if err := resp.decode(&created); err != nil {
		return "", err
	}
	deleted := false
	defer func() {
		if !deleted && err != nil {
			err = fmt.Errorf("%w; thread %d may be left behind: delete it at %s/t/%d", err, created.ID, r.base, created.ID)
		}
	}()

	tp := fmt.Sprintf("/api/v1/threads/%d", created.ID)
	resp, err = r.do(ctx, "GET", tp, r.token, nil)
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusOK); err != nil {
		return "", err
	}
	var thread struct {
		Posts []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		} `json:"posts"`
	}
	if err := resp.decode(&thread); err != nil {
		return "", err
	}
	if len(thread.Posts) == 0 || thread.Posts[0].ID != created.PostID || !strings.Contains(thread.Posts[0].Body, marker) {
		return "", fmt.Errorf("GET %s did not give back the post just written (post %d with marker %s)", tp, created.PostID, marker)
	}

	pp := fmt.Sprintf("/api/v1/posts/%d", created.PostID)
	resp, err = r.do(ctx, "DELETE", pp, r.token, nil)
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusNoContent); err != nil {
		return "", err
	}
	deleted = true

	resp, err = r.do(ctx, "GET", tp, "", nil)
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusNotFound {
		return "", fmt.Errorf("after deleting it, GET %s as a guest answered %d instead of 404", tp, resp.status)
	}
	return fmt.Sprintf("thread %d in %q: posted, read back, deleted; guests get 404", created.ID, r.o.Category), nil
}

func (r *runner) logoutStep(ctx context.Context) (string, error) {
	if r.o.GuestOnly {
		return "", skip("guest steps only")
	}
	if r.token == "" {
		return "", notTried("log in")
	}
	resp, err := r.do(ctx, "DELETE", "/api/v1/sessions", r.token, nil)
	if err != nil {
		return "", err
	}
	if err := resp.expect(http.StatusNoContent); err != nil {
		return "", err
	}
	resp, err = r.do(ctx, "GET", "/api/v1/me", r.token, nil)
	if err != nil {
		return "", err
	}
	if resp.status != http.StatusUnauthorized {
		return "", fmt.Errorf("after logging out, the token still works: GET /api/v1/me answered %d instead of 401", resp.status)
	}
	r.token = ""
	return "token revoked", nil
}

// size says how big a page is, for people.
func size(n int) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d KB", (n+512)/1024)
}
