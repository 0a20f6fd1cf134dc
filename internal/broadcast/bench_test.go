package broadcast_test

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"hearth/internal/broadcast"
	"hearth/internal/mail"
)

// discard is an SMTP server that takes every message and keeps none.
type discard struct{}

func (discard) NewSession(*smtp.Conn) (smtp.Session, error) { return discardSession{}, nil }

type discardSession struct{}

func (discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (discardSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (discardSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset()        {}
func (discardSession) Logout() error { return nil }

// BenchmarkBroadcast8000 mails a roster of 8,000 members, DKIM-signed,
// through a local SMTP server that discards them, with the journal on
// disk as in production: go test -bench BenchmarkBroadcast8000 -benchtime 1x
func BenchmarkBroadcast8000(b *testing.B) {
	const members = 8000
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := smtp.NewServer(discard{})
	srv.Domain = "localhost"
	go srv.Serve(ln)
	defer srv.Close()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg := mail.SMTPConfig{Host: host, Port: p, TLS: mail.NoTLS}
	for _, conns := range []int{4, 8} {
		b.Run("conns="+strconv.Itoa(conns), func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				writeRoster(b, dir, members, nil)
				key, err := mail.LoadOrCreateDKIM(dir, identity.Domain, "hearth")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				run, err := broadcast.Start(b.Context(), broadcast.Options{DataDir: dir, Subject: "The forum is down",
					Body: "We are restoring the database; the status page says how far we are.", Identity: identity, SMTP: cfg, DKIM: key, Conns: conns})
				if err != nil {
					b.Fatal(err)
				}
				pr, err := run.Wait()
				if err != nil || pr.Sent != members {
					b.Fatalf("%+v %v", pr, err)
				}
				total += time.Since(start)
			}
			per := total / time.Duration(b.N)
			b.ReportMetric(float64(members)/per.Seconds(), "mails/s")
			b.ReportMetric(per.Seconds(), "s/8000")
		})
	}
}
