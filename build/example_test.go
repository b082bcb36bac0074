package build_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"testing/fstest"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
)

// Build a tiny Go program for two platforms into an OCI layout and a
// tarball in one run, and read the report.
func Example() {
	dir, err := os.MkdirTemp("", "build-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	writeGreet(dir)

	res, err := build.Run(context.Background(), build.Recipe{
		Package: ".",
		Dir:     dir,
		Path:    "/greet",
		Platforms: []image.Platform{
			{OS: "linux", Architecture: "amd64"},
			{OS: "linux", Architecture: "arm64"},
		},
		Zones: []string{"Europe/Paris"},
		Ports: []string{"8080"},
		Outputs: []build.Output{
			{Format: build.Layout, Path: filepath.Join(dir, "layout")},
			{Format: build.Tarball, Path: filepath.Join(dir, "greet.tar")},
		},
		Tags: []string{"greet:v1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s of %d images\n", res.Artifact.MediaType(), len(res.Images))
	for _, p := range res.Report.Platforms {
		bi := p.Binary.BuildInfo
		fmt.Printf("%s: %s from %s (%s), zones %v, %d layers\n",
			p.Platform, p.Binary.Path, bi.Path, bi.Main.Path, p.Zones.Zones, len(res.Images[0].Layers()))
	}
	// Output:
	// application/vnd.oci.image.index.v1+json of 2 images
	// linux/amd64: /greet from example.com/greet (example.com/greet), zones [Europe/Paris], 4 layers
	// linux/arm64: /greet from example.com/greet (example.com/greet), zones [Europe/Paris], 4 layers
}

// Build on an image from a layout or tarball: PATH[:TAG].
func ExampleOpenBase() {
	dir, err := os.MkdirTemp("", "base-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// A base to build on, as docker save or skopeo copy would leave it.
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	baseImg := image.New(amd64).WithEnv("PATH", "/usr/bin:/bin")
	if err := tarball.WriteFile(context.Background(), filepath.Join(dir, "base.tar"), baseImg, tarball.Options{Tags: []string{"mybase:v1"}}); err != nil {
		log.Fatal(err)
	}

	b, err := build.OpenBase(filepath.Join(dir, "base.tar") + ":mybase:v1")
	if err != nil {
		log.Fatal(err)
	}
	img, err := b.Image(context.Background(), amd64)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Name(), img.Config().Config.Env)
	// Output:
	// mybase:v1 [PATH=/usr/bin:/bin]
}

// Build on a base in a registry and push the result to another
// repository of it: the base's layers are mounted there from the base's
// repository, never downloaded or uploaded. The registry here is
// imagetest's, on a loopback port and plain HTTP; against a real one,
// leave InsecureAllowHTTP out.
func ExampleRegistryBase() {
	ctx := context.Background()
	reg, err := registrytest.Start(registrytest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	amd64 := image.Platform{OS: "linux", Architecture: "amd64"}
	baseImg, err := imagetest.Spec{Seed: 1, Layers: 2}.Image(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := reg.Put(ctx, "base", baseImg, "v1"); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "registry-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)

	opts := remote.Options{InsecureAllowHTTP: true}
	b, err := build.RegistryBase(reg.Host()+"/base:v1", opts)
	if err != nil {
		log.Fatal(err)
	}
	push := opts
	push.Jobs = 1 // one blob at a time, for a stable order
	push.Progress = func(p remote.Progress) {
		for i, l := range baseImg.Layers() {
			if p.Descriptor.Digest == l.Digest() {
				fmt.Printf("base layer %d: %s\n", i, p.State)
			}
		}
	}
	res, err := build.Run(ctx, build.Recipe{
		Package:   ".",
		Dir:       dir,
		Platforms: []image.Platform{amd64},
		Base:      b,
		Outputs:   []build.Output{{Format: build.Registry, Path: reg.Host() + "/app:v1", Remote: push}},
	})
	if err != nil {
		log.Fatal(err)
	}
	pushed, err := remote.Pull(ctx, reg.Host()+"/app:v1", opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the registry holds the built digest:", pushed.Digest() == res.Artifact.Digest())
	fmt.Println("built on the base:", res.Report.Platforms[0].Base.Digest == baseImg.Digest())
	// Output:
	// base layer 0: mounted
	// base layer 1: mounted
	// the registry holds the built digest: true
	// built on the base: true
}

// Write each image's SPDX document into a directory and, as an OCI
// referrer of its image, into the layout; remote.PushReferrers attaches
// the same documents (Result.Referrers) to the images in a registry.
func ExampleSBOMOptions() {
	dir, err := os.MkdirTemp("", "sbom-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	writeGreet(dir)

	res, err := build.Run(context.Background(), build.Recipe{
		Package:   ".",
		Dir:       dir,
		Path:      "/greet",
		Platforms: []image.Platform{{OS: "linux", Architecture: "arm64"}},
		Outputs:   []build.Output{{Format: build.Layout, Path: filepath.Join(dir, "layout")}},
		Tags:      []string{"v1"},
		SBOM:      build.SBOMOptions{Dir: filepath.Join(dir, "sbom"), Referrer: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	files, err := os.ReadDir(filepath.Join(dir, "sbom"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name())
	}
	refs, err := res.Referrers()
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range refs {
		fmt.Println(r.Descriptor().ArtifactType, "referring to", res.Images[i].Platform())
	}
	// Output:
	// greet-linux-arm64.spdx.json
	// application/spdx+json referring to linux/arm64
}

// Make one index from binaries a release tool built, one per platform,
// each platform read from its binary, with a config file from bytes and
// static assets from an fs.FS (an embed.FS, say).
func ExampleBinary() {
	dir, err := os.MkdirTemp("", "binary-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	writeGreet(dir)
	var bins []build.Binary
	for _, arch := range []string{"amd64", "arm64"} {
		out := filepath.Join(dir, "dist", "greet_linux_"+arch, "greet")
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("%v: %s", err, b)
		}
		bins = append(bins, build.Binary{Path: out})
	}

	res, err := build.Run(context.Background(), build.Recipe{
		Binaries: bins,
		Files: []build.File{
			{Path: "/etc/greet/greet.yaml", Data: []byte("greeting: hello\n")},
			{Path: "/srv/static", FS: fstest.MapFS{"index.html": {Data: []byte("<h1>hello</h1>\n")}}},
		},
		Outputs: []build.Output{{Format: build.Layout, Path: filepath.Join(dir, "layout")}},
		Tags:    []string{"greet:v1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range res.Report.Platforms {
		fmt.Printf("%s: %s", p.Platform, p.Binary.Path)
		for _, f := range p.Files {
			fmt.Printf(" %s", f.Path)
		}
		fmt.Println()
	}
	// Output:
	// linux/amd64: /greet /etc/greet/greet.yaml /srv/static/index.html
	// linux/arm64: /greet /etc/greet/greet.yaml /srv/static/index.html
}

// writeGreet writes a tiny Go program, example.com/greet, into dir.
func writeGreet(dir string) {
	src := map[string]string{
		"go.mod":  "module example.com/greet\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	}
	for name, data := range src {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// Print a build's progress as minimage build does: Recipe.Progress is the
// printer's Event method. On a terminal it also shows live byte counts.
func ExampleNewProgressPrinter() {
	p := build.NewProgressPrinter(os.Stdout, "mytool: ", false)
	var rec build.Recipe
	rec.Progress = p.Event
	// build.Run(ctx, rec) calls it; here, two events by hand.
	rec.Progress(build.Event{Kind: build.Step, Message: "go build ./cmd/app (linux/amd64)"})
	rec.Progress(build.Event{Kind: build.Note, Message: "no CA certificates in the image"})
	p.Done()
	// Output:
	// mytool: go build ./cmd/app (linux/amd64)
	// mytool: no CA certificates in the image
}

// Build two programs of one module for two platforms in one run: one go
// build per platform for both, one tarball that holds both images, each
// under its name.
func ExampleRunAll() {
	dir, err := os.MkdirTemp("", "build-example-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	writeGreet(dir)
	for _, name := range []string{"api", "worker"} {
		src := "package main\n\nfunc main() { println(\"" + name + "\") }\n"
		if err := os.MkdirAll(filepath.Join(dir, "cmd", name), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmd", name, "main.go"), []byte(src), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	tar := filepath.Join(dir, "images.tar")
	var recs []build.Recipe
	for _, name := range []string{"api", "worker"} {
		recs = append(recs, build.Recipe{
			Package:   "./cmd/" + name,
			Dir:       dir,
			Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
			Outputs:   []build.Output{{Format: build.Tarball, Path: tar}},
			Tags:      []string{name + ":v1"},
		})
	}
	res, err := build.RunAll(context.Background(), recs)
	if err != nil {
		log.Fatal(err)
	}
	t, err := tarball.Read(tar)
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range res {
		a, err := t.Artifact(context.Background(), recs[i].Tags[0])
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s, %d images, in the tarball: %t\n", recs[i].Tags[0], r.Report.Platforms[0].Binary.Path, len(r.Images), a.Digest() == r.Artifact.Digest())
	}
	// Output:
	// api:v1: /api, 2 images, in the tarball: true
	// worker:v1: /worker, 2 images, in the tarball: true
}
