package image_test

import (
	"errors"
	"testing"

	"github.com/minimage/minimage/image"
)

func TestPlatformMatches(t *testing.T) {
	p := func(s string) image.Platform {
		q, err := image.ParsePlatform(s)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	for _, tc := range []struct {
		want, have string
		ok         bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/arm/v7", "linux/arm/v6", false},
		{"linux/arm/v7", "linux/arm", false},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64/v9", "linux/arm64", false},
		{"linux/amd64", "windows/amd64", false},
	} {
		if got := p(tc.want).Matches(p(tc.have)); got != tc.ok {
			t.Errorf("%s.Matches(%s) = %v, want %v", tc.want, tc.have, got, tc.ok)
		}
	}
}

func TestSelect(t *testing.T) {
	amd := image.New(image.Platform{OS: "linux", Architecture: "amd64"})
	arm := image.New(image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	ix, err := image.NewIndex(amd, arm)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []image.Artifact{ix, amd} {
		if got, err := image.Select(a, image.Platform{OS: "linux", Architecture: "amd64"}); err != nil || got != amd {
			t.Errorf("Select(%s, linux/amd64) = %v, %v", a.MediaType(), got, err)
		}
	}
	if got, err := image.Select(ix, image.Platform{OS: "linux", Architecture: "arm64"}); err != nil || got.Digest() != arm.Digest() {
		t.Errorf("Select(index, linux/arm64) = %v, %v", got, err)
	}
	_, err = image.Select(ix, image.Platform{OS: "linux", Architecture: "s390x"})
	var pe *image.PlatformError
	if !errors.Is(err, image.ErrNotFound) || !errors.As(err, &pe) {
		t.Fatalf("Select(index, linux/s390x) = %v, want a PlatformError", err)
	}
	const want = "image: no image for linux/s390x; it has linux/amd64, linux/arm64/v8; give one of those"
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
	m, err := image.NewManifest("application/example", []image.Blob{image.BlobFromBytes("text/plain", []byte("x"))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := image.Select(m, image.Platform{}); !errors.As(err, &pe) || len(pe.Have) != 0 {
		t.Errorf("Select(manifest) = %v, want a PlatformError with no platforms", err)
	}
}
