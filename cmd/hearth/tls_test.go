package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var httpsLine = regexp.MustCompile(`HTTPS on (\S+); HTTP on (\S+) redirects`)

// startTLSServe runs `hearth serve` in this process with TLS flags and
// returns its HTTPS and HTTP addresses; it stops when the test ends.
func startTLSServe(t *testing.T, data string, flags ...string) (httpsAddr, httpAddr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	args := append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--backup-every", "0"}, flags...)
	go func() { done <- run(ctx, args, strings.NewReader(""), &out, &errb) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve:\n%s%s", out.String(), errb.String())
		}
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := httpsLine.FindStringSubmatch(out.String()); m != nil {
			return m[1], m[2]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s %s", code, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
	return "", ""
}

// checkHTTPS checks what every HTTPS deployment must do: the forum over
// HTTPS for name with HSTS and Secure cookies, plain HTTP redirecting to it.
func checkHTTPS(t *testing.T, name, httpsAddr, httpAddr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	_, port, _ := net.SplitHostPort(httpsAddr)
	noRedirects := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client := &http.Client{
		Timeout: 2 * time.Minute, // the first handshake may wait for ACME
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			// name resolves to the server under test, whatever DNS says.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
			},
		},
		CheckRedirect: noRedirects,
	}
	base := "https://" + net.JoinHostPort(name, port)
	resp, err := client.Get(base + "/")
	if err != nil {
		t.Fatalf("GET over HTTPS: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET / over HTTPS: %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS = %q", got)
	}
	leaf := resp.TLS.PeerCertificates[0]

	// Logging out clears the session cookie: Secure over HTTPS.
	resp, err = client.Post(base+"/logout", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "hearth_session=") || !strings.Contains(c, "Secure") {
		t.Errorf("logout cookie over HTTPS = %q, want Secure", c)
	}

	plain := &http.Client{Timeout: 10 * time.Second, CheckRedirect: noRedirects}
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	tests := []struct {
		method, path string
		code         int
		location     string
	}{
		{"GET", "/t/1/a-thread?page=2", 301, base + "/t/1/a-thread?page=2"},
		{"HEAD", "/", 301, base + "/"},
		{"POST", "/login", 308, base + "/login"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, "http://"+httpAddr+tt.path, nil)
		req.Host = net.JoinHostPort(name, httpPort)
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s http://%s%s: %d %q, want %d %q", tt.method, httpAddr, tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.code, tt.location)
		}
		if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS over plain HTTP: %q", h)
		}
	}
	return leaf
}

// TestServeTLSFiles: --tls-cert and --tls-key with a self-signed
// certificate made here.
func TestServeTLSFiles(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	httpsAddr, httpAddr := startTLSServe(t, filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	leaf := checkHTTPS(t, "localhost", httpsAddr, httpAddr, roots)
	if !leaf.Equal(cert) {
		t.Errorf("served certificate is not the one given")
	}
}

func TestServeTLSFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "x.pem"}, "go together"},
		{[]string{"--tls-cert", "x.pem", "--tls-key", "y.pem", "--acme-domain", "a.example"}, "exclude each other"},
		{[]string{"--tls-cert", "/nonexistent/x.pem", "--tls-key", "/nonexistent/y.pem"}, "TLS certificate"},
		{[]string{"--acme-domain", "127.0.0.1"}, "give a DNS name"},
	}
	for _, tt := range tests {
		args := append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0"}, tt.args...)
		code, _, errs := runCmd(t, "", args...)
		if code != 1 || !strings.Contains(errs, tt.want) {
			t.Errorf("serve %v: %d %q, want %q", tt.args, code, errs, tt.want)
		}
	}
}

// pebbleVersion is Let's Encrypt's test ACME server, built from the Go
// module cache (the module proxy fetches it once).
const pebbleVersion = "v2.10.3"

// buildPebble builds pebble and pebble-challtestsrv (its DNS server, which
// answers 127.0.0.1 for every name) into dir and returns pebble's source
// directory, or skips.
func buildPebble(t *testing.T, dir string) (src string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the ACME test builds Pebble")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build Pebble")
	}
	out, err := exec.Command(goTool, "mod", "download", "-json", "github.com/letsencrypt/pebble/v2@"+pebbleVersion).Output()
	var mod struct{ Dir, Error string }
	if err != nil || json.Unmarshal(out, &mod) != nil || mod.Dir == "" {
		t.Skipf("skipping the ACME test: Pebble %s cannot be downloaded (offline?): %v %s %s", pebbleVersion, err, mod.Error, out)
	}
	cmd := exec.Command(goTool, "build", "-mod=mod", "-o", dir, "./cmd/pebble", "./cmd/pebble-challtestsrv")
	cmd.Dir = mod.Dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("skipping the ACME test: Pebble %s does not build here (offline?): %v\n%s", pebbleVersion, err, out)
	}
	return mod.Dir
}

// startProcess runs a test server until the test ends, logging its output
// if the test failed.
func startProcess(t *testing.T, dir string, env []string, name string, args ...string) *syncBuffer {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command(filepath.Join(dir, name), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s", name, out.String())
		}
	})
	return &out
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// TestServeACME gets a certificate from a real ACME server (Pebble) on
// first contact. Pebble's tls-alpn-01 check goes to a closed port, so the
// certificate is won by http-01 through serve's plain HTTP listener.
func TestServeACME(t *testing.T) {
	bins := t.TempDir()
	src := buildPebble(t, bins)
	minica := filepath.Join(src, "test/certs/pebble.minica.pem")
	acmePort, mgmtPort, dnsPort := freePort(t), freePort(t), freePort(t)
	data := t.TempDir()
	// autocert wants a name with a dot; Pebble resolves it through
	// challtestsrv, which answers 127.0.0.1 for every name.
	const domain = "forum.hearth.test"

	// Serve first: its HTTP port is the one Pebble validates on. Nothing
	// talks to the ACME server before the first HTTPS handshake.
	httpsAddr, httpAddr := startTLSServe(t, data,
		"--acme-domain", domain, "--acme-email", "ops@example.org",
		"--acme-directory", fmt.Sprintf("https://localhost:%d/dir", acmePort), "--acme-ca-root", minica)
	_, httpPort, _ := net.SplitHostPort(httpAddr)
	hp, _ := strconv.Atoi(httpPort)

	conf, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress":           fmt.Sprintf("127.0.0.1:%d", acmePort),
		"managementListenAddress": fmt.Sprintf("127.0.0.1:%d", mgmtPort),
		"certificate":             filepath.Join(src, "test/certs/localhost/cert.pem"),
		"privateKey":              filepath.Join(src, "test/certs/localhost/key.pem"),
		"httpPort":                hp,
		"tlsPort":                 freePort(t), // closed: tls-alpn-01 fails, http-01 must do
		"keyAlgorithm":            "ecdsa",
	}})
	confFile := filepath.Join(bins, "pebble.json")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	startProcess(t, bins, nil, "pebble-challtestsrv",
		"-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort), "-defaultIPv6", "",
		"-management", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"-doh", "", "-http01", "", "-https01", "", "-tlsalpn01", "")
	// No sleeps between validations, no deliberately refused nonces, no
	// reused authorizations: a quick and deterministic run.
	pout := startProcess(t, bins, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0"},
		"pebble", "-config", confFile, "-dnsserver", fmt.Sprintf("127.0.0.1:%d", dnsPort))
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", acmePort))
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", mgmtPort))

	// The root Pebble issues under is made at its start.
	miniPEM, err := os.ReadFile(minica)
	if err != nil {
		t.Fatal(err)
	}
	mini := x509.NewCertPool()
	mini.AppendCertsFromPEM(miniPEM)
	mc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: mini}}}
	resp, err := mc.Get(fmt.Sprintf("https://localhost:%d/roots/0", mgmtPort))
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("pebble root: %q", rootPEM)
	}

	leaf := checkHTTPS(t, domain, httpsAddr, httpAddr, roots)
	if !strings.Contains(leaf.Issuer.CommonName, "Pebble") || leaf.VerifyHostname(domain) != nil {
		t.Errorf("certificate issued by %q for %v", leaf.Issuer.CommonName, leaf.DNSNames)
	}
	if !strings.Contains(pout.String(), "Attempting to validate w/ HTTP") {
		t.Errorf("pebble did not validate by http-01:\n%s", pout.String())
	}
	fi, err := os.Stat(filepath.Join(data, "acme"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("DATA/acme: %v %v, want 0700", fi, err)
	}
	if _, err := os.Stat(filepath.Join(data, "acme", domain)); err != nil {
		t.Errorf("certificate not cached: %v", err)
	}
}
