// Command hearth is the Hearth community forum: one binary for the server
// and its operator tools. Run `hearth help` for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Hearth: a community forum server.

Usage:
  hearth serve [flags]        run the forum (default http://127.0.0.1:8080; HTTPS with --acme-domain or --tls-cert)
  hearth user add [flags]     create a member from the shell
  hearth user list|passwd|suspend|activate|role   list members, set a password, suspend, reactivate, change a role
  hearth seed [flags]         fill an empty database with synthetic data for benchmarks
  hearth migrate [flags]      apply pending database migrations, after a verified backup (--dry-run: only try)
  hearth backup [--to PATH]   make a verified backup of the database and attachments
  hearth restore BACKUP       restore a backup (the forum must be stopped)
  hearth doctor [--json]      check everything Hearth needs and say how to fix what is wrong
  hearth repair               check integrity, recount counters, clean expired sessions (safe while serving)
  hearth verify [flags] URL   check a running site from outside: pages, log in, post, log out
  hearth mode MODE [flags]    normal, read-only or maintenance, with a reason members see
  hearth status [TEXT]        show the forum's mode and updates, or post an update members see
  hearth status incident|component|maintenance|show|publish|webhooks   the status page (hearth status help)
  hearth mail test ADDRESS    send a test mail through the outbox; also: mail status, mail sink
  hearth broadcast [flags]    mail every member on the roster, with the database down; also: broadcast status
  hearth roster show|rebuild  the member roster broadcasts use, kept outside the database
  hearth watch --config FILE  watch the forum from elsewhere; alert the admins when it is down
  hearth drill [flags]        rehearse an outage: roster, status page, alert and broadcast routes
  hearth version              print the version

Run 'hearth COMMAND -h' for a command's flags. Every flag can also be set
with an environment variable HEARTH_<FLAG>, e.g. HEARTH_DATA=/srv/hearth.
`

// run executes one command and returns the process exit code. Errors are
// printed as one plain sentence; there is no stack trace to read.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "user":
		err = user(ctx, args[1:], stdin, stdout, stderr)
	case "seed":
		err = seedCmd(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = migrate(ctx, args[1:], stdout, stderr)
	case "backup":
		err = backupCmd(ctx, args[1:], stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, args[1:], stdout, stderr)
	case "doctor":
		err = doctorCmd(ctx, args[1:], stdout, stderr)
	case "repair":
		err = repairCmd(ctx, args[1:], stdout, stderr)
	case "mode":
		err = modeCmd(args[1:], stdout, stderr)
	case "status":
		err = statusCmd(args[1:], stdout, stderr)
	case "mail":
		err = mailCmd(ctx, args[1:], stdout, stderr)
	case "broadcast":
		err = broadcastCmd(ctx, args[1:], stdin, stdout, stderr)
	case "roster":
		err = rosterCmd(ctx, args[1:], stdout, stderr)
	case "drill":
		err = drillCmd(ctx, args[1:], stdout, stderr)
	case "watch":
		err = watchCmd(ctx, args[1:], stdout, stderr)
	case "verify":
		return verifyCmd(ctx, args[1:], stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "hearth", version())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hearth: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == errUsage {
		return 2
	}
	if err == errSilent {
		return 1 // explained on stdout already
	}
	if err != nil {
		fmt.Fprintf(stderr, "hearth %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
