package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/fstest"
)

// seenFile is one call of Options.FileContents and what its writer got.
type seenFile struct {
	path string
	buf  *bytes.Buffer
}

// regularFiles reads l back and returns its regular file entries in
// order, each with its contents; kinds counts the entries of each type.
func regularFiles(t *testing.T, l *Layer) (files []seenFile, kinds map[byte]int) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(readAll(t, l.Uncompressed)))
	kinds = map[byte]int{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, kinds
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds[h.Typeflag]++
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, seenFile{"/" + h.Name, bytes.NewBuffer(b)})
		}
	}
}

func TestFileContents(t *testing.T) {
	big := textData(3<<20+123, 7) // several gzip blocks, several reads
	add := func(t *testing.T, b *Builder) {
		t.Helper()
		for _, err := range []error{
			b.AddFile("/b/z", []byte("z contents"), Attr{}),
			b.AddHardlink("/a1", "/b/z", Attr{}), // takes z's contents: first in order
			b.AddFile("/empty", nil, Attr{}),
			b.AddReader("/big", bytes.NewReader(big), int64(len(big)), Attr{}),
			b.AddDir("/d", Attr{}),
			b.AddSymlink("/link", "b/z", Attr{}),
			b.AddFS("/tree", fstest.MapFS{
				"x/y": {Data: []byte("y")},
				"w":   {Data: randomData(70000, 1)},
			}, Attr{}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			var seen []seenFile
			o := Options{Format: Format{Compression: c}, FileContents: func(p string) io.Writer {
				s := seenFile{p, &bytes.Buffer{}}
				seen = append(seen, s)
				return s.buf
			}}
			b := New(o)
			add(t, b)
			l := build(t, b)
			want, kinds := regularFiles(t, l)
			if kinds[tar.TypeDir] == 0 || kinds[tar.TypeSymlink] == 0 || kinds[tar.TypeLink] == 0 {
				t.Fatalf("the layer holds entries of types %v; want directories, symlinks and hard links too", kinds)
			}
			if len(seen) != len(want) {
				t.Fatalf("FileContents called %d times, for %v; the layer holds %d regular files", len(seen), paths(seen), len(want))
			}
			for i := range want {
				if seen[i].path != want[i].path || !bytes.Equal(seen[i].buf.Bytes(), want[i].buf.Bytes()) {
					t.Errorf("call %d: %s with %d bytes; the layer's regular file %d is %s with %d bytes", i, seen[i].path, seen[i].buf.Len(), i, want[i].path, want[i].buf.Len())
				}
			}
			b2 := New(Options{Format: o.Format})
			add(t, b2)
			if l2 := build(t, b2); l2.Digest() != l.Digest() {
				t.Errorf("digest with FileContents %s, without %s", l.Digest(), l2.Digest())
			}
		})
	}
}

func paths(s []seenFile) []string {
	var out []string
	for _, f := range s {
		out = append(out, f.path)
	}
	return out
}

func TestFileContentsNilWriter(t *testing.T) {
	calls := 0
	b := New(Options{FileContents: func(string) io.Writer { calls++; return nil }})
	b.AddFile("/a", []byte("a"), Attr{})
	b.AddFile("/b", []byte("b"), Attr{})
	build(t, b)
	if calls != 2 {
		t.Errorf("FileContents called %d times for two files", calls)
	}
}

func TestFileContentsError(t *testing.T) {
	for _, c := range []Compression{Gzip, Zstd, Uncompressed} {
		t.Run(c.String(), func(t *testing.T) {
			w := &countingWriter{limit: 1 << 20}
			b := New(Options{Format: Format{Compression: c}, FileContents: func(string) io.Writer { return w }})
			b.AddFile("/data", textData(4<<20, 3), Attr{})
			_, err := b.Build(context.Background())
			if !errors.Is(err, errFull) {
				t.Errorf("Build with a failing FileContents writer: %v, want its error", err)
			}
		})
	}
}
