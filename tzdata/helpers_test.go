package tzdata

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
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

// readLayer returns the entries of l's tar stream by name.
func readLayer(t testing.TB, l *layer.Layer) map[string]testenv.Entry {
	t.Helper()
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	es := make(map[string]testenv.Entry)
	for _, e := range testenv.ReadTar(t, rc) {
		es[e.Header.Name] = e
	}
	return es
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
