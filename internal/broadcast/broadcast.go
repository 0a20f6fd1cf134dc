// Package broadcast mails every member on the roster (internal/roster)
// without the database: the admin's way to tell the members what is going
// on while the forum is down. Each broadcast has a folder in the data
// directory (DATA/broadcasts/ID) with its message and a journal of every
// send, so a run stopped anywhere (Ctrl+C, kill -9, power loss) is resumed
// by running it again: nobody is missed, and only the sends in flight at
// the stop can reach their member twice.
package broadcast

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hearth/internal/atomicfile"
	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/roster"
)

// Dir is where broadcasts live in the data directory.
const Dir = "broadcasts"

// Options is one broadcast to send, or to resume.
type Options struct {
	DataDir string
	// ID names the broadcast's folder. Empty: made from the subject and
	// body, so running the same command again resumes it.
	ID      string
	Subject string
	Body    string // plain text; the status and unsubscribe links are added below it
	// Resume only continues a broadcast begun before (ID, or the latest
	// unfinished one when ID is empty): its message is read from its folder.
	Resume bool

	Roster    *roster.Roster // nil: read from DataDir with RosterKey
	RosterKey []byte
	Identity  mail.Identity // From and the mail domain; SiteName defaults to the roster's
	SMTP      mail.SMTPConfig
	DKIM      *mail.DKIM // nil: unsigned (a development sink)
	Conns     int        // SMTP connections at once; default 4
	Rate      float64    // mails a second at most; 0 for no cap
	Tries     int        // tries per member on a temporary failure (4xx, network); default 3
	RetryWait time.Duration
	DryRun    bool // compose and sign every mail, send none, write nothing
	Log       *slog.Logger
}

// Progress is a broadcast's state: while it runs, and read back from its
// journal afterwards.
type Progress struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	Total     int       `json:"total"`     // members to mail in the latest run (a rerun counts those sent before in Sent)
	Sent      int       `json:"sent"`      // the SMTP server took it
	Failed    int       `json:"failed"`    // refused for good (5xx)
	Deferred  int       `json:"deferred"`  // temporary failures: tried again on the next run
	Remaining int       `json:"remaining"` // not sent yet
	InDoubt   int       `json:"in_doubt"`  // being sent when a run stopped: sent again, may have arrived twice
	Rate      float64   `json:"rate"`      // mails a second in this run
	ETA       Duration  `json:"eta"`       // at that rate
	Started   time.Time `json:"started"`
	Running   bool      `json:"running"`
	Done      bool      `json:"done"` // nothing left to send (failures aside)
	DryRun    bool      `json:"dry_run,omitempty"`
	Failures  []Failure `json:"failures,omitempty"`
}

// Duration marshals as seconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Round(time.Second).Seconds())
}

// Failure is a member the broadcast did not reach.
type Failure struct {
	MemberID  int64  `json:"member_id"`
	Name      string `json:"name"`
	Code      int    `json:"code,omitempty"` // the SMTP answer; 0 without one
	Message   string `json:"message"`        // addresses left out
	Permanent bool   `json:"permanent"`
}

// message is the broadcast as first sent, kept in its folder.
type message struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Created time.Time `json:"created"`
}

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// DefaultID is the ID of a broadcast of subject and body: the same for the
// same message, so running the same command again resumes it.
func DefaultID(subject, body string) string {
	h := sha256.Sum256([]byte(subject + "\x00" + body))
	return "b-" + hex.EncodeToString(h[:6])
}

// Run is a broadcast being sent.
type Run struct {
	id, subject string
	total       int
	before      int // sent in earlier runs
	failedPrev  int
	inDoubt     int
	dry         bool
	started     time.Time
	names       map[int64]string

	sent, failed, deferred atomic.Int64
	mu                     sync.Mutex
	failures               []Failure
	done                   chan struct{}
	err                    error
}

// Start begins (or resumes) a broadcast and returns at once; the sends go
// on in the background until they are done or ctx ends.
func Start(ctx context.Context, o Options) (*Run, error) {
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Tries <= 0 {
		o.Tries = 3
	}
	if o.RetryWait <= 0 {
		o.RetryWait = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ros := o.Roster
	if ros == nil {
		var err error
		if ros, err = roster.Load(o.DataDir, o.RosterKey); err != nil {
			return nil, rosterErr(err)
		}
	}
	if o.Identity.SiteName == "" {
		o.Identity.SiteName = ros.Site
	}
	msg, err := pickMessage(o)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(o.DataDir, Dir, msg.ID)
	r := &Run{id: msg.ID, subject: msg.Subject, dry: o.DryRun, started: time.Now(), done: make(chan struct{}), names: map[int64]string{}}
	for _, e := range ros.Entries {
		r.names[e.ID] = e.Name
	}
	st := &state{sent: map[int64]bool{}, failed: map[int64]failure{}}
	var unlock func()
	if !o.DryRun {
		if unlock, err = lockDir(dir); err != nil {
			return nil, err
		}
		if err := saveMessage(dir, msg); err != nil {
			unlock()
			return nil, err
		}
		if st, err = readJournal(filepath.Join(dir, "journal")); err != nil {
			unlock()
			return nil, fmt.Errorf("read the journal of broadcast %s: %w", msg.ID, err)
		}
	}
	var todo []roster.Entry
	for _, e := range ros.Mailable() {
		if st.sent[e.ID] {
			r.before++
		} else if f, ok := st.failed[e.ID]; ok {
			r.failedPrev++
			r.addFailure(e.ID, f, true)
		} else {
			todo = append(todo, e)
		}
	}
	r.total = r.before + r.failedPrev + len(todo)
	r.inDoubt = st.inDoubt + len(st.sending)
	s := &sender{o: o, msg: msg, site: ros.Site, baseURL: strings.TrimRight(ros.BaseURL, "/"), r: r}
	if o.Identity.SiteName != "" {
		s.site = o.Identity.SiteName
	}
	if !o.DryRun {
		if s.j, err = openJournal(filepath.Join(dir, "journal"), st.validLen); err != nil {
			unlock()
			return nil, err
		}
		s.j.add("b %d %d %d", time.Now().Unix(), r.total, len(st.sending))
		if len(st.sending) > 0 {
			o.Log.Warn("mails were being sent when the broadcast stopped; they are sent again and may reach their members twice", "broadcast", msg.ID, "in_doubt", len(st.sending))
		}
	}
	go func() {
		defer close(r.done)
		if unlock != nil {
			defer unlock()
		}
		r.err = s.run(ctx, todo)
	}()
	return r, nil
}

func rosterErr(err error) error {
	if errors.Is(err, roster.ErrMissing) {
		return fmt.Errorf("%w: it is written by `hearth serve` (on the node doing the singleton work) or by `hearth roster rebuild` while the database is up", err)
	}
	return err
}

// pickMessage finds the broadcast to send: the one named, the latest
// unfinished one, or a new one.
func pickMessage(o Options) (message, error) {
	id := o.ID
	if id == "" && o.Resume {
		ps, err := List(o.DataDir)
		if err != nil {
			return message{}, err
		}
		for _, p := range ps {
			if !p.Done {
				id = p.ID
				break
			}
		}
		if id == "" {
			return message{}, errors.New("there is no unfinished broadcast to resume")
		}
	}
	if id == "" {
		if strings.TrimSpace(o.Subject) == "" || strings.TrimSpace(o.Body) == "" {
			return message{}, errors.New("a broadcast needs a subject and a body")
		}
		id = DefaultID(o.Subject, o.Body)
	}
	if !validID.MatchString(id) {
		return message{}, fmt.Errorf("the broadcast ID %q may have only lower-case letters, digits, '-' and '_' (at most 64)", id)
	}
	old, err := loadMessage(filepath.Join(o.DataDir, Dir, id))
	switch {
	case err == nil:
		if !o.Resume && (o.Subject != old.Subject || o.Body != old.Body) && (o.Subject != "" || o.Body != "") {
			return message{}, fmt.Errorf("broadcast %s was begun with another message: resume it with --resume --id %s, or give this one another --id", id, id)
		}
		return old, nil
	case !errors.Is(err, fs.ErrNotExist):
		return message{}, err
	case o.Resume:
		return message{}, fmt.Errorf("there is no broadcast %s to resume", id)
	}
	if strings.TrimSpace(o.Subject) == "" || strings.TrimSpace(o.Body) == "" {
		return message{}, errors.New("a broadcast needs a subject and a body")
	}
	if strings.ContainsAny(o.Subject, "\r\n") {
		return message{}, errors.New("the subject must be one line")
	}
	return message{ID: id, Subject: o.Subject, Body: o.Body, Created: time.Now().UTC()}, nil
}

func loadMessage(dir string) (message, error) {
	b, err := os.ReadFile(filepath.Join(dir, "message.json"))
	if err != nil {
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		return message{}, fmt.Errorf("the message of broadcast %s is damaged: %w", filepath.Base(dir), err)
	}
	return m, nil
}

func saveMessage(dir string, m message) error {
	path := filepath.Join(dir, "message.json")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the broadcast's message: %w", err)
	}
	return nil
}

// lockDir makes the broadcast's folder (0700) and holds its lock: two
// processes sending one broadcast would each mail everyone.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	os.Chmod(filepath.Dir(dir), 0o700)
	os.Chmod(dir, 0o700)
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("broadcast %s is being sent by another process; wait for it, or stop it first", filepath.Base(dir))
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// locked reports whether a process is sending the broadcast in dir.
func locked(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "lock"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

func (r *Run) addFailure(id int64, f failure, permanent bool) {
	r.mu.Lock()
	r.failures = append(r.failures, Failure{MemberID: id, Name: r.names[id], Code: f.Code, Message: f.Msg, Permanent: permanent})
	r.mu.Unlock()
}

// ID is the broadcast's ID.
func (r *Run) ID() string { return r.id }

// Done is closed when the run has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait waits for the run to end and returns its last progress; the error
// says why it stopped early (the journal could not be written, ctx ended).
func (r *Run) Wait() (Progress, error) {
	<-r.done
	return r.Progress(), r.err
}

// Progress is the run's state now.
func (r *Run) Progress() Progress {
	sent, failed, deferred := int(r.sent.Load()), int(r.failed.Load()), int(r.deferred.Load())
	p := Progress{ID: r.id, Subject: r.subject, Total: r.total, Sent: r.before + sent, Failed: r.failedPrev + failed,
		Deferred: deferred, InDoubt: r.inDoubt, Started: r.started, DryRun: r.dry}
	p.Remaining = p.Total - p.Sent - p.Failed - p.Deferred
	select {
	case <-r.done:
		p.Done = p.Remaining == 0 && p.Deferred == 0 && r.err == nil
	default:
		p.Running = true
	}
	if el := time.Since(r.started).Seconds(); el > 0 && sent > 0 {
		p.Rate = float64(sent) / el
		p.ETA = Duration(time.Duration(float64(p.Remaining) / p.Rate * float64(time.Second)))
	}
	r.mu.Lock()
	p.Failures = slices.Clone(r.failures)
	r.mu.Unlock()
	return p
}

// Status reads broadcast id back from its folder: its message and journal
// (and the roster for the names of the members it failed to reach, when
// rosterKey opens it).
func Status(dataDir, id string, rosterKey []byte) (Progress, error) {
	if !validID.MatchString(id) {
		return Progress{}, fmt.Errorf("there is no broadcast %q", id)
	}
	dir := filepath.Join(dataDir, Dir, id)
	msg, err := loadMessage(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Progress{}, fmt.Errorf("there is no broadcast %s", id)
	}
	if err != nil {
		return Progress{}, err
	}
	st, err := readJournal(filepath.Join(dir, "journal"))
	if err != nil {
		return Progress{}, err
	}
	p := Progress{ID: id, Subject: msg.Subject, Total: st.total, Sent: len(st.sent), Failed: len(st.failed),
		Deferred: len(st.deferred), InDoubt: st.inDoubt, Started: st.first, Running: locked(dir)}
	if p.Started.IsZero() {
		p.Started = msg.Created
	}
	p.Remaining = max(p.Total-p.Sent-p.Failed-p.Deferred, 0)
	p.Done = !st.ended.IsZero() && p.Remaining == 0 && p.Deferred == 0
	if !p.Running {
		p.InDoubt += len(st.sending) // they will be sent again
	}
	names := map[int64]string{}
	if ros, err := roster.Load(dataDir, rosterKey); err == nil {
		for _, e := range ros.Entries {
			names[e.ID] = e.Name
		}
	}
	for id, f := range st.failed {
		p.Failures = append(p.Failures, Failure{MemberID: id, Name: names[id], Code: f.Code, Message: f.Msg, Permanent: true})
	}
	for id, f := range st.deferred {
		p.Failures = append(p.Failures, Failure{MemberID: id, Name: names[id], Code: f.Code, Message: f.Msg})
	}
	slices.SortFunc(p.Failures, func(a, b Failure) int { return int(a.MemberID - b.MemberID) })
	return p, nil
}

// List returns every broadcast of dataDir, newest first.
func List(dataDir string) ([]Progress, error) {
	des, err := os.ReadDir(filepath.Join(dataDir, Dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Progress
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		p, err := Status(dataDir, de.Name(), nil)
		if err != nil {
			continue
		}
		p.Failures = nil
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Progress) int { return b.Started.Compare(a.Started) })
	return out, nil
}

// Compose writes the mail of the broadcast to member e (exported for the
// admin form's preview and the tests).
func Compose(id mail.Identity, site, baseURL, broadcastID, subject, body string, e roster.Entry, now time.Time) ([]byte, error) {
	to := (&netmail.Address{Name: e.Name, Address: e.Email}).String()
	text := strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), "\n") + "\n\n-- \n" +
		"Where things stand: " + baseURL + "/status\n\n" +
		"You get this because you are a member of " + site + ".\n" +
		"To get no more announcements like this one: " + e.UnsubscribeURL + "\n"
	m := &forum.OutboxMail{Mail: forum.Mail{
		Kind: "broadcast", MemberID: e.ID, To: to, Sender: forum.SenderNotify, Subject: subject, Text: text,
		Headers: map[string]string{
			"List-Id":               "<announce." + id.Domain + ">",
			"List-Unsubscribe":      "<" + e.UnsubscribeURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			"Auto-Submitted":        "auto-generated",
			"Precedence":            "bulk",
			"X-Hearth-Broadcast":    broadcastID,
		},
	}}
	msgID := fmt.Sprintf("<broadcast-%s-%d@%s>", broadcastID, e.ID, id.Domain)
	return mail.ComposeWithMessageID(id, m, msgID, now)
}

// sender sends one run.
type sender struct {
	o       Options
	msg     message
	site    string
	baseURL string
	r       *Run
	j       *journal // nil in a dry run
	smtp    *mail.Sender
	pace    mail.Pacer
}

func (s *sender) run(ctx context.Context, todo []roster.Entry) error {
	if s.o.Rate > 0 {
		s.pace.Every = time.Duration(float64(time.Second) / s.o.Rate)
	}
	if !s.o.DryRun {
		s.smtp = mail.NewSender(s.o.SMTP, s.o.Identity.Domain)
		defer s.smtp.Close()
	}
	next := make(chan roster.Entry)
	errc := make(chan error, s.o.Conns)
	var wg sync.WaitGroup
	for range min(s.o.Conns, max(len(todo), 1)) {
		wg.Go(func() {
			for e := range next {
				if err := s.one(ctx, e); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for _, e := range todo {
		select {
		case next <- e:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if s.j == nil {
		return err
	}
	if err == nil && ctx.Err() == nil {
		s.j.add("e %d", time.Now().Unix())
	}
	if cerr := s.j.close(); err == nil {
		err = cerr
	}
	return err
}

// one mails member e: "s" on disk, the SMTP transaction (tried again on
// a temporary failure), the outcome in the journal.
func (s *sender) one(ctx context.Context, e roster.Entry) error {
	if err := s.pace.Wait(ctx); err != nil {
		return nil // stopping: e stays unsent, for the next run
	}
	msg, err := Compose(s.o.Identity, s.site, s.baseURL, s.msg.ID, s.msg.Subject, s.msg.Body, e, time.Now())
	if err == nil && s.o.DKIM != nil {
		msg, err = s.o.DKIM.Sign(msg)
	}
	addr, aerr := netmail.ParseAddress(e.Email)
	if err == nil && aerr != nil {
		err = errors.New("the address is not valid")
	}
	if err != nil {
		s.outcome(e.ID, &mail.SendError{Permanent: true, Msg: err.Error()})
		return nil
	}
	if s.o.DryRun {
		s.r.sent.Add(1)
		return nil
	}
	if err := s.j.durable(s.j.add("s %d", e.ID)); err != nil {
		return err
	}
	from := s.o.Identity.EnvelopeFrom(forum.SenderNotify)
	for try := 1; ; try++ {
		err = s.smtp.Send(from, addr.Address, msg)
		var se *mail.SendError
		if err == nil || (errors.As(err, &se) && se.Permanent) || try >= s.o.Tries {
			break
		}
		t := time.NewTimer(s.o.RetryWait * time.Duration(try))
		select {
		case <-ctx.Done():
			t.Stop()
			// Not sent, and known not to be: record it, so it is no doubt.
			s.outcome(e.ID, err)
			return nil
		case <-t.C:
		}
	}
	s.outcome(e.ID, err)
	return nil
}

// outcome records what became of member id's mail; its fsync comes with
// the next send's "s" or the flusher's.
func (s *sender) outcome(id int64, err error) {
	var se *mail.SendError
	switch {
	case err == nil:
		s.r.sent.Add(1)
		if s.j != nil {
			s.j.add("d %d", id)
		}
	case errors.As(err, &se) && se.Permanent:
		s.r.failed.Add(1)
		f := failure{Code: se.Code, Msg: redact(se.Msg)}
		s.r.addFailure(id, f, true)
		if s.j != nil {
			s.j.add("f %d %d %s", id, f.Code, f.Msg)
		}
	default:
		s.r.deferred.Add(1)
		f := failure{Msg: redact(err.Error())}
		if errors.As(err, &se) {
			f.Code = se.Code
		}
		s.r.addFailure(id, f, false)
		if s.j != nil {
			s.j.add("t %d %s", id, f.Msg)
		}
	}
}

var addrLike = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// redact keeps an SMTP answer fit for the journal, the terminal and the
// admin page: one line, bounded, no addresses.
func redact(msg string) string {
	msg = addrLike.ReplaceAllString(msg, "(address)")
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}
