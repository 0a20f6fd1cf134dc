package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// referenceArg makes the harness binary run as the reference server: a
// minimal net/http server that answers each scenario's URLs with the exact
// bytes and headers Hearth returned for them, from memory. It is the ceiling
// for pages of that size on this machine. The harness loads the responses
// of each scenario with PUT /__bench/routes before running it.
const referenceArg = "__reference_server"

// response is one captured answer.
type response struct {
	Status int         `json:"status"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// routes maps a request URI (path and query) to its answer. POST requests
// all get postResponse.
type routes map[string]*response

var postResponse = []byte(`{"id":1,"position":2,"url":"/p/1"}` + "\n")

type reference struct {
	routes atomic.Pointer[routes]
}

func (rf *reference) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPut:
		if r.URL.Path != "/__bench/routes" {
			break
		}
		var rt routes
		if err := json.NewDecoder(r.Body).Decode(&rt); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rf.routes.Store(&rt)
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(len(postResponse))}
		w.WriteHeader(http.StatusCreated)
		w.Write(postResponse)
		return
	case http.MethodGet:
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok\n"))
			return
		}
		if rt := rf.routes.Load(); rt != nil {
			if e := (*rt)[r.URL.RequestURI()]; e != nil {
				h := w.Header()
				for k, v := range e.Header {
					h[k] = v
				}
				h["Content-Length"] = []string{strconv.Itoa(len(e.Body))}
				w.WriteHeader(e.Status)
				w.Write(e.Body)
				return
			}
		}
	}
	http.NotFound(w, r)
}

// serveReference is the reference server's main.
func serveReference(addr string) error {
	srv := &http.Server{Addr: addr, Handler: &reference{}, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// startReference starts the reference server as a child of the harness.
func startReference(ctx context.Context, p *procs, logPath string) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	return launch(ctx, p, "reference server", addr, logPath, 10*time.Second, exe, referenceArg, addr)
}

// load gives the reference server the answers for the next scenario.
func (s *server) load(ctx context.Context, rt routes) error {
	b, err := json.Marshal(rt)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, s.base+"/__bench/routes", bytes.NewReader(b))
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(res.Body)
		return fmt.Errorf("load reference routes: %d %s", res.StatusCode, msg)
	}
	return nil
}

// capture fetches uri from Hearth with the given request headers and
// returns the answer as the reference will replay it. Date and
// Content-Length are the server's own; Set-Cookie is not replayed.
func capture(ctx context.Context, base, uri string, header http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+uri, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	h := res.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Set-Cookie", "Connection", "Keep-Alive"} {
		delete(h, k)
	}
	return &response{Status: res.StatusCode, Header: h, Body: body}, nil
}
