package watch

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Incidents is where the watcher tells members: the status page.
type Incidents interface {
	// Open opens an incident and returns its id.
	Open(ctx context.Context, title, text string) (string, error)
	// Update adds an update to incident id; state "resolved" closes it.
	Update(ctx context.Context, id, state, text string) error
}

// Incident states the watcher writes.
const (
	StateInvestigating = "investigating"
	StateResolved      = "resolved"
)

// Watcher probes the targets and acts on what it sees.
type Watcher struct {
	cfg   *Config
	probe *prober
	alert *alerter
	log   *slog.Logger
	now   func() time.Time

	// Incidents, if set, gets an incident per outage.
	Incidents Incidents
	// Broadcast sends the member broadcast of the outage id; the default
	// runs the config's command with HEARTH_BROADCAST_ID=id, so that each
	// outage's broadcast is its own and a rerun of one resumes it.
	Broadcast func(ctx context.Context, id string) error
	// Verify checks the forum once it is back and returns the verdict.
	Verify func(ctx context.Context) (verdict string, ok bool)

	mu     sync.Mutex
	state  State
	latest round // for /probe
}

// round is one probe round's outcome.
type round struct {
	OK      bool      `json:"ok"`
	At      time.Time `json:"at"`
	Results []Result  `json:"results"`
}

// New returns a watcher for cfg, with the state its file holds.
func New(cfg *Config, log *slog.Logger) (*Watcher, error) {
	a, err := newAlerter(cfg.Alert)
	if err != nil {
		return nil, err
	}
	st, err := loadState(cfg.StatePath())
	if err != nil {
		return nil, err
	}
	w := &Watcher{cfg: cfg, probe: newProber(cfg.Timeout.D(), nil), alert: a, log: log, now: time.Now, state: st}
	w.Broadcast = w.runBroadcastCommand
	return w, nil
}

// SetTLSConfig replaces the probes' TLS settings (tests: a private CA).
func (w *Watcher) SetTLSConfig(c *tls.Config) { w.probe = newProber(w.cfg.Timeout.D(), c) }

// State returns the watcher's state.
func (w *Watcher) State() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// Run probes every interval until ctx ends. With Listen set it also
// serves /probe for the other locations.
func (w *Watcher) Run(ctx context.Context) error {
	if w.cfg.Listen != "" {
		ln, err := net.Listen("tcp", w.cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen for the other probe locations on %s: %w", w.cfg.Listen, err)
		}
		srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	t := time.NewTicker(w.cfg.Interval.D())
	defer t.Stop()
	for {
		w.Round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Handler serves the latest round at /probe.
func (w *Watcher) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /probe", func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		rd := w.latest
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(rd)
	})
	return mux
}

// Round probes every target once, asks the peers, and acts: alerts,
// incidents, the broadcast, the verify run.
func (w *Watcher) Round(ctx context.Context) {
	results := w.probeAll(ctx)
	now := w.now()
	rd := round{OK: true, At: now, Results: results}
	problem := ""
	for _, r := range results {
		if !r.OK {
			rd.OK = false
			if problem == "" {
				problem = r.Target + ": " + r.Problem
			}
		}
	}
	w.mu.Lock()
	w.latest = rd
	w.mu.Unlock()
	failed := !rd.OK
	if failed && len(w.cfg.Peers) > 0 {
		down, total := w.votes(ctx)
		failed = down*2 > total
		if !failed {
			w.log.Warn("this location sees the forum down, most others do not", "problem", problem, "down", down, "locations", total)
		}
	}

	w.mu.Lock()
	st := w.state
	w.mu.Unlock()
	before := st
	if failed {
		if st.Fails == 0 && !st.Down {
			st.Since = now
		}
		st.Fails++
		st.Successes = 0
		st.Problem = problem
		if !st.Down && st.Fails >= w.cfg.Failures {
			st.Down, st.Detected = true, now
			if after := w.cfg.Broadcast.After.D(); after > 0 {
				st.BroadcastDue = now.Add(after)
			}
			os.Remove(w.cancelPath()) // a cancel belongs to one outage
			w.log.Error("the forum is down", "problem", problem, "since", st.Since)
		}
	} else {
		st.Fails = 0
		if st.Down {
			st.Successes++
		} else {
			st.Since, st.Problem = time.Time{}, ""
		}
	}
	if st.Down {
		w.whileDown(ctx, &st, now)
	}
	if st.Down && st.Successes >= w.cfg.Successes {
		w.back(ctx, &st, now)
	}
	w.certificates(ctx, &st, results, now)
	w.mu.Lock()
	w.state = st
	w.mu.Unlock()
	if st != before {
		if err := saveState(w.cfg.StatePath(), st); err != nil {
			w.log.Error("saving the watch state", "err", err)
		}
	}
}

func (w *Watcher) probeAll(ctx context.Context) []Result {
	out := make([]Result, len(w.cfg.Targets))
	var wg sync.WaitGroup
	for i, t := range w.cfg.Targets {
		wg.Go(func() { out[i] = w.probe.probe(ctx, t) })
	}
	wg.Wait()
	return out
}

// votes asks the peers for their latest rounds: how many of the
// locations that answered (this one included) see the forum down.
func (w *Watcher) votes(ctx context.Context) (down, total int) {
	down, total = 1, 1
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range w.cfg.Peers {
		wg.Go(func() {
			ok, err := w.askPeer(ctx, p)
			if err != nil {
				w.log.Warn("a probe location did not answer", "peer", hostOf(p), "err", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			total++
			if !ok {
				down++
			}
		})
	}
	wg.Wait()
	return down, total
}

func (w *Watcher) askPeer(ctx context.Context, u string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout.D())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var rd round
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return false, fmt.Errorf("not a probe answer: %v", err)
	}
	if w.now().Sub(rd.At) > 3*w.cfg.Interval.D() {
		return false, errors.New("its latest round is stale")
	}
	return rd.OK, nil
}

// whileDown alerts (once, then every Reminder), opens the incident until
// one is open, and sends the broadcast when it is due.
func (w *Watcher) whileDown(ctx context.Context, st *State, now time.Time) {
	target := w.cfg.Targets[0]
	if st.Incident == "" && w.Incidents != nil {
		text := fmt.Sprintf("The forum has not answered since %s UTC. We are looking into it.", st.Since.UTC().Format("15:04"))
		id, err := w.Incidents.Open(ctx, w.cfg.Status.Title, text)
		if err != nil {
			w.log.Error("opening the incident on the status page (trying again next round)", "err", err)
		} else {
			st.Incident = id
		}
	}
	if st.LastAlert.IsZero() || st.LastAlert.Before(st.Detected) {
		al := Alert{Kind: AlertDown, At: now, Since: st.Since, Target: target.URL,
			Subject: fmt.Sprintf("[Hearth watch] DOWN: %s", hostOf(target.URL)),
			Text:    w.downText(*st, now)}
		if w.sendAlert(ctx, al) {
			st.LastAlert = now
		}
	} else if now.Sub(st.LastAlert) >= w.cfg.Reminder.D() {
		al := Alert{Kind: AlertReminder, At: now, Since: st.Since, Target: target.URL,
			Subject: fmt.Sprintf("[Hearth watch] still DOWN: %s, for %s", hostOf(target.URL), minutes(now.Sub(st.Since))),
			Text:    w.downText(*st, now)}
		if w.sendAlert(ctx, al) {
			st.LastAlert = now
		}
	}
	if !st.BroadcastDue.IsZero() && st.BroadcastSent.IsZero() && !now.Before(st.BroadcastDue) {
		if w.cancelled() {
			if !st.BroadcastCancelled {
				st.BroadcastCancelled = true
				w.log.Info("the member broadcast was cancelled by an admin")
			}
			return
		}
		if err := w.Broadcast(ctx, "outage-"+st.Detected.UTC().Format("20060102-150405")); err != nil {
			w.log.Error("sending the member broadcast (trying again next round)", "err", err)
			return
		}
		st.BroadcastSent = now
		w.sendAlert(ctx, Alert{Kind: AlertBroadcast, At: now, Since: st.Since, Target: target.URL,
			Subject: fmt.Sprintf("[Hearth watch] members told: %s is down", hostOf(target.URL)),
			Text:    "The member broadcast went out at " + now.UTC().Format("15:04 UTC") + ", since the forum was still down."})
		if st.Incident != "" && w.Incidents != nil {
			w.Incidents.Update(ctx, st.Incident, "", "Every member was told by mail.")
		}
	}
}

func (w *Watcher) downText(st State, now time.Time) string {
	t := w.cfg.Targets[0]
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) is not answering.\n\n", t.Name, t.URL)
	fmt.Fprintf(&b, "Failing since:  %s UTC (%s ago)\n", st.Since.UTC().Format("2006-01-02 15:04:05"), minutes(now.Sub(st.Since)))
	fmt.Fprintf(&b, "Detected:       %s UTC, after %d failed probes %v apart\n", st.Detected.UTC().Format("15:04:05"), w.cfg.Failures, w.cfg.Interval.D())
	fmt.Fprintf(&b, "Last problem:   %s\n\n", st.Problem)
	if st.Incident != "" {
		fmt.Fprintf(&b, "An incident is open on the status page (%s).\n", st.Incident)
	}
	if !st.BroadcastDue.IsZero() && st.BroadcastSent.IsZero() {
		fmt.Fprintf(&b, "Every member is mailed at %s UTC unless you cancel it:\n    hearth watch cancel --config CONFIG\n", st.BroadcastDue.UTC().Format("15:04"))
	}
	b.WriteString("\nWhat to do: `hearth doctor` on the forum's machine says what is wrong in plain words.\n" +
		"Tell the members: `hearth status incident update …` (works with the database down), `hearth broadcast …`.\n")
	return b.String()
}

// back ends the outage: verify, resolve the incident, tell the admins.
func (w *Watcher) back(ctx context.Context, st *State, now time.Time) {
	t := w.cfg.Targets[0]
	verdict := ""
	if w.Verify != nil {
		verdict, _ = w.Verify(ctx)
	}
	text := fmt.Sprintf("The forum is back since %s UTC, after %s.", now.UTC().Format("15:04"), minutes(now.Sub(st.Since)))
	if verdict != "" {
		text += " Checked by hearth verify: " + verdict
	}
	if st.Incident != "" && w.Incidents != nil {
		if err := w.Incidents.Update(ctx, st.Incident, StateResolved, text); err != nil {
			w.log.Error("resolving the incident", "err", err)
		}
	}
	w.sendAlert(ctx, Alert{Kind: AlertBack, At: now, Since: st.Since, Target: t.URL,
		Subject: fmt.Sprintf("[Hearth watch] BACK: %s, after %s", hostOf(t.URL), minutes(now.Sub(st.Since))),
		Text:    text + "\n\nLast problem was: " + st.Problem + "\n"})
	w.log.Info("the forum is back", "after", now.Sub(st.Since).Round(time.Second), "verdict", verdict)
	*st = State{LastOutage: &Outage{Since: st.Since, Detected: st.Detected, Back: now, Problem: st.Problem, Verdict: verdict},
		CertWarned: st.CertWarned}
	os.Remove(w.cancelPath())
}

// certificates warns once a day of a certificate that expires soon.
func (w *Watcher) certificates(ctx context.Context, st *State, results []Result, now time.Time) {
	if now.Sub(st.CertWarned) < 24*time.Hour {
		return
	}
	for i, r := range results {
		if r.CertExpires.IsZero() || r.CertExpires.Sub(now) > w.cfg.Targets[i].CertWarn.D() {
			continue
		}
		days := int(r.CertExpires.Sub(now).Hours() / 24)
		if w.sendAlert(ctx, Alert{Kind: AlertCert, At: now, Target: w.cfg.Targets[i].URL,
			Subject: fmt.Sprintf("[Hearth watch] certificate of %s expires in %d days", hostOf(w.cfg.Targets[i].URL), days),
			Text:    fmt.Sprintf("The TLS certificate of %s expires on %s UTC.", w.cfg.Targets[i].URL, r.CertExpires.UTC().Format("2006-01-02 15:04"))}) {
			st.CertWarned = now
		}
		return
	}
}

// sendAlert sends al and reports whether any route took it.
func (w *Watcher) sendAlert(ctx context.Context, al Alert) bool {
	took, err := w.alert.send(ctx, al)
	if err != nil {
		w.log.Error("alerting the admins", "kind", al.Kind, "err", err)
	}
	return took > 0
}

// SendTest sends a test alert through every route, for `hearth drill`
// and `hearth watch test`.
func (w *Watcher) SendTest(ctx context.Context) error {
	now := w.now()
	_, err := w.alert.send(ctx, Alert{Kind: AlertTest, At: now, Subject: "[Hearth watch] test alert",
		Text: "This is a test of the outage watch's alert route. Nothing is wrong."})
	return err
}

func (w *Watcher) cancelPath() string { return w.cfg.StatePath() + ".cancel" }

func (w *Watcher) cancelled() bool {
	_, err := os.Stat(w.cancelPath())
	return err == nil
}

// CancelBroadcast stops the automatic member broadcast of the outage in
// progress (or of the next one, if none is): `hearth watch cancel`.
func CancelBroadcast(cfg *Config) error {
	err := os.WriteFile(cfg.StatePath()+".cancel", []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the watch state's directory does not exist: %w", err)
	}
	return err
}

// LoadState reads the state file, for `hearth watch status`.
func LoadState(cfg *Config) (State, error) { return loadState(cfg.StatePath()) }

func (w *Watcher) runBroadcastCommand(ctx context.Context, id string) error {
	c := w.cfg.Broadcast.Command
	if len(c) == 0 {
		return errors.New("no broadcast command configured")
	}
	cmd := exec.CommandContext(ctx, c[0], c[1:]...)
	cmd.Env = append(os.Environ(), "HEARTH_BROADCAST_ID="+id)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", c[0], err, firstLine(string(out)))
	}
	return nil
}

func minutes(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
