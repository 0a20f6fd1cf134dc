//go:build unix

package ops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The serve lock tells restore (and anything else that must not run under
// a live forum) that `hearth serve` is using this data directory. It is an
// flock(2): the kernel drops it when the process dies, so it is never stale.

func lockPath(dataDir string) string { return filepath.Join(dataDir, "hearth.lock") }

// AcquireServeLock takes the serve lock on dataDir and writes this
// process's PID into it. It fails, naming the PID, if another process
// holds it. release drops the lock.
func AcquireServeLock(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dataDir, err)
	}
	f, err := os.OpenFile(lockPath(dataDir), os.O_RDWR|os.O_CREATE, 0o600)
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

// StopServer asks the `hearth serve` holding dataDir's lock to stop
// (SIGTERM: it finishes the requests in flight) and waits until it has let
// go of the lock. It is what `hearth restore --stop` does when told to.
func StopServer(ctx context.Context, dataDir string, wait time.Duration) error {
	pid, held := ServeLockHeld(dataDir)
	if !held {
		return nil
	}
	if pid <= 0 {
		return errors.New("a hearth serve holds the data directory but its PID is unreadable: stop it by hand")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop hearth serve (pid %d): %w", pid, err)
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if _, held := ServeLockHeld(dataDir); !held {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("hearth serve (pid %d) did not stop within %s", pid, wait)
}
