package layer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// openSpillFiles returns how many files of dir this process holds open,
// or -1 where /proc/self/fd cannot tell.
func openSpillFiles(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			n++
		}
	}
	return n
}

func TestRelease(t *testing.T) {
	data := randomData(1<<20, 3)
	for _, c := range []struct {
		name  string
		spill bool
	}{{"memory", false}, {"spilled", true}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{SpillDir: dir}
			if c.spill {
				o.SpillThreshold = -1
			}
			b := New(o)
			b.AddFile("/d", data, Attr{})
			l := build(t, b)
			want := readAll(t, l.Compressed)
			fds := openSpillFiles(t, dir)
			if c.spill && fds == 0 {
				t.Fatal("no spill file is open after a spilled build")
			}

			// A reader opened before Release reads on; a Share keeps the
			// bytes for its own holder.
			early, err := l.Compressed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			shared := l.Share()
			if err := l.Release(); err != nil {
				t.Fatal(err)
			}
			if err := l.Release(); err != nil {
				t.Fatalf("second Release: %v", err)
			}
			for name, open := range map[string]func(context.Context) (io.ReadCloser, error){"Compressed": l.Compressed, "Uncompressed": l.Uncompressed} {
				if _, err := open(context.Background()); !errors.Is(err, ErrReleased) || !strings.HasPrefix(err.Error(), "layer: ") {
					t.Errorf("%s after Release: %v, want ErrReleased", name, err)
				}
			}
			if l.Digest() != shared.Digest() || l.Size() != int64(len(want)) {
				t.Error("Release changed the layer's metadata")
			}
			if got, err := io.ReadAll(early); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("a reader opened before Release: %d bytes, %v", len(got), err)
			}
			early.Close()
			if got := readAll(t, shared.Compressed); !bytes.Equal(got, want) {
				t.Fatal("a Share lost its bytes when the original was released")
			}
			if c.spill && openSpillFiles(t, dir) != fds {
				t.Errorf("the spill file was closed while a Share held it")
			}
			shared.Release()
			if _, err := shared.Compressed(context.Background()); !errors.Is(err, ErrReleased) {
				t.Errorf("Compressed of a released Share: %v", err)
			}
			if _, err := l.Share().Compressed(context.Background()); !errors.Is(err, ErrReleased) {
				t.Errorf("Share of a released layer opens: %v", err)
			}
			if c.spill && fds > 0 {
				if n := openSpillFiles(t, dir); n != 0 {
					t.Errorf("%d spill files open after every holder released the layer; want 0", n)
				}
			}
		})
	}
}

func TestReleaseFromBlob(t *testing.T) {
	b := New(Options{})
	b.AddFile("/a", []byte("a"), Attr{})
	src := build(t, b)
	blob := readAll(t, src.Compressed)
	opens := 0
	l, err := FromBlob(src.Descriptor(), src.DiffID(), func(context.Context) (io.ReadCloser, error) {
		opens++
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, l.Uncompressed)
	l.Release()
	if _, err := l.Compressed(context.Background()); !errors.Is(err, ErrReleased) {
		t.Errorf("Compressed after Release: %v", err)
	}
	if opens != 1 {
		t.Errorf("the opener ran %d times; want once, before Release", opens)
	}
}

// TestReleaseWhileReading races opens and reads against Release: each
// read gets all the bytes, or ErrReleased at its open.
func TestReleaseWhileReading(t *testing.T) {
	b := New(Options{SpillThreshold: -1, SpillDir: t.TempDir()})
	b.AddFile("/d", randomData(256<<10, 4), Attr{})
	l := build(t, b)
	want := readAll(t, l.Compressed)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				rc, err := l.Compressed(context.Background())
				if errors.Is(err, ErrReleased) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("read %d bytes, %v, during Release", len(got), err)
					return
				}
			}
		})
	}
	runtime.Gosched()
	l.Release()
	wg.Wait()
}

type ctxKey struct{}

func TestReadersStopOnCancel(t *testing.T) {
	data := randomData(4<<20, 5)
	layers := map[string]*Layer{}
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		for _, spill := range []int64{0, -1} {
			b := New(Options{Format: Format{Compression: c}, SpillThreshold: spill, SpillDir: t.TempDir()})
			b.AddFile("/d", data, Attr{})
			name := c.String() + "-memory"
			if spill < 0 {
				name = c.String() + "-spilled"
			}
			layers[name] = build(t, b)
		}
	}
	src := layers["gzip-memory"]
	blob := readAll(t, src.Compressed)
	var sawKey bool
	fromBlob, err := FromBlob(src.Descriptor(), src.DiffID(), func(ctx context.Context) (io.ReadCloser, error) {
		sawKey = ctx.Value(ctxKey{}) == "k"
		return io.NopCloser(bytes.NewReader(blob)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	layers["from-blob"] = fromBlob

	for name, l := range layers {
		for how, open := range map[string]func(context.Context) (io.ReadCloser, error){"Compressed": l.Compressed, "Uncompressed": l.Uncompressed} {
			t.Run(name+"/"+how, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "k"))
				rc, err := open(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				buf := make([]byte, 4096)
				if _, err := io.ReadFull(rc, buf); err != nil {
					t.Fatal(err)
				}
				cancel()
				if n, err := io.Copy(io.Discard, rc); !errors.Is(err, context.Canceled) || n != 0 {
					t.Errorf("read %d more bytes after cancel, then %v; want context.Canceled at once", n, err)
				}
				if _, err := open(ctx); !errors.Is(err, context.Canceled) {
					t.Errorf("open with a cancelled context: %v", err)
				}
			})
		}
	}
	if !sawKey {
		t.Error("FromBlob's opener did not get the caller's context")
	}
}
