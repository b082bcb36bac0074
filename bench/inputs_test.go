package bench

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// An input is a named benchmark input.
type input struct {
	name string
	data []byte
}

var (
	inputsOnce sync.Once
	inputsErr  error
	inputList  []input
)

// inputs returns the benchmark inputs, making them on first use:
//   - binary: cmd/compile built statically (about 33 MB with Go 1.26), cached
//     under os.TempDir() by Go version so reruns skip the build;
//   - gosrc: a tar of GOROOT/src in lexical order, cut at about 100 MiB;
//   - random: 64 MiB of random bytes.
func inputs(tb testing.TB) []input {
	inputsOnce.Do(func() {
		var bin, src []byte
		if bin, inputsErr = goBinary(); inputsErr != nil {
			return
		}
		if src, inputsErr = goSrcTar(100 << 20); inputsErr != nil {
			return
		}
		rnd := make([]byte, 64<<20)
		rand.NewChaCha8([32]byte{1}).Read(rnd)
		inputList = []input{{"binary", bin}, {"gosrc", src}, {"random", rnd}}
		// Building the tar left garbage behind; collect it now rather than
		// in the middle of the first benchmark.
		runtime.GC()
	})
	if inputsErr != nil {
		tb.Fatal(inputsErr)
	}
	return inputList
}

// goBinary builds cmd/compile, or reads the copy cached by an earlier run.
func goBinary() ([]byte, error) {
	dir := filepath.Join(os.TempDir(), "minimage-bench-"+runtime.Version())
	path := filepath.Join(dir, "compile")
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	root, err := goroot()
	if err != nil {
		return nil, err
	}
	goCmd := filepath.Join(root, "bin", "go")
	cmd := exec.Command(goCmd, "build", "-trimpath", "-o", path+".tmp", "cmd/compile")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bench: building cmd/compile for the binary input: %v\n%s", err, out)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// goSrcTar returns a tar of GOROOT/src with fixed owners and times, stopping
// before the first file that would take it past limit bytes.
func goSrcTar(limit int) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	goRoot, err := goroot()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(goRoot, "src")
	errFull := fs.ErrExist
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if buf.Len()+len(b)+1024 > limit {
			return errFull
		}
		name, _ := filepath.Rel(root, path)
		hdr := &tar.Header{Name: filepath.ToSlash(name), Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil && err != errFull {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// goroot is the GOROOT of the go command on PATH, the toolchain that
// builds the inputs.
var goroot = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOROOT: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})
