package listing

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/etc/passwd", "/etc/passwd"},
		{"/with space", "/with space"},
		{"/é", "/é"},
		{"/a\nb", `"/a\nb"`},
		{"/a -> /b", `"/a -> /b"`},
		{`"quoted"`, `"\"quoted\""`},
		{"/\xff", `"/\xff"`},
		{"/tab\t", `"/tab\t"`},
		{"", `""`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// listingLine is what every line of a layer's listing looks like.
var listingLine = regexp.MustCompile(`^    [-dlcbp?][-rwxsStT]{9} -?\d+:-?\d+ +-?\d+  ("|/)`)

// FuzzFiles feeds arbitrary bytes to the listing as a layer's tar: it
// must not panic, and every line it prints is one entry, however hostile
// the names.
func FuzzFiles(f *testing.F) {
	for _, names := range [][]string{{"a", "d/", "d/b"}, {"x\ny", "\x1b[2J"}, {strings.Repeat("n", 5000)}} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range names {
			tw.WriteHeader(&tar.Header{Name: n, Mode: 0o4755, Typeflag: tar.TypeReg, Linkname: "t\n"})
		}
		tw.WriteHeader(&tar.Header{Name: "s", Typeflag: tar.TypeSymlink, Linkname: "a -> b"})
		tw.WriteHeader(&tar.Header{Name: "h", Typeflag: tar.TypeLink, Linkname: "a\r"})
		tw.Close()
		f.Add(buf.Bytes())
	}
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		n, _, _ := tarFiles(context.Background(), bytes.NewReader(data), func(e File) error {
			_, err := io.WriteString(&out, "    "+e.String()+"\n")
			return err
		})
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if out.Len() == 0 {
			lines = nil
		}
		if len(lines) != n {
			t.Fatalf("%d entries printed as %d lines:\n%s", n, len(lines), out.String())
		}
		for _, line := range lines {
			if !listingLine.MatchString(line) {
				t.Fatalf("listing line %q is not one entry", line)
			}
			if len(line) > 2*(4*MaxName+64)+200 {
				t.Fatalf("listing line of %d bytes", len(line))
			}
		}
	})
}

// TestFilesCut: a name and a link target past MaxName are cut on a rune
// boundary, with a marker that says how long they were; a whiteout
// names what it deletes.
func TestFilesCut(t *testing.T) {
	long := strings.Repeat("é", MaxName)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: long, Typeflag: tar.TypeReg, Format: tar.FormatPAX},
		{Name: "l", Typeflag: tar.TypeSymlink, Linkname: long, Format: tar.FormatPAX},
		{Name: "etc/.wh.passwd", Typeflag: tar.TypeReg},
		{Name: "var/.wh..wh..opq", Typeflag: tar.TypeReg},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	var got []File
	if _, _, err := tarFiles(t.Context(), &buf, func(f File) error { got = append(got, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d files, want 4", len(got))
	}
	for _, s := range []string{got[0].Name, got[1].Link} {
		body, marker, ok := strings.Cut(s, "…[cut: ")
		if !ok || len(body) > MaxName || !strings.HasSuffix(marker, " bytes]") || strings.ContainsRune(body, 0xfffd) {
			t.Errorf("cut to %d bytes, marker %q: want at most %d whole runes and the length", len(body), marker, MaxName)
		}
	}
	if got[2].Whiteout != "/etc/passwd" || got[3].Whiteout != "/var/*" {
		t.Errorf("whiteouts %q and %q, want /etc/passwd and /var/*", got[2].Whiteout, got[3].Whiteout)
	}
}

// TestWriteJSONDecodes: what WriteJSON streams decodes into []Image,
// with the files WriteText lists, and a platform that matches nothing
// gives an empty array.
func TestWriteJSONDecodes(t *testing.T) {
	img := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "amd64"},
		imagetest.Layer{"/a": "x", "/l": imagetest.Symlink("a")}, imagetest.Layer{"/b": "yy"})
	entries := []Entry{{Tags: []string{"v1"}, Artifact: img}}
	var js bytes.Buffer
	if err := WriteJSON(t.Context(), &js, entries, Options{}); err != nil {
		t.Fatal(err)
	}
	var got []Image
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, js.String())
	}
	if len(got) != 1 || len(got[0].Layers) != 2 || got[0].Digest != img.Digest().String() {
		t.Fatalf("decoded %+v", got)
	}
	if f := strings.Join(got[0].Layers[0].Files, ","); f != "/a,/l -> a" {
		t.Errorf("layer 1 files %q", f)
	}
	var text bytes.Buffer
	if err := WriteText(t.Context(), &text, entries, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range got[0].Layers {
		for _, e := range l.Entries {
			if !strings.Contains(text.String(), e.String()+"\n") {
				t.Errorf("text lacks %q:\n%s", e.String(), text.String())
			}
		}
	}
	js.Reset()
	if err := WriteJSON(t.Context(), &js, entries, Options{Platform: image.Platform{OS: "linux", Architecture: "s390x"}}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil || len(got) != 0 {
		t.Errorf("for another platform: %d images, %v; want none", len(got), err)
	}
}

// TestWriteTextStopsOnWriteError: a listing to a closed pipe stops at
// the first failed write and returns its error.
func TestWriteTextStopsOnWriteError(t *testing.T) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 1, Layers: 2, Files: 50})
	w := &failAfter{n: 3}
	err := WriteText(t.Context(), w, []Entry{{Artifact: img}}, Options{})
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("WriteText = %v, want %v", err, io.ErrClosedPipe)
	}
	if w.calls > w.n+1 {
		t.Errorf("%d writes after the first failed one", w.calls-w.n-1)
	}
}

type failAfter struct{ n, calls int }

func (f *failAfter) Write(p []byte) (int, error) {
	f.calls++
	if f.calls > f.n {
		return 0, io.ErrClosedPipe
	}
	return len(p), nil
}
