package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/certs"
)

// The image tests (cmd/minimage) run hello inside images; this checks
// its pieces on the host.
func TestCountPEM(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p, certs.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := countPEM(p), certs.Count()-certs.Constrained(); got != want {
		t.Errorf("countPEM = %d, want %d", got, want)
	}
	if got := countPEM(filepath.Join(t.TempDir(), "missing")); got != 0 {
		t.Errorf("countPEM of a missing file = %d", got)
	}
}

func TestRunFailsOnUnknownZone(t *testing.T) {
	if err := run("Nowhere/Atlantis"); err == nil {
		t.Fatal("run with an unknown zone succeeded")
	}
}
