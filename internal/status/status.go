// Package status keeps what the forum says about itself: its mode (normal,
// read-only, maintenance) and the latest status updates for members. It
// lives in a small JSON file in the data directory, apart from the main
// database, so it can be read and changed while the database is down: the
// maintenance page shows it, and `hearth mode` changes it from the shell.
package status

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Mode is how the forum serves.
type Mode string

const (
	Normal      Mode = "normal"
	ReadOnly    Mode = "read-only"   // reading works; only admins can write
	Maintenance Mode = "maintenance" // everyone but admins sees the maintenance page
)

// ParseMode accepts the modes' names.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case Normal, ReadOnly, Maintenance:
		return m, nil
	case "readonly", "read_only":
		return ReadOnly, nil
	}
	return "", fmt.Errorf("unknown mode %q: use normal, read-only or maintenance", s)
}

// Update is one status message for members.
type Update struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// State is the whole file.
type State struct {
	Mode    Mode      `json:"mode"`
	Reason  string    `json:"reason,omitempty"` // why, shown in the banner or on the maintenance page
	Until   time.Time `json:"until,omitzero"`   // expected end, if known
	Since   time.Time `json:"since,omitzero"`
	Updates []Update  `json:"updates,omitempty"` // this window's, newest first
	// Archived are the updates of earlier windows, newest first: when
	// the forum leaves normal mode again, the updates of the window before
	// move here, so the maintenance page speaks only of this one while the
	// status page's history keeps them all.
	Archived []Update `json:"archived,omitempty"`
	// Changed is when this state was written. Nodes sharing one database
	// pass states between them; the later Changed wins.
	Changed time.Time `json:"changed,omitzero"`
}

// RetryAfter is how many seconds a client should wait before trying again
// while the forum is down: until the expected end if it is known and
// ahead, else five minutes.
func (s State) RetryAfter(now time.Time) int {
	if d := s.Until.Sub(now); !s.Until.IsZero() && d > 0 {
		return int(d.Seconds())
	}
	return 300
}

// maxUpdates keeps the file small; older updates are dropped.
const maxUpdates = 20

// maxArchived bounds the archive of earlier windows' updates.
const maxArchived = 100

// MaxText bounds a reason or an update.
const MaxText = 1000

// Store reads and writes the status file. It re-reads the file when another
// process (`hearth mode`) has changed it, looking at most once a second.
type Store struct {
	path string
	now  func() time.Time

	mu      sync.Mutex
	state   State
	modTime time.Time
	checked time.Time
}

// FileName is the status file's name in the data directory.
const FileName = "status.json"

// Open returns the store for a data directory. A missing file means normal.
func Open(dataDir string) (*Store, error) {
	s := &Store{path: filepath.Join(dataDir, FileName), now: time.Now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the file if it changed. Callers hold mu.
func (s *Store) load() error {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.state, s.modTime = State{Mode: Normal}, time.Time{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read status file: %w", err)
	}
	if fi.ModTime().Equal(s.modTime) {
		return nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return fmt.Errorf("read status file: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("status file %s is not valid JSON (%v): fix or delete it", s.path, err)
	}
	if st.Mode == "" {
		st.Mode = Normal
	}
	s.state, s.modTime = st, fi.ModTime()
	return nil
}

// Get returns the current state. A file that became unreadable keeps the
// last state read: the forum keeps serving as it was.
func (s *Store) Get() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.checked) >= time.Second {
		s.checked = now
		s.load()
	}
	return s.state.clone()
}

func (st State) clone() State {
	st.Updates = append([]Update(nil), st.Updates...)
	st.Archived = append([]Update(nil), st.Archived...)
	return st
}

// SetMode changes the mode. Leaving normal mode starts a new window: the
// updates of the previous one are archived. The reason is shown on its own
// (banner, maintenance page), so it is not posted again as an update.
func (s *Store) SetMode(m Mode, reason string, until time.Time) error {
	reason, err := clean(reason)
	if err != nil {
		return err
	}
	return s.change(func(st *State) bool {
		if st.Mode != m {
			st.Since = s.now().UTC()
			if st.Mode == Normal {
				st.Archived = append(st.Updates, st.Archived...)
				st.Updates = nil
				if len(st.Archived) > maxArchived {
					st.Archived = st.Archived[:maxArchived]
				}
			}
		}
		st.Mode, st.Reason, st.Until = m, reason, until.UTC()
		if m == Normal {
			st.Until = time.Time{}
		}
		return true
	})
}

// Post adds a status update without changing the mode.
func (s *Store) Post(text string) error {
	text, err := clean(text)
	if err != nil {
		return err
	}
	if text == "" {
		return &TextError{msg: "the update is empty"}
	}
	return s.change(func(st *State) bool {
		addUpdate(st, Update{At: s.now().UTC(), Text: text})
		return true
	})
}

func addUpdate(st *State, u Update) {
	st.Updates = append([]Update{u}, st.Updates...)
	if len(st.Updates) > maxUpdates {
		st.Updates = st.Updates[:maxUpdates]
	}
}

// Adopt replaces the state with st if st was changed later than the state
// held, and reports whether it did: how a node takes up a mode set on
// another node.
func (s *Store) Adopt(st State) (bool, error) {
	adopted := false
	err := s.change(func(cur *State) bool {
		if !st.Changed.After(cur.Changed) {
			return false
		}
		adopted = true
		*cur = st.clone()
		return true
	})
	return adopted, err
}

// TextError is a reason or an update refused as given; its message says
// why and is safe to show. Any other error of SetMode and Post is the
// file's, and names its path.
type TextError struct {
	msg      string
	NotFound bool // what was named (an incident, a component) does not exist
}

func (e *TextError) Error() string { return e.msg }

func clean(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case !utf8.ValidString(text):
		return "", &TextError{msg: "the text is not valid UTF-8"}
	case utf8.RuneCountInString(text) > MaxText:
		return "", &TextError{msg: fmt.Sprintf("the text is longer than %d characters", MaxText)}
	}
	return text, nil
}

// change applies fn to the freshest state and, if fn says it changed it,
// writes it atomically (WriteFileAtomic), all under the file's lock so a
// `hearth mode` beside the server loses neither's change.
func (s *Store) change(fn func(*State) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lock(s.path + ".lock")
	if err != nil {
		return fmt.Errorf("write status file: %w", err)
	}
	defer unlock()
	s.modTime = time.Time{} // under the lock, always read what is on disk
	if err := s.load(); err != nil {
		return err
	}
	st := s.state.clone()
	before := st.Changed
	if !fn(&st) {
		return nil
	}
	if st.Changed.Equal(before) {
		st.Changed = s.now().UTC()
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write status file: %w", err)
	}
	s.state, s.modTime = st, time.Time{} // re-read (and stat) on the next Get
	s.checked = time.Time{}
	return nil
}
