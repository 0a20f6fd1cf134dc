// Package atomicfile writes a file so that a crash or power loss leaves
// the old content or the new, never half of it: what every small state
// file outside the database (the status page, the roster, a broadcast's
// message, the watcher's state, the backup index) is written with.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to path with perm: a temporary file in the same
// directory, fsync, rename over path, fsync of the directory (so that the
// rename itself survives power loss). The directory must exist.
func Write(path string, b []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
