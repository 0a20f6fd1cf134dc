package ops

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"hearth/internal/atomicfile"
)

// DATA/backups/index.json records every backup and the result of its
// verification. Writers hold an flock on index.lock and replace the file
// atomically, so a scheduled backup and `hearth backup` can overlap.

// Entry is one backup in the index.
type Entry struct {
	File       string           `json:"file"` // name in the backups folder, or an absolute path (--to)
	Kind       string           `json:"kind"` // "scheduled", "manual" or "pre-migrate"
	SHA256     string           `json:"sha256"`
	Size       int64            `json:"size"`
	CreatedAt  time.Time        `json:"created_at"`
	VerifiedAt time.Time        `json:"verified_at"`
	OK         bool             `json:"ok"`
	Error      string           `json:"error,omitempty"`
	Engine     string           `json:"engine"`
	Schema     int              `json:"schema_version"`
	Counts     map[string]int64 `json:"row_counts"`
	Seconds    float64          `json:"seconds"` // time to make and verify it
}

// Path returns the entry's archive path.
func (e Entry) Path(dataDir string) string {
	if filepath.IsAbs(e.File) {
		return e.File
	}
	return filepath.Join(dataDir, "backups", e.File)
}

func indexPath(dataDir string) string { return filepath.Join(dataDir, "backups", "index.json") }

// ReadIndex returns the index's entries, oldest first (none if absent).
func ReadIndex(dataDir string) ([]Entry, error) {
	b, err := os.ReadFile(indexPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read backup index: %w", err)
	}
	var list []Entry
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("backup index %s is damaged: %w", indexPath(dataDir), err)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.Before(list[j].CreatedAt) })
	return list, nil
}

// updateIndex applies fn to the entries under the index lock and writes
// the result atomically.
func updateIndex(dataDir string, fn func([]Entry) []Entry) error {
	dir := filepath.Join(dataDir, "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	lf, err := os.OpenFile(filepath.Join(dir, "index.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lf.Fd()), syscall.LOCK_UN)
	list, err := ReadIndex(dataDir)
	if err != nil {
		return err
	}
	list = fn(list)
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(indexPath(dataDir), append(b, '\n'), 0o600)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// LastGoodBackup returns the newest backup that passed verification and
// whose file still exists; ok is false when there is none.
func LastGoodBackup(dataDir string) (e Entry, ok bool, err error) {
	list, err := ReadIndex(dataDir)
	if err != nil {
		return Entry{}, false, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		if !list[i].OK {
			continue
		}
		if _, err := os.Stat(list[i].Path(dataDir)); err == nil {
			return list[i], true, nil
		}
	}
	return Entry{}, false, nil
}
