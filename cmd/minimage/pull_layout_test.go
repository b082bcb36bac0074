package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
)

// failingPull serves an image of three layers whose last layer the
// registry refuses, so that a pull fails after writing the others.
func failingPull(t *testing.T) (ref string, img *image.Image) {
	t.Helper()
	reg := registrytest.New(t, registrytest.Options{})
	img = imagetest.Image(t, imagetest.Spec{Seed: 501, Layers: 3, Compression: layer.Uncompressed})
	ls := img.Layers()
	last := ls[len(ls)-1].Digest()
	reg.Preload(t, "app", img, "v1")
	reg.Fail(registrytest.Fault{Method: "GET", Path: regexp.QuoteMeta(last.Encoded()), Status: 404, Times: -1})
	return reg.Host() + "/app:v1", img
}

func blobCount(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return len(ents)
}

func TestPullFailedPartWayNewDir(t *testing.T) {
	ref, _ := failingPull(t)
	out := filepath.Join(t.TempDir(), "sub", "out")
	_, _, err := registryCmd(t, "", pull, "-q", "--insecure-allow-http", "--retries", "0", ref, "-o", out)
	if err == nil {
		t.Fatal("pull succeeded")
	}
	if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("after a failed pull into a new directory, %s is there (%d blobs): %v", out, blobCount(t, out), serr)
	}
}

func TestPullFailedPartWayExistingLayout(t *testing.T) {
	ref, _ := failingPull(t)
	out := t.TempDir()
	other := imagetest.Image(t, imagetest.Spec{Seed: 502})
	if err := layout.Write(context.Background(), out, other, layout.Options{Tags: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := blobCount(t, out)
	_, _, err = registryCmd(t, "", pull, "-q", "--insecure-allow-http", "--retries", "0", ref, "-o", out)
	if err == nil {
		t.Fatal("pull succeeded")
	}
	left := blobCount(t, out) - n
	if left == 0 {
		t.Fatal("the pull wrote no blob before it failed: the test does not test")
	}
	if want := "left " + strconv.Itoa(left) + " checked blobs"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q: want it to say %q", err, want)
	}
	after, _ := os.ReadFile(filepath.Join(out, "index.json"))
	if string(after) != string(before) {
		t.Errorf("index.json changed:\n%s\nwant\n%s", after, before)
	}
}

func TestRegistryTimeoutFlag(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 503})
	reg.Preload(t, "app", img, "v1")
	src := filepath.Join(t.TempDir(), "src")
	if err := layout.Write(context.Background(), src, img, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	reg.Fail(registrytest.Fault{Delay: 20 * time.Second, Times: -1})
	for _, tc := range []struct {
		name string
		run  func(context.Context, []string, io.Reader, *bytes.Buffer, *bytes.Buffer) error
		args []string
	}{
		{"pull", pull, []string{reg.Host() + "/app:v1", "-o", filepath.Join(t.TempDir(), "out")}},
		{"push", push, []string{src + ":v1", reg.Host() + "/copy:v1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			args := append([]string{"-q", "--insecure-allow-http", "--timeout", "300ms"}, tc.args...)
			_, _, err := registryCmd(t, "", tc.run, args...)
			took := time.Since(start)
			if !errors.Is(err, remote.ErrTimeout) || !strings.Contains(err.Error(), "timeout") {
				t.Errorf("%s with --timeout 300ms: %v, want a timeout error naming it", tc.name, err)
			}
			if took > 3*time.Second {
				t.Errorf("%s with --timeout 300ms took %v", tc.name, took)
			}
		})
	}
}
