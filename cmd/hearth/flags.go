package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/progress"
)

// errUsage means the flags were wrong; the flag package already said why.
var errUsage = errors.New("usage")

// env returns the HEARTH_<NAME> variable, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("HEARTH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	if b, err := strconv.ParseBool(env(name, strconv.FormatBool(def))); err == nil {
		return b
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(env(name, strconv.Itoa(def))); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(name, def.String())); err == nil {
		return d
	}
	return def
}

// progressBar is the progress line of a long command: on stderr when it
// is a terminal, unless quiet; nil (nothing drawn) otherwise.
func progressBar(stderr io.Writer, quiet bool) *progress.Bar {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	return progress.For(f, quiet)
}

// quietFlag adds --quiet to a long command.
func quietFlag(fs *flag.FlagSet, quiet *bool) {
	fs.BoolVar(quiet, "quiet", envBool("quiet", false), "no progress line on the terminal (there is none when stderr is not a terminal) (env HEARTH_QUIET)")
}

// newFlags returns a flag set that prints its usage to w.
func newFlags(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hearth "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// storageFlags adds the flags every command that opens the database shares.
func storageFlags(fs *flag.FlagSet, c *app.Config) {
	fs.StringVar(&c.DataDir, "data", env("data", "./hearth-data"), "data directory: database, backups, attachments (env HEARTH_DATA)")
	fs.StringVar(&c.DB, "db", env("db", ""), "database: a SQLite file path, or postgres://user@host/db (default DATA/hearth.db) (env HEARTH_DB)")
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	return nil
}

// version reports the module version or VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
