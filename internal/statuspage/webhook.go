package statuspage

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"hearth/internal/status"
)

// Webhooks: every incident change is an event in the page file, written
// with the change (status.Event). The deliverer, in `hearth serve`, turns
// each event into one delivery per configured hook in its journal
// (DATA/status/webhooks-journal.json) and POSTs them, signed, until the
// receiver answers 2xx, with backoff. The journal is written before and
// after each attempt, so a restart sends what was pending (at least once:
// a delivery in flight at a crash is sent again).

// Hook is one receiver.
type Hook struct {
	URL    string `json:"url"`
	Secret string `json:"secret"` // HMAC key of X-Hearth-Signature
}

// HooksFile is where hooks may be configured, in the data directory:
// {"webhooks": [{"url": "https://…", "secret": "…"}]}.
const HooksFile = "status/webhooks.json"

// JournalFile is the deliveries' journal, in the data directory.
const JournalFile = "status/webhooks-journal.json"

// LoadHooks reads the hooks file of a data directory (none if missing).
func LoadHooks(dataDir string) ([]Hook, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, HooksFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Webhooks []Hook `json:"webhooks"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%v): it takes {\"webhooks\": [{\"url\": …, \"secret\": …}]}", filepath.Join(dataDir, HooksFile), err)
	}
	for _, h := range f.Webhooks {
		if err := checkHookURL(h.URL); err != nil {
			return nil, fmt.Errorf("%s: %w", HooksFile, err)
		}
	}
	return f.Webhooks, nil
}

func checkHookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook %q is not an http(s) URL", Redact(s))
	}
	return nil
}

// ParseHookFlag reads --status-webhook: URL, or URL with its secret after
// a space or ",secret=" (the secret may also come from --status-webhook-secret).
func ParseHookFlag(v, defaultSecret string) (Hook, error) {
	h := Hook{URL: v, Secret: defaultSecret}
	if u, s, ok := cutLast(v, ",secret="); ok {
		h.URL, h.Secret = u, s
	}
	return h, checkHookURL(h.URL)
}

func cutLast(s, sep string) (string, string, bool) {
	if i := bytes.LastIndex([]byte(s), []byte(sep)); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// Redact shows a URL without what may be a secret in it (Slack-style
// hooks carry their key in the path): scheme and host only.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(a URL)"
	}
	if u.Path == "" || u.Path == "/" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// Delivery is one event for one hook.
type Delivery struct {
	ID         string    `json:"id"`
	Seq        int64     `json:"seq"`
	Event      string    `json:"event"`
	IncidentID int64     `json:"incident_id"`
	URL        string    `json:"url"`
	Body       string    `json:"body"`
	State      string    `json:"state"` // pending, delivered, failed
	Attempts   int       `json:"attempts"`
	CreatedAt  time.Time `json:"created_at"`
	NextAt     time.Time `json:"next_at,omitzero"`
	LastAt     time.Time `json:"last_at,omitzero"`
	LastStatus int       `json:"last_status,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
}

// Journal is the deliveries' file.
type Journal struct {
	Cursor  int64      `json:"cursor"` // the last page event turned into deliveries
	Pending []Delivery `json:"pending"`
	Log     []Delivery `json:"log"` // the latest finished, newest first
}

const journalLog = 100

// ReadJournal reads the journal of a data directory (empty if missing).
func ReadJournal(dataDir string) (Journal, bool, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, JournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Journal{}, false, nil
	}
	if err != nil {
		return Journal{}, false, err
	}
	var j Journal
	if err := json.Unmarshal(b, &j); err != nil {
		return Journal{}, false, fmt.Errorf("%s is not valid JSON (%v): fix or delete it (pending deliveries are then lost)", filepath.Join(dataDir, JournalFile), err)
	}
	return j, true, nil
}

// Payload is the body of a delivery.
type Payload struct {
	Event    string                 `json:"event"`
	At       time.Time              `json:"at"` // when the change was made: receivers may refuse stale deliveries
	Incident status.Incident        `json:"incident"`
	Update   *status.IncidentUpdate `json:"update,omitempty"`
	Page     PayloadPage            `json:"page"`
}

// PayloadPage says whose status page the event is from.
type PayloadPage struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Sign returns the X-Hearth-Signature of body: sha256=HEX of its
// HMAC-SHA256 under secret, as GitHub signs its webhooks.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against body, in constant time.
func Verify(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// Deliverer sends the webhooks.
type Deliverer struct {
	DataDir string
	Page    *status.PageStore
	Hooks   []Hook
	Site    Site
	Client  *http.Client // default: 10 s timeout
	Log     *slog.Logger
	// BaseDelay is the first retry's delay, doubled each try up to an
	// hour, with jitter; default 30s. MaxAttempts (default 12, about a
	// day) gives up after.
	BaseDelay   time.Duration
	MaxAttempts int
	Poll        time.Duration // default 1s

	mu   sync.Mutex // one round at a time
	poke chan struct{}
}

// Init prepares Poke.
func (d *Deliverer) Init() {
	if d.poke == nil {
		d.poke = make(chan struct{}, 1)
	}
}

// Poke makes the deliverer look now.
func (d *Deliverer) Poke() {
	if d.poke == nil {
		return
	}
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	d.Init()
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		if err := d.Round(ctx); err != nil {
			d.Log.Warn("status webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.poke:
		case <-time.After(poll):
		}
	}
}

func (d *Deliverer) journalPath() string { return filepath.Join(d.DataDir, JournalFile) }

// update applies fn to the journal under its lock and writes it if fn
// says it changed it.
func (d *Deliverer) update(fn func(*Journal, bool) bool) error {
	lf, err := os.OpenFile(d.journalPath()+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	j, existed, err := ReadJournal(d.DataDir)
	if err != nil {
		return err
	}
	if !fn(&j, existed) {
		return nil
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return status.WriteFileAtomic(d.journalPath(), append(b, '\n'), 0o600)
}

// Round takes up new events, then makes the attempts that are due.
func (d *Deliverer) Round(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(d.journalPath()), 0o700); err != nil {
		return err
	}
	page := d.Page.Get()
	now := time.Now().UTC()
	site := d.Site.withDefaults()
	var due []Delivery
	err := d.update(func(j *Journal, existed bool) bool {
		changed := !existed
		if !existed {
			j.Cursor = page.NextSeq - 1 // a new journal starts now: history is not replayed
		}
		if len(page.Events) > 0 && page.Events[0].Seq > j.Cursor+1 && existed {
			d.Log.Warn("status webhooks: some incident changes were made while the deliverer was behind by more than the page file keeps; they are not sent",
				"missed_from", j.Cursor+1, "missed_to", page.Events[0].Seq-1)
		}
		for _, e := range page.Events {
			if e.Seq <= j.Cursor {
				continue
			}
			body, _ := json.Marshal(Payload{Event: e.Name, At: e.At, Incident: e.Incident, Update: e.Update,
				Page: PayloadPage{ID: pageID, Name: site.Name, URL: site.PageURL}})
			for i, h := range d.Hooks {
				j.Pending = append(j.Pending, Delivery{ID: strconv.FormatInt(e.Seq, 10) + "-" + strconv.Itoa(i+1), Seq: e.Seq, Event: e.Name,
					IncidentID: e.Incident.ID, URL: h.URL, Body: string(body), State: "pending", CreatedAt: now, NextAt: now})
			}
			j.Cursor, changed = e.Seq, true
		}
		for _, p := range j.Pending {
			if !p.NextAt.After(now) {
				due = append(due, p)
			}
		}
		return changed
	})
	if err != nil {
		return fmt.Errorf("the webhook journal: %w", err)
	}
	for _, p := range due {
		if ctx.Err() != nil {
			return nil
		}
		d.attempt(ctx, p)
	}
	return nil
}

func (d *Deliverer) secret(u string) (string, bool) {
	for _, h := range d.Hooks {
		if h.URL == u {
			return h.Secret, true
		}
	}
	return "", false
}

// attempt sends p once and records the outcome.
func (d *Deliverer) attempt(ctx context.Context, p Delivery) {
	secret, ok := d.secret(p.URL)
	status, errText := 0, ""
	if !ok {
		errText = "the hook is no longer configured"
	} else {
		status, errText = d.send(ctx, p, secret)
	}
	if ctx.Err() != nil {
		return // shutting down: the attempt is made again after the restart
	}
	now := time.Now().UTC()
	p.Attempts++
	p.LastAt, p.LastStatus, p.LastError = now, status, errText
	maxAttempts := d.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 12
	}
	switch {
	case status >= 200 && status < 300:
		p.State, p.NextAt, p.LastError = "delivered", time.Time{}, ""
	case !ok || p.Attempts >= maxAttempts:
		p.State, p.NextAt = "failed", time.Time{}
		d.Log.Warn("a status webhook was given up", "hook", Redact(p.URL), "event", p.Event, "attempts", p.Attempts, "last_error", errText)
	default:
		p.NextAt = now.Add(d.backoff(p.Attempts))
	}
	err := d.update(func(j *Journal, _ bool) bool {
		i := slices.IndexFunc(j.Pending, func(q Delivery) bool { return q.ID == p.ID })
		if i < 0 {
			return false
		}
		if p.State == "pending" {
			j.Pending[i] = p
			return true
		}
		j.Pending = slices.Delete(j.Pending, i, i+1)
		j.Log = append([]Delivery{p}, j.Log...)
		if len(j.Log) > journalLog {
			j.Log = j.Log[:journalLog]
		}
		return true
	})
	if err != nil {
		d.Log.Warn("status webhooks: the journal could not be written; the delivery may be sent again", "err", err)
	}
}

func (d *Deliverer) send(ctx context.Context, p Delivery, secret string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader([]byte(p.Body)))
	if err != nil {
		return 0, "the URL does not make a request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hearth-Status-Webhook/1")
	req.Header.Set("X-Hearth-Event", p.Event)
	req.Header.Set("X-Hearth-Delivery", p.ID)
	req.Header.Set("X-Hearth-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("X-Hearth-Signature", Sign(secret, []byte(p.Body)))
	c := d.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a secret
		}
		return 0, err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return resp.StatusCode, "answered " + resp.Status
	}
	return resp.StatusCode, ""
}

func (d *Deliverer) backoff(attempts int) time.Duration {
	base := d.BaseDelay
	if base <= 0 {
		base = 30 * time.Second
	}
	delay := base << min(attempts-1, 20)
	if delay > time.Hour || delay <= 0 {
		delay = time.Hour
	}
	j, _ := rand.Int(rand.Reader, big.NewInt(int64(delay/4)+1))
	return delay + time.Duration(j.Int64())
}
