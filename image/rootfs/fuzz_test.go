package rootfs_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"path"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/rootfs"
)

// FuzzWrite flattens two layers of arbitrary tar bytes, as a registry
// may serve them: Write may refuse them but never panics, and what it
// writes is a tar every extractor takes (no path twice, no whiteout, a
// directory before what it holds, a hard link after the file it names),
// whose files ReadFile reads back alike.
func FuzzWrite(f *testing.F) {
	seeds := [][2][]entry{
		{{file("a", "a"), dir("d/", 0o755), file("d/x", "x")}, {file(".wh.a", ""), file("d/.wh..wh..opq", ""), file("d/y", "y")}},
		{{file("a", "content"), hardlink("b", "a"), hardlink("c", "b")}, {file(".wh.a", "")}},
		{{dir("d/", 0o700), file("d/x", "x")}, {file("d", "file"), hardlink("e", "d/x")}},
		{{file("../../etc/passwd", "p"), file("/abs", "a"), symlink("s", "../..")}, {file(".wh..wh..opq", ""), file("./z", "z")}},
		{{file("x", "1"), file("x", "2")}, {file("x/.wh.y", ""), dir("x/", 0o755)}},
	}
	for _, s := range seeds {
		f.Add(tarBytes(f, s[0]), tarBytes(f, s[1]))
	}
	f.Add([]byte{}, make([]byte, 1024))
	f.Fuzz(func(t *testing.T, lower, upper []byte) {
		img := image.New(image.Platform{OS: "linux", Architecture: "amd64"}).Append(rawLayer(t, lower), rawLayer(t, upper))
		// A sparse file may claim a TiB of holes: stop well before.
		buf := limitBuffer{max: 4 << 20}
		if err := rootfs.Write(t.Context(), &buf, img); err != nil {
			return
		}
		files := checkExtractable(t, buf.Bytes())
		n := 0
		for name, content := range files {
			if n++; n > 4 {
				break
			}
			_, data, err := rootfs.ReadFile(t.Context(), img, name)
			if err != nil || string(data) != content {
				t.Errorf("ReadFile(%s) = %q, %v; Write wrote %q", name, data, err, content)
			}
		}
	})
}

// checkExtractable checks the order an extractor needs in the tar data
// and returns its files' contents by name, hard links followed.
func checkExtractable(t *testing.T, data []byte) map[string]string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	types := map[string]byte{}
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("Write wrote no tar: %v", err)
		}
		p := path.Clean("/" + h.Name)
		if _, dup := types[p]; dup || p == "/" || strings.HasPrefix(path.Base(p), ".wh.") || "/"+strings.TrimSuffix(h.Name, "/") != p {
			t.Fatalf("Write wrote %q (%s) twice, a whiteout or the root, or an unclean name", h.Name, p)
		}
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if typ, ok := types[d]; ok && typ != tar.TypeDir {
				t.Fatalf("%s comes after its parent %s, which is not a directory", p, d)
			}
		}
		if h.Typeflag == tar.TypeDir {
			for q := range types {
				if strings.HasPrefix(q, p+"/") {
					t.Fatalf("directory %s comes after %s, which it holds", p, q)
				}
			}
		}
		switch h.Typeflag {
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[p] = string(b)
		case tar.TypeLink:
			if c, ok := files[path.Clean("/"+h.Linkname)]; ok {
				files[p] = c
			}
		}
		types[p] = h.Typeflag
	}
}

// limitBuffer is a bytes.Buffer that refuses to grow past max bytes.
type limitBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errors.New("too large")
	}
	return b.Buffer.Write(p)
}
