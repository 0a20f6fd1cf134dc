package ops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"hearth/internal/progress"
	"hearth/internal/store"
)

// Verify reopens a backup archive the way a restore would: it extracts it
// to a scratch folder, checks every member's SHA-256, opens the database
// (a SQLite copy, or a logical export imported into a scratch SQLite) and
// runs a full integrity check, and compares the row counts with the
// manifest. It returns the manifest and the archive's SHA-256.
func Verify(ctx context.Context, archive string) (*Manifest, string, error) {
	work, err := os.MkdirTemp(filepath.Dir(archive), ".verify-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(work)
	m, sum, err := extractArchive(archive, work, nil)
	if err != nil {
		return nil, sum, err
	}
	db, err := openExtracted(ctx, work, m)
	if err != nil {
		return m, sum, err
	}
	defer db.Close()
	if err := db.IntegrityCheck(ctx); err != nil {
		return m, sum, fmt.Errorf("the database in the backup fails its integrity check: %w", err)
	}
	got, err := db.TableCounts(ctx)
	if err != nil {
		return m, sum, err
	}
	if err := compareCounts(m, got); err != nil {
		return m, sum, err
	}
	return m, sum, nil
}

// openExtracted opens the database of an extracted archive as SQLite:
// the copy itself, or a scratch file the export is imported into.
func openExtracted(ctx context.Context, dir string, m *Manifest) (*store.DB, error) {
	switch m.Content {
	case "sqlite":
		db, err := store.Open(ctx, filepath.Join(dir, "hearth.db"))
		if err != nil {
			return nil, fmt.Errorf("the database in the backup does not open: %w", err)
		}
		return db, nil
	case "jsonl":
		db, err := store.Open(ctx, filepath.Join(dir, "scratch.db"))
		if err != nil {
			return nil, err
		}
		if err := importExport(ctx, db, filepath.Join(dir, "db"), m, false, nil); err != nil {
			db.Close()
			return nil, fmt.Errorf("the backup's tables do not import: %w", err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("the backup holds unknown content %q", m.Content)
}

// importExport migrates db and imports an extracted export into it,
// counting its rows into bar.
func importExport(ctx context.Context, db *store.DB, dir string, m *Manifest, replace bool, bar *progress.Bar) error {
	if err := checkBackupSchema(ctx, db, m); err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	return db.ImportTables(ctx, replace, counted(jsonlSource(ctx, dir), bar))
}

// counted is src with every row it gives counted into bar.
func counted(src store.RowSource, bar *progress.Bar) store.RowSource {
	if bar == nil {
		return src
	}
	return func(emit func(string, map[string]any) error) error {
		return src(func(table string, row map[string]any) error {
			bar.Add(1)
			return emit(table, row)
		})
	}
}

// rowTotal is how many rows the backup's manifest counts.
func rowTotal(m *Manifest) int64 {
	var n int64
	for _, c := range m.Counts {
		n += c
	}
	return n
}

// checkBackupSchema refuses a backup from a newer schema than this binary.
func checkBackupSchema(ctx context.Context, db *store.DB, m *Manifest) error {
	_, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if m.SchemaVersion > latest {
		return fmt.Errorf("the backup was made by a newer Hearth (%s, schema %d); this binary knows schema %d: use a newer Hearth to restore it",
			m.HearthVersion, m.SchemaVersion, latest)
	}
	return nil
}

// compareCounts checks the database holds the rows the manifest promises.
// An import migrates its own schema, so schema_migrations is not compared.
func compareCounts(m *Manifest, got map[string]int64) error {
	var probs []string
	for t, n := range m.Counts {
		if t == "schema_migrations" && m.Content != "sqlite" {
			continue
		}
		if got[t] != n {
			probs = append(probs, fmt.Sprintf("%s has %d rows, the manifest says %d", t, got[t], n))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return fmt.Errorf("the backup's row counts do not match its manifest: %s", strings.Join(probs, "; "))
	}
	return nil
}
