package certs

import (
	"os"
	"strings"
	"testing"
)

func TestPinnedVersionMatchesGoMod(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var found string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == bundleModule {
			found = f[1]
		}
	}
	if found == "" {
		t.Fatalf("go.mod does not require %s", bundleModule)
	}
	if found != pinnedVersion {
		t.Fatalf("go.mod requires %s %s but pinnedVersion is %s; update pinnedVersion (and the goldens)", bundleModule, found, pinnedVersion)
	}
}

func TestVersion(t *testing.T) {
	// Test binaries carry no dependency list, so this is the pinned value;
	// a program's build information gives the real one.
	if v := Version(); !strings.HasPrefix(v, "v") {
		t.Fatalf("Version() = %q", v)
	}
}
