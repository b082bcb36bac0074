package build_test

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/testenv"
)

// bigBinaries builds a Go program that embeds 9 MiB of pseudo-random
// bytes, for amd64 and arm64: its layer does not compress, so an upload
// of it takes three chunks.
func bigBinaries(t *testing.T) []build.Binary {
	t.Helper()
	src := t.TempDir()
	blob := make([]byte, 9<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range blob {
		blob[i] = byte(r.Uint32())
	}
	files := map[string]string{
		"go.mod":  "module big\n\ngo 1.22\n",
		"main.go": "package main\n\nimport _ \"embed\"\n\n//go:embed blob\nvar blob []byte\n\nfunc main() { println(len(blob)) }\n",
		"blob":    string(blob),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	return []build.Binary{
		{Platform: amd64, Path: testenv.GoBuild(t, src, filepath.Join(out, "amd64", "big"), "GOARCH=amd64")},
		{Platform: arm64, Path: testenv.GoBuild(t, src, filepath.Join(out, "arm64", "big"), "GOARCH=arm64")},
	}
}

// patched returns the bytes the PATCH requests of log sent.
func patched(log []registrytest.Request) int64 {
	var n int64
	for _, r := range log {
		if r.Method == http.MethodPatch {
			n += r.BytesIn
		}
	}
	return n
}

// TestOverlappedPush pushes a build of two platforms whose binaries'
// layers are uploaded while they compress: the registry then holds what
// build -o and a push of the layout give, the layers went up in PATCH
// chunks, and a push of the unchanged build uploads nothing, thanks to
// the record in the binary cache.
func TestOverlappedPush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bins := bigBinaries(t)
	reg := registrytest.New(t, registrytest.Options{})
	cache := t.TempDir()
	recipe := func(out build.Output) build.Recipe {
		return build.Recipe{Binaries: bins, Outputs: []build.Output{out}, GoBuild: build.GoBuild{Cache: cache}}
	}
	pushTo := func(ref string) build.Output {
		return build.Output{Format: build.Registry, Path: reg.Host() + "/" + ref, Remote: httpOptions}
	}

	// build -o DIR, then push DIR.
	dir := filepath.Join(t.TempDir(), "oci")
	if _, err := build.Run(ctx, recipe(build.Output{Format: build.Layout, Path: dir})); err != nil {
		t.Fatal(err)
	}
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	local, err := l.Artifact(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Push(ctx, reg.Host()+"/twostep:v1", local, httpOptions); err != nil {
		t.Fatal(err)
	}

	// build --push.
	reg.ResetLog()
	res, err := build.Run(ctx, recipe(pushTo("overlap:v1")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Pull(ctx, reg.Host()+"/overlap:v1", httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != local.Digest() || res.Artifact.Digest() != local.Digest() {
		t.Errorf("build --push gave %s (Run returned %s); build -o then push gave %s", got.Digest(), res.Artifact.Digest(), local.Digest())
	}
	var binLayers int64
	for _, img := range res.Images {
		ls := img.Layers()
		binLayers += ls[len(ls)-1].Size()
	}
	if n := patched(reg.Log()); n != binLayers {
		t.Errorf("PATCH requests sent %d bytes; the binaries' layers are %d: each should go up in chunks while it compresses", n, binLayers)
	}

	// The same build again: the record names each binary's layer, the
	// registry has it, and nothing is uploaded.
	reg.ResetLog()
	if _, err := build.Run(ctx, recipe(pushTo("overlap:v1"))); err != nil {
		t.Fatal(err)
	}
	if up := blobUploads(reg.Log()); len(up) != 0 {
		t.Errorf("a push of the unchanged build uploaded: %v", up)
	}

	// Without the record, the digest is not known before the layer is
	// built, so the layer goes up while it compresses, though the
	// registry has it: what the record saves.
	reg.ResetLog()
	r := recipe(pushTo("overlap:v1"))
	r.GoBuild.Cache = t.TempDir()
	if _, err := build.Run(ctx, r); err != nil {
		t.Fatal(err)
	}
	if n := patched(reg.Log()); n != binLayers {
		t.Errorf("without a record, PATCH requests sent %d bytes, want the layers' %d", n, binLayers)
	}
}

// TestOverlappedPushFaults pushes through a registry that fails the
// upload of a binary's layer while it compresses: Run then pushes the
// layer as usual, from its first byte, and the registry holds the build.
func TestOverlappedPushFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bins := bigBinaries(t)
	want, err := build.Run(ctx, build.Recipe{Binaries: bins})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		fault registrytest.Fault
	}{
		{"refused chunk", registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, Status: http.StatusBadRequest}},
		{"connection cut mid-chunk", registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, Times: 3, CutRequest: true, After: 1 << 20}},
		{"refused digest", registrytest.Fault{Method: http.MethodPut, Path: `/blobs/uploads/`, Status: http.StatusBadRequest}},
		{"lost upload", registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, Times: -1, Status: http.StatusNotFound}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registrytest.New(t, registrytest.Options{})
			reg.Fail(tc.fault)
			ref := reg.Host() + "/faults:v1"
			_, err := build.Run(ctx, build.Recipe{
				Binaries: bins,
				Outputs:  []build.Output{{Format: build.Registry, Path: ref, Remote: remote.Options{InsecureAllowHTTP: true, Backoff: 1}}},
				GoBuild:  build.GoBuild{Cache: t.TempDir()},
			})
			if err != nil {
				t.Fatalf("%v\nlog: %v", err, reg.Log())
			}
			got, err := remote.Pull(ctx, ref, httpOptions)
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest() != want.Artifact.Digest() {
				t.Errorf("pushed %s, the build is %s", got.Digest(), want.Artifact.Digest())
			}
			for _, img := range got.(*image.Index).Images() {
				for _, l := range img.Layers() {
					rc, err := l.Compressed(ctx)
					if err == nil {
						_, err = io.Copy(io.Discard, rc) // checks the digest
						rc.Close()
					}
					if err != nil {
						t.Errorf("layer %s: %v", l.Digest(), err)
					}
				}
			}
		})
	}
}
