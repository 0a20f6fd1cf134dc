package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"hearth/internal/status"
	"hearth/internal/store"
)

// Status is a check's outcome.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Info Status = "info"
)

// Check is one line of the doctor's report.
type Check struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Report is the doctor's verdict.
type Report struct {
	OK        bool      `json:"ok"` // no check failed
	Version   string    `json:"version"`
	CheckedAt time.Time `json:"checked_at"`
	Checks    []Check   `json:"checks"`
}

// DoctorOptions tune Doctor.
type DoctorOptions struct {
	Full bool             // full integrity_check instead of quick_check
	Now  func() time.Time // the clock; tests set it
}

// session is what the checks share: the config and, once open, the database.
type session struct {
	cfg   Config
	opts  DoctorOptions
	now   time.Time
	db    *store.DB // nil when it could not be opened
	dbErr error
}

// doctorChecks are run in order. Each says what it found in plain words
// and how to fix it; features that come later (email, search) slot in here.
var doctorChecks = []func(context.Context, *session) Check{
	checkConfig,
	checkDataDir,
	checkPermissions,
	checkDisk,
	checkDatabase,
	checkSchema,
	checkIntegrity,
	checkEmail,
	checkSearch,
	checkBackups,
	checkClock,
	checkServer,
}

// Doctor checks everything Hearth needs and reports, never fixing anything.
func Doctor(ctx context.Context, cfg Config, opts DoctorOptions) Report {
	s := &session{cfg: cfg, opts: opts, now: time.Now()}
	if opts.Now != nil {
		s.now = opts.Now()
	}
	defer func() {
		if s.db != nil {
			s.db.Close()
		}
	}()
	r := Report{OK: true, Version: cfg.version(), CheckedAt: s.now.UTC()}
	for _, c := range doctorChecks {
		ch := c(ctx, s)
		r.Checks = append(r.Checks, ch)
		if ch.Status == Fail {
			r.OK = false
		}
	}
	return r
}

func checkConfig(_ context.Context, s *session) Check {
	c := Check{Name: "configuration", Status: OK}
	if s.cfg.Addr != "" {
		if _, port, err := net.SplitHostPort(s.cfg.Addr); err != nil || port == "" {
			c.Status, c.Message = Fail, fmt.Sprintf("the listen address %q is not host:port", s.cfg.Addr)
			c.Fix = "set --addr (or HEARTH_ADDR) to something like 127.0.0.1:8080 or :8080"
			return c
		}
	}
	if s.cfg.BaseURL != "" {
		u, err := url.Parse(s.cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.Status, c.Message = Fail, fmt.Sprintf("the base URL %q is not an http:// or https:// URL", s.cfg.BaseURL)
			c.Fix = "set --base-url (or HEARTH_BASE_URL) to the forum's public address, e.g. https://forum.example.org"
			return c
		}
	}
	c.Message = fmt.Sprintf("listen address %q, base URL %q, database %s", orDefault(s.cfg.Addr), orDefault(s.cfg.BaseURL), s.cfg.dbLabel())
	return c
}

func orDefault(s string) string {
	if s == "" {
		return "(default)"
	}
	return s
}

func checkDataDir(_ context.Context, s *session) Check {
	c := Check{Name: "data directory"}
	dir := s.cfg.DataDir
	st, err := os.Stat(dir)
	if err != nil {
		c.Status, c.Message = Fail, fmt.Sprintf("%s does not exist", dir)
		c.Fix = fmt.Sprintf("check --data (or HEARTH_DATA); `hearth serve` creates %s on its first start", dir)
		return c
	}
	if !st.IsDir() {
		c.Status, c.Message, c.Fix = Fail, dir+" is not a directory", "point --data at a directory"
		return c
	}
	f, err := os.CreateTemp(dir, ".doctor-")
	if err != nil {
		c.Status, c.Message = Fail, fmt.Sprintf("cannot write in %s: %v", dir, err)
		c.Fix = fmt.Sprintf("give the user running Hearth write access: chown -R USER %s", dir)
		return c
	}
	f.Close()
	os.Remove(f.Name())
	if _, err := status.Open(dir); err != nil {
		c.Status, c.Message = Fail, fmt.Sprintf("the status file (mode and status updates) cannot be read: %v", err)
		c.Fix = fmt.Sprintf("fix the JSON of %s, or delete it: the forum then goes back to normal mode", filepath.Join(dir, status.FileName))
		return c
	}
	c.Status, c.Message = OK, dir+" exists and is writable"
	return c
}

func checkDisk(_ context.Context, s *session) Check {
	c := Check{Name: "free disk"}
	free, total, err := diskSpace(s.cfg.DataDir)
	if err != nil {
		c.Status, c.Message = Info, "could not measure free space: "+err.Error()
		return c
	}
	c.Message = fmt.Sprintf("%s free of %s", bytesText(free), bytesText(total))
	c.Status = OK
	backup := s.cfg.databaseBytes() // a backup copies the database once
	switch need := WriteHeadroom + backup; {
	case free < WriteHeadroom:
		c.Status = Fail
		c.Message += fmt.Sprintf(": too little to keep writing, so the forum is read-only; it needs at least %s free, and %s to also take a backup", bytesText(WriteHeadroom), bytesText(need))
		c.Fix = fmt.Sprintf("free at least %s (old backups in %s?); the forum takes posts again by itself once there is room", bytesText(WriteHeadroom-free), s.cfg.BackupDir())
	case free < need || free < 1<<30 || (total > 0 && free*10 < total):
		c.Status = Warn
		c.Message += fmt.Sprintf(": the forum needs %s to keep writing and take a backup (%s database)", bytesText(need), bytesText(backup))
		c.Fix = "free some space (old backups in " + s.cfg.BackupDir() + "?): backups and the database need room to grow"
	}
	return c
}

// WriteHeadroom is the free space below which SQLite writes may fail: the
// write-ahead log grows before each checkpoint.
const WriteHeadroom = 64 << 20

// FreeSpace returns the bytes free on the filesystem holding dir.
func FreeSpace(dir string) (uint64, error) {
	free, _, err := diskSpace(dir)
	return free, err
}

// databaseBytes is the size of the SQLite database and its log (0 for
// PostgreSQL, whose disk is its server's).
func (c Config) databaseBytes() uint64 {
	if !c.isSQLite() {
		return 0
	}
	var n uint64
	for _, f := range []string{c.DSN(), c.DSN() + "-wal"} {
		if st, err := os.Stat(f); err == nil {
			n += uint64(st.Size())
		}
	}
	return n
}

func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}

func checkDatabase(ctx context.Context, s *session) Check {
	c := Check{Name: "database"}
	if s.cfg.isSQLite() {
		if _, err := os.Stat(s.cfg.dbLabel()); errors.Is(err, fs.ErrNotExist) {
			s.dbErr = errors.New("no database")
			c.Status, c.Message = Fail, "there is no database at "+s.cfg.dbLabel()
			c.Fix = "start `hearth serve` once to create it, or `hearth restore` a backup; check --data and --db"
			return c
		}
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	db, err := s.cfg.open(octx)
	if err != nil {
		s.dbErr = err
		c.Status, c.Message = Fail, "cannot open the database: "+err.Error()
		c.Fix = "check that the database server is running and --db (HEARTH_DB) is right"
		if store.IsCorrupt(err) {
			c.Fix = restoreFix(s.cfg)
		}
		return c
	}
	s.db = db
	v, err := db.ServerVersion(ctx)
	if err != nil {
		s.dbErr = err
		c.Status, c.Message = Fail, "the database opens but does not answer: "+err.Error()
		if store.IsCorrupt(err) {
			c.Fix = restoreFix(s.cfg)
		}
		return c
	}
	name := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[db.Engine()]
	c.Status, c.Message = OK, fmt.Sprintf("%s %s at %s answers", name, v, s.cfg.dbLabel())
	if off, err := db.AutovacuumOff(ctx); err == nil && off {
		// Every reply updates its thread, category and author: without
		// vacuum their dead rows pile up and each reply and page slows.
		c.Status = Warn
		c.Message += ", but with autovacuum off: the rows every reply updates (threads, categories, members) are never cleaned up, and replies and pages slow down as they pile up"
		c.Fix = "set `autovacuum = on` (PostgreSQL's default) in postgresql.conf and reload, or run `VACUUM (ANALYZE)` on the database every few minutes"
	}
	return c
}

// restoreFix names the newest good backup to restore, if there is one.
func restoreFix(cfg Config) string {
	if e, ok, _ := LastGoodBackup(cfg.DataDir); ok {
		return fmt.Sprintf("stop the forum and restore the latest good backup with `hearth restore %s` (made %s)", e.Path(cfg.DataDir), e.CreatedAt.Format(time.RFC3339))
	}
	return "stop the forum and restore the latest good backup with `hearth restore PATH`; without a backup, ask for help before touching the file"
}

// skipped reports a check that needs the database when it did not open.
func skipped(name string) Check {
	return Check{Name: name, Status: Info, Message: "not checked: the database did not open"}
}

func checkSchema(ctx context.Context, s *session) Check {
	c := Check{Name: "schema"}
	if s.db == nil {
		return skipped(c.Name)
	}
	cur, latest, err := s.db.SchemaVersion(ctx)
	if err != nil {
		c.Status, c.Message = Fail, "cannot read the schema version: "+err.Error()
		if store.IsCorrupt(err) {
			c.Fix = restoreFix(s.cfg)
		}
		return c
	}
	switch err := CheckSchema(ctx, s.db, s.cfg.version()); {
	case err == nil && cur == 0:
		c.Status, c.Message = Warn, "the database is empty (never migrated)"
		c.Fix = "`hearth serve` creates the schema on its first start"
	case err == nil:
		c.Status, c.Message = OK, fmt.Sprintf("version %d, the one this binary expects", cur)
	case errors.Is(err, ErrMigrationsPending):
		c.Status, c.Message = Fail, fmt.Sprintf("version %d, older than this binary's %d", cur, latest)
		c.Fix = "run `hearth migrate` (it takes a verified backup first; `hearth migrate --dry-run` shows what it will do)"
	default:
		c.Status, c.Message = Fail, err.Error()
		c.Fix = "install the Hearth version that made this database, or restore a backup made by this version with `hearth restore`"
	}
	return c
}

func checkIntegrity(ctx context.Context, s *session) Check {
	c := Check{Name: "integrity"}
	if s.db == nil {
		return skipped(c.Name)
	}
	if s.db.Engine() != "sqlite" {
		c.Status, c.Message = Info, "skipped: PostgreSQL checks its own pages (enable data checksums in initdb)"
		return c
	}
	kind, check := "quick_check", s.db.QuickCheck
	if s.opts.Full {
		kind, check = "integrity_check and foreign_key_check", s.db.IntegrityCheck
	}
	began := time.Now()
	if err := check(ctx); err != nil {
		c.Status, c.Message = Fail, fmt.Sprintf("SQLite %s failed: %v", kind, err)
		c.Fix = restoreFix(s.cfg)
		if !store.IsCorrupt(err) {
			c.Fix = "run `hearth doctor` again; if it keeps failing, " + c.Fix
		}
		return c
	}
	c.Status, c.Message = OK, fmt.Sprintf("SQLite %s passed in %s", kind, time.Since(began).Round(time.Millisecond))
	if !s.opts.Full {
		c.Message += " (--full for the complete check)"
	}
	return c
}

// checkSearch compares the number of posts with the number the search
// index holds (and, with --full on SQLite, the index with the posts' text).
func checkSearch(ctx context.Context, s *session) Check {
	c := Check{Name: "search index"}
	if s.db == nil {
		return skipped(c.Name)
	}
	if cur, _, err := s.db.SchemaVersion(ctx); err != nil || cur < searchSchema {
		c.Status, c.Message = Info, "not checked: the schema has no search index yet (run `hearth migrate`)"
		return c
	}
	posts, indexed, err := s.db.SearchIndexStatus(ctx)
	if err != nil {
		c.Status, c.Message = Fail, "cannot read the search index: "+err.Error()
		c.Fix = "run `hearth repair`, which rebuilds the index"
		return c
	}
	if posts != indexed {
		c.Status, c.Message = Fail, fmt.Sprintf("the search index holds %d of %d posts: searches miss the others", indexed, posts)
		c.Fix = "run `hearth repair`, which rebuilds the index (safe while the forum serves)"
		return c
	}
	c.Status, c.Message = OK, fmt.Sprintf("all %d posts are indexed", posts)
	if s.opts.Full {
		if err := s.db.SearchIntegrityCheck(ctx); err != nil {
			c.Status, c.Message = Fail, "the search index differs from the posts: "+err.Error()
			c.Fix = "run `hearth repair`, which rebuilds the index (safe while the forum serves)"
			return c
		}
		if s.db.Engine() == "sqlite" {
			c.Message += ", and the index matches their text"
		}
	}
	return c
}

// searchSchema is the migration that made the search index.
const searchSchema = 15

func checkBackups(_ context.Context, s *session) Check {
	c := Check{Name: "backups"}
	list, err := ReadIndex(s.cfg.DataDir)
	if err != nil {
		c.Status, c.Message = Warn, err.Error()
		c.Fix = "move the damaged index aside and run `hearth backup`"
		return c
	}
	e, ok, _ := LastGoodBackup(s.cfg.DataDir)
	if !ok {
		c.Status, c.Message = Warn, "no verified backup found in "+s.cfg.BackupDir()
		c.Fix = "run `hearth backup` now; a running serve makes one within a minute and then every hour (--backup-every), unless started with --backup-every 0"
		return c
	}
	age := s.now.Sub(e.CreatedAt)
	c.Status = OK
	c.Message = fmt.Sprintf("last good backup %s ago: %s (%s)", ageText(age), e.Path(s.cfg.DataDir), bytesText(uint64(e.Size)))
	if age > 26*time.Hour {
		c.Status = Warn
		c.Fix = "run `hearth backup`, and check that serve runs with --backup-every"
	}
	if last := list[len(list)-1]; !last.OK {
		c.Status = Warn
		c.Message += fmt.Sprintf("; the newest backup (%s) failed verification: %s", last.File, last.Error)
		c.Fix = "run `hearth backup` and read its error; check free disk"
	}
	return c
}

func ageText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	default:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
}

func checkClock(ctx context.Context, s *session) Check {
	c := Check{Name: "clock", Status: OK, Message: "system time " + s.now.UTC().Format(time.RFC3339)}
	if s.now.Year() < 2024 {
		c.Status = Warn
		c.Message += ", which is in the past"
		c.Fix = "set the system clock (enable NTP: timedatectl set-ntp true)"
		return c
	}
	if s.db == nil {
		return c
	}
	newest, err := s.db.NewestPostTime(ctx)
	if err != nil {
		c.Status, c.Message = Info, "could not read the newest post: "+err.Error()
		return c
	}
	if ahead := newest.Sub(s.now); ahead > 5*time.Minute {
		c.Status = Warn
		c.Message += fmt.Sprintf(", but the newest post is %s in the future", ageText(ahead))
		c.Fix = "the clock was wrong then or is wrong now: check it (timedatectl; enable NTP)"
	}
	return c
}

func checkServer(_ context.Context, s *session) Check {
	if pid, held := ServeLockHeld(s.cfg.DataDir); held {
		return Check{Name: "server", Status: Info, Message: fmt.Sprintf("hearth serve is running on this data directory (pid %d)", pid)}
	}
	return Check{Name: "server", Status: Info, Message: "no hearth serve is running on " + filepath.Clean(s.cfg.DataDir)}
}
