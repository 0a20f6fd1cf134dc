package forum

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The search language members type: words (all must match), "a phrase",
// -word or -"a phrase" to exclude, word* for a prefix. Nothing else is
// syntax: NEAR, OR, parentheses, column names and stray quotes are words
// or separators, so no input can make a query the engines refuse. The
// store turns the parsed terms into an FTS5 MATCH expression or a
// websearch_to_tsquery input built from bare words only.

const (
	// MaxSearchLen bounds what is read of a query, in runes.
	MaxSearchLen = 200
	// maxSearchTerms bounds the terms kept; more only slow the engines.
	maxSearchTerms = 12
	// maxSearchWord bounds one word, in runes: nothing longer is a word.
	maxSearchWord = 40
	// minPrefix is the shortest prefix searched as one: "a*" would merge
	// every term starting with a, so shorter ones are plain words.
	minPrefix = 3
	// SearchPerPage results a page.
	SearchPerPage = 20
	// SearchCandidates bounds the matches ranked for one query: the newest
	// ones by post id. Rare words have fewer and are ranked completely; a
	// word in a tenth of all posts is ranked among its newest matches,
	// which keeps every query's cost bounded (and p95 in milliseconds).
	SearchCandidates = 500
	// snippetSource bounds the text a snippet is made from, in bytes.
	snippetSource = 4000
)

// SearchTerm is a word or a phrase (several words in order); Prefix marks
// the last word as a prefix.
type SearchTerm struct {
	Words  []string
	Prefix bool
}

// Viewer is what a search may show: the permission rule in the query.
type Viewer int

const (
	ViewGuest  Viewer = iota // public categories only, nothing deleted
	ViewMember               // not staff-only categories, nothing deleted
	ViewStaff                // everything, deleted posts and threads too
)

func viewerOf(actor *Member) Viewer {
	switch {
	case actor.IsModerator():
		return ViewStaff
	case actor.Active():
		return ViewMember
	}
	return ViewGuest
}

// SearchInput is what a member asks, as typed (the surfaces parse numbers
// and dates; empty means no filter).
type SearchInput struct {
	Q          string
	CategoryID int64
	AuthorID   int64
	ThreadID   int64
	FirstOnly  bool
	From, To   time.Time // dates: To is inclusive (the whole day)
	Page       int
}

// SearchQuery is what the store searches.
type SearchQuery struct {
	Terms    []SearchTerm // all must match
	Excluded []SearchTerm // none may match
	Viewer   Viewer

	CategoryID int64 // its sub-categories too
	AuthorID   int64
	ThreadID   int64
	FirstOnly  bool
	From, To   time.Time // created in [From, To)

	Now           time.Time // for the recency boost
	Offset, Limit int
}

// SearchHit is one post found, with what a result line shows.
type SearchHit struct {
	PostID       int64
	ThreadID     int64
	ThreadTitle  string
	ThreadSlug   string
	CategoryID   int64
	CategoryName string
	AuthorID     int64
	AuthorName   string
	Position     int
	CreatedAt    time.Time
	Deleted      bool   // staff only see these
	Text         string // the start of the body (bounded), for the snippet
	// Snippet is HTML: the text escaped, then the matches wrapped in <mark>.
	Snippet string
	// TitleHTML is the thread title the same way.
	TitleHTML string
}

// SearchResults is one page of hits; Total counts the ranked matches (at
// most SearchCandidates: More says there were more).
type SearchResults struct {
	Query   string // the query as read (bounded)
	Hits    []*SearchHit
	Total   int
	More    bool
	Page    int
	Pages   int
	Message string // why nothing was searched, in words, or ""
}

// ParseSearch reads a member's query into terms and excluded terms. It
// never fails: what is not a word is a separator.
func ParseSearch(q string) (terms, excluded []SearchTerm) {
	q = boundQuery(q)
	add := func(t SearchTerm, neg bool) {
		if len(t.Words) == 0 || len(terms)+len(excluded) >= maxSearchTerms {
			return
		}
		if t.Prefix && utf8.RuneCountInString(t.Words[len(t.Words)-1]) < minPrefix {
			t.Prefix = false
		}
		list := &terms
		if neg {
			t.Prefix = false // excluding a prefix would hide too much
			list = &excluded
		}
		// A term said twice is one term ("rome rome" would have the
		// engines take it for two independent words, and misplan).
		if !slices.ContainsFunc(*list, func(u SearchTerm) bool {
			return u.Prefix == t.Prefix && slices.EqualFunc(u.Words, t.Words, strings.EqualFold)
		}) {
			*list = append(*list, t)
		}
	}
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		neg := false
		for i < len(q) && q[i] == '-' {
			neg = true
			i++
		}
		if i < len(q) && q[i] == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			var phrase string
			if end < 0 {
				phrase, i = q[i+1:], len(q)
			} else {
				phrase, i = q[i+1:i+1+end], i+2+end
			}
			prefix := i < len(q) && q[i] == '*'
			add(SearchTerm{Words: searchWords(phrase), Prefix: prefix}, neg)
			continue
		}
		// A bare token runs to the next space or quote.
		start := i
		for i < len(q) {
			r, size := utf8.DecodeRuneInString(q[i:])
			if unicode.IsSpace(r) || r == '"' {
				break
			}
			i += size
		}
		tok := q[start:i]
		prefix := strings.HasSuffix(tok, "*")
		// Joined by - ' . the pieces are one phrase (e-mail, o'brien,
		// 3.5); any other mark separates words (title:hotel, a/b).
		for _, part := range strings.FieldsFunc(tok, func(r rune) bool {
			return !wordRune(r) && r != '-' && r != '\'' && r != '.' && r != '’'
		}) {
			words := searchWords(part)
			last := strings.HasSuffix(tok, part) || strings.HasSuffix(strings.TrimRight(tok, "*"), part)
			add(SearchTerm{Words: words, Prefix: prefix && last}, neg)
		}
	}
	return terms, excluded
}

// boundQuery keeps the first MaxSearchLen runes of valid UTF-8 with control
// characters as spaces.
func boundQuery(q string) string {
	q = strings.ToValidUTF8(q, " ")
	var b strings.Builder
	n := 0
	for _, r := range q {
		if n >= MaxSearchLen {
			break
		}
		if unicode.IsControl(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// searchWords splits s into words: runs of letters, digits and marks, each
// at most maxSearchWord runes (longer ones are cut).
func searchWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !wordRune(r) }) {
		if utf8.RuneCountInString(w) > maxSearchWord {
			w = string([]rune(w)[:maxSearchWord])
		}
		out = append(out, w)
	}
	return out
}

// Search runs a member's query with its filters, within what actor may
// read. A query with nothing to search answers with Message, not an error;
// wrong filters are EINVALID.
func (s *Service) Search(ctx context.Context, actor *Member, in SearchInput) (*SearchResults, error) {
	res := &SearchResults{Query: boundQuery(in.Q), Page: max(in.Page, 1)}
	if in.Page < 0 {
		return nil, FieldError("page", "The page number must be 1 or more.")
	}
	if !in.From.IsZero() && !in.To.IsZero() && in.To.Before(in.From) {
		return nil, FieldError("to", "The end date is before the start date.")
	}
	terms, excluded := ParseSearch(in.Q)
	if len(terms) == 0 {
		res.Message = "Type a word to search for."
		if len(excluded) > 0 {
			res.Message = "Add a word to search for: a search cannot be only words to leave out."
		}
		return res, nil
	}
	q := SearchQuery{Terms: terms, Excluded: excluded, Viewer: viewerOf(actor),
		CategoryID: in.CategoryID, AuthorID: in.AuthorID, ThreadID: in.ThreadID, FirstOnly: in.FirstOnly,
		From: in.From, Now: s.now(),
		Offset: (res.Page - 1) * SearchPerPage, Limit: SearchPerPage}
	if !in.To.IsZero() {
		q.To = in.To.AddDate(0, 0, 1) // the whole last day
	}
	hits, total, err := s.store.Search(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	res.Total, res.More = total, total >= SearchCandidates
	res.Pages = max(pages(total, SearchPerPage), 1)
	if res.Page > res.Pages {
		return nil, ErrNotFound
	}
	m := newMatcher(terms)
	for _, h := range hits {
		h.Snippet = m.snippet(h.Text, 30)
		h.TitleHTML = m.mark(h.ThreadTitle)
		h.Text = ""
	}
	res.Hits = hits
	if total == 0 {
		res.Message = "Nothing found. Try fewer or shorter words, or fewer filters."
	}
	return res, nil
}

// Rank orders candidates: a thread title equal to the query first, then by
// relevance with a mild recency boost (at most 1.5x, for today's posts,
// halving by three months). Relevance is the engine's (bm25, ts_rank),
// larger better.
func Rank(relevance float64, created, now time.Time) float64 {
	days := max(now.Sub(created).Hours()/24, 0)
	return relevance * (1 + 0.5/(1+days/90))
}

// TitleIsQuery reports whether a thread title is, word for word and
// folded, the query's terms: the "exact title match" that ranks first.
func TitleIsQuery(title string, terms []SearchTerm) bool {
	return titleMatcher(terms)(title)
}

// titleMatcher folds the query's words once for many titles.
func titleMatcher(terms []SearchTerm) func(string) bool {
	var want []string
	size := 0
	for _, t := range terms {
		for _, w := range t.Words {
			f := fold(w)
			want = append(want, f)
			size += len(f) // a title folds to no more bytes than it has
		}
	}
	return func(title string) bool {
		// Most titles are much longer than the query: no need to fold them.
		if len(title) < size || len(title) > 4*size+4*len(want)+16 {
			return false
		}
		got := searchWords(title)
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if fold(got[i]) != want[i] {
				return false
			}
		}
		return true
	}
}

// fold lower-cases and removes diacritics, as both indexes do.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii { // most words: no transformer to build
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// matcher marks the words of a text that match the query's terms, by a
// light stemmer that is close to the engines' (the engines decided which
// posts match; this only chooses which words to mark).
type matcher struct {
	stems    map[string]bool
	prefixes []string
	seen     map[string]bool // word -> matches, as texts repeat words
}

func newMatcher(terms []SearchTerm) *matcher {
	m := &matcher{stems: map[string]bool{}, seen: map[string]bool{}}
	for _, t := range terms {
		for i, w := range t.Words {
			if t.Prefix && i == len(t.Words)-1 {
				m.prefixes = append(m.prefixes, fold(w))
				continue
			}
			m.stems[stem(fold(w))] = true
		}
	}
	return m
}

func (m *matcher) matches(word string) bool {
	if ok, seen := m.seen[word]; seen {
		return ok
	}
	ok := m.match(word)
	m.seen[word] = ok
	return ok
}

func (m *matcher) match(word string) bool {
	f := fold(word)
	if m.stems[stem(f)] {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}

// TitleHasTerms reports whether every term's words appear in title (folded,
// lightly stemmed): the relevance stores use when the engine's own is too
// costly for a common word (see SearchCandidate.Relevance).
func TitleHasTerms(title string, terms []SearchTerm) bool {
	if title == "" {
		return false
	}
	have := map[string]bool{}
	for _, w := range searchWords(title) {
		have[stem(fold(w))] = true
	}
	for _, t := range terms {
		for i, w := range t.Words {
			if t.Prefix && i == len(t.Words)-1 {
				found := false
				p := fold(w)
				for _, tw := range searchWords(title) {
					if strings.HasPrefix(fold(tw), p) {
						found = true
						break
					}
				}
				if !found {
					return false
				}
				continue
			}
			if !have[stem(fold(w))] {
				return false
			}
		}
	}
	return true
}

// stem strips the common English endings, so "bookings" marks for "booking".
func stem(w string) string {
	for _, suf := range []string{"ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "ly", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			w = strings.TrimSuffix(w, suf)
			break
		}
	}
	return strings.TrimSuffix(w, "e")
}

type span struct{ start, end int } // a word's bytes in the text

func words(text string) []span {
	var out []span
	start := -1
	for i, r := range text {
		if wordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(text)})
	}
	return out
}

// mark returns text escaped, with matching words in <mark>.
func (m *matcher) mark(text string) string {
	return m.render(text, words(text), 0, -1)
}

// snippet returns about n words of text around its densest matches, as
// HTML: escaped first, marks added after, "…" where it was cut.
func (m *matcher) snippet(text string, n int) string {
	text = plainText(text)
	ws := words(text)
	if len(ws) == 0 {
		return ""
	}
	hit := make([]bool, len(ws))
	for i, w := range ws {
		hit[i] = m.matches(text[w.start:w.end])
	}
	// The window of n words with the most matches, the earliest of equals,
	// started a few words before its first match.
	best, bestCount, count := 0, -1, 0
	for i := range ws {
		if hit[i] {
			count++
		}
		if i >= n && hit[i-n] {
			count--
		}
		if count > bestCount {
			best, bestCount = max(i-n+1, 0), count
		}
	}
	for i := best; i < min(best+n, len(ws)); i++ {
		if hit[i] {
			best = max(i-4, 0)
			break
		}
	}
	if best < 8 {
		best = 0 // so near the start, the start itself reads better
	}
	last := min(best+n, len(ws)) - 1
	return m.render(text, ws, best, last)
}

// render writes text from word first to word last (-1: to the end) as
// escaped HTML with matching words marked.
func (m *matcher) render(text string, ws []span, first, last int) string {
	if len(ws) == 0 {
		return html.EscapeString(text)
	}
	if last < 0 {
		last = len(ws) - 1
	}
	var b strings.Builder
	from := 0
	if first > 0 {
		b.WriteString("… ")
		from = ws[first].start
	}
	for i := first; i <= last; i++ {
		w := ws[i]
		b.WriteString(html.EscapeString(text[from:w.start]))
		if word := text[w.start:w.end]; m.matches(word) {
			b.WriteString("<mark>" + html.EscapeString(word) + "</mark>")
		} else {
			b.WriteString(html.EscapeString(word))
		}
		from = w.end
	}
	if last < len(ws)-1 {
		b.WriteString(html.EscapeString(strings.TrimRightFunc(text[from:ws[last+1].start], unicode.IsSpace)) + " …")
	} else {
		b.WriteString(html.EscapeString(text[from:]))
	}
	return b.String()
}

// plainText turns the start of a markdown body into text for a snippet:
// link targets, emphasis marks, headings and quote marks dropped,
// whitespace collapsed. It needs only be readable; it is escaped after.
func plainText(md string) string {
	if len(md) > snippetSource {
		cut := snippetSource
		for cut > 0 && !utf8.RuneStart(md[cut]) {
			cut--
		}
		md = md[:cut]
	}
	var b strings.Builder
	lineStart := true
	for i := 0; i < len(md); i++ {
		c := md[i]
		switch {
		case c == '\n':
			lineStart = true
			b.WriteByte(' ')
			continue
		case lineStart && (c == '>' || c == '#'): // quote and heading marks
			b.WriteByte(' ')
			continue
		case c == ' ' || c == '\t':
			b.WriteByte(' ')
		case c == '*' || c == '_' || c == '`' || c == '|' || c == '~' || c == '[':
			b.WriteByte(' ')
		case c == ']':
			// [text](url): keep the text, drop the target.
			if i+1 < len(md) && md[i+1] == '(' {
				if end := strings.IndexByte(md[i:], ')'); end > 0 {
					i += end
				}
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
		if c != ' ' && c != '\t' {
			lineStart = false
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// SearchCandidate is a match before ranking.
type SearchCandidate struct {
	PostID    int64
	Relevance float64
	CreatedAt time.Time
	Title     string // the thread's title if the post is its first, else ""
}

// RankCandidates orders candidates best first: exact title matches, then
// Rank. Stores call it so both engines order the same way.
func RankCandidates(cs []SearchCandidate, terms []SearchTerm, now time.Time) {
	isQuery := titleMatcher(terms)
	type scored struct {
		c     SearchCandidate
		title bool
		score float64
	}
	ss := make([]scored, len(cs))
	for i, c := range cs {
		ss[i] = scored{c, c.Title != "" && isQuery(c.Title), Rank(c.Relevance, c.CreatedAt, now)}
	}
	slices.SortFunc(ss, func(a, b scored) int {
		switch {
		case a.title != b.title:
			if a.title {
				return -1
			}
			return 1
		case a.score != b.score:
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Compare(b.c.PostID, a.c.PostID) // newer first
	})
	for i := range ss {
		cs[i] = ss[i].c
	}
}
