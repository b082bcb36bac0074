package build_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

func sha256Of(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// TestRunIndex builds the example program for two platforms with every
// part of the default image, and checks the images, the outputs and the
// report against what is in them.
func TestRunIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.yaml")
	os.WriteFile(conf, []byte("greeting: hello\n"), 0o644)
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var mu sync.Mutex
	var events []build.Event
	r := build.Recipe{
		Package:     hello(t),
		Platforms:   []image.Platform{amd64, arm64},
		Zones:       []string{"Europe/Paris"},
		Env:         []string{"Z=1", "A=2", "Z=3"},
		Labels:      map[string]string{"team": "infra"},
		Annotations: map[string]string{ocispec.AnnotationVersion: "v1"},
		Ports:       []string{"8080", "53/udp"},
		Files:       []build.File{{Source: conf, Path: "/etc/app/app.yaml"}},
		Created:     created,
		Outputs:     []build.Output{{Format: build.Layout, Path: filepath.Join(dir, "layout")}, {Format: build.Tarball, Path: filepath.Join(dir, "hello.tar")}},
		Tags:        []string{"hello:v1"},
		Progress: func(e build.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		},
	}
	res, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	ix, ok := res.Artifact.(*image.Index)
	if !ok {
		t.Fatalf("artifact is %T, want an index", res.Artifact)
	}
	if got := ix.Images(); len(got) != 2 || got[0].Digest() != res.Images[0].Digest() || got[1].Digest() != res.Images[1].Digest() {
		t.Fatalf("index images differ from Result.Images")
	}
	if ix.Index().Annotations[ocispec.AnnotationVersion] != "v1" {
		t.Errorf("index annotations %v", ix.Index().Annotations)
	}
	if len(res.Report.Platforms) != 2 {
		t.Fatalf("%d platform reports", len(res.Report.Platforms))
	}
	for i, img := range res.Images {
		pl := r.Platforms[i]
		rep := res.Report.Platforms[i]
		if img.Platform() != pl || rep.Platform != pl || rep.Digest != img.Digest() {
			t.Errorf("image %d: platform %v, report %v %s, want %v %s", i, img.Platform(), rep.Platform, rep.Digest, pl, img.Digest())
		}
		var history []string
		for _, h := range img.Config().History {
			history = append(history, h.CreatedBy)
		}
		// Each layer says what made it: the CA bundle's version, the
		// zones, the files' and the binary's paths.
		want := []string{
			"minimage: base files /etc/group /etc/nsswitch.conf /etc/os-release /etc/passwd; directories /home /home/nonroot /root /tmp",
			fmt.Sprintf("minimage: CA certificates /etc/ssl/certs/ca-certificates.crt (%d, from golang.org/x/crypto/x509roots/fallback %s)", certs.Count()-certs.Constrained(), certs.Version()),
			"minimage: time zones Europe/Paris (tzdata " + tzdata.Release + ", 1 zone in /usr/share/zoneinfo)",
			"minimage: files /etc/app/app.yaml",
			"minimage: binary /hello (github.com/minimage/minimage/examples/hello, " + res.Report.Platforms[i].Binary.BuildInfo.GoVersion + ")",
		}
		if !slices.Equal(history, want) {
			t.Errorf("%s: layers %q, want %q", pl, history, want)
		}
		c := img.Config()
		if !slices.Equal(c.Config.Env, []string{"Z=3", "A=2"}) {
			t.Errorf("%s: env %q, want Z=3 A=2 (order kept, Z replaced)", pl, c.Config.Env)
		}
		if c.Config.WorkingDir != base.NonrootHome || c.Config.User != base.DefaultUser {
			t.Errorf("%s: workdir %q user %q", pl, c.Config.WorkingDir, c.Config.User)
		}
		if _, ok := c.Config.ExposedPorts["53/udp"]; !ok || len(c.Config.ExposedPorts) != 2 {
			t.Errorf("%s: ports %v", pl, c.Config.ExposedPorts)
		}
		if !c.Created.Equal(created) || c.Config.Labels["team"] != "infra" || img.Annotations()[ocispec.AnnotationVersion] != "v1" {
			t.Errorf("%s: created %v labels %v annotations %v", pl, c.Created, c.Config.Labels, img.Annotations())
		}

		files := imagetest.Files(t, img)
		bin, ok := files["/hello"]
		if !ok {
			t.Fatalf("%s: no /hello in the image", pl)
		}
		b := rep.Binary
		if b.Path != "/hello" || b.Package != r.Package || string(b.Digest) != sha256Of(bin.Content) || b.SHA1 != sha1.Sum([]byte(bin.Content)) || b.Size != int64(len(bin.Content)) {
			t.Errorf("%s: binary report %+v; the image's /hello is %s, %d bytes", pl, b, sha256Of(bin.Content), len(bin.Content))
		}
		bi := b.BuildInfo
		if bi == nil {
			t.Fatalf("%s: no build info", pl)
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if bi.Path != "github.com/minimage/minimage/examples/hello" || bi.Main.Path != "github.com/minimage/minimage" || !strings.HasPrefix(bi.GoVersion, "go") {
			t.Errorf("%s: build info path %q main %q go %q", pl, bi.Path, bi.Main.Path, bi.GoVersion)
		}
		if settings["GOARCH"] != pl.Architecture || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
			t.Errorf("%s: build settings %v", pl, settings)
		}
		if rep.Certs == nil || rep.Certs.Version != certs.Version() || rep.Certs.Path != certs.Path || rep.Certs.Count != strings.Count(files[certs.Path].Content, "BEGIN CERTIFICATE") {
			t.Errorf("%s: certs report %+v", pl, rep.Certs)
		}
		if rep.Zones == nil || rep.Zones.Release != tzdata.Release || !slices.Contains(rep.Zones.Zones, "Europe/Paris") {
			t.Errorf("%s: zones report %+v", pl, rep.Zones)
		}
		if _, ok := files[tzdata.Dir+"/Europe/Paris"]; !ok {
			t.Errorf("%s: no Europe/Paris in the image", pl)
		}
		if len(rep.Files) != 1 || rep.Files[0].Path != "/etc/app/app.yaml" || string(rep.Files[0].Digest) != sha256Of(files["/etc/app/app.yaml"].Content) || rep.Files[0].SHA1 != sha1.Sum([]byte("greeting: hello\n")) {
			t.Errorf("%s: files report %+v", pl, rep.Files)
		}
		if rep.Base != nil {
			t.Errorf("%s: base report %+v without a base", pl, rep.Base)
		}
	}

	for _, o := range r.Outputs {
		got := readBack(t, o, "hello:v1")
		if got != ix.Digest().String() {
			t.Errorf("%s holds %s, want %s", o.Path, got, ix.Digest())
		}
	}
	var steps []string
	binaryBytes := 0
	for _, e := range events {
		if e.Kind == build.Step {
			steps = append(steps, e.Message)
		}
		if e.Kind == build.LayerBytes && strings.HasPrefix(e.Layer, "binary ") {
			// The binary's layer: one file, so its tar's size is known.
			binaryBytes++
			size := res.Report.Platforms[0].Binary.Size
			if e.Layer == "binary linux/arm64" {
				size = res.Report.Platforms[1].Binary.Size
			}
			if e.Total != 512+(size+511)/512*512+1024 || e.Bytes.In > e.Total {
				t.Errorf("%s: %d of %d tar bytes, for a binary of %d bytes", e.Layer, e.Bytes.In, e.Total, size)
			}
		} else if e.Kind == build.LayerBytes && e.Total != 0 {
			t.Errorf("%s: a total of %d given for a layer whose size is not known in advance", e.Layer, e.Total)
		}
	}
	if binaryBytes == 0 {
		t.Error("no progress reported for the binaries' layers")
	}
	for _, want := range []string{"go build " + r.Package + " for linux/arm64", "building the time zones layer", "adding the binary for linux/amd64", "writing " + r.Outputs[1].Path + " (tarball)"} {
		if !slices.Contains(steps, want) {
			t.Errorf("no step %q in %q", want, steps)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("the output directory holds %d entries, want app.yaml, layout and hello.tar", len(entries))
	}
}

// readBack returns the digest of what the output holds under tag.
func readBack(t *testing.T, o build.Output, tag string) string {
	t.Helper()
	var (
		lay interface {
			Verify(context.Context) (int, error)
		}
		err error
	)
	if o.Format == build.Tarball {
		lay, err = tarball.Read(o.Path)
	} else {
		lay, err = layout.Read(o.Path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lay.Verify(t.Context()); err != nil {
		t.Errorf("%s: %v", o.Path, err)
	}
	raw, err := os.ReadFile(filepath.Join(o.Path, "index.json"))
	if o.Format == build.Tarball {
		raw, err = tarFile(o.Path, "index.json")
	}
	if err != nil {
		t.Fatal(err)
	}
	// The one entry's digest, as index.json stores it.
	i := bytes.Index(raw, []byte(`"digest":"`))
	if i < 0 {
		t.Fatalf("%s: index.json %s", o.Path, raw)
	}
	return string(raw[i+10 : i+10+71])
}

// TestRunOnBase builds on an image in memory: its layers come first and
// unchanged, a layer it already has is not added again, its working
// directory is kept, and the built image names it.
func TestRunOnBase(t *testing.T) {
	t.Parallel()
	ca, err := certs.Layer(t.Context(), certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	baseImg := imagetest.FromLayers(t, image.Platform{OS: "linux", Architecture: "amd64"}, imagetest.Layer{"/etc/os-release": "ID=fixture\n", "/srv/": ""}).
		AppendLayer(ca, image.History{CreatedBy: "the base's CA bundle"}).
		WithWorkingDir("/srv")
	res, err := build.Run(t.Context(), build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64},
		Base:      build.BaseOf("fixture:v1", baseImg),
	})
	if err != nil {
		t.Fatal(err)
	}
	img := res.Artifact.(*image.Image)
	got, want := img.Layers(), baseImg.Layers()
	if len(got) != len(want)+1 {
		t.Fatalf("%d layers, want the base's %d and the binary", len(got), len(want))
	}
	for i, l := range want {
		if got[i].Digest() != l.Digest() {
			t.Errorf("layer %d is %s, the base's is %s", i, got[i].Digest(), l.Digest())
		}
	}
	a := img.Annotations()
	if a[ocispec.AnnotationBaseImageDigest] != baseImg.Digest().String() || a[ocispec.AnnotationBaseImageName] != "fixture:v1" {
		t.Errorf("base annotations %v, want digest %s", a, baseImg.Digest())
	}
	rep := res.Report.Platforms[0]
	if rep.Base == nil || rep.Base.Digest != baseImg.Digest() || rep.Base.Name != "fixture:v1" {
		t.Errorf("base report %+v", rep.Base)
	}
	if wd := img.Config().Config.WorkingDir; wd != "/srv" {
		t.Errorf("workdir %q, want the base's /srv", wd)
	}
}

// TestRunDefaults checks the working directory and user defaults, and a
// bare image.
func TestRunDefaults(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "app")
	for _, c := range []struct {
		name    string
		r       build.Recipe
		workdir string
		user    string
		layers  int
	}{
		{"nonroot", build.Recipe{}, base.NonrootHome, base.DefaultUser, 3},
		{"root", build.Recipe{User: "root"}, "", base.RootUser, 3},
		{"uid", build.Recipe{User: "1000:1000", NoCerts: true}, "", "1000:1000", 2},
		{"explicit", build.Recipe{User: "root", WorkingDir: "data/"}, "/data", base.RootUser, 3},
		{"bare", build.Recipe{Bare: true}, "", base.DefaultUser, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			r.Package, r.Platforms = hello(t), []image.Platform{amd64}
			if c.name != "nonroot" {
				// Reuse the binary built once, from the first case.
				r.Package, r.Binaries = "", []build.Binary{{Path: bin}}
			}
			res, err := build.Run(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			img := res.Images[0]
			if c.name == "nonroot" {
				os.WriteFile(bin, []byte(imagetest.Files(t, img)["/hello"].Content), 0o755)
			}
			cfg := img.Config().Config
			if cfg.WorkingDir != c.workdir || cfg.User != c.user || len(img.Layers()) != c.layers {
				t.Errorf("workdir %q user %q %d layers; want %q %q %d", cfg.WorkingDir, cfg.User, len(img.Layers()), c.workdir, c.user, c.layers)
			}
			if (c.r.Bare || c.r.NoCerts) != (res.Report.Platforms[0].Certs == nil) {
				t.Errorf("certs report %+v", res.Report.Platforms[0].Certs)
			}
		})
	}
}

// TestRunDeterministic builds the same recipe with the go builds one at a
// time and all at once: the same bytes.
func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	var digests []string
	for _, parallel := range []int{1, 2} {
		res, err := build.Run(t.Context(), build.Recipe{
			Package:   hello(t),
			Platforms: []image.Platform{arm64, amd64},
			GoBuild:   build.GoBuild{Parallel: parallel},
			Layer:     layer.Options{Blocks: parallel},
		})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, res.Artifact.Digest().String())
	}
	if digests[0] != digests[1] {
		t.Errorf("Parallel 1 gives %s, 2 gives %s", digests[0], digests[1])
	}
}

// TestRunWriter writes a tarball to an io.Writer.
func TestRunWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	bin := filepath.Join(t.TempDir(), "bin")
	res, err := build.Run(t.Context(), build.Recipe{Package: hello(t), Bare: true, Outputs: []build.Output{{Format: build.Tarball, Path: "buffer", Writer: &buf}}})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, buf.Bytes(), 0o644)
	if got := readBack(t, build.Output{Format: build.Tarball, Path: bin}, ""); got != res.Artifact.Digest().String() {
		t.Errorf("the tarball holds %s, want %s", got, res.Artifact.Digest())
	}
}

// TestRunGoBuildFails reports the compiler's message and leaves nothing.
func TestRunGoBuildFails(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	pkg := filepath.Join(t.TempDir(), "broken")
	writeFiles(t, pkg, map[string]string{
		"go.mod":  "module broken\n\ngo 1.22\n",
		"main.go": "package main\n\nfunc main() { undefinedThing() }\n",
	})
	out := filepath.Join(t.TempDir(), "out.tar")
	_, err := build.Run(t.Context(), build.Recipe{Package: pkg, Platforms: []image.Platform{amd64, arm64}, Outputs: []build.Output{{Format: build.Tarball, Path: out}}})
	if err == nil || !strings.Contains(err.Error(), "undefined: undefinedThing") || !strings.Contains(err.Error(), "go build "+pkg) {
		t.Fatalf("error %v; want go build's message", err)
	}
	if errors.Is(err, build.ErrInvalid) {
		t.Errorf("a compile error is not an invalid recipe: %v", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left in TMPDIR: %v", ents)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an output was written")
	}
}

// TestRunTarballSpilled writes a tarball file alone, for one platform and
// for two, with every layer spilled to a file (SpillThreshold -1): the
// spill files go beside the tarball and are copied into it; the tarball
// holds the image or index whole, and nothing else is left in its
// directory.
func TestRunTarballSpilled(t *testing.T) {
	t.Parallel()
	for _, platforms := range [][]image.Platform{{amd64}, {amd64, arm64}} {
		t.Run(fmt.Sprint(len(platforms)), func(t *testing.T) {
			dir := t.TempDir()
			out := build.Output{Format: build.Tarball, Path: filepath.Join(dir, "hello.tar")}
			r := build.Recipe{Package: hello(t), Platforms: platforms, Outputs: []build.Output{out}}
			r.Layer.SpillThreshold = -1
			res, err := build.Run(t.Context(), r)
			if err != nil {
				t.Fatal(err)
			}
			if got := readBack(t, out, ""); got != res.Artifact.Digest().String() {
				t.Errorf("the tarball holds %s, want %s", got, res.Artifact.Digest())
			}
			if len(res.Images) != len(platforms) {
				t.Errorf("%d images, want %d", len(res.Images), len(platforms))
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the output directory holds %d entries, want hello.tar alone", len(entries))
			}
		})
	}
}

// TestRunShared runs recipes that share a layer.Cache and a layer.Limiter,
// as a program running many builds does: the fixed layers are built once
// for all runs, also for Zones in another order, a Limiter of one slot
// runs them all, and the layers are those a run with neither gives (the
// image too, in whichever order Zones are given).
func TestRunShared(t *testing.T) {
	t.Parallel()
	r := build.Recipe{Package: hello(t), Platforms: []image.Platform{amd64}, Zones: []string{"Europe/Paris", "Asia/Tokyo"}}
	want, err := build.Run(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "hello") // the path Package gives
	os.WriteFile(bin, []byte(imagetest.Files(t, want.Images[0])["/hello"].Content), 0o755)
	r.Package, r.Binaries = "", []build.Binary{{Path: bin}}
	r.Cache, r.Layer.Limiter = new(layer.Cache), layer.NewLimiter(1)
	for i, zones := range [][]string{{"Europe/Paris", "Asia/Tokyo"}, {"Asia/Tokyo", "Europe/Paris"}} {
		r.Zones = zones
		res, err := build.Run(t.Context(), r)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Artifact.Digest(); got != want.Artifact.Digest() {
			t.Errorf("run %d, Zones %q, with a Cache and a Limiter: digest %s, want %s", i, zones, got, want.Artifact.Digest())
		}
		got, wantLayers := res.Images[0].Layers(), want.Images[0].Layers()
		if len(got) != len(wantLayers) || r.Cache.Len() != 3 {
			t.Fatalf("run %d, Zones %q: %d layers, %d cached; want %d and 3 (base, CA, zones)", i, zones, len(got), r.Cache.Len(), len(wantLayers))
		}
		for j := range got {
			if got[j].Digest() != wantLayers[j].Digest() {
				t.Errorf("run %d, Zones %q: layer %d is %s, want %s", i, zones, j, got[j].Digest(), wantLayers[j].Digest())
			}
		}
	}
}
