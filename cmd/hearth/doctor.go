package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"hearth/internal/app"
	"hearth/internal/ops"
)

func doctorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var asJSON, full bool
	fs := newFlags("doctor", stderr)
	storageFlags(fs, &c)
	mailFlags(fs, &c)
	fs.StringVar(&c.Addr, "addr", env("addr", ""), "the address serve listens on, to check it (env HEARTH_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", env("base-url", ""), "serve's public URL, to check it (env HEARTH_BASE_URL)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON, for monitoring")
	fs.BoolVar(&full, "full", false, "run SQLite's full integrity_check instead of the quick one")
	if err := parse(fs, args); err != nil {
		return err
	}
	r := ops.Doctor(ctx, opsConfig(c), ops.DoctorOptions{Full: full})
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printReport(stdout, r)
	}
	failed := 0
	for _, ch := range r.Checks {
		if ch.Status == ops.Fail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed", failed)
	}
	return nil
}

var marks = map[ops.Status]string{ops.OK: "✓", ops.Warn: "!", ops.Fail: "✗", ops.Info: "·"}

func printReport(w io.Writer, r ops.Report) {
	fmt.Fprintf(w, "Hearth %s doctor, %s\n", r.Version, r.CheckedAt.Format("2006-01-02 15:04:05 MST"))
	for _, ch := range r.Checks {
		fmt.Fprintf(w, "%s %-15s %s\n", marks[ch.Status], ch.Name, ch.Message)
		if ch.Fix != "" {
			fmt.Fprintf(w, "  %-15s Fix: %s\n", "", ch.Fix)
		}
	}
	if r.OK {
		fmt.Fprintln(w, "No problems that stop the forum.")
	}
}
