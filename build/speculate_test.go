package build_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
)

// slowGo puts a go command first on PATH whose go build waits, up to
// 5 s, until reg has had a PATCH request, then runs the real go build;
// the file it returns gets the line "patched before go build" when the
// PATCH came first. It stops watching reg when the test ends.
func slowGo(t *testing.T, reg *registrytest.Registry) string {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := t.TempDir()
	log, flag := filepath.Join(bin, "log"), filepath.Join(bin, "patched")
	script := "#!/bin/sh\nif [ \"$1\" = build ]; then\n" +
		"  i=0; while [ ! -e " + flag + " ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done\n" +
		"  [ -e " + flag + " ] && echo 'patched before go build' >> " + log + "\n" +
		"fi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if slices.ContainsFunc(reg.Log(), func(r registrytest.Request) bool { return r.Method == http.MethodPatch }) {
				os.WriteFile(flag, nil, 0o644)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return log
}

// speculation builds and pushes a program with a binary cache, so that
// the cache holds its binary and the record of its layer, then changes
// its source when change is set, and returns the registry and the
// recipe of a second push, to a registry that has nothing yet, with
// slowGo on PATH.
func speculation(t *testing.T, change bool) (reg *registrytest.Registry, r build.Recipe, first *build.Result, goLog string) {
	t.Helper()
	pkg := filepath.Join(t.TempDir(), "app")
	writeFiles(t, pkg, map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n",
	})
	r = build.Recipe{Package: pkg, Platforms: []image.Platform{amd64}, Bare: true, GoBuild: build.GoBuild{Cache: t.TempDir()}}
	push := func(reg *registrytest.Registry) build.Recipe {
		r := r
		r.Outputs = []build.Output{{Format: build.Registry, Path: reg.Host() + "/app:v1", Remote: httpOptions}}
		return r
	}
	first, err := build.Run(t.Context(), push(registrytest.New(t, registrytest.Options{})))
	if err != nil {
		t.Fatal(err)
	}
	if change {
		writeFiles(t, pkg, map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(2) }\n"})
	}
	reg = registrytest.New(t, registrytest.Options{})
	return reg, push(reg), first, slowGo(t, reg)
}

// binaryLayer returns the top layer of the image ref names, and the
// sha256 of the file /app in it.
func binaryLayer(t *testing.T, ref string) (string, string) {
	t.Helper()
	got, err := remote.Pull(t.Context(), ref, httpOptions)
	if err != nil {
		t.Fatal(err)
	}
	ls := got.(*image.Image).Layers()
	top := ls[len(ls)-1]
	rc, err := top.Uncompressed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "layer.tar")
	f, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		t.Fatal(err)
	}
	f.Close()
	app, err := tarFile(tarPath, "app")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(app)
	return top.Digest().String(), "sha256:" + hex.EncodeToString(sum[:])
}

// deletes returns the DELETE requests of log that dropped an upload.
func deletes(log []registrytest.Request) []string {
	var out []string
	for _, r := range log {
		if r.Method == http.MethodDelete && strings.Contains(r.Path, "/blobs/uploads/") && r.Status/100 == 2 {
			out = append(out, r.Path)
		}
	}
	return out
}

// TestSpeculativePushUnchanged pushes a program whose binary and layer
// record the binary cache holds: the layer goes up, from the cached
// binary, before go build has even started (slowGo waits for it), once,
// and the registry gets the image the first build made.
func TestSpeculativePushUnchanged(t *testing.T) {
	reg, r, first, goLog := speculation(t, false)
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(goLog); !strings.Contains(string(b), "patched before go build") {
		t.Error("no PATCH reached the registry before go build ran: the layer was not uploaded from the cached binary")
	}
	if res.Artifact.Digest() != first.Artifact.Digest() {
		t.Errorf("the image is %s, the first build's %s", res.Artifact.Digest(), first.Artifact.Digest())
	}
	ref := r.Outputs[0].Path
	layerDigest, appSum := binaryLayer(t, ref)
	top := res.Images[0].Layers()[len(res.Images[0].Layers())-1]
	if layerDigest != top.Digest().String() || appSum != res.Report.Platforms[0].Binary.Digest.String() {
		t.Errorf("the registry's binary layer is %s holding %s; the build's is %s holding %s", layerDigest, appSum, top.Digest(), res.Report.Platforms[0].Binary.Digest)
	}
	if n := patched(reg.Log()); n != top.Size() {
		t.Errorf("PATCH requests sent %d bytes; the binary's layer is %d: it should go up once", n, top.Size())
	}
	if d := deletes(reg.Log()); len(d) != 0 {
		t.Errorf("uploads dropped: %v", d)
	}
}

// TestSpeculativePushChanged pushes a program whose source changed since
// the binary cache's binary was built: the layer of the cached binary
// starts up before go build runs, is dropped (the registry is asked to
// forget it) when go build leaves a new binary, and the image holds the
// new binary.
func TestSpeculativePushChanged(t *testing.T) {
	reg, r, first, goLog := speculation(t, true)
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(goLog); !strings.Contains(string(b), "patched before go build") {
		t.Error("no PATCH reached the registry before go build ran: nothing was speculated")
	}
	newBin, oldBin := res.Report.Platforms[0].Binary.Digest.String(), first.Report.Platforms[0].Binary.Digest.String()
	if newBin == oldBin {
		t.Fatal("the changed source gave the same binary")
	}
	layerDigest, appSum := binaryLayer(t, r.Outputs[0].Path)
	top := res.Images[0].Layers()[len(res.Images[0].Layers())-1]
	if appSum != newBin || layerDigest != top.Digest().String() {
		t.Errorf("the registry's binary layer is %s holding %s; want the new build's %s holding %s (the old binary is %s)", layerDigest, appSum, top.Digest(), newBin, oldBin)
	}
	if d := deletes(reg.Log()); len(d) != 1 {
		t.Errorf("%d uploads dropped (%v), want the speculative one", len(d), d)
	}
}

// TestSpeculativePushWrongRecord pushes a program whose layer record the
// binary cache holds, but with a wrong digest: the layer that goes up
// from the cached binary is not the one the record names, so the
// upload is dropped, and the image the registry gets is still the build.
func TestSpeculativePushWrongRecord(t *testing.T) {
	reg, r, first, goLog := speculation(t, false)
	recs, _ := filepath.Glob(filepath.Join(r.GoBuild.Cache, "layers", "*.json"))
	if len(recs) != 1 {
		t.Fatalf("records %v, want one", recs)
	}
	data, err := os.ReadFile(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	top := first.Images[0].Layers()[len(first.Images[0].Layers())-1]
	wrong := strings.Replace(string(data), top.Digest().String(), "sha256:"+strings.Repeat("ab", 32), 1)
	if wrong == string(data) {
		t.Fatalf("the record %s does not name the layer %s", data, top.Digest())
	}
	if err := os.WriteFile(recs[0], []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(goLog); !strings.Contains(string(b), "patched before go build") {
		t.Error("no PATCH reached the registry before go build ran: nothing was speculated")
	}
	layerDigest, appSum := binaryLayer(t, r.Outputs[0].Path)
	if res.Artifact.Digest() != first.Artifact.Digest() || layerDigest != top.Digest().String() || appSum != first.Report.Platforms[0].Binary.Digest.String() {
		t.Errorf("pushed %s (binary layer %s holding %s), want the build's %s (%s holding %s)", res.Artifact.Digest(), layerDigest, appSum,
			first.Artifact.Digest(), top.Digest(), first.Report.Platforms[0].Binary.Digest)
	}
	if d := deletes(reg.Log()); len(d) != 1 {
		t.Errorf("%d uploads dropped (%v), want the speculative one", len(d), d)
	}
}

// TestSpeculativePushFaults pushes a program whose binary and layer
// record the binary cache holds, through a registry that fails the
// speculative upload: Run then builds the layer and pushes it as usual,
// and the registry holds the build.
func TestSpeculativePushFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault registrytest.Fault
	}{
		{"refused chunk", registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, Status: http.StatusBadRequest}},
		{"connection cut mid-chunk", registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, CutRequest: true, After: 100 << 10}},
		{"refused digest", registrytest.Fault{Method: http.MethodPut, Path: `/blobs/uploads/`, Status: http.StatusBadRequest}}, // the first PUT: the speculation's
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg, r, first, goLog := speculation(t, false)
			r.Outputs[0].Remote.Backoff = 1
			reg.Fail(tc.fault)
			res, err := build.Run(t.Context(), r)
			if err != nil {
				t.Fatalf("%v\nlog: %v", err, reg.Log())
			}
			if b, _ := os.ReadFile(goLog); !strings.Contains(string(b), "patched before go build") {
				t.Error("no PATCH reached the registry before go build ran: nothing was speculated")
			}
			layerDigest, appSum := binaryLayer(t, r.Outputs[0].Path)
			top := first.Images[0].Layers()[len(first.Images[0].Layers())-1]
			if res.Artifact.Digest() != first.Artifact.Digest() || layerDigest != top.Digest().String() || appSum != first.Report.Platforms[0].Binary.Digest.String() {
				t.Errorf("pushed %s (binary layer %s holding %s), want the build's %s (%s holding %s)", res.Artifact.Digest(), layerDigest, appSum,
					first.Artifact.Digest(), top.Digest(), first.Report.Platforms[0].Binary.Digest)
			}
		})
	}
}
