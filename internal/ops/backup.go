package ops

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// Backuper makes verified backups of one database and data directory.
type Backuper struct {
	Config Config
	DB     *store.DB        // the open database; the forum may be serving from it
	Now    func() time.Time // the clock; tests set it
	Log    *slog.Logger     // optional
}

// BackupOptions tune one backup.
type BackupOptions struct {
	To   string // archive path; default DATA/backups/hearth-<UTC time>.tar.gz
	Kind string // recorded in the index: "manual" (default), "scheduled", "pre-migrate"
}

func (b *Backuper) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

// Backup writes an archive, verifies it (reopens it, checks every checksum,
// the database's integrity and row counts) and records the result in the
// index. A backup that fails verification is kept, recorded as not ok, and
// returned with an error saying why.
func (b *Backuper) Backup(ctx context.Context, opts BackupOptions) (Entry, error) {
	began := time.Now()
	now := b.now()
	if opts.Kind == "" {
		opts.Kind = "manual"
	}
	dest, err := b.destination(opts, now)
	if err != nil {
		return Entry{}, err
	}
	work, err := os.MkdirTemp(filepath.Dir(dest), ".backup-")
	if err != nil {
		return Entry{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)

	m := &Manifest{Format: FormatVersion, CreatedAt: now, Engine: b.DB.Engine(), HearthVersion: b.Config.version()}
	partial := dest + ".partial"
	defer os.Remove(partial)
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Entry{}, fmt.Errorf("backup: %w", err)
	}
	aw := newArchiveWriter(f)
	bar := b.Config.Progress
	defer bar.Done()
	err = b.snapshot(ctx, work, m, aw)
	if err == nil {
		if n := treeSize(b.Config.AttachmentDir()); n > 0 {
			bar.Stage("archiving the attachments", n, progress.Bytes)
			aw.bar = bar
		}
		err = aw.addTree("attachments", b.Config.AttachmentDir())
	}
	if err == nil {
		bar.Stage("writing the archive", 0, progress.Rows)
		err = aw.close(m)
	}
	if err != nil {
		f.Close()
		return Entry{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(partial, dest); err != nil {
		return Entry{}, fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(dest))

	e := Entry{File: dest, Kind: opts.Kind, CreatedAt: now, Engine: m.Engine, Schema: m.SchemaVersion, Counts: m.Counts}
	if rel, err := filepath.Rel(b.Config.BackupDir(), dest); err == nil && !strings.Contains(rel, string(filepath.Separator)) && !strings.HasPrefix(rel, "..") {
		e.File = rel
	}
	if st, err := os.Stat(dest); err == nil {
		e.Size = st.Size()
	}
	bar.Stage("verifying the backup", 0, progress.Rows)
	_, sum, verr := Verify(ctx, dest)
	bar.Done()
	e.SHA256, e.VerifiedAt, e.OK = sum, time.Now().UTC(), verr == nil
	if verr != nil {
		e.Error = verr.Error()
	}
	e.Seconds = time.Since(began).Seconds()
	if err := updateIndex(b.Config.DataDir, func(l []Entry) []Entry { return append(l, e) }); err != nil {
		return e, fmt.Errorf("backup written to %s but not recorded in the index: %w", dest, err)
	}
	if verr != nil {
		return e, fmt.Errorf("the backup %s failed verification and must not be relied on: %w", dest, verr)
	}
	if b.Log != nil {
		b.Log.Info("backup done", "file", dest, "bytes", e.Size, "seconds", e.Seconds)
	}
	return e, nil
}

// destination picks the archive path: --to, or a new timestamped name.
func (b *Backuper) destination(opts BackupOptions, now time.Time) (string, error) {
	if opts.To != "" {
		if _, err := os.Stat(opts.To); err == nil {
			return "", fmt.Errorf("%s already exists: choose another --to path", opts.To)
		}
		abs, err := filepath.Abs(opts.To)
		if err != nil {
			return "", err
		}
		return abs, os.MkdirAll(filepath.Dir(abs), 0o700)
	}
	dir := b.Config.BackupDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create backup folder: %w", err)
	}
	prefix := "hearth-"
	if opts.Kind == "pre-migrate" {
		prefix = "pre-migrate-"
	}
	base := prefix + now.Format("20060102T150405Z")
	for i := 1; ; i++ {
		name := base + ".tar.gz"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.tar.gz", base, i)
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(p + ".partial"); errors.Is(err, fs.ErrNotExist) {
				return filepath.Abs(p)
			}
		}
	}
}

// snapshot adds the database to the archive: a VACUUM INTO copy for
// SQLite, a logical export inside one snapshot transaction for PostgreSQL.
func (b *Backuper) snapshot(ctx context.Context, work string, m *Manifest, aw *archiveWriter) error {
	bar := b.Config.Progress
	if b.DB.Engine() == "sqlite" {
		copyPath := filepath.Join(work, "hearth.db")
		var size int64
		if st, err := os.Stat(b.DB.Path()); err == nil {
			size = st.Size() // VACUUM INTO writes about this much, less free pages
		}
		bar.Stage("copying the database", size, progress.Bytes)
		stop := watchSize(bar, copyPath)
		err := b.DB.BackupSQLite(ctx, copyPath)
		stop()
		if err != nil {
			return err
		}
		bar.Stage("counting the copy", 0, progress.Rows)
		if err := describeSQLite(ctx, copyPath, m); err != nil {
			return err
		}
		m.Content = "sqlite"
		bar.Stage("archiving the database", fileSize(copyPath), progress.Bytes)
		aw.bar = bar
		defer func() { aw.bar = nil }()
		return aw.addFile("hearth.db", copyPath)
	}
	m.Content = "jsonl"
	var rows int64
	if bar != nil {
		counts, err := b.DB.TableCounts(ctx)
		if err != nil {
			return err
		}
		for _, n := range counts {
			rows += n
		}
	}
	bar.Stage("exporting rows", rows, progress.Rows)
	if err := exportJSONL(ctx, b.DB, filepath.Join(work, "db"), m, bar); err != nil {
		return err
	}
	names, err := os.ReadDir(filepath.Join(work, "db"))
	if err != nil {
		return err
	}
	bar.Stage("archiving the database", treeSize(filepath.Join(work, "db")), progress.Bytes)
	aw.bar = bar
	defer func() { aw.bar = nil }()
	for _, n := range names {
		if err := aw.addFile("db/"+n.Name(), filepath.Join(work, "db", n.Name())); err != nil {
			return err
		}
	}
	return nil
}

// describeSQLite fills the manifest's schema version and row counts from
// the copy (the snapshot itself, not the live database).
func describeSQLite(ctx context.Context, path string, m *Manifest) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	if m.SchemaVersion, m.Migration, err = db.LastMigration(ctx); err != nil {
		return err
	}
	m.Counts, err = db.TableCounts(ctx)
	return err
}

// exportJSONL writes one db/<table>.jsonl per table, a JSON object per row.
func exportJSONL(ctx context.Context, db *store.DB, dir string, m *Manifest, bar *progress.Bar) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	m.Counts = map[string]int64{}
	var (
		cur  string
		f    *os.File
		w    *bufio.Writer
		enc  *json.Encoder
		done []string
	)
	closeCur := func() error {
		if f == nil {
			return nil
		}
		err := w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		f = nil
		return err
	}
	err := db.ExportTables(ctx, func(table string, row map[string]any) error {
		if table != cur {
			if err := closeCur(); err != nil {
				return err
			}
			var err error
			if f, err = os.OpenFile(filepath.Join(dir, table+".jsonl"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
				return err
			}
			w = bufio.NewWriterSize(f, 1<<20)
			enc = json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			cur = table
			done = append(done, table)
		}
		m.Counts[table]++
		bar.Add(1)
		if table == "schema_migrations" {
			if v, ok := row["version"].(int64); ok && int(v) > m.SchemaVersion {
				m.SchemaVersion = int(v)
				m.Migration, _ = row["name"].(string)
			}
		}
		return enc.Encode(row)
	})
	if cerr := closeCur(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Empty tables get an empty file and a zero count, so the restore
	// knows they existed.
	tables, err := db.TableCounts(ctx)
	if err != nil {
		return err
	}
	for t := range tables {
		if !slices.Contains(done, t) {
			m.Counts[t] = 0
			if err := os.WriteFile(filepath.Join(dir, t+".jsonl"), nil, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}

// watchSize sets bar to the size of the file at path every Interval,
// for a copy made by something that tells nothing (VACUUM INTO), until
// the returned stop is called.
func watchSize(bar *progress.Bar, path string) (stop func()) {
	if bar == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(progress.Interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				bar.Set(fileSize(path))
				return
			case <-t.C:
				bar.Set(fileSize(path))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// treeSize adds up the regular files under dir (0 if there is none).
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// jsonlSource reads the db/*.jsonl files of an extracted archive in
// dependency order.
func jsonlSource(ctx context.Context, dir string) store.RowSource {
	return func(emit func(string, map[string]any) error) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		var tables []string
		for _, e := range entries {
			if t, ok := strings.CutSuffix(e.Name(), ".jsonl"); ok {
				tables = append(tables, t)
			}
		}
		rank := func(t string) int {
			if i := slices.Index(store.BackupTables, t); i >= 0 {
				return i
			}
			return len(store.BackupTables)
		}
		sort.SliceStable(tables, func(i, j int) bool {
			if rank(tables[i]) != rank(tables[j]) {
				return rank(tables[i]) < rank(tables[j])
			}
			return tables[i] < tables[j]
		})
		for _, t := range tables {
			if err := readJSONL(ctx, filepath.Join(dir, t+".jsonl"), t, emit); err != nil {
				return err
			}
		}
		return nil
	}
}

func readJSONL(ctx context.Context, path, table string, emit func(string, map[string]any) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	dec.UseNumber()
	for line := 1; dec.More(); line++ {
		if line%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			return fmt.Errorf("%s row %d: %w", filepath.Base(path), line, err)
		}
		for k, v := range row {
			if n, ok := v.(json.Number); ok {
				if i, err := n.Int64(); err == nil {
					row[k] = i
				} else if fl, err := n.Float64(); err == nil {
					row[k] = fl
				}
			}
		}
		if err := emit(table, row); err != nil {
			return err
		}
	}
	return nil
}
