package layer_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/minimage/minimage/layer"
)

func TestWalk(t *testing.T) {
	b := layer.New(layer.Options{})
	for _, f := range []string{"a", "b/c", "d"} {
		if err := b.AddFile(f, []byte("content of "+f), layer.Attr{}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = l.Walk(context.Background(), func(h *tar.Header, r io.Reader) error {
		data, err := io.ReadAll(r)
		if h.Typeflag == tar.TypeReg && string(data) != "content of "+h.Name {
			t.Errorf("%s: %q", h.Name, data)
		}
		names = append(names, h.Name)
		return err
	})
	if err != nil || len(names) != 4 { // a, b/, b/c, d
		t.Fatalf("walked %q, %v", names, err)
	}
	n := 0
	if err := l.Walk(context.Background(), func(*tar.Header, io.Reader) error { n++; return layer.ErrStopWalk }); err != nil || n != 1 {
		t.Errorf("stopped walk: %d entries, %v", n, err)
	}
	boom := errors.New("boom")
	if err := l.Walk(context.Background(), func(*tar.Header, io.Reader) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("fn's error: %v", err)
	}
	// A layer whose tar does not match its diffID fails the walk, also one
	// stopped early.
	other, err := layer.New(layer.Options{}).Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	bad, err := layer.FromBlob(l.Descriptor(), other.DiffID(), l.Compressed)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Walk(context.Background(), func(*tar.Header, io.Reader) error { return layer.ErrStopWalk }); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("wrong diffID: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Walk(ctx, func(*tar.Header, io.Reader) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
