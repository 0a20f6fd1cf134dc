package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"hearth/internal/app"
	"hearth/internal/forum"
)

func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: hearth user add --email E --name N [--admin | --role moderator] --password-stdin")
		return errUsage
	}
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
	if err := parse(fs, args[1:]); err != nil {
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
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")

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
