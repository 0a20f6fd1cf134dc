package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// maxBody bounds what is read of an answer: a forum page is far smaller.
const maxBody = 8 << 20

type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// do sends one request; token, if set, goes as a bearer token and body,
// if not nil, as JSON. Errors are plain sentences about the connection.
func (r *runner) do(ctx context.Context, method, path, token string, body any) (*response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("User-Agent", "hearth-verify")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", method, path, r.plain(ctx, err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s %s: the answer broke off: %s", method, path, r.plain(ctx, err))
	}
	return &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// plain describes a connection failure the way an operator would say it.
func (r *runner) plain(ctx context.Context, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	var cert *x509.UnknownAuthorityError
	var host x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || isTimeout(err):
		return fmt.Sprintf("no answer within %s", r.o.Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("could not connect to %s: connection refused (is Hearth running and listening there?)", r.host)
	case errors.As(err, &dns):
		return fmt.Sprintf("cannot find the host %s (%s)", dns.Name, dns.Err)
	case errors.As(err, &cert), errors.As(err, &host):
		return "the site's TLS certificate was not accepted: " + err.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed before a whole answer arrived"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// expect fails unless the answer has the wanted status, saying what came
// instead, with the API's error message when there is one.
func (resp *response) expect(want int) error {
	if resp.status == want {
		return nil
	}
	msg := fmt.Sprintf("%s %s answered %d %s (expected %d)", resp.method, resp.path, resp.status, http.StatusText(resp.status), want)
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(resp.body, &e) == nil && e.Error != "" {
		msg += ": " + e.Error
	} else if ct := resp.header.Get("Content-Type"); ct != "" {
		msg += ", a " + strings.SplitN(ct, ";", 2)[0] + " answer"
	}
	return errors.New(msg)
}

// decode reads a JSON answer into v.
func (resp *response) decode(v any) error {
	if err := json.Unmarshal(resp.body, v); err != nil {
		return fmt.Errorf("%s %s answered %d but not with the JSON expected (%v)", resp.method, resp.path, resp.status, err)
	}
	return nil
}
