package image_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
)

func TestMergeIndex(t *testing.T) {
	amd := image.New(amd64).WithEntrypoint("/app")
	arm := image.New(arm64).WithEntrypoint("/app")
	armV8 := image.New(image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}).WithEntrypoint("/app2")
	riscv := image.New(image.Platform{OS: "linux", Architecture: "riscv64"}).WithEntrypoint("/app")
	sbom, err := image.NewManifest("application/spdx+json", []image.Blob{image.BlobFromBytes("application/spdx+json", []byte("{}"))}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := image.NewIndex(arm, riscv)
	if err != nil {
		t.Fatal(err)
	}
	pair = pair.WithAnnotation("index.only", "x").WithArtifact(sbom, nil)
	nested, err := image.NewIndex(amd)
	if err != nil {
		t.Fatal(err)
	}
	nested = nested.WithArtifact(pair, map[string]string{"k": "v"})

	for _, tc := range []struct {
		name    string
		srcs    []image.MergeSource
		opts    image.MergeOptions
		want    []*image.Image // the images listed, in order
		wantErr string
	}{
		{name: "two images", srcs: []image.MergeSource{{"a", amd}, {"b", arm}}, want: []*image.Image{amd, arm}},
		{name: "an image and an index", srcs: []image.MergeSource{{"a", amd}, {"p", pair}}, want: []*image.Image{amd, arm, riscv}},
		{name: "nested indexes", srcs: []image.MergeSource{{"n", nested}}, want: []*image.Image{amd, arm, riscv}},
		{name: "same image twice", srcs: []image.MergeSource{{"a", amd}, {"n", nested}}, want: []*image.Image{amd, arm, riscv}},
		{name: "replace keeps the place", srcs: []image.MergeSource{{"p", pair}, {"a", amd}, {"v8", armV8}}, opts: image.MergeOptions{Replace: true}, want: []*image.Image{armV8, riscv, amd}},
		{name: "conflict", srcs: []image.MergeSource{{"reg/app:v1-arm64", arm}, {"a", amd}, {"reg/app:v2-arm64", armV8}},
			wantErr: "reg/app:v1-arm64 and reg/app:v2-arm64 both hold a linux/arm64 image"},
		{name: "conflict unnamed", srcs: []image.MergeSource{{"", arm}, {"", pair.WithAnnotation("x", "y")}, {"", armV8}},
			wantErr: "source 0 (" + arm.Digest().String() + ") and source 2 (" + armV8.Digest().String() + ") both hold a linux/arm64 image"},
		{name: "artifact", srcs: []image.MergeSource{{"a", amd}, {"s", sbom}}, wantErr: "s: " + sbom.Digest().String() + " is a"},
		{name: "none", wantErr: "no sources"},
		{name: "nil", srcs: []image.MergeSource{{"a", nil}}, wantErr: "is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := image.MergeIndex(tc.srcs, tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				if strings.HasPrefix(tc.name, "conflict") && !errors.Is(err, image.ErrDuplicatePlatform) {
					t.Errorf("%v is not ErrDuplicatePlatform", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			x := ix.Index()
			var got []digest.Digest
			for _, d := range x.Manifests {
				got = append(got, d.Digest)
				if d.Platform == nil {
					t.Errorf("%s is listed without a platform", d.Digest)
				}
			}
			var want []digest.Digest
			for _, img := range tc.want {
				want = append(want, img.Digest())
			}
			if strings.Join(digestStrings(got), " ") != strings.Join(digestStrings(want), " ") {
				t.Errorf("lists %v, want %v", got, want)
			}
			if len(x.Annotations) != 0 {
				t.Errorf("annotations %v carried over from a source index", x.Annotations)
			}
			for _, img := range tc.want {
				if ix.Image(img.Platform()) != img {
					t.Errorf("Image(%s) is not the source's image", img.Platform())
				}
			}
		})
	}
}

// A source index's descriptors are kept: their annotations and platforms
// as listed, not as the images' configs say.
func TestMergeIndexKeepsDescriptors(t *testing.T) {
	amd := image.New(amd64).WithEntrypoint("/app")
	raw := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
		amd.Digest().String() + `","size":` + strconv.Itoa(len(amd.RawManifest())) + `,"annotations":{"org.example":"kept"}}]}`)
	stored, err := image.IndexFromRaw(raw, []image.Artifact{amd})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := image.MergeIndex([]image.MergeSource{{"stored", stored}}, image.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := ix.Index().Manifests[0]
	if d.Annotations["org.example"] != "kept" || d.Platform == nil || d.Platform.Architecture != "amd64" {
		t.Errorf("descriptor %+v: want the stored annotation and the config's platform", d)
	}
}

func digestStrings(ds []digest.Digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func TestMergeIndexAnnotations(t *testing.T) {
	amd := image.New(amd64).WithEntrypoint("/app")
	arm := image.New(arm64).WithEntrypoint("/app")
	srcs := []image.MergeSource{{"a", amd}, {"b", arm}}
	want := map[string]string{"org.opencontainers.image.version": "1.2", "team": "core"}
	ix, err := image.MergeIndex(srcs, image.MergeOptions{Annotations: map[string]string{"org.opencontainers.image.version": "1.2", "team": "core", "empty": ""}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := image.MergeIndex(srcs, image.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byHand := plain
	for k, v := range want {
		byHand = byHand.WithAnnotation(k, v)
	}
	if ix.Digest() != byHand.Digest() || ix.Digest() == plain.Digest() {
		t.Errorf("annotated merge %s, want %s (the merge annotated by hand), not %s", ix.Digest(), byHand.Digest(), plain.Digest())
	}
}
