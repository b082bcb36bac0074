package tarball_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// bigLayer builds a gzip layer of n random bytes, into sink if not nil.
func bigLayer(t *testing.T, n int, seed uint64, sink *os.File) *layer.Layer {
	t.Helper()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	b := layer.New(layer.Options{Sink: sink})
	if err := b.AddFile("big", data, layer.Attr{}); err != nil {
		t.Fatal(err)
	}
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A File whose layers are added, and the last built into its Sink, as
// build does, holds the bytes WriteFile writes for the image, for one
// image and for an index of two; the layers stay readable after Commit.
func TestFileInPlace(t *testing.T) {
	ctx := context.Background()
	base := imagetest.FilesLayer(t, "etc/motd", "minimage\n")
	for _, n := range []int{1, 2} {
		dir := t.TempDir()
		path := filepath.Join(dir, "in-place.tar")
		f, err := tarball.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		var imgs []*image.Image
		for i, p := range []image.Platform{amd64, arm64}[:n] {
			img := image.New(p).Append(base)
			for _, l := range img.Layers() {
				if err := f.AddLayer(ctx, l); err != nil {
					t.Fatal(err)
				}
			}
			sink, err := f.Sink()
			if err != nil {
				t.Fatal(err)
			}
			l := bigLayer(t, 3<<20, uint64(i), sink)
			if err := f.EndSink(l); err != nil {
				t.Fatal(err)
			}
			imgs = append(imgs, img.Append(l))
		}
		var a image.Artifact = imgs[0]
		if n > 1 {
			if a, err = image.NewIndex(imgs...); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Commit(ctx, []tarball.Named{{Artifact: a, Tags: []string{"app:v1"}}}); err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(dir, "copied.tar")
		if err := tarball.WriteFile(ctx, want, a, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		wb, _ := os.ReadFile(want)
		if !bytes.Equal(got, wb) {
			t.Fatalf("%d images: the file written in place differs from WriteFile's (%d and %d bytes)", n, len(got), len(wb))
		}
		names, _ := untar(t, got)
		checkOrder(t, names, []tarball.Named{{Artifact: a}})
		if ents, _ := os.ReadDir(dir); len(ents) != 2 {
			t.Errorf("%d files in the directory, want the two tarballs", len(ents))
		}
		os.Remove(path)
		if _, err := tarball.Read(want); err != nil {
			t.Fatal(err)
		}
	}
}

// Layers added out of the tarball's order, or a blob built into the
// Sink that the file holds already, fail with ErrNotInPlace; the file at
// the path is left as it was, no temporary file stays, and the layers
// stay readable for a WriteFile that follows.
func TestFileNotInPlace(t *testing.T) {
	ctx := context.Background()
	a := imagetest.FilesLayer(t, "a", "a")
	b := imagetest.FilesLayer(t, "b", "b")
	img := image.New(amd64).Append(a, b)
	for _, tc := range []struct {
		name string
		fill func(f *tarball.File) error
	}{
		{"order", func(f *tarball.File) error {
			if err := f.AddLayer(ctx, b); err != nil {
				return err
			}
			return f.Commit(ctx, []tarball.Named{{Artifact: img}})
		}},
		{"twice", func(f *tarball.File) error {
			big := bigLayer(t, 1<<20, 7, nil)
			if err := f.AddLayer(ctx, big); err != nil {
				return err
			}
			sink, err := f.Sink()
			if err != nil {
				return err
			}
			img = img.Append(bigLayer(t, 1<<20, 7, sink))
			return f.EndSink(img.Layers()[2])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.tar")
			os.WriteFile(path, []byte("before"), 0o644)
			f, err := tarball.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.fill(f); !errors.Is(err, tarball.ErrNotInPlace) {
				t.Fatalf("got %v, want ErrNotInPlace", err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("%d files in the directory, want x.tar alone", len(ents))
			}
			if got, _ := os.ReadFile(path); string(got) != "before" {
				t.Error("the failed File changed the target")
			}
			if err := f.Commit(ctx, []tarball.Named{{Artifact: img}}); err == nil {
				t.Error("Commit after the failure: no error")
			}
			if err := tarball.WriteFile(ctx, path, img, tarball.Options{}); err != nil {
				t.Fatalf("WriteFile after the failure: %v", err)
			}
		})
	}
}
