// Command e2ecli measures the minimage command end to end against the
// compressor alone, each as its own process, in rotating order: wall time
// (median and best), CPU time, peak RSS (/usr/bin/time) and bytes written
// to storage (the kernel's write_bytes and cancelled_write_bytes, from
// /proc/PID/io).
//
//	cd bench && go run ./cmd/e2ecli -n 9 [-cli OLD,NEW]
//
// The library cases package the same binary with the library alone (base,
// CA bundle, binary; image/layout or image/tarball), without the command's
// build report.
//
// The input is a static Go program of about -size bytes that embeds the
// toolchain's own executables, built once and cached under os.TempDir by
// Go version. The minimage command is built from the repository at the
// start of the run unless -cli names one.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/layer/gzip"
)

func main() {
	n := flag.Int("n", 9, "rounds; the medians of them are printed")
	size := flag.Int64("size", 104e6, "size of the embedded payload, bytes; the binary is about 2 MB more")
	cli := flag.String("cli", "", "minimage commands to run, comma-separated (default: built from ../cmd/minimage; run from bench/)")
	compress := flag.String("compress", "", "internal: compress this file to nowhere and exit")
	lib := flag.String("lib", "", "internal: package the binary -bin into the layout or tarball at this path with the library and exit")
	libBin := flag.String("bin", "", "internal: the binary for -lib")
	cpuprofile := flag.String("cpuprofile", "", "with -compress or -lib: write a CPU profile to `FILE`")
	flag.Parse()
	log.SetFlags(0)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *compress != "" {
		if err := compressFile(*compress); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *lib != "" {
		if err := packageLib(*lib, *libBin); err != nil {
			log.Fatal(err)
		}
		return
	}

	work, err := os.MkdirTemp("", "e2ecli-*")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	bin, err := bigBinary(*size)
	if err != nil {
		log.Fatal(err)
	}
	if *cli == "" {
		*cli = filepath.Join(work, "minimage")
		if err := run("..", "go", "build", "-o", *cli, "./cmd/minimage"); err != nil {
			log.Fatal(err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		log.Fatal(err)
	}
	out := filepath.Join(work, "out")
	type testCase struct {
		name string
		args []string
	}
	cases := []testCase{
		{"compress", []string{self, "-compress", bin}},
		{"library -o DIR", []string{self, "-lib", out, "-bin", bin}},
		{"library -o x.tar", []string{self, "-lib", out + ".tar", "-bin", bin}},
	}
	clis := strings.Split(*cli, ",")
	for k, c := range clis {
		suffix := ""
		if len(clis) > 1 {
			suffix = fmt.Sprintf(" [%d]", k)
		}
		cases = append(cases,
			testCase{"build -o DIR" + suffix, []string{c, "build", "-q", "-o", out, bin}},
			testCase{"build -o x.tar" + suffix, []string{c, "build", "-q", "-o", out + ".tar", bin}})
	}
	res := make([][]sample, len(cases))
	var blob int64
	for r := range *n {
		for k := range cases {
			i := (k + r) % len(cases) // rotate, so no case always runs first
			c := cases[i]
			os.RemoveAll(out)
			os.Remove(out + ".tar")
			s, err := measure(filepath.Join(work, "time"), c.args)
			if err != nil {
				log.Fatalf("%s: %v", c.name, err)
			}
			res[i] = append(res[i], s)
			if strings.HasPrefix(c.name, "build -o DIR") {
				blob = blobSize(out)
			}
		}
	}
	for k, c := range clis {
		fmt.Printf("[%d] %s\n", k, c)
	}
	fmt.Printf("input %s: %.1f MB; binary layer blob %.1f MB; %s, GOMAXPROCS %d, %d rounds, medians\n",
		filepath.Base(bin), float64(fi.Size())/1e6, float64(blob)/1e6, runtime.Version(), runtime.GOMAXPROCS(0), *n)
	fmt.Printf("%-20s %9s %7s %9s %7s %9s %7s %7s %10s %12s %12s\n", "case", "wall", "ratio", "min wall", "ratio", "cpu", "ratio", "paired", "peak RSS", "written", "cancelled")
	floor := median(res[0], func(s sample) float64 { return s.wall.Seconds() })
	cpuFloor := median(res[0], func(s sample) float64 { return s.cpu.Seconds() })
	minFloor := minimum(res[0], func(s sample) float64 { return s.wall.Seconds() })
	for i, c := range cases {
		w := median(res[i], func(s sample) float64 { return s.wall.Seconds() })
		cpu := median(res[i], func(s sample) float64 { return s.cpu.Seconds() })
		mw := minimum(res[i], func(s sample) float64 { return s.wall.Seconds() })
		rss := median(res[i], func(s sample) float64 { return float64(s.rss) })
		wr := median(res[i], func(s sample) float64 { return float64(s.written) })
		cw := median(res[i], func(s sample) float64 { return float64(s.cancelled) })
		// paired: the median over rounds of the wall time against the
		// compressor's in the same round, which the machine's load
		// drifting from round to round moves less.
		ratios := make([]float64, len(res[i]))
		for r := range res[i] {
			ratios[r] = res[i][r].wall.Seconds() / res[0][r].wall.Seconds()
		}
		paired := median(ratios, func(x float64) float64 { return x })
		fmt.Printf("%-20s %8.3fs %6.2fx %8.3fs %6.2fx %8.3fs %6.2fx %6.2fx %6.1f MiB %9.1f MB %9.1f MB\n", c.name, w, w/floor, mw, mw/minFloor, cpu, cpu/cpuFloor, paired, rss/(1<<20), wr/1e6, cw/1e6)
	}
}

type sample struct {
	wall      time.Duration
	cpu       time.Duration // user + system
	rss       int64         // bytes
	written   int64         // bytes sent to storage: write_bytes
	cancelled int64         // of which dropped before writeback: cancelled_write_bytes
}

// measure runs args under /usr/bin/time and a shell, and returns the wall
// time, the peak RSS and the bytes written to storage. /usr/bin/time's own
// fork keeps this process's memory out of the child's peak RSS (Go starts
// children with CLONE_VM, which would count it). The shell reads its own
// /proc/PID/io once the command is reaped, which then includes the
// command's: write_bytes, the bytes it dirtied in the page cache, and
// cancelled_write_bytes, those of files deleted before they reached the
// disk (a spill file, say).
func measure(tmp string, args []string) (sample, error) {
	start := time.Now()
	script := `"$@" || exit; exec cat /proc/$$/io`
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M %U %S", "-o", tmp, "sh", "-c", script, "sh"}, args...)...)
	cmd.Stderr = os.Stderr
	io, err := cmd.Output()
	if err != nil {
		return sample{}, err
	}
	wall := time.Since(start)
	data, err := os.ReadFile(tmp)
	if err != nil {
		return sample{}, err
	}
	s := sample{wall: wall}
	var user, sys float64
	if _, err := fmt.Sscan(string(data), &s.rss, &user, &sys); err != nil {
		return sample{}, fmt.Errorf("reading /usr/bin/time's output %q: %v", data, err)
	}
	s.rss <<= 10
	s.cpu = time.Duration((user + sys) * float64(time.Second))
	for _, line := range strings.Split(string(io), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "write_bytes":
			fmt.Sscan(v, &s.written)
		case "cancelled_write_bytes":
			fmt.Sscan(v, &s.cancelled)
		}
	}
	return s, nil
}

func minimum[T any](xs []T, f func(T) float64) float64 {
	m := f(xs[0])
	for _, x := range xs[1:] {
		m = min(m, f(x))
	}
	return m
}

func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// compressFile is the floor: the same compressor at the default level, with
// the file read once and the output thrown away.
func compressFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(io.Discard, layer.DefaultGzipLevel)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, bufio.NewReaderSize(f, 1<<20)); err != nil {
		return err
	}
	return zw.Close()
}

// packageLib does what "minimage build -o out bin" does, with the library
// alone: the base, CA and binary layers, the image, the layout or tarball;
// without the command's build report.
func packageLib(out, bin string) error {
	ctx := context.Background()
	var lo layer.Options
	if !strings.HasSuffix(out, ".tar") {
		lo.SpillDir, lo.SpillWriteback = layout.SpillDir(out), true
	}
	bl, err := base.Layer(ctx, base.Options{Layer: lo})
	if err != nil {
		return err
	}
	ca, err := certs.Layer(ctx, certs.Options{Layer: lo})
	if err != nil {
		return err
	}
	img := image.New(image.Platform{OS: "linux", Architecture: runtime.GOARCH}).Append(bl, ca)
	if img, err = gobinary.Add(ctx, img, "/"+filepath.Base(bin), bin, gobinary.Options{Layer: lo}); err != nil {
		return err
	}
	tags := []string{filepath.Base(bin) + ":latest"}
	if strings.HasSuffix(out, ".tar") {
		return tarball.WriteFile(ctx, out, img, tarball.Options{Tags: tags})
	}
	return layout.Write(ctx, out, img, layout.Options{Tags: []string{"latest"}})
}

// blobSize returns the size of the largest blob of the layout dir: the
// binary's layer.
func blobSize(dir string) int64 {
	var n int64
	filepath.Walk(filepath.Join(dir, "blobs"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n = max(n, fi.Size())
		}
		return nil
	})
	return n
}

// bigBinary builds, once and cached, a static Go program that embeds size
// bytes of the toolchain's executables (GOROOT/pkg/tool, GOROOT/bin),
// repeated as needed: bytes that look like the machine code of a large
// service.
func bigBinary(size int64) (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("minimage-e2ecli-%s-%d", runtime.Version(), size))
	bin := filepath.Join(dir, "big")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	src := filepath.Join(dir, "src")
	payload := filepath.Join(src, "payload")
	os.RemoveAll(src)
	if err := os.MkdirAll(payload, 0o755); err != nil {
		return "", err
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", err
	}
	var srcs []string
	for _, g := range []string{"pkg/tool/*/*", "bin/*"} {
		m, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(root)), g))
		srcs = append(srcs, m...)
	}
	var total int64
	for i := 0; total < size; i++ {
		data, err := os.ReadFile(srcs[i%len(srcs)])
		if err != nil {
			return "", err
		}
		// A repeated file gets a prefix: the linker stores identical
		// embedded files once.
		data = append([]byte(fmt.Sprintf("copy %d\n", i/len(srcs))), data...)
		data = data[:min(int64(len(data)), size-total)]
		if err := os.WriteFile(filepath.Join(payload, fmt.Sprintf("f%03d", i)), data, 0o644); err != nil {
			return "", err
		}
		total += int64(len(data))
	}
	prog := "package main\n\nimport (\n\t\"embed\"\n\t\"fmt\"\n)\n\n//go:embed payload\nvar payload embed.FS\n\nfunc main() {\n\tents, _ := payload.ReadDir(\"payload\")\n\tfmt.Println(len(ents))\n}\n"
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(prog), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module big\n\ngo 1.26\n"), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin+".tmp", ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the input binary: %v\n%s", err, out)
	}
	return bin, os.Rename(bin+".tmp", bin)
}

func run(dir string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}
