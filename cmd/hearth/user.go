package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"hearth/internal/app"
	"hearth/internal/forum"
	"hearth/internal/store"
)

const userUsage = `usage:
  hearth user add --email E --name N [--admin | --role moderator] --password-stdin
  hearth user passwd EMAIL        set a member's password (typed, or the first line of standard input)
  hearth user list [--role R] [--status S] [--json]
  hearth user suspend EMAIL       suspend a member: every session ends at once
  hearth user activate EMAIL      approve a pending member or reactivate a suspended one
  hearth user role EMAIL ROLE     member, moderator or admin`

// user runs the member commands. Each change goes through forum.Service
// as the shell's operator (forum.Operator), so it follows the admin page's
// rules and writes its event: a running forum learns of it.
func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, userUsage)
		return errUsage
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], stdin, stdout, stderr)
	case "passwd":
		return userPasswd(ctx, args[1:], stdin, stdout, stderr)
	case "list":
		return userList(ctx, args[1:], stdout, stderr)
	case "suspend":
		return userStatus(ctx, "suspend", forum.StatusSuspended, args[1:], stdout, stderr)
	case "activate":
		return userStatus(ctx, "activate", forum.StatusActive, args[1:], stdout, stderr)
	case "role":
		return userRole(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hearth user: unknown command %q\n%s\n", args[0], userUsage)
	return errUsage
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c app.Config
	var email, name, role string
	var admin, pwStdin bool
	fs := newFlags("user add", stderr)
	storageFlags(fs, &c)
	fs.StringVar(&email, "email", "", "the member's email (required)")
	fs.StringVar(&name, "name", "", "the member's display name (required)")
	fs.BoolVar(&admin, "admin", false, "make the member an admin")
	fs.StringVar(&role, "role", "member", "member, moderator or admin")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if email == "" || name == "" || !pwStdin {
		fmt.Fprintln(stderr, "hearth user add: --email, --name and --password-stdin are required")
		fs.Usage()
		return errUsage
	}
	if admin {
		role = string(forum.RoleAdmin)
	}
	pw, err := firstLine(stdin)
	if err != nil {
		return err
	}
	db, svc, err := app.OpenService(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := svc.CreateMember(ctx, forum.NewMember{Email: email, Name: name, Password: pw, Role: forum.Role(role)})
	if err != nil {
		return errors.New(forum.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Created %s %s <%s> (id %d).\n", m.Role, m.Name, m.Email, m.ID)
	return nil
}

func firstLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// memberFlags parses the storage flags and the positional arguments
// (flags may come before or after them), wanting exactly n.
func memberFlags(name string, args []string, n int, stderr io.Writer, extra func(*app.Config, *flag.FlagSet)) (app.Config, []string, error) {
	var c app.Config
	fs := newFlags("user "+name, stderr)
	storageFlags(fs, &c)
	if extra != nil {
		extra(&c, fs)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return c, nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != n {
		fmt.Fprintln(stderr, userUsage)
		return c, nil, errUsage
	}
	return c, pos, nil
}

// memberByEmail opens the forum and finds the member with that address.
func memberByEmail(ctx context.Context, c app.Config, email string) (*store.DB, *forum.Service, *forum.Member, error) {
	db, svc, err := app.OpenService(ctx, c)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := db.MemberByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errors.Is(err, forum.ErrNotFound) {
		db.Close()
		return nil, nil, nil, fmt.Errorf("no member has the address %s", email)
	}
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return db, svc, m, nil
}

func userPasswd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, pos, err := memberFlags("passwd", args, 1, stderr, nil)
	if err != nil {
		return err
	}
	pw, err := readNewPassword(stdin, stderr)
	if err != nil {
		return err
	}
	db, svc, m, err := memberByEmail(ctx, c, pos[0])
	if err != nil {
		return err
	}
	defer db.Close()
	ended, err := svc.SetMemberPassword(ctx, forum.Operator(), m.ID, pw)
	if err != nil {
		return errors.New(forum.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Set the password of %s <%s>. %s ended; a notice mail is queued for them.\n", m.Name, m.Email, plural(ended, "session", "sessions"))
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// readNewPassword prompts twice on a terminal, with echo off where it can;
// otherwise it takes the first line of stdin, for scripts.
func readNewPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return firstLine(stdin)
	}
	r := bufio.NewReader(f)
	ask := func(prompt string) (string, error) {
		restore, err := noEcho(int(f.Fd()))
		if err != nil {
			prompt += " (it shows as you type)"
		}
		fmt.Fprint(stderr, prompt+": ")
		line, rerr := r.ReadString('\n')
		if restore != nil {
			restore()
			fmt.Fprintln(stderr)
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return "", fmt.Errorf("read password: %w", rerr)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := ask("New password")
	if err != nil {
		return "", err
	}
	again, err := ask("The same again")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the two passwords differ; nothing was changed")
	}
	return pw, nil
}

func userStatus(ctx context.Context, verb string, to forum.MemberStatus, args []string, stdout, stderr io.Writer) error {
	c, pos, err := memberFlags(verb, args, 1, stderr, nil)
	if err != nil {
		return err
	}
	db, svc, m, err := memberByEmail(ctx, c, pos[0])
	if err != nil {
		return err
	}
	defer db.Close()
	if m.Status == to {
		fmt.Fprintf(stdout, "%s <%s> is already %s.\n", m.Name, m.Email, to)
		return nil
	}
	if err := svc.SetMemberStatus(ctx, forum.Operator(), m.ID, m.Status, to); err != nil {
		return errors.New(forum.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "%s <%s> is now %s (was %s).\n", m.Name, m.Email, to, m.Status)
	return nil
}

func userRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, pos, err := memberFlags("role", args, 2, stderr, nil)
	if err != nil {
		return err
	}
	db, svc, m, err := memberByEmail(ctx, c, pos[0])
	if err != nil {
		return err
	}
	defer db.Close()
	role := forum.Role(strings.ToLower(pos[1]))
	if err := svc.SetMemberRole(ctx, forum.Operator(), m.ID, role); err != nil {
		return errors.New(forum.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "%s <%s> is now %s (was %s).\n", m.Name, m.Email, role, m.Role)
	return nil
}

type memberJSON struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Handle   string `json:"handle"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	Posts    int    `json:"posts"`
	JoinedAt string `json:"joined_at"`
}

func userList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var role, status string
	var asJSON bool
	c, _, err := memberFlags("list", args, 0, stderr, func(_ *app.Config, fs *flag.FlagSet) {
		fs.StringVar(&role, "role", "", "only members of this role: member, moderator or admin")
		fs.StringVar(&status, "status", "", "only members of this status: active, pending or suspended")
		fs.BoolVar(&asJSON, "json", false, "one JSON array, for scripts")
	})
	if err != nil {
		return err
	}
	if role != "" && !forum.Role(role).Valid() {
		return fmt.Errorf("--role %q: choose member, moderator or admin", role)
	}
	if status != "" && !forum.MemberStatus(status).Valid() {
		return fmt.Errorf("--status %q: choose active, pending or suspended", status)
	}
	db, err := app.OpenStore(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	all, err := db.ListMembers(ctx, forum.MemberStatus(status), 0)
	if err != nil {
		return err
	}
	out := []memberJSON{}
	for _, m := range all {
		if role != "" && string(m.Role) != role {
			continue
		}
		out = append(out, memberJSON{m.ID, m.Email, m.Name, m.Handle, string(m.Role), string(m.Status), m.PostCount, m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tHANDLE\tROLE\tSTATUS\tPOSTS\tJOINED")
	for _, m := range out {
		fmt.Fprintf(tw, "%d\t%s\t%s\t@%s\t%s\t%s\t%d\t%s\n", m.ID, m.Email, m.Name, m.Handle, m.Role, m.Status, m.Posts, m.JoinedAt[:10])
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%s\n", plural(len(out), "member", "members"))
	return nil
}
