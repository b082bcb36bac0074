package tarball_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// bigIndexSize is the size of the index that fanOutTar lists many times:
// the most a manifest or index may hold.
const bigIndexSize = 8 << 20

// fanOutTar writes the fan-out the hostile-input checks found (issue 22,
// item 14) as a tarball: an 8 MiB index (one image, padded with a field
// no reader knows) that a second index, tagged "fan", lists 4,000 times,
// and that index.json lists direct times more. With corrupt, the big
// index's bytes change but not its size.
func fanOutTar(t testing.TB, direct int, corrupt bool) string {
	t.Helper()
	img := imagetest.Fixture(t, amd64)
	names, files := untar(t, tarBytes(t, img))
	one := indexOf(img.Descriptor(), 1)
	pad := bigIndexSize - len(one) - len(`,"padding":""`)
	bigRaw := append(one[:len(one)-1], `,"padding":"`+strings.Repeat("x", pad)+`"}`...)
	big := put(t, &names, files, bigRaw)
	top := put(t, &names, files, indexOf(big, 4000))
	top.Annotations = map[string]string{ocispec.AnnotationRefName: "fan"}
	var idx ocispec.Index
	json.Unmarshal(indexOf(big, direct), &idx)
	idx.Manifests = append([]ocispec.Descriptor{top}, idx.Manifests...)
	files["index.json"], _ = json.Marshal(idx)
	if corrupt {
		bigRaw[len(bigRaw)-2] = 'y' // inside the padding: the JSON still parses
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg})
		tw.Write(files[name])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, buf.Bytes())
}

// indexOf returns an index that lists d n times.
func indexOf(d ocispec.Descriptor, n int) []byte {
	ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	ix.SchemaVersion = 2
	for range n {
		ix.Manifests = append(ix.Manifests, d)
	}
	raw, _ := json.Marshal(ix)
	return raw
}

// put adds the index data to a tarball's files.
func put(t testing.TB, names *[]string, files map[string][]byte, data []byte) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(data), Size: int64(len(data))}
	name := "blobs/sha256/" + d.Digest.Encoded()
	*names = append(*names, name)
	files[name] = data
	return d
}

// readBytes returns the bytes this process has read from files, as Linux
// counts them, or false where it does not.
func readBytes() (int64, bool) {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// costs returns the bytes f allocates and, where the system tells, reads.
func costs(f func()) (alloc uint64, read int64, readOK bool) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r0, ok0 := readBytes()
	f()
	r1, ok1 := readBytes()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, r1 - r0, ok0 && ok1
}

// A tarball whose index lists one 8 MiB index 4,000 times, and whose
// index.json lists it 100 times more, costs what one reference costs:
// the blob is read once per Verify and once per opened tarball, and
// neither it nor its digest is copied or hashed again per reference
// (issue 22, item 14).
func TestFanOutReadsBlobOnce(t *testing.T) {
	tb, err := tarball.Read(fanOutTar(t, 100, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// Each reference that read, copied or hashed the blob anew cost
	// 8 MiB: 4,100 of them, 32 GiB. Once costs a few copies.
	const most = 8 * bigIndexSize
	check := func(what string, f func()) {
		t.Helper()
		alloc, read, ok := costs(f)
		t.Logf("%s allocated %d MiB, read %d MiB", what, alloc>>20, read>>20)
		if alloc > most {
			t.Errorf("%s allocated %d MiB, want at most %d MiB", what, alloc>>20, most>>20)
		}
		if ok && read > 2*bigIndexSize {
			t.Errorf("%s read %d MiB of the tarball: the 8 MiB blob more than once", what, read>>20)
		}
	}
	check("Verify", func() {
		want := len(imagetest.Fixture(t, amd64).Blobs()) + 2
		if n, err := tb.Verify(ctx); err != nil || n != want {
			t.Errorf("Verify: %d blobs, %v; want %d: the image's and the two indexes", n, err, want)
		}
	})
	check("Images, Artifact and Image", func() {
		if _, err := tb.Images(ctx, ""); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := tb.Artifact(ctx, "fan"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tb.Image(ctx, "fan", image.Platform{OS: "linux", Architecture: "s390x"}); !errors.Is(err, image.ErrNotFound) {
			t.Errorf("Image for s390x: %v, want ErrNotFound", err)
		}
	})
}

// The repeated blob, its bytes changed but not its size, fails Verify
// with layer.ErrDigestMismatch.
func TestFanOutCorruptBlob(t *testing.T) {
	tb, err := tarball.Read(fanOutTar(t, 3, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Verify(t.Context()); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("Verify: %v, want ErrBlobMismatch", err)
	}
	if _, err := tb.Artifact(t.Context(), "fan"); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("Artifact: %v, want ErrBlobMismatch", err)
	}
}

// A docker archive whose manifest.json lists one config many times,
// under as many tags, reads and parses it once per Verify and once per
// opened tarball (issue 22, item 14). (1 MiB and 200 times: the old code
// kept a copy per entry.)
func TestDockerArchiveConfigFanOut(t *testing.T) {
	const size = 1 << 20
	cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"padding":"`
	cfg += strings.Repeat("x", size-len(cfg)-2) + `"}`
	var entries []string
	for i := range 200 {
		entries = append(entries, `{"Config":"cfg.json","RepoTags":["app:`+strconv.Itoa(i)+`"],"Layers":[]}`)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, data string }{{"cfg.json", cfg}, {"manifest.json", "[" + strings.Join(entries, ",") + "]"}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(f.data))
	}
	tw.Close()
	tb, err := tarball.Read(writeTemp(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// 200 copies before; a few, and the race detector's, now.
	const most = 32 * size
	check := func(what string, f func()) {
		t.Helper()
		alloc, read, ok := costs(f)
		t.Logf("%s allocated %d KiB, read %d KiB", what, alloc>>10, read>>10)
		if alloc > most {
			t.Errorf("%s allocated %d KiB, want at most %d KiB", what, alloc>>10, most>>10)
		}
		if ok && read > 2*size {
			t.Errorf("%s read %d KiB of the tarball: the 1 MiB config more than once", what, read>>10)
		}
	}
	check("Verify", func() {
		if n, err := tb.Verify(ctx); err != nil || n != 1 {
			t.Errorf("Verify: %d blobs, %v; want the config", n, err)
		}
	})
	check("Images and Image", func() {
		if _, err := tb.Images(ctx, ""); err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"app:0", "app:1", "app:199"} {
			if _, err := tb.Image(ctx, tag, amd64); err != nil {
				t.Fatal(err)
			}
		}
	})
}
