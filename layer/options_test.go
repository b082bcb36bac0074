package layer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer/gzip"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		says string // "" when valid
	}{
		{"zero", Options{}, ""},
		{"gzip-block-min", Options{Format: Format{BlockSize: gzip.MinBlockSize}}, ""},
		{"gzip-block-max", Options{Format: Format{BlockSize: gzip.MaxBlockSize}}, ""},
		{"gzip-blocks", Options{Blocks: 3}, ""},
		{"zstd-level", Options{Format: Format{Compression: Zstd, Level: 4}}, ""},
		{"before-1970", Options{Format: Format{ModTime: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)}}, ""},
		{"year-0", Options{Format: Format{ModTime: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}}, ""},
		{"year-9999", Options{Format: Format{ModTime: time.Date(9999, 12, 31, 23, 59, 59, 999, time.UTC)}}, ""},
		{"block-tiny", Options{Format: Format{BlockSize: 10}}, "block size 10 bytes out of range"},
		{"block-below-min", Options{Format: Format{BlockSize: gzip.MinBlockSize - 1}}, "out of range"},
		{"block-above-max", Options{Format: Format{BlockSize: gzip.MaxBlockSize + 1}}, "out of range"},
		{"block-negative", Options{Format: Format{BlockSize: -1}}, "out of range"},
		{"block-zstd", Options{Format: Format{Compression: Zstd, BlockSize: gzip.DefaultBlockSize}}, "only gzip"},
		{"block-none", Options{Format: Format{Compression: Uncompressed, BlockSize: gzip.DefaultBlockSize}}, "only gzip"},
		{"blocks-zstd", Options{Format: Format{Compression: Zstd}, Blocks: 2}, "only gzip"},
		{"blocks-none", Options{Format: Format{Compression: Uncompressed}, Blocks: 2}, "only gzip"},
		{"blocks-negative", Options{Blocks: -1}, "use 1 or more"},
		{"level-none", Options{Format: Format{Compression: Uncompressed, Level: 3}}, "uncompressed"},
		{"level-gzip", Options{Format: Format{Level: 10}}, "use 1 (fastest) to 9"},
		{"compression", Options{Format: Format{Compression: 7}}, "unknown compression"},
		{"year-10000", Options{Format: Format{ModTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, "outside the years 0 to 9999"},
		{"year-minus-1", Options{Format: Format{ModTime: time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)}}, "outside the years 0 to 9999"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Validate()
			if c.says == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "layer: ") {
				t.Fatalf("Validate: %v; want an error saying %q", err, c.says)
			}
			// Build refuses what Validate refuses, before reading any entry.
			b := New(c.o)
			b.AddReader("/never-read", failReader{t}, 1, Attr{})
			if _, berr := b.Build(context.Background()); berr == nil || berr.Error() != err.Error() {
				t.Errorf("Build: %v; want Validate's error %v", berr, err)
			}
			if c.o.Blocks == 0 {
				if ferr := c.o.Format.Validate(); ferr == nil || ferr.Error() != err.Error() {
					t.Errorf("Format.Validate: %v; want %v", ferr, err)
				}
			}
		})
	}
}

type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("an entry was read with invalid options")
	return 0, nil
}

// TestFormatIsTheBytes builds one layer under options that differ only in
// how the work runs: equal Formats give equal layers.
func TestFormatIsTheBytes(t *testing.T) {
	f := Format{Level: 5, BlockSize: 64 << 10, ModTime: time.Unix(1234567890, 0)}
	var first *Layer
	for _, o := range []Options{
		{Format: f},
		{Format: f, Blocks: 1, SpillThreshold: -1, SpillDir: t.TempDir()},
		{Format: f, Blocks: 7, Replace: true, Progress: func(Progress) {}},
	} {
		b := New(o)
		b.AddFile("/a", textData(300<<10, 2), Attr{})
		l := build(t, b)
		if first == nil {
			first = l
			continue
		}
		if l.Digest() != first.Digest() || l.DiffID() != first.DiffID() {
			t.Errorf("options %+v give %s, want %s", o, l.Digest(), first.Digest())
		}
	}
	if m := map[Format]bool{f: true}; !m[f] {
		t.Fatal("Format is not usable as a map key")
	}
}

func TestSourceDateEpochRange(t *testing.T) {
	cases := []struct {
		v    string
		want time.Time
		says string
	}{
		{"0", time.Unix(0, 0), ""},
		{"-1", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), ""},
		{"-315619200", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"253402300799", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ""},
		{"-62167219200", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"253402300800", time.Time{}, "outside the years 0 to 9999"},
		{"-62167219201", time.Time{}, "outside the years 0 to 9999"},
		{"9223372036854775807", time.Time{}, "outside the years 0 to 9999"},
		{"-9223372036854775808", time.Time{}, "outside the years 0 to 9999"},
		{"99999999999999999999", time.Time{}, "not a whole number"},
		{"1.5", time.Time{}, "not a whole number"},
	}
	for _, c := range cases {
		t.Run(c.v, func(t *testing.T) {
			t.Setenv("SOURCE_DATE_EPOCH", c.v)
			got, ok, err := SourceDateEpoch()
			if c.says != "" {
				if err == nil || ok || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("got %v, %v, %v; want an error saying %q", got, ok, err, c.says)
				}
				return
			}
			if err != nil || !ok || !got.Equal(c.want) {
				t.Fatalf("got %v, %v, %v; want %v", got, ok, err, c.want)
			}
			// Whatever SOURCE_DATE_EPOCH accepts, a layer can carry.
			if err := (Format{ModTime: got}).Validate(); err != nil {
				t.Fatalf("Validate of %v: %v", got, err)
			}
		})
	}
}

// TestTimesBefore1970 checks that a negative epoch and the same time given
// as a date build the same layer.
func TestTimesBefore1970(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "-315619200")
	epoch, _, err := SourceDateEpoch()
	if err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, mt := range []time.Time{epoch, time.Date(1960, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600))} {
		b := New(Options{Format: Format{ModTime: mt}})
		b.AddFile("/a", []byte("a"), Attr{})
		l := build(t, b)
		digests = append(digests, l.Digest().String())
		rc, err := l.Uncompressed(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		es := testenv.ReadTar(t, rc)
		rc.Close()
		if !es[0].Header.ModTime.Equal(epoch) {
			t.Errorf("entry dated %v, want %v", es[0].Header.ModTime, epoch)
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("SOURCE_DATE_EPOCH=-315619200 gives %s, 1960-01-01 %s; want one layer", digests[0], digests[1])
	}
}
