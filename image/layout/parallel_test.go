package layout_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Write reads the blobs of a pulled artifact side by side: a layer's
// download does not wait for the one before it to end.
func TestWriteReadsBlobsAtOnce(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 31, Layers: 3})
	f := &gateFetcher{blobs: map[digest.Digest][]byte{}, want: 2, open: make(chan struct{})}
	for _, b := range img.Blobs() {
		rc, err := b.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		f.blobs[b.Descriptor.Digest] = data
	}
	pulled, err := image.Load(ctx, f, img.Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	if err := layout.Write(ctx, t.TempDir(), pulled, layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.most < 2 {
		t.Errorf("at most %d layer was read at once; want the layers read side by side", f.most)
	}
}

// gateFetcher serves blobs from memory. A layer's Fetch waits, up to a
// second, until want layers are being read at once, and records the most
// there were.
type gateFetcher struct {
	blobs map[digest.Digest][]byte
	want  int
	open  chan struct{} // closed when want layers were open at once

	mu         sync.Mutex
	now, most  int
	closedOnce sync.Once
}

func (f *gateFetcher) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	data, ok := f.blobs[d.Digest]
	if !ok {
		return nil, fmt.Errorf("no blob %s", d.Digest)
	}
	if mediatype.IsManifest(d.MediaType) || mediatype.IsIndex(d.MediaType) || mediatype.IsConfig(d.MediaType) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	f.mu.Lock()
	f.now++
	f.most = max(f.most, f.now)
	if f.now >= f.want {
		f.closedOnce.Do(func() { close(f.open) })
	}
	f.mu.Unlock()
	select {
	case <-f.open:
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	return &doneReader{Reader: bytes.NewReader(data), done: func() {
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}}, nil
}

type doneReader struct {
	*bytes.Reader
	once sync.Once
	done func()
}

func (r *doneReader) Close() error { r.once.Do(r.done); return nil }
