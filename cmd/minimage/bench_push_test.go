package main

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/dockerregistry"
)

// TestBenchBuildPush times "minimage build --push" of a large static Go
// binary against "minimage build -o DIR" followed by "minimage push DIR"
// of the same binary, each into a fresh docker-registry on loopback (TLS,
// basic auth), in rotation, with the command built as users run it; then
// counts the requests of a re-push of the unchanged image. It runs only
// with MINIMAGE_BENCH=1:
//
//	MINIMAGE_BENCH=1 go test -run TestBenchBuildPush -v -timeout 30m ./cmd/minimage
func TestBenchBuildPush(t *testing.T) {
	if os.Getenv("MINIMAGE_BENCH") != "1" {
		t.Skip("set MINIMAGE_BENCH=1 to run the build --push benchmark")
	}
	const runs = 5
	tmp := t.TempDir()
	cli := filepath.Join(tmp, "minimage")
	if out, err := exec.Command("go", "build", "-o", cli, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin := bigBinary(t, tmp)
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	docker := t.TempDir()
	// minimageCmd runs the command and returns the CPU time it used.
	minimageCmd := func(reg *dockerregistry.Docker, args ...string) time.Duration {
		t.Helper()
		if reg != nil {
			args = append(args, "--ca-file", reg.CA.File, "--username", reg.User, "--password-stdin")
		}
		cmd := exec.Command(cli, args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+docker)
		if reg != nil {
			cmd.Stdin = strings.NewReader(reg.Password + "\n")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("minimage %q: %v\n%s", args, err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}

	// Wall times, and the CPU time of the minimage processes, which
	// other jobs on a shared machine disturb less.
	var pushTimes, buildTimes, sepPushTimes, sumTimes []time.Duration
	var pushCPU, sumCPU []time.Duration
	for i := range runs {
		// Rotate which goes first, so that neither always meets a
		// warmer page cache; each pushes into a registry of its own.
		for j := range 2 {
			reg := dockerregistry.Start(t, dockerregistry.Config{})
			if (i+j)%2 == 0 {
				start := time.Now()
				cpu := minimageCmd(reg, "build", "-q", "--push", reg.Ref("app:v1"), bin)
				pushTimes = append(pushTimes, time.Since(start))
				pushCPU = append(pushCPU, cpu)
				if i == 0 {
					repushRequests(t, reg, func() { minimageCmd(reg, "build", "-q", "--push", reg.Ref("app:v1"), bin) })
				}
			} else {
				dir := filepath.Join(t.TempDir(), "oci")
				start := time.Now()
				cpu := minimageCmd(nil, "build", "-q", "-t", "v1", "-o", dir, bin)
				built := time.Since(start)
				cpu += minimageCmd(reg, "push", "-q", dir+":v1", reg.Ref("app:v1"))
				total := time.Since(start)
				sumCPU = append(sumCPU, cpu)
				buildTimes = append(buildTimes, built)
				sepPushTimes = append(sepPushTimes, total-built)
				sumTimes = append(sumTimes, total)
			}
			reg.Kill()
		}
	}
	t.Logf("binary: %.1f MB, static", float64(st.Size())/1e6)
	t.Logf("build --push            median %v %v", benchMedian(pushTimes), benchRounded(pushTimes))
	t.Logf("build -o DIR            median %v %v", benchMedian(buildTimes), benchRounded(buildTimes))
	t.Logf("push DIR                median %v %v", benchMedian(sepPushTimes), benchRounded(sepPushTimes))
	t.Logf("build -o, then push     median %v %v", benchMedian(sumTimes), benchRounded(sumTimes))
	t.Logf("build --push / (build -o + push) = %.2f", float64(benchMedian(pushTimes))/float64(benchMedian(sumTimes)))
	t.Logf("CPU time: build --push median %v %v; build -o + push median %v %v; ratio %.2f",
		benchMedian(pushCPU), benchRounded(pushCPU), benchMedian(sumCPU), benchRounded(sumCPU), float64(benchMedian(pushCPU))/float64(benchMedian(sumCPU)))
}

// repushRequests logs how many requests push makes to reg for an image
// reg already holds under the tag.
func repushRequests(t *testing.T, reg *dockerregistry.Docker, push func()) {
	t.Helper()
	mark := reg.Mark()
	push()
	es := reg.Requests(mark)
	t.Logf("re-push of the unchanged image: %d requests, %d uploads: %v", len(es), len(dockerregistry.Uploads(es)), es)
	if len(es) > 4 {
		t.Errorf("re-push took %d requests, want at most 4", len(es))
	}
}

// bigBinary builds a static Go program of about 80 MB: it embeds the
// toolchain's own executables (GOROOT/pkg/tool, GOROOT/bin), machine
// code that compresses as a large program's does.
func bigBinary(t *testing.T, tmp string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	goroot := strings.TrimSpace(string(out))
	src := filepath.Join(tmp, "big")
	data := filepath.Join(src, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range []string{filepath.Join(goroot, "pkg", "tool"), filepath.Join(goroot, "bin")} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			return os.WriteFile(filepath.Join(data, fmt.Sprintf("%03d-%s", n, d.Name())), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"go.mod": "module example.com/big\n\ngo 1.22\n",
		"main.go": `package main

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed data
var data embed.FS

func main() {
	n := 0
	fs.WalkDir(data, ".", func(string, fs.DirEntry, error) error { n++; return nil })
	fmt.Println(n, "entries")
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(tmp, "big-app")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOWORK=off", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the big program: %v\n%s", err, out)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 50e6 {
		t.Fatalf("the big program is %d bytes, want at least 50 MB", st.Size())
	}
	return bin
}

func benchMedian(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func benchRounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
