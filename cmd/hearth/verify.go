package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/store"
	"hearth/internal/verify"
)

// verifyCmd runs `hearth verify URL` and returns the exit code itself:
// 0 when every step passed, 1 when any failed, 2 for a usage mistake.
// The report already says what failed, so nothing more is printed.
func verifyCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o verify.Options
	var c app.Config
	var pwStdin, asJSON bool
	var mailTo string
	fs := newFlags("verify", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hearth verify [flags] URL\n\nRuns the site through its paces from outside: pages, search, log in, post and delete, a test mail, log out.\n"+
			"On the forum's machine (it can read --data) it needs no setup: it makes its own check account and hidden\n"+
			"check category. From elsewhere, give a check account with --email and the password on --password-stdin\n"+
			"or in HEARTH_VERIFY_PASSWORD.\n\nFlags:")
		fs.PrintDefaults()
	}
	storageFlags(fs, &c)
	fs.StringVar(&mailTo, "mail-to", env("verify-mail-to", ""), "on the forum's machine: also send a test mail through the outbox to this address (env HEARTH_VERIFY_MAIL_TO)")
	fs.StringVar(&o.Email, "email", env("verify-email", ""), "email of the check account, a moderator (env HEARTH_VERIFY_EMAIL)")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the check account's password from the first line of standard input (else env HEARTH_VERIFY_PASSWORD)")
	fs.StringVar(&o.Category, "category", env("verify-category", verify.DefaultCategory), "the staff-only category checks post in (env HEARTH_VERIFY_CATEGORY)")
	fs.DurationVar(&o.Timeout, "timeout", verify.DefaultTimeout, "time allowed for each step")
	fs.BoolVar(&asJSON, "json", false, "print the steps as JSON")
	// Flags may come before or after the URL.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		fmt.Fprintln(stderr, "hearth verify: give exactly one URL, the site's address, e.g. https://forum.example.org")
		fs.Usage()
		return 2
	}
	if u, err := url.Parse(rest[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "hearth verify: %q is not a site address: give one like https://forum.example.org\n", rest[0])
		return 2
	}
	o.URL = rest[0]
	if o.Email == "" && !pwStdin {
		db, done, err := ownCheckAccount(ctx, c, &o)
		if err != nil {
			fmt.Fprintf(stderr, "hearth verify: %v\n", err)
			return 1
		}
		if db != nil {
			defer done()
			if mailTo != "" {
				o.TestMail = func(ctx context.Context) (string, error) { return sendTestMail(ctx, db, c, mailTo, 30*time.Second) }
			}
			return runVerify(ctx, o, asJSON, stdout, stderr)
		}
	}
	if o.Email == "" {
		fmt.Fprintln(stderr, "hearth verify: --email of the check account is required. One-time setup:\n"+
			"  hearth user add --email check@example.org --name \"Hearth check\" --role moderator --password-stdin\n"+
			"and create the staff-only category \""+verify.DefaultCategory+"\" on the admin page.")
		return 2
	}
	if o.Timeout <= 0 {
		fmt.Fprintln(stderr, "hearth verify: --timeout must be positive, e.g. 10s")
		return 2
	}
	pw, err := checkPassword(pwStdin, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "hearth verify: %v\n", err)
		return 2
	}
	o.Password = pw
	return runVerify(ctx, o, asJSON, stdout, stderr)
}

func runVerify(ctx context.Context, o verify.Options, asJSON bool, stdout, stderr io.Writer) int {
	rep := verify.Run(ctx, o)
	if asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "hearth verify: %v\n", err)
			return 1
		}
	} else {
		rep.WriteText(stdout)
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// checkEmail is the address of verify's own check account: .invalid, as
// it receives no mail.
const checkEmail = "hearth-verify@check.invalid"

// ownCheckAccount sets verify up on the forum's machine: if the database
// is there, it makes (or finds) the check account and category and fills
// o with them, the password kept in DATA/verify/check-account (0600). A
// nil db means the database is not here: verify runs from elsewhere.
func ownCheckAccount(ctx context.Context, c app.Config, o *verify.Options) (*store.DB, func(), error) {
	dsn := c.DSN()
	if !store.IsPostgresDSN(dsn) {
		if _, err := os.Stat(store.SQLiteFile(dsn)); err != nil {
			return nil, nil, nil
		}
	}
	db, err := openExisting(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	pass, err := checkAccountPassword(c.DataDir)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	svc := forum.NewService(db, app.NewMarkup())
	m, cat, err := svc.EnsureCheckAccount(ctx, checkEmail, pass)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("make the check account: %w", err)
	}
	o.Email, o.Password, o.Category = m.Email, pass, cat.Name
	return db, func() { db.Close() }, nil
}

// checkAccountPassword reads the check account's password from the data
// directory, making one the first time.
func checkAccountPassword(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "verify", "check-account")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 20 {
		return strings.TrimSpace(string(b)), nil
	}
	var raw [18]byte
	rand.Read(raw[:])
	pass := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(pass+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep the check account's password: %w", err)
	}
	return pass, nil
}

// checkPassword reads the password from stdin or HEARTH_VERIFY_PASSWORD:
// never from a flag, which other users could read in the process list.
func checkPassword(fromStdin bool, stdin io.Reader) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, nil
		}
		return "", errors.New("--password-stdin was given but standard input held no password")
	}
	if pw := os.Getenv("HEARTH_VERIFY_PASSWORD"); pw != "" {
		return pw, nil
	}
	return "", errors.New("the check account's password is missing: pipe it with --password-stdin or set HEARTH_VERIFY_PASSWORD")
}
