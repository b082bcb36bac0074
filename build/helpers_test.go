package build_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/layer"
)

// writeFiles writes files (name -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func layerLevel(n int) layer.Options { return layer.Options{Format: layer.Format{Level: n}} }

// hello is the example program the tests build.
func hello(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("../examples/hello")
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// tarFile returns the content of the entry name in the tar file at path.
func tarFile(path, name string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, errors.Join(err, errors.New(name+" not found"))
		}
		if h.Name == name {
			return io.ReadAll(tr)
		}
	}
}
