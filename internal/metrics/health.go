package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"hearth/internal/forum"
)

// CheckTimeout bounds each readiness check: a load balancer asking must get
// an answer, even when the database does not give one.
const CheckTimeout = 2 * time.Second

// Health returns the liveness and readiness handlers.
//
// healthz answers 200 "ok" whenever the process serves HTTP: restart me
// only if this fails. readyz answers 200 with
// {"status":"ready","database":"ok","schema":"current"} when the database
// answers and its schema is the one this binary expects, else 503 with
// Retry-After and the failed check described in plain words: send me no
// traffic for now. schemaCurrent may be nil when there is nothing to check.
func Health(ping func(ctx context.Context) error, schemaCurrent func(ctx context.Context) (bool, error)) (healthz, readyz http.Handler) {
	healthz = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
	readyz = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := readiness{Status: "ready", Database: "ok", Schema: "current"}
		if err := check(r.Context(), ping); err != nil {
			rep.Status, rep.Database, rep.Schema = "not ready", "not answering: "+describe(err), "not checked (no database)"
		} else if schemaCurrent != nil {
			var current bool
			err := check(r.Context(), func(ctx context.Context) (err error) {
				current, err = schemaCurrent(ctx)
				return err
			})
			switch {
			case err != nil:
				rep.Status, rep.Schema = "not ready", "could not be read: "+describe(err)
			case !current:
				rep.Status, rep.Schema = "not ready", "not the version this binary expects: run 'hearth migrate', or deploy the matching binary"
			}
		}
		st := http.StatusOK
		if rep.Status != "ready" {
			st = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "10")
		}
		b, _ := json.Marshal(rep)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(st)
		w.Write(append(b, '\n'))
	})
	return healthz, readyz
}

type readiness struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Schema   string `json:"schema"`
}

// check runs fn with CheckTimeout, and returns even if fn ignores its
// context and hangs.
func check(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// describe says what went wrong without the driver's details, which may
// name hosts and users: readyz is often reachable by anyone.
func describe(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within " + CheckTimeout.String()
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.Is(err, forum.ErrBusy):
		return "the database is busy"
	case errors.Is(err, forum.ErrUnavailable):
		return "the database is unavailable"
	}
	return "the check returned an error"
}
