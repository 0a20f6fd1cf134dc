package ops

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hearth/internal/progress"
	"hearth/internal/store/storetest"
)

// TestProgressStages: with Config.Progress set, backup and restore tell
// each stage and count what they move; without it nothing is written
// (the other tests).
func TestProgressStages(t *testing.T) {
	tests := []struct {
		engine        string
		backupStages  []string
		restoreStages []string
	}{
		{"sqlite",
			[]string{"copying the database: ", "counting the copy", "archiving the database: ", "archiving the attachments: ", "writing the archive", "verifying the backup"},
			[]string{"reading the archive: ", "checking the database"}},
		{"postgres",
			[]string{"exporting rows: ", "archiving the database: ", "verifying the backup"},
			// A logical export imports into the new SQLite file, row by row.
			[]string{"reading the archive: ", "importing rows: ", "checking the database"}},
	}
	for _, tt := range tests {
		t.Run(tt.engine, func(t *testing.T) {
			cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), Version: "test"}
			if tt.engine == "postgres" {
				cfg.DB = storetest.CreatePostgres(t)
			}
			db := openMigrated(t, cfg.DSN())
			fill(t, db, 40)
			if tt.engine == "sqlite" {
				writeFile(t, filepath.Join(cfg.AttachmentDir(), "doc.pdf"), "%PDF pretend")
			}
			var out bytes.Buffer
			cfg.Progress = progress.New(&out)
			e, err := (&Backuper{Config: cfg, DB: db}).Backup(t.Context(), BackupOptions{})
			must(t, err)
			for _, s := range tt.backupStages {
				if !strings.Contains(out.String(), "\r"+s) {
					t.Errorf("backup progress lacks %q:\n%q", s, out.String())
				}
			}
			var rows int64
			for _, n := range e.Counts {
				rows += n
			}
			if tt.engine == "postgres" {
				wantRows(t, out.String(), "exporting rows", rows)
			}

			out.Reset()
			dest := Config{DataDir: filepath.Join(t.TempDir(), "restored"), Version: "test", Progress: progress.New(&out)}
			_, err = Restore(t.Context(), dest, e.Path(cfg.DataDir), RestoreOptions{})
			must(t, err)
			for _, s := range tt.restoreStages {
				if !strings.Contains(out.String(), "\r"+s) {
					t.Errorf("restore progress lacks %q:\n%q", s, out.String())
				}
			}
			if tt.engine == "postgres" {
				wantRows(t, out.String(), "importing rows", rows)
			}
			if !strings.HasSuffix(out.String(), "\n") {
				t.Errorf("the last stage's line is not finished: %q", out.String())
			}
		})
	}
}

// wantRows checks the stage's final line counted every row.
func wantRows(t *testing.T, out, stage string, rows int64) {
	t.Helper()
	m := regexp.MustCompile(stage + `: ([0-9,]+) in `).FindStringSubmatch(out)
	if m == nil || strings.ReplaceAll(m[1], ",", "") != strconv.FormatInt(rows, 10) {
		t.Errorf("%s: %v, want %d rows in:\n%q", stage, m, rows, out)
	}
}
