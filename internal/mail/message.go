package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/htmlindex"
)

// maxParts bounds how many MIME parts a received message is searched
// through, however it nests.
const maxParts = 50

// errNoText is a message with neither a text nor an HTML part.
var errNoText = errors.New("the mail has no text")

// part is one leaf of a MIME message, decoded to UTF-8 for text.
type part struct {
	ctype  string // lower case, without parameters
	params map[string]string
	header textproto
	body   []byte
}

type textproto = map[string][]string

// leaves returns the message's leaf parts in order, multipart/* opened
// (message/* parts are kept whole: a DSN's report and returned mail).
func leaves(h netmail.Header, body io.Reader) ([]part, error) {
	var out []part
	err := walk(textproto(h), body, 0, &out)
	return out, err
}

func walk(h textproto, body io.Reader, depth int, out *[]part) error {
	if depth > 10 || len(*out) >= maxParts {
		return nil
	}
	get := func(k string) string {
		if v := h[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ctype, params, err := mime.ParseMediaType(get("Content-Type"))
	if err != nil {
		ctype, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(ctype, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for len(*out) < maxParts {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(textproto(p.Header), p, depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	}
	b, err := io.ReadAll(r)
	if err != nil && len(b) == 0 {
		return err
	}
	*out = append(*out, part{ctype: ctype, params: params, header: h, body: b})
	return nil
}

// stripSpace drops the line breaks a base64 body is wrapped with.
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// utf8Text decodes a text part of charset to UTF-8; an unknown charset is
// read as UTF-8 with the bad bytes replaced.
func utf8Text(b []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs != "" && cs != "utf-8" && cs != "us-ascii" && cs != "utf8" {
		if enc, err := htmlindex.Get(cs); err == nil {
			if d, err := enc.NewDecoder().Bytes(b); err == nil {
				return string(d)
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// ReplyText returns the text a mail says, before trimming: its first
// text/plain part that is not an attachment, or else its first text/html
// part made into text (quoted blocks kept as "> " lines, which TrimReply
// then drops).
func ReplyText(h netmail.Header, body io.Reader) (string, error) {
	parts, err := leaves(h, body)
	if err != nil && len(parts) == 0 {
		return "", fmt.Errorf("the mail could not be read: %w", err)
	}
	var htmlPart *part
	for i := range parts {
		p := &parts[i]
		if disp := firstOf(p.header, "Content-Disposition"); strings.HasPrefix(strings.ToLower(disp), "attachment") {
			continue
		}
		switch p.ctype {
		case "text/plain":
			return utf8Text(p.body, p.params["charset"]), nil
		case "text/html":
			if htmlPart == nil {
				htmlPart = p
			}
		}
	}
	if htmlPart != nil {
		return HTMLText(utf8Text(htmlPart.body, htmlPart.params["charset"])), nil
	}
	return "", errNoText
}

func firstOf(h textproto, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// blocks are the elements that begin a line of their own.
var blocks = map[string]bool{"p": true, "div": true, "br": true, "tr": true, "li": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "pre": true, "hr": true, "table": true, "ul": true, "ol": true, "blockquote": true}

// HTMLText makes an HTML mail plain text: a line per block, the text of
// links, blockquotes as "> " lines, nothing of scripts, styles or the head.
func HTMLText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	quote, skip := 0, 0
	atLineStart := true
	newline := func() {
		b.WriteString("\n")
		atLineStart = true
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if blocks[tag] {
				if !atLineStart || tag == "br" {
					newline()
				}
				if tag == "p" && tt == html.EndTagToken {
					newline() // a blank line between paragraphs
				}
			}
			if tag == "blockquote" {
				if tt == html.StartTagToken {
					quote++
				} else if tt == html.EndTagToken && quote > 0 {
					quote--
				}
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			t = strings.Join(strings.Fields(strings.ReplaceAll(t, "\u00a0", " ")), " ")
			if t == "" || !utf8.ValidString(t) {
				continue
			}
			if atLineStart {
				b.WriteString(strings.Repeat("> ", quote))
			} else {
				b.WriteString(" ")
			}
			b.WriteString(t)
			atLineStart = false
		}
	}
}

// ReadMessage parses raw mail, tolerating bare LF line ends.
func ReadMessage(raw []byte) (*netmail.Message, error) {
	if !bytes.Contains(raw, []byte("\r\n")) {
		raw = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	}
	return netmail.ReadMessage(bytes.NewReader(raw))
}

// decodeHeader decodes RFC 2047 words in any charset the web knows.
func decodeHeader(s string) (string, error) {
	d := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(charset)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(r), nil
	}}
	return d.DecodeHeader(s)
}
