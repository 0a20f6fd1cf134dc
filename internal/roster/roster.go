// Package roster keeps the members who may be mailed in a file of the data
// directory, outside the database, so that the admin can tell every member
// what is going on while the database is gone (hearth broadcast). It is
// kept current by a durable consumer of the event stream and rebuilt in
// full when missing, once per process and on demand (hearth roster
// rebuild). Each entry carries its one-click unsubscribe link, made while
// the database was up, so a broadcast needs neither the database nor the
// site's mail secret.
//
// The file holds personal data (names and addresses): it is written
// 0600 in a 0700 directory, atomically, and encrypted with AES-256-GCM
// when a key is given (HEARTH_ROSTER_KEY).
package roster

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"hearth/internal/atomicfile"
	"hearth/internal/forum"
)

// Where the roster lives in the data directory.
const (
	Dir      = "roster"
	FileName = "roster.jsonl"
	lockName = "roster.lock"
)

// KeyEnv is the environment variable holding the roster's key: 32 bytes,
// base64 (openssl rand -base64 32).
const KeyEnv = "HEARTH_ROSTER_KEY"

// ErrMissing is returned by Load when there is no roster yet.
var ErrMissing = errors.New("there is no member roster in this data directory yet")

// ErrNeedKey is returned for an encrypted roster read without its key, or
// with another key.
var ErrNeedKey = errors.New("the member roster is encrypted: set " + KeyEnv + " to the key it was written with")

// ErrDamaged is returned for a roster that cannot be read back.
var ErrDamaged = errors.New("the member roster is damaged: run `hearth roster rebuild` while the database is up")

// Entry is one member who may be mailed.
type Entry struct {
	ID       int64              `json:"id"`
	Name     string             `json:"name"`
	Email    string             `json:"email"`
	TimeZone string             `json:"tz,omitempty"` // members have none yet: kept for when they do
	Status   forum.MemberStatus `json:"status"`
	// Unsubscribed from broadcasts, or their address bounces: listed, so
	// the counts say how many, but not mailed.
	Unsubscribed   bool   `json:"unsubscribed,omitempty"`
	Bounced        bool   `json:"bounced,omitempty"`
	UnsubscribeURL string `json:"unsubscribe_url"`
}

// Mailable reports whether a broadcast goes to e.
func (e *Entry) Mailable() bool { return !e.Unsubscribed && !e.Bounced && e.Email != "" }

// Roster is the whole file.
type Roster struct {
	Site      string    `json:"site"`
	BaseURL   string    `json:"base_url"`
	BuiltAt   time.Time `json:"built_at"`   // the last full rebuild
	UpdatedAt time.Time `json:"updated_at"` // the last write
	LastEvent int64     `json:"last_event"` // the last event applied (0 after a rebuild without one)
	Members   int       `json:"members"`    // len(Entries): a check on reading
	Entries   []Entry   `json:"-"`          // by id
}

// Counts is the roster at a glance (hearth roster show).
type Counts struct {
	Listed, Mailable, Unsubscribed, Bounced, Pending int
}

// Counts counts the entries.
func (r *Roster) Counts() Counts {
	var c Counts
	for i := range r.Entries {
		e := &r.Entries[i]
		c.Listed++
		switch {
		case e.Mailable():
			c.Mailable++
		case e.Unsubscribed:
			c.Unsubscribed++
		case e.Bounced:
			c.Bounced++
		}
		if e.Status == forum.StatusPending {
			c.Pending++
		}
	}
	return c
}

// Mailable returns the entries a broadcast goes to, by id.
func (r *Roster) Mailable() []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if e.Mailable() {
			out = append(out, e)
		}
	}
	return out
}

// Get returns the entry of member id.
func (r *Roster) Get(id int64) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(r.Entries, id, func(e Entry, id int64) int { return cmpID(e.ID, id) })
	if !ok {
		return Entry{}, false
	}
	return r.Entries[i], true
}

// put adds or replaces e, keeping the entries by id.
func (r *Roster) put(e Entry) {
	i, ok := slices.BinarySearchFunc(r.Entries, e.ID, func(x Entry, id int64) int { return cmpID(x.ID, id) })
	if ok {
		r.Entries[i] = e
		return
	}
	r.Entries = slices.Insert(r.Entries, i, e)
}

// remove drops member id, if listed.
func (r *Roster) remove(id int64) {
	i, ok := slices.BinarySearchFunc(r.Entries, id, func(x Entry, id int64) int { return cmpID(x.ID, id) })
	if ok {
		r.Entries = slices.Delete(r.Entries, i, i+1)
	}
}

func cmpID(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ParseKey decodes a key from the environment: base64 of 32 bytes. An
// empty string is no key (the roster is written in the clear).
func ParseKey(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%s is not 32 bytes in base64: make one with `openssl rand -base64 32`", KeyEnv)
}

// KeyFromEnv reads the key from HEARTH_ROSTER_KEY (nil when unset).
func KeyFromEnv() ([]byte, error) { return ParseKey(os.Getenv(KeyEnv)) }

// Path is the roster file of dataDir.
func Path(dataDir string) string { return filepath.Join(dataDir, Dir, FileName) }

// magic starts an encrypted roster; a plain one starts with '{'.
const magic = "hearth-roster-aes256gcm-v1\n"

// Load reads the roster of dataDir; ErrMissing if there is none.
func Load(dataDir string, key []byte) (*Roster, error) {
	b, err := os.ReadFile(Path(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrMissing
	}
	if err != nil {
		return nil, fmt.Errorf("read the member roster: %w", err)
	}
	if rest, ok := bytes.CutPrefix(b, []byte(magic)); ok {
		if key == nil {
			return nil, ErrNeedKey
		}
		if b, err = open(key, rest); err != nil {
			return nil, err
		}
	}
	return decode(b)
}

func decode(b []byte) (*Roster, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var r Roster
	if !sc.Scan() {
		return nil, fmt.Errorf("%w (it is empty)", ErrDamaged)
	}
	if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("%w (its first line: %v)", ErrDamaged, err)
	}
	r.Entries = make([]Entry, 0, r.Members)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%w (line %d: %v)", ErrDamaged, len(r.Entries)+2, err)
		}
		r.Entries = append(r.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read the member roster: %w", err)
	}
	if len(r.Entries) != r.Members {
		return nil, fmt.Errorf("%w (it holds %d members where its header says %d)", ErrDamaged, len(r.Entries), r.Members)
	}
	slices.SortFunc(r.Entries, func(a, b Entry) int { return cmpID(a.ID, b.ID) })
	return &r, nil
}

func encode(r *Roster) ([]byte, error) {
	r.Members = len(r.Entries)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	for i := range r.Entries {
		if err := enc.Encode(&r.Entries[i]); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}

func seal(key, plain []byte) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	out := append([]byte(magic), nonce...)
	return aead.Seal(out, nonce, plain, []byte(magic)), nil
}

func open(key, b []byte) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(b) < aead.NonceSize() {
		return nil, fmt.Errorf("%w (it is cut short)", ErrDamaged)
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(magic))
	if err != nil {
		return nil, ErrNeedKey
	}
	return plain, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("roster: the key must be 32 bytes")
	}
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(c)
}

// Save writes r atomically: a temporary file, fsynced, renamed over the
// roster, the directory fsynced. Readers see the old roster or the new
// one, never half of one; a crash leaves one of the two.
func Save(dataDir string, key []byte, r *Roster) error {
	dir, err := ensureDir(dataDir)
	if err != nil {
		return err
	}
	b, err := encode(r)
	if err != nil {
		return err
	}
	if key != nil {
		if b, err = seal(key, b); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(filepath.Join(dir, FileName), b, 0o600); err != nil {
		return fmt.Errorf("write the member roster: %w", err)
	}
	return nil
}

// ensureDir makes DATA/roster 0700, whatever the umask or an earlier mode.
func ensureDir(dataDir string) (string, error) {
	dir := filepath.Join(dataDir, Dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	return dir, os.Chmod(dir, 0o700)
}

// Update loads the roster (an empty one if missing), applies fn and saves
// the result, under a lock that the consumer of a running forum and
// `hearth roster rebuild` share, so neither undoes the other's write.
func Update(dataDir string, key []byte, fn func(r *Roster) error) error {
	unlock, err := lock(dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := Load(dataDir, key)
	switch {
	case errors.Is(err, ErrMissing):
		r = &Roster{}
	case err != nil:
		return err
	}
	if err := fn(r); err != nil {
		return err
	}
	r.UpdatedAt = time.Now().UTC()
	return Save(dataDir, key, r)
}

// Replace saves r in place of whatever roster there is (damaged, or
// written with another key), under Update's lock.
func Replace(dataDir string, key []byte, r *Roster) error {
	unlock, err := lock(dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	r.UpdatedAt = time.Now().UTC()
	return Save(dataDir, key, r)
}

func lock(dataDir string) (func(), error) {
	dir, err := ensureDir(dataDir)
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		lf.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
		lf.Close()
	}, nil
}
