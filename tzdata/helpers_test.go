package tzdata

import (
	"archive/tar"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/minimage/minimage/layer"
)

func runtimeGOROOT(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// entry is one tar header of a layer, with a regular file's content.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// readLayer returns the entries of l's tar stream by name.
func readLayer(t testing.TB, l *layer.Layer) map[string]entry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	es := make(map[string]entry)
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es[h.Name] = entry{h, data}
	}
	return es
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
