package ops

import (
	"context"
	"fmt"

	"os"
	"path/filepath"
	"sort"
	"strings"

	"hearth/internal/roster"
	"hearth/internal/status"
)

// checkPermissions warns when files holding members' data (the database,
// backups, the status file) can be read by other users of the machine, or
// the data directory can be entered by anyone. Hearth creates them
// owner-only; older installs, copies and restores by hand may not be.
func checkPermissions(_ context.Context, s *session) Check {
	c := Check{Name: "file permissions"}
	dir := s.cfg.DataDir
	var loose []string
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o007 != 0 {
		loose = append(loose, fmt.Sprintf("%s (%04o)", dir, st.Mode().Perm()))
	}
	files := []string{filepath.Join(dir, status.FileName), roster.Path(dir)}
	if s.cfg.isSQLite() {
		db := s.cfg.DSN()
		files = append(files, db, db+"-wal", db+"-shm")
	}
	backups, _ := filepath.Glob(filepath.Join(s.cfg.BackupDir(), "*.tar.gz"))
	files = append(files, backups...)
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			continue // absent: nothing to protect
		}
		if st.Mode().Perm()&0o077 != 0 {
			loose = append(loose, fmt.Sprintf("%s (%04o)", f, st.Mode().Perm()))
		}
	}
	if len(loose) == 0 {
		c.Status, c.Message = OK, "the database, backups, status file and member roster are readable by their owner only"
		return c
	}
	sort.Strings(loose)
	c.Status = Warn
	c.Message = "other users of this machine can read members' data: " + strings.Join(loose, ", ")
	c.Fix = fmt.Sprintf("chmod 700 %s && chmod 600 %s", dir, strings.Join(quoteAll(files), " "))
	return c
}

func quoteAll(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if strings.ContainsAny(p, " '\"$`\\") {
			p = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
		out = append(out, p)
	}
	return out
}
