package build_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// TestGoBuildCache builds twice with a GoBuild.Cache: the second go build
// finds the binary up to date and leaves it alone (same file, same
// time), and the images are the same. A change to the source is built.
func TestGoBuildCache(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	pkg := filepath.Join(t.TempDir(), "app")
	writeFiles(t, pkg, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() { println(1) }\n",
	})
	r := build.Recipe{Package: pkg, Platforms: []image.Platform{amd64}, Bare: true, GoBuild: build.GoBuild{Cache: cache}}
	run := func() (*build.Result, os.FileInfo) {
		t.Helper()
		res, err := build.Run(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		bins, _ := filepath.Glob(filepath.Join(cache, "*", "bin"))
		if len(bins) != 1 {
			t.Fatalf("cache holds %v, want one binary", bins)
		}
		fi, err := os.Stat(bins[0])
		if err != nil {
			t.Fatal(err)
		}
		return res, fi
	}
	first, _ := run()
	// A second name for the cached binary's inode: if go build wrote
	// the binary again (it renames or re-creates it), the names part.
	bins, _ := filepath.Glob(filepath.Join(cache, "*", "bin"))
	keep := filepath.Join(t.TempDir(), "keep")
	if err := os.Link(bins[0], keep); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	second, fi2 := run()
	if first.Artifact.Digest() != second.Artifact.Digest() {
		t.Errorf("the second build gives %s, the first %s", second.Artifact.Digest(), first.Artifact.Digest())
	}
	fk, err := os.Stat(keep)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fk, fi2) {
		t.Errorf("go build wrote the cached binary again: it did not find it up to date")
	}
	writeFiles(t, pkg, map[string]string{"main.go": "package main\n\nfunc main() { println(2) }\n"})
	third, _ := run()
	if third.Report.Platforms[0].Binary.Digest == first.Report.Platforms[0].Binary.Digest {
		t.Error("a changed source gave the same binary")
	}
	// The first build's binary, taken while it was current, is intact.
	if first.Report.Platforms[0].Binary.Digest != second.Report.Platforms[0].Binary.Digest {
		t.Error("the same source gave two binaries")
	}
}
