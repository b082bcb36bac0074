package image_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    image.Platform
		wantErr string
	}{
		{in: "linux/amd64", want: amd64},
		{in: "linux/arm/v7", want: image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{in: "windows/amd64", want: image.Platform{OS: "windows", Architecture: "amd64"}},
		{in: "linux/sparc", want: image.Platform{OS: "linux", Architecture: "sparc"}},
		{in: "linux", wantErr: `platform "linux": want OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64 or linux/arm/v7; it names no architecture`},
		{in: "linux/amd64/v1/x", wantErr: "want OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64 or linux/arm/v7; it has more parts than that"},
		{in: "linux//v7", wantErr: `bad architecture ""`},
		{in: "Linux/amd64", wantErr: `bad os "Linux": the OS is spelled linux`},
		{in: "x86_64", wantErr: "did you mean linux/amd64?"},
		{in: "amd64", wantErr: "give OS/ARCH, such as linux/amd64"},
		{in: "linux/x86_64", wantErr: `unknown architecture "x86_64"; did you mean linux/amd64?`},
		{in: "linux/aarch64", wantErr: "did you mean linux/arm64?"},
		{in: "linux/armhf", wantErr: "did you mean linux/arm/v7?"},
		{in: "linux/i686", wantErr: "did you mean linux/386?"},
		{in: "", wantErr: "want OS/ARCH"},
		{in: "linux/arm64/v9.2", wantErr: `bad variant "v9.2"`},
		{in: "linux/arm/v 7", wantErr: `bad variant "v 7"`},
	} {
		got, err := image.ParsePlatform(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "image: ") {
				t.Errorf("ParsePlatform(%q) = %v, want error with %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.in {
			t.Errorf("ParsePlatform(%q) = %v (%q), %v", tc.in, got, got.String(), err)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	img := image.New(image.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	var c ocispec.Image
	if err := json.Unmarshal(img.RawConfig(), &c); err != nil {
		t.Fatal(err)
	}
	if c.Config.User != image.DefaultUser || image.DefaultUser != "65532:65532" {
		t.Errorf("user %q", c.Config.User)
	}
	if !c.Created.Equal(time.Unix(0, 0)) || c.OS != "linux" || c.Architecture != "arm" || c.Variant != "v7" {
		t.Errorf("config %+v", c)
	}
	if c.RootFS.Type != "layers" || c.RootFS.DiffIDs == nil {
		t.Errorf("rootfs %+v", c.RootFS)
	}
	m := img.Manifest()
	if m.MediaType != ocispec.MediaTypeImageManifest || m.Config.MediaType != ocispec.MediaTypeImageConfig || m.SchemaVersion != 2 {
		t.Errorf("manifest %+v", m)
	}
	if !strings.Contains(string(img.RawConfig()), `"created":"1970-01-01T00:00:00Z"`) {
		t.Errorf("config %s", img.RawConfig())
	}
}

func TestImmutable(t *testing.T) {
	a := fixtureImage(t, amd64)
	before := a.RawManifest()
	beforeCfg := a.RawConfig()
	x := mkLayer(t, "x", "x")
	b := a.WithEnv("PATH", "/bin").WithEnv("HOME", "/").WithUser("root").WithLabel("x", "y").
		WithAnnotation("k", "v").Append(x).WithCreated(time.Unix(1700000000, 5))
	c := a.WithConfig(func(c *ocispec.ImageConfig) { c.Env[0] = "CHANGED=1"; c.Labels["dev.minimage.test"] = "no" })
	if string(a.RawManifest()) != string(before) || string(a.RawConfig()) != string(beforeCfg) {
		t.Fatal("a changed")
	}
	cfg := b.Config()
	if !slices.Equal(cfg.Config.Env, []string{"PATH=/bin", "HOME=/"}) || cfg.Config.User != "root" || len(b.Layers()) != 3 {
		t.Errorf("b config %+v", cfg.Config)
	}
	// Append describes the layer by its digest.
	if len(cfg.RootFS.DiffIDs) != 3 || len(cfg.History) != 3 || cfg.History[2].CreatedBy != "minimage: layer "+x.Digest().String()[:19] {
		t.Errorf("rootfs %v history %v", cfg.RootFS, cfg.History)
	}
	if got := b.Config().Created.Unix(); got != 1700000000 {
		t.Errorf("created %d", got)
	}
	if c.Config().Config.Env[0] != "CHANGED=1" || a.Config().Config.Env[0] != "PATH=/" {
		t.Errorf("WithConfig leaked: %v %v", c.Config().Config.Env, a.Config().Config.Env)
	}
	// Changing what Config returns changes nothing.
	cc := a.Config()
	cc.Config.Env[0] = "X=1"
	if a.Config().Config.Env[0] != "PATH=/" {
		t.Error("Config is not a copy")
	}
	if a.Digest() == b.Digest() || a.ConfigDigest() == c.ConfigDigest() {
		t.Error("digests equal")
	}
	if b.WithAnnotation("k", "").Annotations()["k"] != "" {
		t.Error("empty annotation not removed")
	}
}

func TestHistoryTimes(t *testing.T) {
	img := fixtureImage(t, amd64).WithCreated(time.Unix(100, 0))
	c := img.RawConfig()
	var cfg ocispec.Image
	json.Unmarshal(c, &cfg)
	for _, h := range cfg.History {
		if h.Created == nil || h.Created.Unix() != 100 {
			t.Errorf("history %+v", h)
		}
	}
	if cfg.History[0].CreatedBy != "minimage: base" {
		t.Errorf("history %+v", cfg.History)
	}
}

func TestNewIndex(t *testing.T) {
	ix := fixtureIndex(t)
	x := ix.Index()
	if x.MediaType != ocispec.MediaTypeImageIndex || len(x.Manifests) != 2 {
		t.Fatalf("%+v", x)
	}
	for i, p := range []image.Platform{amd64, arm64} {
		d := x.Manifests[i]
		if d.Platform == nil || d.Platform.Architecture != p.Architecture || d.MediaType != ocispec.MediaTypeImageManifest {
			t.Errorf("manifests[%d] = %+v", i, d)
		}
	}
	if ix.Image(image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}) == nil {
		t.Error("arm64/v8 not found")
	}
	if ix.WithAnnotation("a", "b").Digest() == ix.Digest() {
		t.Error("annotation did not change the digest")
	}
	for _, tc := range []struct {
		name string
		imgs []*image.Image
		want string
	}{
		{"duplicate", []*image.Image{image.New(amd64), image.New(arm64), image.New(amd64)}, "images 0 and 2 are both linux/amd64"},
		{"arm64 v8", []*image.Image{image.New(arm64), image.New(image.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})}, "both linux/arm64"},
		{"empty", nil, "no images"},
		{"nil", []*image.Image{nil}, "is nil"},
	} {
		_, err := image.NewIndex(tc.imgs...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if strings.HasPrefix(tc.name, "dup") || strings.HasPrefix(tc.name, "arm") {
			if !errors.Is(err, image.ErrDuplicatePlatform) {
				t.Errorf("%s: not ErrDuplicatePlatform", tc.name)
			}
		}
	}
}

func TestFromBase(t *testing.T) {
	base := fixtureImage(t, amd64).WithCreated(time.Unix(5, 0))
	img := image.FromBase(base, "example.com/base:v1").Append(mkLayer(t, "new", "new"))
	a := img.Annotations()
	if a[ocispec.AnnotationBaseImageName] != "example.com/base:v1" || a[ocispec.AnnotationBaseImageDigest] != base.Digest().String() || a["org.opencontainers.image.title"] != "" {
		t.Errorf("annotations %v", a)
	}
	c := img.Config()
	if c.Created.Unix() != 0 || len(img.Layers()) != 3 || c.Config.Entrypoint[0] != "/app" {
		t.Errorf("config %+v", c)
	}
}

// TestManifestFromRaw: the manifest keeps the bytes it was given, and
// refuses blobs that are not the ones it lists.
func TestManifestFromRaw(t *testing.T) {
	payload := image.BlobFromBytes("application/vnd.dev.cosign.simplesigning.v1+json", []byte(`{"critical":{}}`))
	cfg := image.BlobFromBytes(ocispec.MediaTypeImageConfig, []byte(`{"rootfs":{"type":"layers","diff_ids":[]}}`))
	// Keys in an order encoding/json would not write: the bytes must stay.
	raw := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"size":%d,"digest":%q},"layers":[{"mediaType":%q,"size":%d,"digest":%q}]}`,
		ocispec.MediaTypeImageManifest, cfg.Descriptor.MediaType, cfg.Descriptor.Size, cfg.Descriptor.Digest,
		payload.Descriptor.MediaType, payload.Descriptor.Size, payload.Descriptor.Digest))
	m, err := image.ManifestFromRaw(raw, []image.Blob{cfg, payload})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.RawManifest(), raw) || m.Digest() != digest.FromBytes(raw) {
		t.Errorf("the manifest's bytes changed: %s", m.RawManifest())
	}
	if bs := m.Blobs(); len(bs) != 3 || bs[0].Descriptor.Digest != cfg.Descriptor.Digest || bs[1].Descriptor.Digest != payload.Descriptor.Digest {
		t.Errorf("blobs %v, want the config, the payload and the manifest", bs)
	}
	if _, err := image.ManifestFromRaw(raw, []image.Blob{payload, cfg}); !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("blobs out of order: %v, want layer.ErrDigestMismatch", err)
	}
	if _, err := image.ManifestFromRaw(raw, []image.Blob{cfg}); !errors.Is(err, image.ErrCorrupt) {
		t.Errorf("a blob missing: %v, want image.ErrCorrupt", err)
	}
	if _, err := image.ManifestFromRaw([]byte(`{"manifests":[]}`), nil); !errors.Is(err, image.ErrCorrupt) {
		t.Errorf("an index: %v, want image.ErrCorrupt", err)
	}
}
