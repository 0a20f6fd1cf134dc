package app_test

import (
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/ops"
)

// mountTmpfs mounts a tmpfs of size bytes for the test: a filesystem it
// may fill up or make read-only without touching the machine's own.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the SQLite disk tests need root, as .ci/run has", err)
	}
	t.Cleanup(func() {
		for range 50 { // the server may still be closing its files
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	return dir
}

// fill writes a file until the filesystem of dir is full and returns it.
func fill(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return name
			}
			t.Fatal(err)
		}
	}
}

// TestSQLiteDiskFull: a full disk turns the forum read-only with a banner
// saying why, reading goes on, a reply typed meanwhile is kept in its form,
// doctor says how much room is needed, and posting comes back by itself
// once there is room.
func TestSQLiteDiskFull(t *testing.T) {
	dir := mountTmpfs(t, 80<<20) // more than ops.WriteHeadroom once emptied
	data := filepath.Join(dir, "data")
	f := newFailForum(t, app.Config{DataDir: data})
	tid := strconv.FormatInt(f.threadID, 10)
	filler := fill(t, dir)

	// Replies until the database cannot grow: every answer is a success or
	// the read-only refusal, never a 500.
	long := strings.Repeat("A long reply about fares and hotels. ", 200)
	var refused page
	for i := range 400 {
		p := f.mia.post("/t/"+tid+"/reply", url.Values{"body": {long + strconv.Itoa(i)}})
		if p.status == 303 {
			continue
		}
		refused = p
		break
	}
	expect(t, "reply on a full disk", refused, 503, "ran out of disk space", "A long reply about fares")
	if refused.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on the refusal")
	}
	expect(t, "guest reads on a full disk", f.guest.get(f.threadPath), 200, "All is well.", "ran out of disk space")
	p := f.mia.get(f.threadPath)
	expect(t, "member reads on a full disk", p, 200, "ran out of disk space")
	if strings.Contains(p.body, "Post reply") {
		t.Error("the reply form is offered on a full disk")
	}
	st, out := api(t, f.a.URL(), "POST", "/api/v1/threads/"+tid+"/posts", f.token, map[string]any{"body": "from the API"})
	if st != 503 || !strings.Contains(out["error"].(string), "disk space") {
		t.Errorf("API reply on a full disk: %d %v", st, out)
	}
	checkDegraded(t, "full disk", f.visit(t))

	r := ops.Doctor(t.Context(), ops.Config{DataDir: data}, ops.DoctorOptions{})
	for _, c := range r.Checks {
		if c.Name == "free disk" && (c.Status != ops.Fail || !strings.Contains(c.Message, "needs at least 64.0 MiB free") || !strings.Contains(c.Fix, "free at least")) {
			t.Errorf("doctor on a full disk: %+v", c)
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := f.mia.post("/t/"+tid+"/reply", url.Values{"body": {"Room again."}})
		if p.status == 303 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("posting did not come back within 10 s of there being room: %d", p.status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if p := f.guest.get(f.threadPath); strings.Contains(p.body, "ran out of disk space") {
		t.Error("the banner stayed after the disk had room")
	}
}

// TestSQLiteFileFailures: the database file made read-only (immutable), and
// the database file removed or replaced under the running forum. No 5xx
// but 503, and back within 10 s of the file's return.
func TestSQLiteFileFailures(t *testing.T) {
	kinds := []struct {
		name         string
		break_, mend func(t *testing.T, dir, db string)
		readsGoOn    bool
	}{
		{"file made read-only (immutable)", func(t *testing.T, _, db string) {
			for _, f := range []string{db, db + "-wal"} {
				if out, err := exec.Command("chattr", "+i", f).CombinedOutput(); err != nil {
					t.Skipf("chattr +i %s: %v %s: needs root and a filesystem with file attributes", f, err, out)
				}
			}
		}, func(t *testing.T, _, db string) {
			for _, f := range []string{db, db + "-wal"} {
				exec.Command("chattr", "-i", f).Run()
			}
		}, true},
		{"file removed", func(t *testing.T, _, db string) {
			must(t, os.Link(db, db+".kept"))
			must(t, os.Remove(db))
		}, func(t *testing.T, _, db string) { must(t, os.Rename(db+".kept", db)) }, false},
		{"file replaced", func(t *testing.T, _, db string) {
			must(t, os.Link(db, db+".kept"))
			copyFile(t, db, db+".copy")
			must(t, os.Rename(db+".copy", db))
		}, func(t *testing.T, _, db string) { must(t, os.Rename(db+".kept", db)) }, false},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			dir := t.TempDir() // on the machine's disk: tmpfs has no immutable attribute
			data := filepath.Join(dir, "data")
			f := newFailForum(t, app.Config{DataDir: data})
			checkDegraded(t, "before", f.visit(t))
			k.break_(t, dir, filepath.Join(data, "hearth.db"))
			if k.readsGoOn {
				t.Cleanup(func() { k.mend(t, dir, filepath.Join(data, "hearth.db")) }) // or TempDir cannot remove it
			}
			checkDegraded(t, "first requests", f.visit(t))
			if k.readsGoOn {
				tid := strconv.FormatInt(f.threadID, 10)
				expect(t, "a reply to a read-only file", f.mia.post("/t/"+tid+"/reply", url.Values{"body": {"Kept?"}}), 503, "Kept?")
				expect(t, "reading a read-only file", f.guest.get("/m/1"), 200)
			} else {
				waitFor(t, "the monitor to notice", func() bool { return f.guest.get("/m/1").status == 503 })
			}
			checkDegraded(t, "during", f.visit(t))
			k.mend(t, dir, filepath.Join(data, "hearth.db"))
			f.waitRecovered(t)
			checkDegraded(t, "after", f.visit(t))
			if _, err := f.a.Service.Reply(t.Context(), mustMember(t, f.a, "mia@example.org"), f.threadID, "Written after recovery.", 0); err != nil {
				t.Errorf("write after recovery: %v", err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	must(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	must(t, err)
	_, err = io.Copy(out, in)
	must(t, errors.Join(err, out.Close()))
}

func mustMember(t *testing.T, a *app.App, email string) *forum.Member {
	t.Helper()
	m, err := a.Store.MemberByEmail(t.Context(), email)
	must(t, err)
	return m
}

// TestSQLiteIOErrors: the filesystem under the database fails, every read
// and write of its files answering EIO (an ext4 filesystem on a loop
// device, shut down as the kernel does on a failing disk). No 5xx but
// 503, and back within 10 s of the filesystem's return (mounted again).
func TestSQLiteIOErrors(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	dir := t.TempDir()
	must(t, os.WriteFile(img, nil, 0o600))
	must(t, os.Truncate(img, 96<<20))
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v %s: the I/O error test needs e2fsprogs", err, out)
	}
	mount := func() {
		if out, err := exec.Command("mount", "-o", "loop", img, dir).CombinedOutput(); err != nil {
			t.Skipf("mount -o loop: %v %s: the I/O error test needs root and loop devices, as .ci/run has", err, out)
		}
	}
	mount()
	t.Cleanup(func() {
		for range 50 { // the server may still be closing its files
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err == nil || errors.Is(err, syscall.EINVAL) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	data := filepath.Join(dir, "data")
	f := newFailForum(t, app.Config{DataDir: data})
	checkDegraded(t, "before", f.visit(t))

	shutdownFS(t, dir)
	checkDegraded(t, "first requests", f.visit(t))
	waitFor(t, "the monitor to notice", func() bool { return f.guest.get("/m/1").status == 503 })
	checkDegraded(t, "during", f.visit(t))

	must(t, syscall.Unmount(dir, syscall.MNT_DETACH))
	mount()
	f.waitRecovered(t)
	checkDegraded(t, "after", f.visit(t))
	if _, err := f.a.Service.Reply(t.Context(), mustMember(t, f.a, "mia@example.org"), f.threadID, "Written after recovery.", 0); err != nil {
		t.Errorf("write after recovery: %v", err)
	}
}

// shutdownFS makes every later access to the ext4 filesystem at dir fail
// with EIO (EXT4_IOC_SHUTDOWN, flushing the journal first so that what was
// committed is there when it is mounted again).
func shutdownFS(t *testing.T, dir string) {
	t.Helper()
	d, err := os.Open(dir)
	must(t, err)
	defer d.Close()
	const ext4IocShutdown, logFlush = 0x8004587D, 1
	flag := uint32(logFlush)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, d.Fd(), ext4IocShutdown, uintptr(unsafe.Pointer(&flag))); e != 0 {
		t.Skipf("EXT4_IOC_SHUTDOWN: %v", e)
	}
}
