package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/layer"
)

// bigImage is an image with a layer of 6 MiB, so that faults land in the
// middle of a blob. It is not compressed, which keeps it quick to make.
func bigImage(t *testing.T, seed uint64) *image.Image {
	t.Helper()
	return imagetest.Image(t, imagetest.Spec{Seed: seed, Files: 6, Size: 1 << 20, Layers: 1, Compression: layer.Uncompressed})
}

func TestPushThroughFaults(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	seed := uint64(100)

	for _, tc := range []struct {
		name  string
		fault registrytest.Fault
		min   time.Duration // the push must take at least this long
	}{
		{"503 burst", registrytest.Fault{Times: 3, Status: http.StatusServiceUnavailable}, 0},
		{"503 burst on uploads", registrytest.Fault{Times: 3, Status: http.StatusServiceUnavailable, Method: "PUT", Path: uploads}, 0},
		{"429 with Retry-After", registrytest.Fault{Times: 1, Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second, Method: "PUT", Path: uploads}, 2 * time.Second},
		{"connection cut mid-blob", registrytest.Fault{Times: 2, CutRequest: true, After: 256 << 10, Method: "PUT", Path: uploads}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			px := reg.Proxy(t)
			px.Fail(tc.fault)
			seed++
			img := bigImage(t, seed)
			opts := regOptions(reg)
			opts.Backoff = time.Millisecond // Retry-After still waits its 2 s
			var retried int
			opts.Progress = func(p Progress) {
				if p.State == Retrying {
					retried++
				}
			}
			start := time.Now()
			got, err := Push(ctx, px.Host()+"/faults:"+strings.ReplaceAll(tc.name, " ", "-"), img, opts)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%v\nproxy: %v", err, px.Log())
			}
			if got.Digest != img.Digest() {
				t.Errorf("digest %s, want %s", got.Digest, img.Digest())
			}
			if n := faulted(px.Log()); n != tc.fault.Times {
				t.Errorf("the proxy broke %d requests, want %d:\n%v", n, tc.fault.Times, px.Log())
			}
			if took < tc.min {
				t.Errorf("push took %v: it did not wait the %v Retry-After asked", took, tc.min)
			}
			raw := skopeoInspectRaw(t, reg, "faults:"+strings.ReplaceAll(tc.name, " ", "-"))
			if string(raw) != string(img.RawManifest()) {
				t.Errorf("the registry holds another manifest")
			}
			t.Logf("took %v, %d blob retries; proxy: %v", took.Round(time.Millisecond), retried, px.Log())
		})
	}
}

func TestPushGivesUp(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	px := reg.Proxy(t)
	px.Fail(registrytest.Fault{Times: -1, Status: http.StatusServiceUnavailable})
	img := imagetest.Image(t, imagetest.Spec{Seed: 9})
	opts := regOptions(reg)
	opts.Retries, opts.Backoff = 2, time.Millisecond

	_, err := Push(context.Background(), px.Host()+"/app:v1", img, opts)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: want one line naming the 503", err)
	}
	if n := faulted(px.Log()); n != 3 {
		t.Errorf("%d requests with Retries 2, want 3: %v", n, px.Log())
	}
}

func TestPushRegistryRestart(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := bigImage(t, 77)
	ctx := context.Background()

	var once sync.Once
	restarted := make(chan error, 1)
	var states []State
	opts := regOptions(reg)
	opts.Jobs = 1
	opts.Progress = func(p Progress) {
		states = append(states, p.State)
		if p.State == Uploading && p.Done >= 1<<20 {
			once.Do(func() {
				// Kill it now, while this upload waits on this callback,
				// and bring it back a second later.
				reg.Kill()
				go func() {
					time.Sleep(time.Second)
					restarted <- reg.RestartErr()
				}()
			})
		}
	}
	got, err := Push(ctx, reg.Ref("app:v1"), img, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	if got.Digest != img.Digest() {
		t.Errorf("digest %s, want %s", got.Digest, img.Digest())
	}
	var retried bool
	for _, s := range states {
		retried = retried || s == Retrying
	}
	if !retried {
		t.Errorf("no blob was retried: the kill missed the upload (states %v)", states)
	}
	if raw := skopeoInspectRaw(t, reg, "app:v1"); string(raw) != string(img.RawManifest()) {
		t.Errorf("the registry holds another manifest")
	}
}

// uploads matches the path of a blob upload, as the PUT that completes
// it has.
const uploads = "/blobs/uploads/"

// faulted returns how many requests of log a fault broke.
func faulted(log []registrytest.Request) int {
	n := 0
	for _, r := range log {
		if r.Fault {
			n++
		}
	}
	return n
}
