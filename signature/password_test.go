package signature

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	r, w, err := os.Pipe() // not a terminal
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var prompt strings.Builder
	t.Setenv("COSIGN_PASSWORD", "")
	if pw, err := Password(r, &prompt, true); err != nil || len(pw) != 0 {
		t.Errorf("COSIGN_PASSWORD set empty: got %q, %v; want it, empty", pw, err)
	}
	t.Setenv("COSIGN_PASSWORD", "s3cret")
	if pw, err := Password(r, &prompt, false); err != nil || string(pw) != os.Getenv("COSIGN_PASSWORD") {
		t.Errorf("COSIGN_PASSWORD set: got %q, %v", pw, err)
	}
	os.Unsetenv("COSIGN_PASSWORD") // t.Setenv restores it
	_, err = Password(r, &prompt, false)
	if !errors.Is(err, ErrNoPassword) || !strings.Contains(err.Error(), "COSIGN_PASSWORD") {
		t.Errorf("no variable, no terminal: got %v, want ErrNoPassword saying to set COSIGN_PASSWORD", err)
	}
	if prompt.Len() != 0 {
		t.Errorf("prompted %q with no terminal to read", prompt.String())
	}
}
