package layer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A layer built into Options.Sink puts the blob a build without one makes
// at the file's offset and nothing elsewhere, leaves the offset after it,
// and reads it back after the file is closed and removed.
func TestSink(t *testing.T) {
	data := randomData(5<<20, 3) // past DefaultSpillThreshold
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			want := New(Options{Format: Format{Compression: c}})
			want.AddFile("/r", data, Attr{})
			wl := build(t, want)

			name := filepath.Join(t.TempDir(), "sink")
			f, err := os.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			prefix := bytes.Repeat([]byte("p"), 1000)
			f.Write(prefix)
			b := New(Options{Format: Format{Compression: c}, Sink: f})
			b.AddFile("/r", data, Attr{})
			l := build(t, b)
			if l.Descriptor().Digest != wl.Digest() || l.Size() != wl.Size() || l.DiffID() != wl.DiffID() {
				t.Fatalf("sink layer %v, want %v", l.Descriptor(), wl.Descriptor())
			}
			if off, _ := f.Seek(0, io.SeekCurrent); off != 1000+l.Size() {
				t.Errorf("offset after the build %d, want %d", off, 1000+l.Size())
			}
			f.Close()
			got, _ := os.ReadFile(name)
			blob := readAll(t, wl.Compressed)
			if !bytes.Equal(got, append(prefix, blob...)) {
				t.Fatal("the sink file does not hold the prefix then the blob")
			}
			os.Remove(name)
			if !bytes.Equal(readAll(t, l.Compressed), blob) {
				t.Fatal("the layer reads other bytes than its blob after the sink is closed and removed")
			}
			if err := l.Link(filepath.Join(t.TempDir(), "x")); !errors.Is(err, errors.ErrUnsupported) {
				t.Errorf("Link of a sink layer: %v, want ErrUnsupported", err)
			}
			l.Release()
			if _, err := l.Compressed(context.Background()); !errors.Is(err, ErrReleased) {
				t.Errorf("after Release: %v", err)
			}
		})
	}
}

func TestSinkRefusesSpillOptions(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "sink"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, o := range []Options{{SpillDir: t.TempDir()}, {SpillThreshold: 1}, {SpillWriteback: true}} {
		o.Sink = f
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", o)
		}
		if _, err := New(o).Build(context.Background()); err == nil {
			t.Errorf("Build with %+v: no error", o)
		}
	}
}
