package status

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"hearth/internal/atomicfile"
)

// lock takes an exclusive flock(2) on path, creating it, and returns its
// release. `hearth status …` runs beside `hearth serve` and both write the
// same files: each read-change-write happens under the lock, so neither
// loses the other's change. The kernel drops the lock if the process
// dies, so it is never stale.
func lock(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// WriteFileAtomic writes b to path atomically (internal/atomicfile),
// making its directory first if need be.
func WriteFileAtomic(path string, b []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, b, perm)
}
