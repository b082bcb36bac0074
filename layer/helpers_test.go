package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/opencontainers/go-digest"
)

// textData returns n deterministic bytes that compress like text: words
// drawn from a small vocabulary by a seeded generator.
func textData(n int, seed uint64) []byte {
	words := []string{"layer", "image", "digest", "gzip", "tar", "the", "a", "of", "manifest", "config", "\n", "0123", "sha256:", "minimage"}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

// randomData returns n deterministic incompressible bytes.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func build(t testing.TB, b *Builder) *Layer {
	t.Helper()
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return l
}

func readAll(t testing.TB, open func(context.Context) (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open(context.Background())
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

func sha(b []byte) digest.Digest {
	return digest.NewDigestFromBytes(digest.SHA256, func() []byte { s := sha256.Sum256(b); return s[:] }())
}

type testTar struct{ tw *tar.Writer }

func newTestTar(w io.Writer) testTar { return testTar{tar.NewWriter(w)} }

func (t testTar) file(name, body string) {
	t.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	t.tw.Write([]byte(body))
}

func (t testTar) close() { t.tw.Close() }
