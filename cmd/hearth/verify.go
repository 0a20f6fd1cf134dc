package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"hearth/internal/verify"
)

// verifyCmd runs `hearth verify URL` and returns the exit code itself:
// 0 when every step passed, 1 when any failed, 2 for a usage mistake.
// The report already says what failed, so nothing more is printed.
func verifyCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o verify.Options
	var pwStdin, asJSON bool
	fs := newFlags("verify", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hearth verify [flags] URL\n\nRuns the site through its paces from outside: pages, log in, post and delete, log out.\nThe check account is a moderator; the password comes from --password-stdin or HEARTH_VERIFY_PASSWORD.\n\nFlags:")
		fs.PrintDefaults()
	}
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
