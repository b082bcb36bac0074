package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// rawHeader returns a 512-byte ustar header block, written by hand
// because archive/tar's Writer cannot write PAX sparse headers.
func rawHeader(name string, typeflag byte, size int64) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	copy(b[124:136], fmt.Sprintf("%011o\x00", size))
	copy(b[136:148], "00000000000\x00")
	b[156] = typeflag
	copy(b[257:265], "ustar\x0000")
	copy(b[148:156], "        ")
	var sum int
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec)
	for len(fmt.Sprint(n+len(fmt.Sprint(n)))) != len(fmt.Sprint(n)) {
		n++
	}
	n += len(fmt.Sprint(n))
	return fmt.Sprint(n) + rec
}

// sparseTar returns a tar holding one GNU sparse file "big" of realSize
// bytes whose last 512 bytes are data, in the given PAX sparse version
// ("0.1" or "1.0").
func sparseTar(version string, realSize int64) []byte {
	data := bytes.Repeat([]byte("x"), 512)
	var recs string
	var body []byte
	switch version {
	case "0.1":
		recs = paxRecord("GNU.sparse.size", fmt.Sprint(realSize)) +
			paxRecord("GNU.sparse.numblocks", "1") +
			paxRecord("GNU.sparse.map", fmt.Sprintf("%d,512", realSize-512))
		body = data
	case "1.0":
		recs = paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
			paxRecord("GNU.sparse.name", "big") + paxRecord("GNU.sparse.realsize", fmt.Sprint(realSize))
		body = append(pad([]byte(fmt.Sprintf("1\n%d\n512\n", realSize-512))), data...)
	}
	var out []byte
	out = append(out, rawHeader("PaxHeaders/big", tar.TypeXHeader, int64(len(recs)))...)
	out = append(out, pad([]byte(recs))...)
	out = append(out, rawHeader("big", tar.TypeReg, int64(len(body)))...)
	out = append(out, pad(body)...)
	return append(out, make([]byte, 1024)...)
}

func TestSparseTar(t *testing.T) {
	for _, version := range []string{"0.1", "1.0"} {
		t.Run(version, func(t *testing.T) {
			// archive/tar reads the stream as a 16 MiB file.
			small := sparseTar(version, 16<<20)
			tr := tar.NewReader(bytes.NewReader(small))
			h, err := tr.Next()
			if err != nil || h.Size != 16<<20 {
				t.Fatalf("the test tar reads as %v, %v; want a 16 MiB file", h, err)
			}

			b := New(Options{SpillDir: t.TempDir()})
			err = b.AddTar(context.Background(), bytes.NewReader(small))
			if !errors.Is(err, ErrInvalidTar) || !strings.Contains(err.Error(), "sparse") {
				t.Fatalf("AddTar of a sparse file: %v; want ErrInvalidTar saying sparse", err)
			}

			// FromTar keeps the stream, and reads only its stored bytes: a
			// claimed TiB takes no time.
			huge := sparseTar(version, 1<<40)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			l, err := FromTar(ctx, bytes.NewReader(huge), Options{Format: Format{Compression: Uncompressed}})
			if err != nil {
				t.Fatalf("FromTar of a 1 TiB sparse file: %v after %v", err, time.Since(start))
			}
			if got := readAll(t, l.Compressed); !bytes.Equal(got, huge) {
				t.Errorf("FromTar changed the stream: %d bytes in, %d out", len(huge), len(got))
			}
		})
	}
	if !isSparse(&tar.Header{Typeflag: tar.TypeGNUSparse}) {
		t.Error("an old GNU sparse header is not seen as sparse")
	}
}

// cancellingReader yields n bytes of r, then cancels and goes on yielding,
// counting what it gave.
type cancellingReader struct {
	r      io.Reader
	after  int64
	cancel context.CancelFunc
	n      int64
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.n >= c.after {
		c.cancel()
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	return k, err
}

// bigTar returns a reader of a tar stream holding one file of size bytes,
// without holding them.
func bigTar(size int64) io.Reader {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	tw.Flush()
	return io.MultiReader(&hdr, newPatternReader(size), bytes.NewReader(make([]byte, 1024)))
}

func TestTarReadersStopOnCancel(t *testing.T) {
	const size = 1 << 30
	const after = 4 << 20
	cases := []struct {
		name string
		read func(ctx context.Context, r io.Reader) error
	}{
		{"AddTar", func(ctx context.Context, r io.Reader) error {
			return New(Options{SpillDir: t.TempDir()}).AddTar(ctx, r)
		}},
		{"FromTar", func(ctx context.Context, r io.Reader) error {
			_, err := FromTar(ctx, r, Options{Format: Format{Compression: Uncompressed}, SpillDir: t.TempDir()})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &cancellingReader{r: bigTar(size), after: after, cancel: cancel}
			err := c.read(ctx, r)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if r.n > after+1<<20 {
				t.Errorf("read %d MiB of the tar after it was cancelled at %d MiB", r.n>>20, after>>20)
			}
		})
	}
}

// TestBuildWritesWhatArchiveTarWrites builds an uncompressed layer of
// entries that need every header form archive/tar has (long names and
// link targets, non-ASCII names, large IDs, long owner names, contents of
// odd sizes, empty files) and checks that its bytes are what tar.Writer
// writes for the headers and contents a tar.Reader finds in them: Build
// writes each header with tar.Writer but pads the contents and ends the
// archive itself.
func TestBuildWritesWhatArchiveTarWrites(t *testing.T) {
	long := strings.Repeat("d/", 60) + "file"
	var o Options
	o.Compression = Uncompressed
	b := New(o)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.AddFile("/a/empty", nil, Attr{}))
	must(b.AddFile("/a/odd", randomData(1000, 1), Attr{Mode: 0o755}))
	must(b.AddFile("/a/block", randomData(512, 2), Attr{}))
	must(b.AddFile("/a/big", randomData(3<<20+7, 3), Attr{UID: 1 << 22, GID: 70000, Uname: strings.Repeat("u", 40), Gname: "g"}))
	must(b.AddFile("/"+long, []byte("deep"), Attr{}))
	must(b.AddFile("/a/ünïcödé", []byte("x"), Attr{}))
	must(b.AddSymlink("/a/link", "/"+long, Attr{}))
	must(b.AddHardlink("/a/hard", "/a/odd", Attr{}))
	must(b.AddDir("/a/dir", Attr{Mode: 0o1777}))
	got := readAll(t, build(t, b).Compressed)

	var want bytes.Buffer
	tw := tar.NewWriter(&want)
	tr := tar.NewReader(bytes.NewReader(got))
	entries := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("entry %d: %v", entries, err)
		}
		entries++
		must(tw.WriteHeader(h))
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	must(tw.Close())
	if entries < 9 {
		t.Fatalf("read back %d entries, want at least the 9 added", entries)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the layer's %d bytes differ from the %d tar.Writer writes for the same entries", len(got), want.Len())
	}
}
