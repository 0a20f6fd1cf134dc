package forum

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Mail tokens are the capabilities a mail carries: the one-click
// unsubscribe link, the reply-to address of a notification, the bounce
// address of each recipient. Each is "member.extra.mac", the mac an
// HMAC-SHA256 over purpose, member and extra with a site secret kept in the
// settings table, so every node of a cluster checks every other node's
// tokens, nothing per token is stored, and a token made for one purpose is
// refused for another. Tokens do not expire: a link in last year's digest
// still unsubscribes.

// Mail token purposes.
const (
	TokenUnsubscribe = "unsubscribe" // extra: the list ("digest", "replies", "broadcast", "all", …)
	TokenReply       = "reply"       // extra: the thread id
	TokenBounce      = "bounce"      // extra: the outbox row id, or ""
)

// ErrBadToken is returned for a token that is malformed, altered or made
// for another purpose.
var ErrBadToken = errors.New("forum: this link or address is not valid")

const settingMailSecret = "mail.secret"

// macBytes is the mac's length: 128 bits, unguessable, and short enough
// for the local part of an address (at most 64 characters).
const macBytes = 16

type secretCache struct {
	mu  sync.Mutex
	key []byte
}

// mailSecret returns the site's mail secret, making it on first use.
func (s *Service) mailSecret(ctx context.Context) ([]byte, error) {
	s.secret.mu.Lock()
	defer s.secret.mu.Unlock()
	if s.secret.key != nil {
		return s.secret.key, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	v, err := s.store.EnsureSetting(ctx, settingMailSecret, base64.RawURLEncoding.EncodeToString(b))
	if err != nil {
		return nil, err
	}
	key, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("forum: the setting %q is damaged: delete it to make a new one (old mail links stop working)", settingMailSecret)
	}
	s.secret.key = key
	return key, nil
}

// MailToken returns the token for purpose, member and extra. extra may not
// contain '.', and is kept in lower case.
func (s *Service) MailToken(ctx context.Context, purpose string, memberID int64, extra string) (string, error) {
	if strings.Contains(extra, ".") {
		return "", fmt.Errorf("forum: mail token extra %q contains '.'", extra)
	}
	key, err := s.mailSecret(ctx)
	if err != nil {
		return "", err
	}
	id, extra := strconv.FormatInt(memberID, 36), strings.ToLower(extra)
	return id + "." + extra + "." + tokenMAC(key, purpose, id, extra), nil
}

// CheckMailToken returns the member and extra of a token made for purpose,
// or ErrBadToken. Tokens are compared case-insensitively, since a mail
// address's local part may come back in another case.
func (s *Service) CheckMailToken(ctx context.Context, purpose, token string) (memberID int64, extra string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0, "", ErrBadToken
	}
	id, err := strconv.ParseInt(parts[0], 36, 64)
	if err != nil || id <= 0 {
		return 0, "", ErrBadToken
	}
	key, err := s.mailSecret(ctx)
	if err != nil {
		return 0, "", err
	}
	want := tokenMAC(key, purpose, strings.ToLower(parts[0]), strings.ToLower(parts[1]))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(parts[2]))) {
		return 0, "", ErrBadToken
	}
	return id, strings.ToLower(parts[1]), nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// tokenMAC is lower-case base32 (no padding) so that it survives a mail
// address's case folding.
func tokenMAC(key []byte, purpose, id, extra string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose + "\x00" + id + "\x00" + extra))
	return strings.ToLower(b32.EncodeToString(m.Sum(nil)[:macBytes]))
}
