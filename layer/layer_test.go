package layer

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/klauspost/compress/zstd"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/minimage/minimage/internal/testenv"
)

func decompress(t *testing.T, l *Layer) []byte {
	t.Helper()
	blob := readAll(t, l.Compressed)
	if got := sha(blob); got != l.Digest() {
		t.Fatalf("digest %s, but the blob hashes to %s", l.Digest(), got)
	}
	if int64(len(blob)) != l.Size() {
		t.Fatalf("size %d, blob has %d bytes", l.Size(), len(blob))
	}
	var tarBytes []byte
	switch l.MediaType() {
	case ocispec.MediaTypeImageLayerGzip:
		zr, err := gzip.NewReader(bytes.NewReader(blob)) // the standard library's reader
		if err != nil {
			t.Fatal(err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() {
			t.Errorf("gzip header carries name %q and time %v; want neither", zr.Name, zr.ModTime)
		}
		if tarBytes, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	case ocispec.MediaTypeImageLayerZstd:
		zr, err := zstd.NewReader(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		if tarBytes, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	case ocispec.MediaTypeImageLayer:
		tarBytes = blob
	default:
		t.Fatalf("media type %q", l.MediaType())
	}
	if got := sha(tarBytes); got != l.DiffID() {
		t.Fatalf("diffID %s, but the tar hashes to %s", l.DiffID(), got)
	}
	if l.TarSize() >= 0 && l.TarSize() != int64(len(tarBytes)) {
		t.Fatalf("TarSize %d, tar has %d bytes", l.TarSize(), len(tarBytes))
	}
	if viaLayer := readAll(t, l.Uncompressed); !bytes.Equal(viaLayer, tarBytes) {
		t.Fatal("Uncompressed() differs from the decompressed blob")
	}
	return tarBytes
}

func TestRoundTrip(t *testing.T) {
	big := textData(3<<20+123, 1)
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			mt := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
			l := build(t, goldenBuilder(t, Options{Format: Format{Compression: c, ModTime: mt}}, t.TempDir()))
			if l.MediaType() != c.MediaType() {
				t.Errorf("media type %s, want %s", l.MediaType(), c.MediaType())
			}
			es := testenv.ReadTar(t, bytes.NewReader(decompress(t, l)))
			byName := map[string]testenv.Entry{}
			var prev string
			for i, e := range es {
				name := strings.TrimSuffix(e.Header.Name, "/")
				if i > 0 && comparePaths(prev, name) >= 0 {
					t.Errorf("entry %q comes after %q: not sorted", name, prev)
				}
				if p := parentOf(name); p != "" {
					if _, ok := byName[p]; !ok {
						t.Errorf("entry %q comes before its parent %q", name, p)
					}
				}
				prev = name
				byName[name] = e
				if !e.Header.ModTime.Equal(mt.Truncate(time.Second)) {
					t.Errorf("%s: mtime %v, want %v", name, e.Header.ModTime, mt.Truncate(time.Second))
				}
				if !e.Header.AccessTime.IsZero() || !e.Header.ChangeTime.IsZero() || e.Header.Devmajor != 0 || e.Header.Devminor != 0 {
					t.Errorf("%s: header carries atime, ctime or device numbers: %+v", name, e.Header)
				}
			}
			check := func(name string, typ byte, mode int64, uid int, body []byte) {
				t.Helper()
				e, ok := byName[name]
				if !ok {
					t.Errorf("%s missing", name)
					return
				}
				if e.Header.Typeflag != typ || e.Header.Mode != mode || e.Header.Uid != uid {
					t.Errorf("%s: type %q mode %o uid %d, want %q %o %d", name, e.Header.Typeflag, e.Header.Mode, e.Header.Uid, typ, mode, uid)
				}
				if body != nil && !bytes.Equal(e.Body, body) {
					t.Errorf("%s: content differs (%d bytes, want %d)", name, len(e.Body), len(body))
				}
			}
			check("app", '5', 0o755, 0, nil)
			check("app/big.bin", '0', 0o644, 0, big)
			check("app/tool", '0', 0o755, 0, []byte("#!/bin/true\n"))
			check("app/alias", '0', 0o640, 65532, []byte(`{"debug":false}`)) // first of the link group carries content
			check("app/config.json", '1', 0o640, 65532, []byte{})
			check("bin/app", '2', 0o777, 0, nil)
			check("tmp", '5', 0o1777, 0, nil)
			check("srv/www/bin/run.sh", '0', 0o755, 33, []byte("#!/bin/sh\n"))
			check("srv/www/index.html", '0', 0o644, 33, []byte("<h1>hi</h1>\n"))
			check("srv", '5', 0o755, 0, nil)
			check(strings.Repeat("deep/", 30)+"file.txt", '0', 0o644, 0, []byte("long"))
			if got := byName["app/config.json"].Header.Linkname; got != "app/alias" {
				t.Errorf("hard link points to %q, want app/alias", got)
			}
			if got := byName["bin/app"].Header.Linkname; got != "/app/tool" {
				t.Errorf("symlink points to %q", got)
			}
			if e := byName["app/config.json"]; e.Header.Uname != "nonroot" {
				t.Errorf("uname %q, want nonroot", e.Header.Uname)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		do   func(b *Builder) error
		want error
		says string
	}{
		{"empty", func(b *Builder) error { return b.AddFile("", nil, Attr{}) }, ErrInvalidPath, "empty"},
		{"root", func(b *Builder) error { return b.AddFile("/", nil, Attr{}) }, ErrInvalidPath, "root"},
		{"dotdot", func(b *Builder) error { return b.AddFile("../etc/passwd", nil, Attr{}) }, ErrInvalidPath, `"../etc/passwd"`},
		{"dotdot-inner", func(b *Builder) error { return b.AddFile("/a/../../x", nil, Attr{}) }, ErrInvalidPath, "climbs"},
		{"nul", func(b *Builder) error { return b.AddFile("a\x00b", nil, Attr{}) }, ErrInvalidPath, "NUL"},
		{"duplicate", func(b *Builder) error {
			b.AddFile("/a", nil, Attr{})
			return b.AddFile("a", nil, Attr{})
		}, ErrDuplicate, "Options.Replace"},
		{"duplicate-dir", func(b *Builder) error {
			b.AddDir("/d", Attr{})
			return b.AddDir("/d/", Attr{})
		}, ErrDuplicate, `"/d/"`},
		{"file-over-dir", func(b *Builder) error {
			b.AddFile("/d/x", nil, Attr{})
			return b.AddFile("/d", nil, Attr{})
		}, ErrDuplicate, `"/d"`},
		{"through-file", func(b *Builder) error {
			b.AddFile("/bin", nil, Attr{})
			return b.AddFile("/bin/app", nil, Attr{})
		}, ErrNotDir, `"/bin" is a file`},
		{"through-symlink", func(b *Builder) error {
			b.AddSymlink("/lib", "usr/lib", Attr{})
			return b.AddFile("/lib/x/y", nil, Attr{})
		}, ErrNotDir, "symlink"},
		{"hardlink-missing", func(b *Builder) error {
			b.AddHardlink("/a", "/nope", Attr{})
			_, err := b.Build(context.Background())
			return err
		}, ErrLinkTarget, `"/nope" is not in the layer`},
		{"hardlink-dir", func(b *Builder) error {
			b.AddDir("/d", Attr{})
			b.AddHardlink("/a", "/d", Attr{})
			_, err := b.Build(context.Background())
			return err
		}, ErrLinkTarget, "directory"},
		{"hardlink-cycle", func(b *Builder) error {
			b.AddHardlink("/a", "/b", Attr{})
			b.AddHardlink("/b", "/a", Attr{})
			_, err := b.Build(context.Background())
			return err
		}, ErrLinkTarget, "hard link"},
		{"short-reader", func(b *Builder) error {
			b.AddReader("/r", strings.NewReader("abc"), 10, Attr{})
			_, err := b.Build(context.Background())
			return err
		}, ErrSizeMismatch, "got 3 bytes, want 10"},
		{"host-grew", func(b *Builder) error {
			p := filepath.Join(dir, "grow")
			os.WriteFile(p, []byte("abc"), 0o644)
			b.AddHostFile("/g", p, Attr{})
			os.WriteFile(p, []byte("abcdef"), 0o644)
			_, err := b.Build(context.Background())
			return err
		}, ErrSizeMismatch, "grew"},
		{"host-missing", func(b *Builder) error { return b.AddHostFile("/x", filepath.Join(dir, "missing"), Attr{}) }, fs.ErrNotExist, `"/x"`},
		{"host-dir", func(b *Builder) error { return b.AddHostFile("/x", dir, Attr{}) }, nil, "not a regular file"},
		{"fs-escape", func(b *Builder) error { return b.AddFS("../x", fstest.MapFS{}, Attr{}) }, ErrInvalidPath, "climbs"},
		{"symlink-empty", func(b *Builder) error { return b.AddSymlink("/l", "", Attr{}) }, ErrInvalidPath, "empty"},
		{"tar-garbage", func(b *Builder) error {
			return b.AddTar(context.Background(), strings.NewReader(strings.Repeat("x", 1024)))
		}, ErrInvalidTar, "add tar"},
		{"uid-negative", func(b *Builder) error { return b.AddFile("/f", nil, Attr{UID: -1}) }, ErrInvalidAttr, "uid -1"},
		{"gid-negative", func(b *Builder) error { return b.AddDir("/d", Attr{GID: -2}) }, ErrInvalidAttr, "gid -2"},
		{"symlink-uid-negative", func(b *Builder) error { return b.AddSymlink("/l", "x", Attr{UID: -3}) }, ErrInvalidAttr, "uid -3"},
		{"tar-uid-negative", func(b *Builder) error {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			tw.WriteHeader(&tar.Header{Name: "f", Mode: 0o644, Uid: -1, Typeflag: tar.TypeReg})
			tw.Close()
			return b.AddTar(context.Background(), &buf)
		}, ErrInvalidAttr, "uid -1"},
		{"bad-level", func(b *Builder) error {
			_, err := New(Options{Format: Format{Level: 42}}).Build(context.Background())
			return err
		}, nil, "use 1 (fastest) to 9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do(New(Options{}))
			if err == nil {
				t.Fatal("no error")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %q is not %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "layer: ") {
				t.Errorf("error %q should start with \"layer: \" and say %q", err, c.says)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	b := New(Options{Format: Format{Compression: Uncompressed}, Replace: true})
	for _, err := range []error{
		b.AddFile("/a", []byte("one"), Attr{}),
		b.AddFile("/a", []byte("two"), Attr{Mode: 0o600}),
		b.AddDir("/d", Attr{}),
		b.AddDir("/d", Attr{Mode: 0o700}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	es := testenv.ReadTar(t, bytes.NewReader(decompress(t, build(t, b))))
	if len(es) != 2 || string(es[0].Body) != "two" || es[0].Header.Mode != 0o600 || es[1].Header.Mode != 0o700 {
		t.Fatalf("replace kept the wrong entries: %+v", es)
	}
}

func TestImplicitParentTakesExplicitMetadata(t *testing.T) {
	b := New(Options{Format: Format{Compression: Uncompressed}})
	if err := b.AddFile("/home/nonroot/.profile", nil, Attr{}); err != nil {
		t.Fatal(err)
	}
	if err := b.AddDir("/home/nonroot", Attr{Mode: 0o700, UID: 65532, GID: 65532}); err != nil {
		t.Fatal(err)
	}
	es := testenv.ReadTar(t, bytes.NewReader(decompress(t, build(t, b))))
	if len(es) != 3 || es[1].Header.Name != "home/nonroot/" || es[1].Header.Mode != 0o700 || es[1].Header.Uid != 65532 {
		t.Fatalf("entries %v", es)
	}
}

func TestAddTarNormalizesAndFromTarKeepsBytes(t *testing.T) {
	src := build(t, goldenBuilder(t, Options{Format: Format{Compression: Uncompressed, ModTime: time.Unix(1700000000, 0)}}, t.TempDir()))
	srcTar := readAll(t, src.Compressed)

	// FromTar keeps the bytes: the diffID is the source's.
	kept, err := FromTar(context.Background(), bytes.NewReader(srcTar), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if kept.DiffID() != src.DiffID() {
		t.Errorf("FromTar diffID %s, want %s", kept.DiffID(), src.DiffID())
	}
	decompress(t, kept)

	// AddTar normalizes: rebuilding with the epoch gives the epoch layer.
	b := New(Options{Format: Format{Compression: Uncompressed}})
	if err := b.AddTar(context.Background(), bytes.NewReader(srcTar)); err != nil {
		t.Fatal(err)
	}
	norm := build(t, b)
	want := build(t, goldenBuilder(t, Options{Format: Format{Compression: Uncompressed}}, t.TempDir()))
	if norm.DiffID() != want.DiffID() {
		t.Errorf("AddTar of a layer dated 2023 gives %s, want the epoch layer %s", norm.DiffID(), want.DiffID())
	}
}

func TestFromTarRejectsEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "/abs", "a/../../b"} {
		var buf bytes.Buffer
		tw := newTestTar(&buf)
		tw.file(name, "x")
		tw.close()
		_, err := FromTar(context.Background(), &buf, Options{})
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("%q: error %v, want ErrInvalidPath", name, err)
		}
	}
}

func TestCancelLeavesNothingRunning(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	b := New(Options{Progress: func(p Progress) {
		if p.In > 4<<20 {
			cancel()
		}
	}})
	b.AddReader("/big", bytes.NewReader(textData(32<<20, 3)), 32<<20, Attr{})
	if _, err := b.Build(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after a cancelled build, %d before", n, before)
	}
}

func TestSpillAndBlobReaders(t *testing.T) {
	data := randomData(3<<20, 9)
	b := New(Options{SpillThreshold: 1 << 20, SpillDir: t.TempDir()})
	b.AddFile("/r", data, Attr{})
	l := build(t, b)
	es := testenv.ReadTar(t, bytes.NewReader(decompress(t, l)))
	if !bytes.Equal(es[0].Body, data) {
		t.Fatal("spilled layer lost its content")
	}
	if ents, _ := os.ReadDir(b.opts.SpillDir); len(ents) != 0 {
		t.Errorf("spill dir holds %d files; spill files should be unlinked at once", len(ents))
	}

	// A FromBlob layer verifies what it reads.
	blob := readAll(t, l.Compressed)
	good, err := FromBlob(l.Descriptor(), l.DiffID(), func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil })
	if err != nil {
		t.Fatal(err)
	}
	decompress(t, good)
	bad := bytes.Clone(blob)
	bad[len(bad)/2] ^= 1
	corrupt, _ := FromBlob(l.Descriptor(), l.DiffID(), func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(bad)), nil })
	rc, _ := corrupt.Compressed(context.Background())
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("reading a corrupt blob: %v, want ErrDigestMismatch", err)
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if _, ok, err := SourceDateEpoch(); ok || err != nil {
		t.Fatalf("unset: ok=%v err=%v", ok, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if tm, ok, err := SourceDateEpoch(); !ok || err != nil || tm.Unix() != 1700000000 {
		t.Fatalf("got %v %v %v", tm, ok, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, _, err := SourceDateEpoch(); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Fatalf("bad value: %v", err)
	}
}
