package remote

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/internal/dockerregistry"
)

func TestHTTPClientOption(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 71})
	ctx := context.Background()

	// The caller's client decides TLS: it trusts the CA, Options do not.
	o := Options{HTTPClient: reg.Client(), Username: reg.User, Password: reg.Password}
	if _, err := Push(ctx, reg.Ref("app:v1"), img, o); err != nil {
		t.Fatal(err)
	}
	o.CAFiles = []string{reg.CA.File}
	if _, err := Push(ctx, reg.Ref("app:v1"), img, o); err == nil || !strings.Contains(err.Error(), "HTTPClient") {
		t.Errorf("HTTPClient with CAFiles: %v, want an error naming both", err)
	}
}

func TestMountFallsBackToUpload(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 72})
	ctx := context.Background()
	o := regOptions(reg)
	o.Mounts = NewMounts()
	r, err := parseReference(reg.Ref("app:v1"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClient(r, o)
	if err != nil {
		t.Fatal(err)
	}
	// A stale hint: the layer is said to be in a repository that does
	// not exist. The registry refuses the mount; the push uploads.
	newMountScope(ctx, o.Mounts, c).remember(img.Layers()[0].Digest(), "gone")
	var states []State
	o.Progress = func(p Progress) {
		if p.Descriptor.Digest == img.Layers()[0].Digest() {
			states = append(states, p.State)
		}
	}
	mark := reg.Mark()
	if _, err := Push(ctx, reg.Ref("app:v1"), img, o); err != nil {
		t.Fatal(err)
	}
	var mounts int
	for _, e := range reg.Requests(mark) {
		if strings.Contains(e.Path, "mount=") {
			mounts++
		}
	}
	if mounts != 1 || len(states) == 0 || states[len(states)-1] != Uploaded {
		t.Errorf("%d mount requests, states %v; want one refused mount, then an upload", mounts, states)
	}
	if raw := skopeoInspectRaw(t, reg, "app:v1"); string(raw) != string(img.RawManifest()) {
		t.Error("the registry holds another manifest")
	}
}

func TestPushCancel(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := bigImage(t, 73)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := regOptions(reg)
	o.Progress = func(p Progress) {
		if p.State == Uploading && p.Done >= 1<<20 {
			cancel()
		}
	}
	start := time.Now()
	_, err := Push(ctx, reg.Ref("app:v1"), img, o)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Push took %v to stop", d)
	}
	// Every goroutine Push started has ended. (Connections of the HTTP
	// transport are its own: they close when idle.)
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := ours()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines of Push still run after it returned:\n%s", strings.Join(left, "\n\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if tags := reg.Tags("app"); len(tags) != 0 {
		t.Errorf("a cancelled push made tags %v", tags)
	}
}

// ours returns the stacks of the goroutines, other than the caller's,
// that run code of this package or of errgroup. Parallel tests waiting
// in t.Parallel for the sequential ones to end are not Push's.
func ours() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "testing.(*T).Parallel(") {
			continue
		}
		if i > 0 && (strings.Contains(g, "minimage/image/remote.") || strings.Contains(g, "errgroup")) {
			out = append(out, g)
		}
	}
	return out
}
