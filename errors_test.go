package minimage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
)

// TestOneSentinelPerCondition checks that a condition has one sentinel
// whichever transport meets it: a missing tag, platform, repository or
// blob is image.ErrNotFound, and bytes that do not match their digest
// are layer.ErrDigestMismatch, from a layout, a tarball, a registry or a
// layer alike.
func TestOneSentinelPerCondition(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 7, Layers: 1, Files: 2})
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := image.Platform{OS: "linux", Architecture: "arm64"}

	dir := filepath.Join(t.TempDir(), "layout")
	if err := layout.Write(ctx, dir, img, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteFile(ctx, tarPath, img, tarball.Options{Tags: []string{"app:v1"}}); err != nil {
		t.Fatal(err)
	}
	reg := registrytest.New(t, registrytest.Options{})
	plain := remote.Options{InsecureAllowHTTP: true}
	if _, err := remote.Push(ctx, reg.Host()+"/app:v1", img, plain); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		want error
		do   func(t *testing.T) error
	}{
		{"layout: tag", image.ErrNotFound, func(t *testing.T) error {
			_, err := mustLayout(t, dir).Image(ctx, "nope", amd64)
			return err
		}},
		{"layout: platform", image.ErrNotFound, func(t *testing.T) error {
			_, err := mustLayout(t, dir).Image(ctx, "v1", arm64)
			return err
		}},
		{"layout: config bytes", layer.ErrDigestMismatch, func(t *testing.T) error {
			d := copyDir(t, dir)
			flipIn(t, filepath.Join(d, "blobs", "sha256", img.ConfigDigest().Encoded()), img.RawConfig())
			_, err := mustLayout(t, d).Image(ctx, "v1", amd64)
			return err
		}},
		{"tarball: tag", image.ErrNotFound, func(t *testing.T) error {
			_, err := mustTarball(t, tarPath).Image(ctx, "nope", amd64)
			return err
		}},
		{"tarball: config bytes", layer.ErrDigestMismatch, func(t *testing.T) error {
			p := filepath.Join(t.TempDir(), "bad.tar")
			copyFile(t, tarPath, p)
			flipIn(t, p, img.RawConfig())
			_, err := mustTarball(t, p).Image(ctx, "v1", amd64)
			return err
		}},
		{"remote: tag", image.ErrNotFound, func(t *testing.T) error {
			_, err := remote.Pull(ctx, reg.Host()+"/app:nope", plain)
			return err
		}},
		{"remote: repository", image.ErrNotFound, func(t *testing.T) error {
			_, err := remote.Pull(ctx, reg.Host()+"/nothing:v1", plain)
			return err
		}},
		{"remote: platform", image.ErrNotFound, func(t *testing.T) error {
			_, err := remote.PullImage(ctx, reg.Host()+"/app:v1", arm64, plain)
			return err
		}},
		{"remote: push under another digest", layer.ErrDigestMismatch, func(t *testing.T) error {
			other := imagetest.Image(t, imagetest.Spec{Seed: 8})
			_, err := remote.Push(ctx, reg.Host()+"/app@"+other.Digest().String(), img, plain)
			return err
		}},
		{"remote: config bytes", layer.ErrDigestMismatch, func(t *testing.T) error {
			opts := plain
			opts.HTTPClient = &http.Client{Transport: flipBlobs{http.DefaultTransport}}
			_, err := remote.PullImage(ctx, reg.Host()+"/app:v1", amd64, opts)
			return err
		}},
		{"layer: blob bytes", layer.ErrDigestMismatch, func(t *testing.T) error {
			l := img.Layers()[0]
			blob := readAll(t, l)
			blob[len(blob)/2] ^= 0xff
			bad, err := layer.FromBlob(l.Descriptor(), l.DiffID(), func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(blob)), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			rc, err := bad.Compressed(ctx)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(t)
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want one wrapping %q", err, tc.want)
			}
		})
	}
}

func mustLayout(t *testing.T, dir string) *layout.Layout {
	t.Helper()
	l, err := layout.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustTarball(t *testing.T, path string) *tarball.Tarball {
	t.Helper()
	tb, err := tarball.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func readAll(t *testing.T, l *layer.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flipIn changes one byte of the copy of part that the file at path
// holds, keeping its size.
func flipIn(t *testing.T, path string, part []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, part)
	if i < 0 {
		t.Fatalf("%s does not hold the bytes to flip", path)
	}
	data[i+len(part)/2] ^= 0x01
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(to, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return to
}

// flipBlobs is a transport that changes one byte of every blob a
// registry sends, as a faulty proxy or disk would.
type flipBlobs struct{ next http.RoundTripper }

func (f flipBlobs) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/blobs/sha256:") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		body[len(body)/2] ^= 0x01
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
