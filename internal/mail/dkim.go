package mail

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIM signs outgoing mail for the forum's domain. The key is RSA 2048,
// which every receiver verifies (ed25519 signatures are not checked by
// all of the large mailbox providers yet).
type DKIM struct {
	Domain, Selector string
	key              crypto.Signer
}

// signedHeaders are the headers the signature covers. RFC 8058 requires
// List-Unsubscribe and List-Unsubscribe-Post among them, so that nobody on
// the way can point the one-click address elsewhere.
var signedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
	"In-Reply-To", "References", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted",
}

// KeyFile is where the DKIM key lives in the data directory.
const KeyFile = "dkim/hearth.key"

// LoadOrCreateDKIM reads the key in dataDir, making one (0600) on first use.
func LoadOrCreateDKIM(dataDir, domain, selector string) (*DKIM, error) {
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("DKIM key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("DKIM key %s: not a PEM file", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("DKIM key %s: %w", path, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("DKIM key %s: not a signing key", path)
	}
	return &DKIM{Domain: domain, Selector: selector, key: signer}, nil
}

func createKey(path string) ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes creating it at once keep the first one's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}

// Sign returns msg with a DKIM-Signature header in front.
func (d *DKIM) Sign(msg []byte) ([]byte, error) {
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{
		Domain: d.Domain, Selector: d.Selector, Signer: d.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("DKIM sign: %w", err)
	}
	return out.Bytes(), nil
}

// DNSRecord is the TXT record to publish at Selector._domainkey.Domain.
func (d *DKIM) DNSRecord() (name, value string, err error) {
	der, err := x509.MarshalPKIXPublicKey(d.key.Public())
	if err != nil {
		return "", "", err
	}
	return d.Selector + "._domainkey." + d.Domain, "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
}
