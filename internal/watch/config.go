// Package watch is Hearth's outage watch: `hearth watch` runs somewhere
// else than the forum (another machine, or at least another process),
// probes it, and when it stops answering tells the admins within a minute,
// by mail through its own SMTP server (the forum's may be what is down)
// and by webhooks; opens an incident on the status page; can send the
// member broadcast after a delay unless an admin cancels it; and when the
// forum is back, resolves the incident and posts the verdict of a
// `hearth verify` run to it.
//
// Its state (down since when, what was sent) is a small file written
// atomically, so a restart of the watcher neither alerts again nor forgets
// an outage in progress.
package watch

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is watch.toml.
type Config struct {
	// Interval between probe rounds, Timeout of each probe. Failures
	// failed rounds in a row make an outage, Successes good rounds in a
	// row end one. The defaults detect an outage in at most
	// 3 × 10 s + 5 s = 35 s.
	Interval  Duration `toml:"interval"`
	Timeout   Duration `toml:"timeout"`
	Failures  int      `toml:"failures"`
	Successes int      `toml:"successes"`
	// Reminder is how often the admins hear again while it lasts.
	Reminder Duration `toml:"reminder"`
	// State is the watcher's state file (default watch-state.json beside
	// the config).
	State string `toml:"state"`
	// Listen, if set, serves this watcher's latest probe results at
	// /probe, for the other probe locations (Peers) to ask.
	Listen string `toml:"listen"`
	// Peers are other watchers' /probe URLs: with peers, an outage is
	// declared when most of the locations that answer see it, so that one
	// location's own network failing alerts nobody.
	Peers []string `toml:"peers"`

	Targets   []Target        `toml:"target"`
	Alert     AlertConfig     `toml:"alert"`
	Status    StatusConfig    `toml:"status"`
	Broadcast BroadcastConfig `toml:"broadcast"`
	Verify    VerifyConfig    `toml:"verify"`

	dir string // the config file's directory, for relative paths
}

// Target is one URL to probe.
type Target struct {
	Name string `toml:"name"`
	URL  string `toml:"url"`
	// ExpectStatus is the status a healthy answer has (default 200).
	ExpectStatus int `toml:"expect_status"`
	// BodyContains, if set, must be in a healthy answer's body.
	BodyContains string `toml:"body_contains"`
	// MaxResponse is the slowest healthy answer (default: Timeout).
	MaxResponse Duration `toml:"max_response"`
	// Readyz also probes URL's /readyz (Hearth's readiness: the database
	// answers, the schema is current). Default true.
	Readyz *bool `toml:"readyz"`
	// CertWarn warns once a day when the TLS certificate expires within
	// this long (default 14 days; https URLs only).
	CertWarn Duration `toml:"cert_warn"`
}

// AlertConfig says whom to tell and how.
type AlertConfig struct {
	Admins   []string  `toml:"admins"`
	From     string    `toml:"from"`
	SMTPHost string    `toml:"smtp_host"`
	SMTPPort int       `toml:"smtp_port"`
	SMTPTLS  string    `toml:"smtp_tls"` // starttls (default), tls, none
	SMTPUser string    `toml:"smtp_user"`
	Webhooks []Webhook `toml:"webhook"`
	// The SMTP password is read from HEARTH_WATCH_SMTP_PASSWORD, never
	// from the file.
}

// Webhook is an address that gets every alert as JSON, signed with
// Secret (X-Hearth-Signature: sha256=HMAC of the body).
type Webhook struct {
	URL    string `toml:"url"`
	Secret string `toml:"secret"`
}

// StatusConfig says where the watcher opens incidents: in the forum's
// data directory when it runs on the forum's machine (Data), else through
// the forum's status API (URL, with the token in HEARTH_STATUS_TOKEN);
// and on the static status site (Publish) when neither answers.
type StatusConfig struct {
	Data    string `toml:"data"`
	URL     string `toml:"url"`
	Publish string `toml:"publish"`
	// Title of the incident the watcher opens.
	Title string `toml:"title"`
}

// BroadcastConfig is the member broadcast the watcher sends by itself
// when an outage lasts: After (0: never) unless an admin cancels it with
// `hearth watch cancel`. Command runs it (e.g. hearth broadcast …).
type BroadcastConfig struct {
	After   Duration `toml:"after"`
	Command []string `toml:"command"`
}

// VerifyConfig is the check account `hearth verify` uses when the forum
// is back (the password in HEARTH_VERIFY_PASSWORD). Empty: verify runs
// the guest steps only.
type VerifyConfig struct {
	Email string `toml:"email"`
}

// Duration is a time.Duration written "30s", "10m" or "14d".
type Duration time.Duration

// UnmarshalText reads a duration; "d" is 24 hours.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := time.ParseDuration(n + "h")
		if err != nil {
			return fmt.Errorf("duration %q: use 30s, 10m, 2h or 14d", s)
		}
		*d = Duration(24 * v)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: use 30s, 10m, 2h or 14d", s)
	}
	*d = Duration(v)
	return nil
}

// D is the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Defaults.
const (
	DefaultInterval  = 10 * time.Second
	DefaultTimeout   = 5 * time.Second
	DefaultFailures  = 3
	DefaultSuccesses = 2
	DefaultReminder  = 30 * time.Minute
	DefaultCertWarn  = 14 * 24 * time.Hour
)

// Load reads and checks a config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the watch config: %w", err)
	}
	c, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.dir = dirOf(path)
	return c, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i+1]
	}
	return ""
}

// Parse reads a config from TOML text, fills in the defaults and checks it.
func Parse(text string) (*Config, error) {
	var c Config
	md, err := toml.Decode(text, &c)
	if err != nil {
		return nil, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown setting %q", und[0].String())
	}
	c.defaults()
	return &c, c.check()
}

func (c *Config) defaults() {
	if c.Interval == 0 {
		c.Interval = Duration(DefaultInterval)
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(DefaultTimeout)
	}
	if c.Failures == 0 {
		c.Failures = DefaultFailures
	}
	if c.Successes == 0 {
		c.Successes = DefaultSuccesses
	}
	if c.Reminder == 0 {
		c.Reminder = Duration(DefaultReminder)
	}
	if c.State == "" {
		c.State = "watch-state.json"
	}
	if c.Status.Title == "" {
		c.Status.Title = "The forum is not answering"
	}
	if c.Alert.SMTPPort == 0 {
		c.Alert.SMTPPort = 587
	}
	if c.Alert.SMTPTLS == "" {
		c.Alert.SMTPTLS = "starttls"
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.ExpectStatus == 0 {
			t.ExpectStatus = 200
		}
		if t.MaxResponse == 0 {
			t.MaxResponse = c.Timeout
		}
		if t.Readyz == nil {
			yes := true
			t.Readyz = &yes
		}
		if t.CertWarn == 0 {
			t.CertWarn = Duration(DefaultCertWarn)
		}
		if t.Name == "" {
			t.Name = t.URL
		}
	}
}

func (c *Config) check() error {
	var errs []error
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New(`no [[target]]: add one with url = "https://forum.example.org/"`))
	}
	for _, t := range c.Targets {
		if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("target %q: url must be http:// or https:// with a host", t.URL))
		}
	}
	if c.Failures < 1 || c.Successes < 1 {
		errs = append(errs, errors.New("failures and successes must be at least 1"))
	}
	if c.Timeout.D() > c.Interval.D() {
		errs = append(errs, fmt.Errorf("timeout (%v) must not be longer than interval (%v)", c.Timeout.D(), c.Interval.D()))
	}
	if len(c.Alert.Admins) > 0 && (c.Alert.SMTPHost == "" || c.Alert.From == "") {
		errs = append(errs, errors.New("[alert] admins need smtp_host and from: the watcher sends through its own SMTP server"))
	}
	if len(c.Alert.Admins) == 0 && len(c.Alert.Webhooks) == 0 {
		errs = append(errs, errors.New("[alert] has neither admins nor webhooks: nobody would hear of an outage"))
	}
	for _, w := range c.Alert.Webhooks {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("webhook %q: url must be http:// or https://", w.URL))
		}
	}
	if c.Broadcast.After > 0 && len(c.Broadcast.Command) == 0 {
		errs = append(errs, errors.New("[broadcast] after is set but command is empty"))
	}
	return errors.Join(errs...)
}

// StatePath is the state file's path, relative paths taken from the
// config file's directory.
func (c *Config) StatePath() string {
	if strings.HasPrefix(c.State, "/") {
		return c.State
	}
	return c.dir + c.State
}

// DetectionBound is the longest an outage can last before the watcher
// declares it: a probe round just missed it, then Failures rounds, the
// last one waiting out its timeout.
func (c *Config) DetectionBound() time.Duration {
	return time.Duration(c.Failures)*c.Interval.D() + c.Timeout.D()
}
