package bench

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	ggcrlayout "github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// The end-to-end job: package a large static binary with the CA bundle
// and a few zones into an OCI layout, with minimage and with
// go-containerregistry at its default settings, in the same run.
//
//	cd bench && go test -run='^$' -bench=Package -count=6 -timeout=60m

var zones = []string{"Europe/Paris", "America/New_York", "Asia/Tokyo"}

func BenchmarkPackage(b *testing.B) {
	big := bigBinary(b)
	inputs := []struct {
		name string
		path string
		impl []string
	}{
		{"binary", big, []string{"minimage", "ggcr"}},
		{"binary1GB", paddedBinary(b, big, 1<<30), []string{"minimage"}},
	}
	for _, in := range inputs {
		fi, err := os.Stat(in.path)
		if err != nil {
			b.Fatal(err)
		}
		for _, impl := range in.impl {
			b.Run(fmt.Sprintf("input=%s/impl=%s", in.name, impl), func(b *testing.B) {
				b.SetBytes(fi.Size())
				var peak uint64
				cpu0 := cpuTime()
				for range b.N {
					dir := filepath.Join(b.TempDir(), "layout")
					p := testenv.PeakHeap(func() {
						var err error
						if impl == "minimage" {
							err = packageMinimage(dir, in.path, nil)
						} else {
							err = packageGGCR(dir, in.path)
						}
						if err != nil {
							b.Fatal(err)
						}
					})
					peak = max(peak, p)
					b.StopTimer()
					os.RemoveAll(dir)
					b.StartTimer()
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				// CPU time, which other work on a shared machine changes
				// far less than wall time.
				b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}

// BenchmarkPackageParallel runs the minimage job 8 times at once in one
// process, as 8 parallel tests would, and reports the peak live heap of
// them all: the layer.Limiter they share keeps it to that of a few builds.
//
//	cd bench && go test -run='^$' -bench=PackageParallel -benchtime=1x -count=3
func BenchmarkPackageParallel(b *testing.B) {
	big := bigBinary(b)
	const n = 8
	var peak uint64
	for range b.N {
		root := b.TempDir()
		lim := layer.NewLimiter(0)
		peak = max(peak, testenv.PeakHeap(func() {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					if err := packageMinimage(filepath.Join(root, fmt.Sprint(i)), big, lim); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}))
		b.StopTimer()
		os.RemoveAll(root)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// packageMinimage builds with lim, which may be nil.
func packageMinimage(dir, bin string, lim *layer.Limiter) error {
	ctx := context.Background()
	lo := layer.Options{Limiter: lim}
	ca, err := certs.Layer(ctx, certs.Options{Layer: lo})
	if err != nil {
		return err
	}
	tz, err := tzdata.Layer(ctx, tzdata.Options{Zones: zones, Layer: lo})
	if err != nil {
		return err
	}
	img := image.New(image.Platform{OS: "linux", Architecture: runtime.GOARCH}).Append(ca, tz)
	if img, err = gobinary.Add(ctx, img, "/app", bin, gobinary.Options{Layer: lo}); err != nil {
		return err
	}
	return layout.Write(ctx, dir, img, layout.Options{Tags: []string{"app:latest"}})
}

// packageGGCR is the same job as go-containerregistry users write it:
// tarball.LayerFromOpener → mutate.AppendLayers → layout.Write.
func packageGGCR(dir, bin string) error {
	pem := certs.PEM()
	caTar, err := tarOf(map[string][]byte{"etc/ssl/certs/ca-certificates.crt": pem})
	if err != nil {
		return err
	}
	zoneFiles := map[string][]byte{}
	for _, z := range zones {
		data, err := zoneData(z)
		if err != nil {
			return err
		}
		zoneFiles["usr/share/zoneinfo/"+z] = data
	}
	zoneTar, err := tarOf(zoneFiles)
	if err != nil {
		return err
	}
	opener := func(b []byte) tarball.Opener {
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	caLayer, err := tarball.LayerFromOpener(opener(caTar))
	if err != nil {
		return err
	}
	zoneLayer, err := tarball.LayerFromOpener(opener(zoneTar))
	if err != nil {
		return err
	}
	binLayer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return tarFile(bin, "app") })
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, caLayer, zoneLayer, binLayer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.Config.Entrypoint = []string{"/app"}
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	p, err := ggcrlayout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img)
}

// tarFile streams a tar holding the file at path as name, never holding it
// in memory, as an Opener would.
func tarFile(path, name string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer f.Close()
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: fi.Size(), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
		if err == nil {
			_, err = io.Copy(tw, f)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func tarOf(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		tw.Write(data)
	}
	return buf.Bytes(), tw.Close()
}

// zoneData reads a zone from the layer tzdata builds, so both jobs ship
// the same bytes.
func zoneData(name string) ([]byte, error) {
	l, err := tzdata.Layer(context.Background(), tzdata.Options{Zones: []string{name}})
	if err != nil {
		return nil, err
	}
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("zone %s not in its layer: %w", name, err)
		}
		if strings.HasSuffix(h.Name, name) && h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}

// bigBinary builds, once and cached by Go version, a static Go program of
// about 85 MB: it embeds the toolchain's own binaries (GOROOT/pkg/tool and
// GOROOT/bin), so its bytes look like the machine code of a large service.
func bigBinary(tb testing.TB) string {
	dir := filepath.Join(os.TempDir(), "minimage-e2e-"+runtime.Version())
	bin := filepath.Join(dir, "big")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	src := filepath.Join(dir, "src")
	payload := filepath.Join(src, "payload")
	os.RemoveAll(src)
	if err := os.MkdirAll(payload, 0o755); err != nil {
		tb.Fatal(err)
	}
	root, err := goroot()
	if err != nil {
		tb.Fatal(err)
	}
	var srcs []string
	for _, g := range []string{filepath.Join(root, "pkg", "tool", "*", "*"), filepath.Join(root, "bin", "*")} {
		m, _ := filepath.Glob(g)
		srcs = append(srcs, m...)
	}
	for i, s := range srcs {
		data, err := os.ReadFile(s)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(payload, fmt.Sprintf("f%02d", i)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	prog := "package main\n\nimport (\n\t\"embed\"\n\t\"fmt\"\n)\n\n//go:embed payload\nvar payload embed.FS\n\nfunc main() {\n\tents, _ := payload.ReadDir(\"payload\")\n\tfmt.Println(len(ents))\n}\n"
	os.WriteFile(filepath.Join(src, "main.go"), []byte(prog), 0o644)
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module big\n\ngo 1.26\n"), 0o644)
	cmd := exec.Command(filepath.Join(root, "bin", "go"), "build", "-trimpath", "-o", bin+".tmp", ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the large binary: %v\n%s", err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		tb.Fatal(err)
	}
	return bin
}

// paddedBinary returns bin followed by machine-code-like bytes (copies of
// bin itself) up to size: still a valid static ELF, size bytes long.
func paddedBinary(tb testing.TB, bin string, size int64) string {
	out := filepath.Join(filepath.Dir(bin), fmt.Sprintf("big-%d", size))
	if fi, err := os.Stat(out); err == nil && fi.Size() == size {
		return out
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		tb.Fatal(err)
	}
	for written := int64(0); written < size; {
		n := min(int64(len(data)), size-written)
		if _, err := f.Write(data[:n]); err != nil {
			tb.Fatal(err)
		}
		written += n
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		tb.Fatal(err)
	}
	return out
}
