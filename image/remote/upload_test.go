package remote

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"testing"

	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// randomBlob returns n pseudo-random bytes and their descriptor.
func randomBlob(seed uint64, n int) ([]byte, ocispec.Descriptor) {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b, ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(b), Size: int64(n)}
}

// writeInPieces writes b to w in pieces of uneven sizes, as a compressor
// emits its blocks.
func writeInPieces(t *testing.T, w io.Writer, b []byte) error {
	t.Helper()
	for i, k := 0, 0; i < len(b); k++ {
		n := min(len(b)-i, 1000+k*77777)
		if _, err := w.Write(b[i : i+n]); err != nil {
			return err
		}
		i += n
	}
	return nil
}

// blobThere reports whether the repository of ref holds d.
func blobThere(t *testing.T, ref string, d ocispec.Descriptor, opts Options) bool {
	t.Helper()
	ok, err := HasBlob(context.Background(), ref, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestUploadChunked(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (host string, opts Options, log func() []registrytest.Request)
	}{
		{"registrytest", func(t *testing.T) (string, Options, func() []registrytest.Request) {
			reg := registrytest.New(t, registrytest.Options{TLS: true, BearerToken: true, User: "ci", Password: "pw"})
			return reg.Host(), Options{HTTPClient: reg.Client(), Username: "ci", Password: "pw"}, reg.Log
		}},
		{"docker-registry", func(t *testing.T) (string, Options, func() []registrytest.Request) {
			reg := dockerregistry.Start(t, dockerregistry.Config{})
			px := reg.Proxy(t)
			return px.Host(), regOptions(reg), px.Log
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, opts, log := tc.start(t)
			t.Setenv("DOCKER_CONFIG", t.TempDir())
			data, d := randomBlob(7, 2*UploadChunkSize+12345)
			ref := host + "/team/app:v1"
			u, err := NewUpload(ctx, ref, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeInPieces(t, u, data); err != nil {
				t.Fatal(err)
			}
			if err := u.Commit(d); err != nil {
				t.Fatal(err)
			}
			if !blobThere(t, ref, d, opts) {
				t.Fatalf("the registry lacks %s after Commit", d.Digest)
			}
			// Chunks of 256 KiB, 512 KiB, ... up to UploadChunkSize, the
			// last one what is left.
			var patches, want []int64
			for _, r := range log() {
				if r.Method == http.MethodPatch {
					patches = append(patches, r.BytesIn)
				}
			}
			for left, next := d.Size, int64(256<<10); left > 0; next = min(2*next, UploadChunkSize) {
				want = append(want, min(left, next))
				left -= min(left, next)
			}
			if !slices.Equal(patches, want) {
				t.Errorf("PATCH bodies %v, want %v", patches, want)
			}
		})
	}
}

func TestUploadFailures(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	opts := Options{InsecureAllowHTTP: true}
	data, d := randomBlob(8, 3*UploadChunkSize)

	t.Run("registry fails mid-blob", func(t *testing.T) {
		reg.Fail(registrytest.Fault{Method: http.MethodPatch, Path: `/blobs/uploads/`, Status: http.StatusBadRequest})
		u, err := NewUpload(ctx, reg.Host()+"/a/b", opts)
		if err != nil {
			t.Fatal(err)
		}
		werr := writeInPieces(t, u, data)
		cerr := u.Commit(d)
		if cerr == nil {
			t.Fatal("Commit succeeded through a registry that refused a PATCH")
		}
		var re *Error
		if !errors.As(cerr, &re) {
			t.Errorf("Commit: %v, want a *remote.Error", cerr)
		}
		t.Logf("Write: %v; Commit: %v", werr, cerr)
		if blobThere(t, reg.Host()+"/a/b", d, opts) {
			t.Error("the blob is there after a failed upload")
		}
	})
	t.Run("wrong digest", func(t *testing.T) {
		u, err := NewUpload(ctx, reg.Host()+"/a/c", opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeInPieces(t, u, data); err != nil {
			t.Fatal(err)
		}
		wrong := d
		wrong.Digest = digest.FromString("something else")
		if err := u.Commit(wrong); err == nil {
			t.Error("Commit of a digest the bytes do not have succeeded")
		}
	})
	t.Run("wrong size", func(t *testing.T) {
		u, err := NewUpload(ctx, reg.Host()+"/a/d", opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeInPieces(t, u, data[:100]); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(d); !errors.Is(err, layer.ErrSizeMismatch) {
			t.Errorf("Commit after 100 of %d bytes: %v, want ErrSizeMismatch", d.Size, err)
		}
	})
	t.Run("abort", func(t *testing.T) {
		reg.ResetLog()
		u, err := NewUpload(ctx, reg.Host()+"/a/e", opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeInPieces(t, u, data[:UploadChunkSize+1]); err != nil {
			t.Fatal(err)
		}
		u.Abort()
		if _, err := u.Write([]byte("x")); !errors.Is(err, ErrUploadAborted) {
			t.Errorf("Write after Abort: %v, want ErrUploadAborted", err)
		}
		var deleted bool
		for _, r := range reg.Log() {
			deleted = deleted || r.Method == http.MethodDelete
		}
		if !deleted {
			t.Errorf("Abort sent no DELETE of the upload: %v", reg.Log())
		}
	})
}
