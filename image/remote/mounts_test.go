package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/opencontainers/go-digest"
)

// blobTraffic is what a registry's log says was done with each blob.
type blobTraffic struct {
	starts  int                   // POSTs that start an upload (no mount asked)
	puts    map[digest.Digest]int // PUTs that end an upload, by digest
	mounts  map[digest.Digest]int // mounts the registry made (201)
	refused int                   // mounts the registry refused (202: an upload follows)
}

func traffic(t *testing.T, log []registrytest.Request) blobTraffic {
	t.Helper()
	tr := blobTraffic{puts: map[digest.Digest]int{}, mounts: map[digest.Digest]int{}}
	for _, r := range log {
		if !strings.Contains(r.Path, "/blobs/uploads/") {
			continue
		}
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.Method == http.MethodPost && q.Has("mount") && r.Status == http.StatusCreated:
			tr.mounts[digest.Digest(q.Get("mount"))]++
		case r.Method == http.MethodPost && q.Has("mount"):
			tr.refused++
		case r.Method == http.MethodPost:
			tr.starts++
		case r.Method == http.MethodPut:
			tr.puts[digest.Digest(q.Get("digest"))]++
		}
	}
	return tr
}

// sharedImages returns n images on the same three layers (as the base
// files, the CA bundle and the zones are), each with a layer of its own
// on top.
func sharedImages(t testing.TB, n int) (shared []digest.Digest, imgs []*image.Image) {
	t.Helper()
	base := imagetest.Image(t, imagetest.Spec{Seed: 90, Layers: 3, Files: 2})
	for _, l := range base.Layers() {
		shared = append(shared, l.Digest())
	}
	for i := range n {
		own := imagetest.Image(t, imagetest.Spec{Seed: 100 + uint64(i)}).Layers()
		imgs = append(imgs, image.New(base.Platform()).Append(base.Layers()...).Append(own...))
	}
	return shared, imgs
}

// TestConcurrentPushesShareUploads pushes 20 images on three shared
// layers, at once, into 20 repositories of one registry, with one
// Mounts: each blob is uploaded once, and the shared layers are mounted
// into the 19 other repositories.
func TestConcurrentPushesShareUploads(t *testing.T) {
	const n = 20
	reg := registrytest.New(t, registrytest.Options{})
	shared, imgs := sharedImages(t, n)
	opts := Options{InsecureAllowHTTP: true, Mounts: NewMounts()}
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i, img := range imgs {
		wg.Go(func() {
			<-start
			_, errs[i] = Push(ctx, fmt.Sprintf("%s/app%d:v1", reg.Host(), i), img, opts)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	tr := traffic(t, reg.Log())
	blobs := map[digest.Digest]bool{}
	for _, img := range imgs {
		for _, b := range img.Blobs() {
			if !isManifest(b.Descriptor.MediaType) {
				blobs[b.Descriptor.Digest] = true
			}
		}
	}
	for d := range blobs {
		if tr.puts[d] != 1 {
			t.Errorf("blob %s uploaded %d times, want once", d, tr.puts[d])
		}
	}
	for _, d := range shared {
		if tr.mounts[d] != n-1 {
			t.Errorf("shared layer %s mounted %d times, want %d", d, tr.mounts[d], n-1)
		}
	}
	if tr.starts != len(blobs) || len(tr.puts) != len(blobs) || tr.refused != 0 {
		t.Errorf("%d uploads started, %d blobs put, %d mounts refused; want %d, %d, 0", tr.starts, len(tr.puts), tr.refused, len(blobs), len(blobs))
	}
	for i, img := range imgs {
		got, err := Pull(ctx, fmt.Sprintf("%s/app%d:v1", reg.Host(), i), Options{InsecureAllowHTTP: true})
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != img.Digest() {
			t.Errorf("app%d holds %s, want %s", i, got.Digest(), img.Digest())
		}
	}
}

// TestMountsNotShared checks who uses whose sources: after a push to
// app0 with one Mounts and credential, a push to another repository
// mounts the layers only with the same Mounts, credential and registry.
func TestMountsNotShared(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	other := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 91, Layers: 2})
	ctx := context.Background()
	m := NewMounts()
	// The registry asks for no credentials, so none is sent; the
	// Mounts keys by them all the same.
	as := func(m *Mounts, user, password string) Options {
		return Options{InsecureAllowHTTP: true, Mounts: m, Username: user, Password: password}
	}
	if _, err := Push(ctx, reg.Host()+"/app0:v1", img, as(m, "alice", "pw-a")); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		name  string
		reg   *registrytest.Registry
		opts  Options
		mount bool
	}{
		{"no Mounts", reg, as(nil, "alice", "pw-a"), false},
		{"another Mounts", reg, as(NewMounts(), "alice", "pw-a"), false},
		{"another user", reg, as(m, "bob", "pw-b"), false},
		{"another password", reg, as(m, "alice", "pw-other"), false},
		{"anonymous", reg, as(m, "", ""), false},
		{"another registry", other, as(m, "alice", "pw-a"), false},
		{"same Mounts and credential", reg, as(m, "alice", "pw-a"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DOCKER_CONFIG", t.TempDir())
			t.Setenv("REGISTRY_AUTH_FILE", "")
			t.Setenv("XDG_RUNTIME_DIR", "")
			c.reg.ResetLog()
			if _, err := Push(ctx, fmt.Sprintf("%s/app%d:v1", c.reg.Host(), i+1), img, c.opts); err != nil {
				t.Fatal(err)
			}
			tr := traffic(t, c.reg.Log())
			var mounted int
			for _, l := range img.Layers() {
				mounted += tr.mounts[l.Digest()]
			}
			want := 0
			if c.mount {
				want = len(img.Layers())
			}
			if mounted != want || tr.refused != 0 {
				t.Errorf("%d layers mounted, %d mounts refused; want %d, 0", mounted, tr.refused, want)
			}
		})
	}
}

// TestPushUploadsWhenJoinedUploadFails pushes one image to two
// repositories at once, with one Mounts, and fails the first blob upload
// after a delay: the other push waits for it, then uploads that blob
// itself, after the failure.
func TestPushUploadsWhenJoinedUploadFails(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 92})
	reg.Fail(registrytest.Fault{Method: http.MethodPut, Path: `/blobs/uploads/`, Delay: 300 * time.Millisecond, Status: http.StatusInternalServerError})
	opts := Options{InsecureAllowHTTP: true, Mounts: NewMounts(), Retries: -1, Jobs: 1}
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { _, errs[i] = Push(ctx, fmt.Sprintf("%s/app%d:v1", reg.Host(), i), img, opts) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("push errors %v; want one push to fail, the other to succeed", errs)
	}
	// The failed PUT and, after it, the one that succeeded, of the same
	// blob.
	var puts []registrytest.Request
	for _, r := range reg.Log() {
		if r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/uploads/") {
			puts = append(puts, r)
		}
	}
	if len(puts) < 2 || puts[0].Status != http.StatusInternalServerError || puts[1].Status != http.StatusCreated || puts[0].Query != puts[1].Query {
		t.Errorf("blob PUTs %v; want the failed one first, then the same blob's that succeeded", puts)
	}
}

// TestPushWaitingStopsOnCancel checks that a push waiting for another's
// upload of a blob stops when its context ends.
func TestPushWaitingStopsOnCancel(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	reg := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 93})
	reg.Fail(registrytest.Fault{Method: http.MethodPut, Path: `/blobs/uploads/`, Delay: 2 * time.Second})
	ctx := context.Background()
	opts := Options{InsecureAllowHTTP: true, Mounts: NewMounts(), Jobs: 1}
	uploading := make(chan struct{})
	var once sync.Once
	first := opts
	first.Progress = func(p Progress) {
		if p.State == Uploading {
			once.Do(func() { close(uploading) })
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Push(ctx, reg.Host()+"/app0:v1", img, first)
		done <- err
	}()
	<-uploading
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := Push(short, reg.Host()+"/app1:v1", img, opts)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > time.Second {
		t.Errorf("a waiting push cancelled after 100ms: %v after %v, want context.DeadlineExceeded at once", err, time.Since(began))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// BenchmarkConcurrentPushes pushes 20 images on three shared layers at
// once into 20 new repositories of an in-process registry, with one
// Mounts for the 20 ("shared") or none, and reports the blob uploads of
// each round.
func BenchmarkConcurrentPushes(b *testing.B) {
	const n = 20
	_, imgs := sharedImages(b, n)
	for _, shared := range []bool{true, false} {
		b.Run(map[bool]string{true: "shared", false: "none"}[shared], func(b *testing.B) {
			reg := registrytest.New(b, registrytest.Options{})
			ctx := context.Background()
			round := 0
			for b.Loop() {
				opts := Options{InsecureAllowHTTP: true}
				if shared {
					opts.Mounts = NewMounts()
				}
				var wg sync.WaitGroup
				for i, img := range imgs {
					wg.Go(func() {
						if _, err := Push(ctx, fmt.Sprintf("%s/r%d-app%d:v1", reg.Host(), round, i), img, opts); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				round++
			}
			var puts int
			for _, r := range reg.Log() {
				if r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/uploads/") {
					puts++
				}
			}
			b.ReportMetric(float64(puts)/float64(round), "uploads/op")
		})
	}
}

// TestConcurrentMountsIntoOneRepository pushes 8 images on three shared
// layers, at once, into one repository, after a push that put those
// layers into another: each shared layer is mounted into the repository
// once, as the platforms of an index pushed at once share their layers,
// not once per push.
func TestConcurrentMountsIntoOneRepository(t *testing.T) {
	const n = 8
	reg := registrytest.New(t, registrytest.Options{})
	shared, imgs := sharedImages(t, n+1)
	opts := Options{InsecureAllowHTTP: true, Mounts: NewMounts()}
	ctx := context.Background()
	if _, err := Push(ctx, reg.Host()+"/first:v1", imgs[0], opts); err != nil {
		t.Fatal(err)
	}
	reg.ResetLog()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i, img := range imgs[1:] {
		wg.Go(func() {
			<-start
			_, errs[i] = Push(ctx, fmt.Sprintf("%s/app:v%d", reg.Host(), i), img, opts)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	tr := traffic(t, reg.Log())
	for _, d := range shared {
		if tr.mounts[d] != 1 || tr.puts[d] != 0 {
			t.Errorf("shared layer %s: mounted %d times and uploaded %d times into app, want one mount", d, tr.mounts[d], tr.puts[d])
		}
	}
}
