//go:build unix

package ops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The serve lock tells restore (and anything else that must not run under
// a live forum) that `hearth serve` is using this data directory. It is an
// flock(2): the kernel drops it when the process dies, so it is never stale.

func lockPath(dataDir string) string { return filepath.Join(dataDir, "hearth.lock") }

// AcquireServeLock takes the serve lock on dataDir and writes this
// process's PID into it. It fails, naming the PID, if another process
// holds it. release drops the lock.
func AcquireServeLock(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	f, err := os.OpenFile(lockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := ServeLockHeld(dataDir)
			return nil, fmt.Errorf("another hearth serve (pid %d) is already running on %s: stop it first", pid, dataDir)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath(dataDir), err)
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// ServeLockHeld reports whether a process holds the serve lock on dataDir,
// and its PID (0 if unreadable).
func ServeLockHeld(dataDir string) (pid int, held bool) {
	f, err := os.Open(lockPath(dataDir))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0, false
	}
	b, _ := os.ReadFile(lockPath(dataDir))
	pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, true
}
