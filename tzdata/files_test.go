package tzdata

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestFilesMatchLayer checks that Files lists exactly the regular files
// of the layer, with the same bytes, for each form of the layer.
func TestFilesMatchLayer(t *testing.T) {
	zipped := subset
	zipped.Zip = true
	noLocal := subset
	noLocal.Localtime = ""
	noLocalZip := noLocal
	noLocalZip.Zip = true
	tests := []struct {
		name string
		opts Options
	}{
		{"tree", subset},
		{"zip", zipped},
		{"tree without localtime", noLocal},
		{"zip without localtime", noLocalZip},
		{"all", Options{Zones: []string{All}}},
		{"pattern", Options{Zones: []string{"Etc/*"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Files(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err := Layer(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := make(map[string][]byte)
			for name, e := range readLayer(t, l) {
				if e.Header.Typeflag == tar.TypeReg {
					want["/"+name] = e.Body
				}
			}
			if len(files) != len(want) {
				t.Errorf("Files gives %d files, the layer holds %d regular files", len(files), len(want))
			}
			if !slices.IsSortedFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
				t.Error("Files is not sorted by path")
			}
			for _, f := range files {
				body, ok := want[f.Path]
				switch {
				case !ok:
					t.Errorf("Files lists %s, which is not a regular file of the layer", f.Path)
				case !bytes.Equal(body, f.Data):
					t.Errorf("%s: Files gives %d bytes that differ from the layer's %d", f.Path, len(f.Data), len(body))
				}
			}
		})
	}
}

func TestFilesDataIsCallers(t *testing.T) {
	opts := Options{Zones: []string{"Europe/Paris"}}
	a := must(Files(opts))
	a[0].Data[0] ^= 0xff
	b := must(Files(opts))
	if a[0].Data[0] == b[0].Data[0] {
		t.Fatal("changing the bytes Files returned changed the embedded zone")
	}
}

func TestFilesErrors(t *testing.T) {
	if _, err := Files(Options{}); !errors.Is(err, ErrNoZones) {
		t.Errorf("no zones: %v, want ErrNoZones", err)
	}
	if _, err := Files(Options{Zones: []string{"Mars/Olympus"}}); !errors.Is(err, ErrUnknownZone) {
		t.Errorf("unknown zone: %v, want ErrUnknownZone", err)
	}
}
