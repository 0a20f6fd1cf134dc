package ops

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hearth/internal/forum"
)

// TestBackupRestoreRoundTrip backs up a forum with attachments, changes
// both, restores, and checks everything is as it was at the backup.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := t.Context()
	cfg := newForum(t, 50)
	att := cfg.AttachmentDir()
	writeFile(t, filepath.Join(att, "2025/03/photo.jpg"), "\xff\xd8 not really a jpeg")
	writeFile(t, filepath.Join(att, "notes.txt"), "hello")
	want := counts(t, cfg.DSN())

	e := backup(t, cfg, BackupOptions{})
	if !e.OK || e.SHA256 == "" || e.Size == 0 || e.Counts["posts"] != 50 {
		t.Fatalf("backup entry %+v", e)
	}
	last, ok, err := LastGoodBackup(cfg.DataDir)
	must(t, err)
	if !ok || last.File != e.File || filepath.Dir(last.Path(cfg.DataDir)) != cfg.BackupDir() {
		t.Fatalf("LastGoodBackup = %+v, %v; want %s", last, ok, e.File)
	}

	// Life goes on: a new post, an attachment deleted, another added.
	db := openMigrated(t, cfg.DSN())
	for _, n := range []string{"dee", "eve", "fay"} {
		must(t, db.CreateMember(ctx, &forum.Member{Email: n + "@example.org", Name: n, Role: forum.RoleMember, Status: forum.StatusActive}))
	}
	db.Close()
	must(t, os.Remove(filepath.Join(att, "notes.txt")))
	writeFile(t, filepath.Join(att, "later.txt"), "after the backup")

	rep, err := Restore(ctx, cfg, e.Path(cfg.DataDir), RestoreOptions{})
	if err == nil && rep.Attachments != 2 {
		t.Errorf("restored %d attachments, want 2", rep.Attachments)
	}
	must(t, err)
	if got := counts(t, cfg.DSN()); !maps.Equal(got, want) {
		t.Errorf("after restore: %v, want %v", got, want)
	}
	if readFile(t, filepath.Join(att, "notes.txt")) != "hello" || readFile(t, filepath.Join(att, "2025/03/photo.jpg")) != "\xff\xd8 not really a jpeg" {
		t.Error("attachments not restored")
	}
	if _, err := os.Stat(filepath.Join(att, "later.txt")); err == nil {
		t.Error("an attachment added after the backup survived the restore")
	}
	// The replaced database and attachments are kept aside.
	if readFile(t, filepath.Join(rep.PreviousAttachments, "later.txt")) != "after the backup" {
		t.Error("previous attachments not kept")
	}
	if got := counts(t, rep.Previous); got["members"] != want["members"]+3 {
		t.Errorf("previous database kept with %v", got)
	}
	db = openMigrated(t, cfg.DSN())
	must(t, db.IntegrityCheck(ctx))
}

func TestRestoreRefusesWhileServing(t *testing.T) {
	cfg := newForum(t, 5)
	e := backup(t, cfg, BackupOptions{})
	release, err := AcquireServeLock(cfg.DataDir)
	must(t, err)
	if pid, held := ServeLockHeld(cfg.DataDir); !held || pid != os.Getpid() {
		t.Errorf("ServeLockHeld = %d, %v", pid, held)
	}
	if _, err := AcquireServeLock(cfg.DataDir); err == nil {
		t.Error("a second serve lock was granted")
	}
	for _, force := range []bool{false, true} {
		_, err = Restore(t.Context(), cfg, e.Path(cfg.DataDir), RestoreOptions{Force: force})
		wantErrContains(t, err, "the forum is running", "stop it")
	}
	release()
	if _, held := ServeLockHeld(cfg.DataDir); held {
		t.Error("lock still held after release")
	}
	_, err = Restore(t.Context(), cfg, e.Path(cfg.DataDir), RestoreOptions{})
	must(t, err)
}

// TestBackupWhileWriting backs up while another goroutine keeps posting:
// the backup verifies, and its counters agree with its posts (a
// consistent snapshot, not a mix of before and after).
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	cfg := newForum(t, 20)
	db := openMigrated(t, cfg.DSN())
	var stop atomic.Bool
	var wg sync.WaitGroup
	var written atomic.Int64
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			p := &forum.Post{ThreadID: 1, AuthorID: 1, Body: "more", HTML: "<p>more</p>", CreatedAt: t0}
			if err := db.CreatePost(context.Background(), p); err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
			written.Add(1)
		}
	})
	time.Sleep(50 * time.Millisecond)
	b := &Backuper{Config: cfg, DB: db}
	var entries []Entry
	for range 3 {
		e, err := b.Backup(ctx, BackupOptions{})
		must(t, err)
		entries = append(entries, e)
	}
	stop.Store(true)
	wg.Wait()
	if written.Load() == 0 {
		t.Fatal("the writer wrote nothing")
	}
	for _, e := range entries {
		if !e.OK {
			t.Fatalf("backup not ok: %+v", e)
		}
	}
	// Restore the last one elsewhere and check its counters are consistent.
	other := Config{DataDir: filepath.Join(t.TempDir(), "other")}
	_, err := Restore(ctx, other, entries[2].Path(cfg.DataDir), RestoreOptions{})
	must(t, err)
	rdb := openMigrated(t, other.DSN())
	r, err := rdb.Recount(ctx)
	must(t, err)
	if r != (forum.RecountReport{}) {
		t.Errorf("restored snapshot's counters disagree with its posts: %+v", r)
	}
	if entries[0].Counts["posts"] > entries[2].Counts["posts"] || entries[2].Counts["posts"] <= 20 {
		t.Errorf("post counts across backups: %d, %d", entries[0].Counts["posts"], entries[2].Counts["posts"])
	}
}

// TestTamperedArchive checks that a changed archive is caught.
func TestTamperedArchive(t *testing.T) {
	ctx := t.Context()
	cfg := newForum(t, 30)
	writeFile(t, filepath.Join(cfg.AttachmentDir(), "a.txt"), "original attachment")
	e := backup(t, cfg, BackupOptions{})
	path := e.Path(cfg.DataDir)
	orig, err := os.ReadFile(path)
	must(t, err)

	// A flipped byte in the compressed stream.
	bad := append([]byte(nil), orig...)
	bad[len(bad)/2] ^= 0xff
	must(t, os.WriteFile(path, bad, 0o640))
	_, _, err = Verify(ctx, path)
	if err == nil {
		t.Fatal("Verify accepted a flipped byte")
	}
	_, err = Restore(ctx, cfg, path, RestoreOptions{})
	if err == nil {
		t.Fatal("Restore accepted a flipped byte")
	}

	// A member replaced, the archive rebuilt consistently but with the old manifest.
	must(t, os.WriteFile(path, orig, 0o640))
	work := t.TempDir()
	m, _, err := extractArchive(path, work, nil)
	must(t, err)
	writeFile(t, filepath.Join(work, "attachments/a.txt"), "evil attachment")
	forged := filepath.Join(t.TempDir(), "forged.tar.gz")
	f, err := os.Create(forged)
	must(t, err)
	aw := newArchiveWriter(f)
	must(t, aw.addFile("hearth.db", filepath.Join(work, "hearth.db")))
	must(t, aw.addTree("attachments", filepath.Join(work, "attachments")))
	aw.files = m.Files // the original checksums
	must(t, aw.close(m))
	_, _, err = Verify(ctx, forged)
	wantErrContains(t, err, "attachments/a.txt has the wrong checksum")

	// The archive in the index replaced by another valid one: the recorded sum catches it.
	other := newForum(t, 3)
	oe := backup(t, other, BackupOptions{})
	must(t, os.Rename(oe.Path(other.DataDir), path))
	_, err = Restore(ctx, cfg, path, RestoreOptions{})
	wantErrContains(t, err, "has changed since it was made")
	if got := counts(t, cfg.DSN()); got["posts"] != 30 {
		t.Errorf("a refused restore changed the database: %v", got)
	}
}

func TestSchedule(t *testing.T) {
	cfg := newForum(t, 5)
	db := openMigrated(t, cfg.DSN())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		RunSchedule(ctx, &Backuper{Config: cfg, DB: db}, 100*time.Millisecond, DefaultRetention, nil, nil)
		close(done)
	}()
	var list []Entry
	for deadline := time.Now().Add(30 * time.Second); len(list) < 2 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		var err error
		list, err = ReadIndex(cfg.DataDir)
		must(t, err)
	}
	cancel()
	<-done
	if len(list) < 2 || list[0].Kind != "scheduled" || !list[0].OK {
		t.Fatalf("after the schedule ran: %+v", list)
	}
}
