package password

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected format %q", h)
	}
	h2, _ := Hash("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"correct horse", true},
		{"correct horse ", false},
		{"", false},
		{"Correct horse", false},
	}
	for _, tt := range tests {
		ok, err := Verify(tt.pw, h)
		if err != nil || ok != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=1,t=1,p=1$!!$a2V5"} {
		if _, err := Verify("pw", h); err == nil {
			t.Errorf("Verify on %q: want error", h)
		}
	}
}

func TestConcurrentHashesAreBounded(t *testing.T) {
	h, _ := Hash("correct horse")
	done := make(chan bool)
	for range 3 * cap(slots) {
		go func() {
			ok, _ := Verify("correct horse", h)
			done <- ok
		}()
	}
	for range 3 * cap(slots) {
		if !<-done {
			t.Fatal("a queued verification failed")
		}
	}
}
