package mail_test

// The mail worker's crash loop: a child process sends the outbox to an
// SMTP server in this process and is killed with SIGKILL at random
// moments, round after round. At the end every mail is received, and the
// ones received twice are at most the mails in flight at the kills (one
// claimed batch each).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hearth/internal/forum"
	"hearth/internal/mail"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

const (
	crashChildEnv = "HEARTH_MAIL_CRASH_CHILD" // the DSN; set only in the child
	crashSMTPEnv  = "HEARTH_MAIL_CRASH_SMTP"  // the sink's address
	crashConns    = 4
	perRound      = 150
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(crashChildEnv); dsn != "" {
		os.Exit(crashChild(dsn, os.Getenv(crashSMTPEnv)))
	}
	os.Exit(m.Run())
}

// crashChild runs the worker until killed, or until the outbox is empty.
func crashChild(dsn, smtpAddr string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer db.Close()
	host, port, _ := strings.Cut(smtpAddr, ":")
	p, _ := strconv.Atoi(port)
	w := &mail.Worker{Outbox: db, Identity: identity, SMTP: mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}, Conns: crashConns}
	n, err := db.RecoverMail(ctx, time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("recovered %d\n", n)
	fmt.Println("ready")
	for {
		n, err := w.Round(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if n == 0 {
			return 0
		}
	}
}

func TestMailWorkerCrashLoop(t *testing.T) {
	rounds := storetest.CrashRounds(t, "HEARTH_CRASH_MAIL_ROUNDS", 5)
	t.Run("sqlite", func(t *testing.T) {
		dsn := filepath.Join(t.TempDir(), "hearth.db")
		db, err := store.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		mailCrashLoop(t, db, dsn, rounds)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.CreatePostgres(t)
		db, err := store.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		mailCrashLoop(t, db, dsn, rounds)
	})
}

func mailCrashLoop(t *testing.T, db *store.DB, dsn string, rounds int) {
	defer db.Close()
	sink := newSink(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(kill time.Duration) (recovered int) {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dsn, crashSMTPEnv+"="+sink.Addr())
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		guard := time.AfterFunc(time.Minute, func() { cmd.Process.Signal(syscall.SIGKILL) })
		defer guard.Stop()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if n, ok := strings.CutPrefix(line, "recovered "); ok {
				recovered, _ = strconv.Atoi(n)
			}
			if line == "ready" && kill > 0 {
				time.AfterFunc(kill, func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
		}
		err := cmd.Wait()
		if kill == 0 && err != nil {
			t.Fatalf("the last worker: %v\n%s", err, stderr.String())
		}
		return recovered
	}
	enqueued, inDoubt, kills := 0, 0, 0
	for round := range rounds {
		for i := range perRound {
			m := forum.Mail{Key: fmt.Sprintf("crash:%d:%d", round, i), Kind: "test", To: fmt.Sprintf("m%d-%d@example.org", round, i), Subject: "Crash", Text: "x"}
			if _, err := db.EnqueueMail(t.Context(), &m, time.Now()); err != nil {
				t.Fatal(err)
			}
			enqueued++
		}
		delay, _ := rand.Int(rand.Reader, big.NewInt(200))
		inDoubt += run(time.Duration(10+delay.Int64()) * time.Millisecond)
		kills++
	}
	inDoubt += run(0) // to the end, unkilled
	st, err := db.OutboxStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || st.Sending != 0 || st.Sent != enqueued {
		t.Errorf("outbox at the end: %+v, want all %d sent", st, enqueued)
	}
	seen := map[string]int{}
	for _, r := range sink.Messages() {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		seen[msg.Header.Get("Message-ID")]++
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if len(seen) != enqueued {
		t.Errorf("%d distinct mails received, want %d", len(seen), enqueued)
	}
	if dups > inDoubt || inDoubt > kills*8*crashConns {
		t.Errorf("%d mails received twice, %d in doubt, after %d kills (at most one batch of %d each)", dups, inDoubt, kills, 8*crashConns)
	}
	t.Logf("%d kills: %d mails all received, %d twice (%d were in doubt)", kills, enqueued, dups, inDoubt)
}
