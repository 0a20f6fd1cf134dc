package forum

import (
	"strings"
	"testing"

	"hearth/internal/password"
)

// TestDummyHashCostsWhatARealOneDoes: a login for an unknown email verifies
// against the dummy hash, so it must have the parameters real hashes have,
// or its time would tell unknown emails from wrong passwords.
func TestDummyHashCostsWhatARealOneDoes(t *testing.T) {
	real, err := password.Hash("any password at all")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return strings.Join(strings.Split(h, "$")[:4], "$") }
	if got, want := params(dummyHash()), params(real); got != want {
		t.Errorf("dummy hash parameters %q, real ones %q", got, want)
	}
	if ok, err := password.Verify("not a real password", dummyHash()); err != nil || !ok {
		t.Errorf("the dummy hash does not verify: %v %v", ok, err)
	}
}
