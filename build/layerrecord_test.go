package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
)

// TestRecordName checks that a record's name changes with each input
// that decides the layer's bytes, and only with those.
func TestRecordName(t *testing.T) {
	dir := t.TempDir()
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "go.mod"), []byte("module r\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(1) }\n"), 0o644)
	bin := testenv.GoBuild(t, src, filepath.Join(t.TempDir(), "r"))
	os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { println(2) }\n"), 0o644)
	bin2 := testenv.GoBuild(t, src, filepath.Join(t.TempDir(), "r"))
	if id, err := binaryID(bin); err != nil || !strings.HasPrefix(id, "go:") {
		t.Errorf("binaryID of a Go binary = %q, %v; want its build ID's content hash", id, err)
	}
	text := filepath.Join(t.TempDir(), "script")
	os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755)
	if id, err := binaryID(text); err != nil || id != "sha256:"+digest.FromString("#!/bin/sh\n").Encoded() {
		t.Errorf("binaryID of a script = %q, %v; want its sha256", id, err)
	}

	base := layerKey{dest: "/app", files: map[string][]byte{"/sbom.json": []byte("a")}}
	name := func(bin string, k layerKey, f layer.Format) string {
		t.Helper()
		n, err := recordName(dir, bin, k, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := name(bin, base, layer.Format{})
	if again := name(bin, layerKey{dest: "/app", files: map[string][]byte{"/sbom.json": []byte("a")}}, layer.Format{}); again != first {
		t.Errorf("the same inputs give two names: %s, %s", first, again)
	}
	for what, n := range map[string]string{
		"another binary":     name(bin2, base, layer.Format{}),
		"another path":       name(bin, layerKey{dest: "/srv", files: base.files}, layer.Format{}),
		"another file":       name(bin, layerKey{dest: "/app", files: map[string][]byte{"/sbom.json": []byte("b")}}, layer.Format{}),
		"no file":            name(bin, layerKey{dest: "/app"}, layer.Format{}),
		"another level":      name(bin, base, layer.Format{Level: 6}),
		"another block size": name(bin, base, layer.Format{BlockSize: 1 << 16}),
		"zstd":               name(bin, base, layer.Format{Compression: layer.Zstd}),
	} {
		if n == first {
			t.Errorf("%s gives the same record name", what)
		}
	}

	rec := layerRecord{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: digest.FromString("x"), DiffID: digest.FromString("y"), Size: 10}
	if _, ok := readRecord(first); ok {
		t.Error("a record read before any was written")
	}
	writeRecord(first, rec)
	if got, ok := readRecord(first); !ok || got != rec {
		t.Errorf("read %+v, %v; wrote %+v", got, ok, rec)
	}
	os.WriteFile(first, []byte(`{"digest":"nonsense"}`), 0o644)
	if _, ok := readRecord(first); ok {
		t.Error("a corrupt record was read")
	}
}
