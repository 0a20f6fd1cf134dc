package seed

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"hearth/internal/forum"
)

// allPlaces is every destination, for bodies and top-level categories.
var allPlaces = concat(placesEurope, placesAsia, placesAmericas, placesAfricaME)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// unit is a self-contained block of markdown (a paragraph, a list with its
// intro, a table, ...). Bodies are units joined by blank lines, and since a
// unit never continues into the next, the body's HTML is the units' HTML
// concatenated: each unit is rendered once, however many posts use it. The
// tests check that this equals rendering the whole body.
type unit struct {
	md, html string
	rendered bool
}

// textGen writes titles and bodies from a fixed pool of units.
type textGen struct {
	rng    *rand.Rand
	markup forum.Markup
	paras  []*unit
	lists  []*unit
	tables []*unit
	codes  []*unit
	heads  []*unit
	shorts []*unit
}

func newTextGen(rng *rand.Rand, markup forum.Markup) *textGen {
	x := &textGen{rng: rng, markup: markup}
	pool := func(n int, gen func() string) []*unit {
		us := make([]*unit, n)
		for i := range us {
			us[i] = &unit{md: gen()}
		}
		return us
	}
	x.paras = pool(4000, func() string {
		var b strings.Builder
		for i := range 1 + rng.IntN(4) {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(x.fill(pick(rng, sentences), allPlaces))
		}
		return b.String()
	})
	x.lists = pool(600, func() string {
		var b strings.Builder
		b.WriteString(pick(rng, listIntros))
		ordered := rng.IntN(3) == 0
		for i := range 2 + rng.IntN(4) {
			if ordered {
				b.WriteString("\n" + strconv.Itoa(i+1) + ". ")
			} else {
				b.WriteString("\n- ")
			}
			b.WriteString(x.fill(pick(rng, listItems), allPlaces))
		}
		return b.String()
	})
	x.tables = pool(200, func() string {
		var b strings.Builder
		b.WriteString("What we charge at the moment:\n\n| Service | Fee |\n| --- | ---: |")
		for range 2 + rng.IntN(4) {
			b.WriteString("\n" + x.fill(pick(rng, tableRows), allPlaces))
		}
		return b.String()
	})
	x.codes = pool(100, func() string {
		return "For reference:\n\n```\n" + x.fill(pick(rng, codeSnippets), allPlaces) + "\n```"
	})
	x.heads = pool(100, func() string { return x.fill(pick(rng, headings), allPlaces) })
	for _, s := range shortReplies {
		x.shorts = append(x.shorts, &unit{md: s})
	}
	return x
}

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// html returns u's rendering, rendering it on first use.
func (x *textGen) html(u *unit) (string, error) {
	if !u.rendered {
		h, err := x.markup.Render(u.md)
		if err != nil {
			return "", err
		}
		u.html, u.rendered = h, true
	}
	return u.html, nil
}

// body returns a post's markdown and HTML. Opening posts run longer; about
// one reply in five is a one-liner; a few posts are long.
func (x *textGen) body(first bool) (md, html string, err error) {
	r := x.rng.Float64()
	var n int
	switch {
	case !first && r < 0.2:
		u := pick(x.rng, x.shorts)
		h, err := x.html(u)
		return u.md, h, err
	case r > 0.95:
		n = 5 + x.rng.IntN(5)
	case first:
		n = 1 + x.rng.IntN(4)
	case r > 0.8:
		n = 3 + x.rng.IntN(2)
	default:
		n = 1 + x.rng.IntN(2)
	}
	var mb, hb strings.Builder
	for i := range n {
		u := x.unit(i == 0, i == n-1)
		h, err := x.html(u)
		if err != nil {
			return "", "", err
		}
		if i > 0 {
			mb.WriteString("\n\n")
		}
		mb.WriteString(u.md)
		hb.WriteString(h)
	}
	return mb.String(), hb.String(), nil
}

// unit picks the next block: mostly paragraphs, sometimes a list, table,
// code block or heading (never last: a heading introduces something).
func (x *textGen) unit(first, last bool) *unit {
	r := x.rng.Float64()
	switch {
	case first || r < 0.75:
		return pick(x.rng, x.paras)
	case r < 0.86:
		return pick(x.rng, x.lists)
	case r < 0.9:
		return pick(x.rng, x.tables)
	case r < 0.94:
		return pick(x.rng, x.codes)
	case !last:
		return pick(x.rng, x.heads)
	}
	return pick(x.rng, x.paras)
}

// title writes a thread title for a category topic.
func (x *textGen) title(topic string, places []string) string {
	if places == nil {
		places = allPlaces
	}
	return x.fill(pick(x.rng, titles[topic]), places)
}

// fill replaces each {slot} in tmpl; places is the list {place} draws from.
func (x *textGen) fill(tmpl string, places []string) string {
	var b strings.Builder
	used := map[string]string{}
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		b.WriteString(tmpl[:i])
		slot := tmpl[i+1 : i+j]
		tmpl = tmpl[i+j+1:]
		base := strings.TrimSuffix(slot, "2")
		v := x.slot(base, places)
		for try := 0; try < 5 && base != slot && v == used[base]; try++ {
			v = x.slot(base, places) // {place2} differs from {place}
		}
		used[slot] = v
		b.WriteString(v)
	}
}

func (x *textGen) slot(name string, places []string) string {
	rng := x.rng
	switch name {
	case "place":
		return pick(rng, places)
	case "supplier":
		return pick(rng, suppliers)
	case "hotel":
		return pick(rng, hotels)
	case "client":
		return pick(rng, clients)
	case "product":
		return pick(rng, products)
	case "aproduct":
		p := pick(rng, products)
		if strings.ContainsRune("aeiou", rune(p[0])) {
			return "an " + p
		}
		return "a " + p
	case "month":
		return pick(rng, months)
	case "mon":
		return strings.ToUpper(pick(rng, months)[:3])
	case "season":
		return pick(rng, seasons)
	case "name":
		return pick(rng, firstNames)
	case "pct":
		return strconv.Itoa(5 + rng.IntN(21))
	case "n":
		return strconv.Itoa(2 + rng.IntN(11))
	case "day":
		return strconv.Itoa(10 + rng.IntN(18))
	case "minutes":
		return strconv.Itoa(10 * (2 + rng.IntN(8)))
	case "price":
		return strconv.Itoa(50 * (2 + rng.IntN(40)))
	case "small":
		return strconv.Itoa(5 * (3 + rng.IntN(15)))
	}
	return name
}
