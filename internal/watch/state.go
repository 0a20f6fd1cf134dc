package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"hearth/internal/atomicfile"
)

// State is what the watcher must remember across restarts.
type State struct {
	Down      bool      `json:"down"`
	Since     time.Time `json:"since,omitzero"`      // when the first failed round of this outage ran
	Detected  time.Time `json:"detected,omitzero"`   // when the outage was declared
	Problem   string    `json:"problem,omitempty"`   // the last failed round's problem
	Fails     int       `json:"fails"`               // failed rounds in a row
	Successes int       `json:"successes"`           // good rounds in a row (during an outage)
	LastAlert time.Time `json:"last_alert,omitzero"` // the down alert or the last reminder
	Incident  string    `json:"incident,omitempty"`  // the incident opened for this outage
	// Broadcast: when it is due, whether an admin cancelled it, when it
	// was sent.
	BroadcastDue       time.Time `json:"broadcast_due,omitzero"`
	BroadcastCancelled bool      `json:"broadcast_cancelled,omitempty"`
	BroadcastSent      time.Time `json:"broadcast_sent,omitzero"`
	// CertWarned is the last day a certificate warning went out.
	CertWarned time.Time `json:"cert_warned,omitzero"`
	// LastOutage is the previous outage, for `hearth watch status`.
	LastOutage *Outage `json:"last_outage,omitempty"`
}

// Outage is a past outage.
type Outage struct {
	Since    time.Time `json:"since"`
	Detected time.Time `json:"detected"`
	Back     time.Time `json:"back"`
	Problem  string    `json:"problem"`
	Verdict  string    `json:"verdict,omitempty"`
}

// loadState reads the state file; a missing one is a watcher that has
// seen nothing yet.
func loadState(path string) (State, error) {
	var s State
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read the watch state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("the watch state %s is damaged (%v): delete it to start afresh", path, err)
	}
	return s, nil
}

// saveState writes the state file atomically: a crash leaves the old or
// the new state, never half of one.
func saveState(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o600)
}
