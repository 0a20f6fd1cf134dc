package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"hearth/internal/forum"
	"hearth/internal/httperr"
)

type searchView struct {
	Page
	Error, Field string
	In           forum.SearchInput
	From, To     string // as typed, for the date fields
	Categories   []*forum.Category
	ThreadTitle  string // when searching in one thread
	Results      *forum.SearchResults
	Hits         []searchHitView
	Count        string // what the live region says
	Pager        pager
	// FiltersOpen shows the filters unfolded: before the first search and
	// when one of them is wrong. On results they fold away (a phone
	// would show nothing but them above the fold), saying how many are on.
	FiltersOpen bool
	FiltersSet  int
}

type searchHitView struct {
	*forum.SearchHit
	// Escaped by the search, then marked: see forum.SearchHit.
	TitleHTML, Snippet template.HTML
}

// search serves /search: the form with its filters and, when there is a
// query, a page of results. Results depend on who asks, so the page is
// never cached; bad filters come back on the form with what was typed.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	v := searchView{Page: s.page(r, "Search")}
	v.NoIndex = true
	q := r.URL.Query()
	v.From, v.To = q.Get("from"), q.Get("to")
	in, err := httperr.ParseSearch(r)
	v.In = in
	cats, cerr := s.svc.Categories(r.Context(), a)
	if cerr != nil {
		s.error(w, r, cerr)
		return
	}
	v.Categories = cats
	if in.ThreadID != 0 {
		if tp, err := s.svc.Thread(r.Context(), a, in.ThreadID, 1); err == nil {
			v.ThreadTitle = tp.Thread.Title
		}
	}
	status := http.StatusOK
	if err == nil && q.Has("q") {
		var res *forum.SearchResults
		if res, err = s.svc.Search(r.Context(), a, in); err == nil {
			v.Results = res
			v.Title = "Search: " + res.Query
			v.Count = countText(res)
			for _, h := range res.Hits {
				v.Hits = append(v.Hits, searchHitView{SearchHit: h,
					TitleHTML: template.HTML(h.TitleHTML), Snippet: template.HTML(h.Snippet)})
			}
			v.Pager = pager{Base: searchURL(in), Page: res.Page, Pages: res.Pages, Label: "Result pages"}
		}
	}
	if err != nil {
		if forum.ErrorCode(err) != forum.EINVALID {
			s.error(w, r, err)
			return
		}
		v.Error, v.Field = forum.ErrorMessage(err), forum.ErrorField(err)
		status = http.StatusUnprocessableEntity
	}
	for _, on := range []bool{in.CategoryID != 0, v.From != "", v.To != "", in.FirstOnly, in.ThreadID != 0, in.AuthorID != 0} {
		if on {
			v.FiltersSet++
		}
	}
	v.FiltersOpen = !q.Has("q") || (v.Field != "" && v.Field != "q")
	s.render(w, r, status, "search", v)
}

func countText(res *forum.SearchResults) string {
	switch {
	case res.Message != "":
		return res.Message
	case res.More:
		return fmt.Sprintf("More than %d results for “%s”: the best of the newest %d, best first.",
			forum.SearchCandidates, res.Query, forum.SearchCandidates)
	case res.Total == 1:
		return fmt.Sprintf("1 result for “%s”.", res.Query)
	}
	return fmt.Sprintf("%d results for “%s”, best first.", res.Total, res.Query)
}

// searchURL is the results' address without the page, for the pager.
func searchURL(in forum.SearchInput) string {
	v := url.Values{}
	v.Set("q", in.Q)
	id := func(k string, n int64) {
		if n != 0 {
			v.Set(k, strconv.FormatInt(n, 10))
		}
	}
	id("category", in.CategoryID)
	id("author", in.AuthorID)
	id("thread", in.ThreadID)
	if in.FirstOnly {
		v.Set("first", "1")
	}
	if !in.From.IsZero() {
		v.Set("from", in.From.Format("2006-01-02"))
	}
	if !in.To.IsZero() {
		v.Set("to", in.To.Format("2006-01-02"))
	}
	return "/search?" + v.Encode()
}
