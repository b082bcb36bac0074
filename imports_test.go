package minimage_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// rank orders the packages: a package may import only packages of a
// lower rank. Packages not listed (internal helpers) may be imported by
// anything above them and checked by their own row.
var rank = map[string]int{
	"layer/gzip":         0,
	"mediatype":          0,
	"layer":              1,
	"certs":              2,
	"tzdata":             2,
	"base":               2,
	"internal/oci":       2,
	"image":              3,
	"gobinary":           4,
	"image/layout":       4,
	"image/rootfs":       4,
	"image/tarball":      5,
	"image/listing":      5,
	"image/remote":       6,
	"image/imagetest":    7,
	"image/registrytest": 7,
	"sbom":               7,
	"signature":          7,
	"build":              8,
	"cmd/minimage":       9,
}

// forbidden lists, by package, the packages (and the packages beneath
// them) it must not import: image is the OCI model, and reading programs
// is gobinary's job; build composes transports, and talking to a
// registry, oras-go included, is image/remote's.
var forbidden = map[string][]string{
	"image": {"debug/elf", "debug/buildinfo"},
	"build": {"oras.land/oras-go"},
}

// testHelpers are the internal packages that serve tests alone: the
// library never imports them, and they may import any public package.
// Every other package under internal/ lies beneath the public packages:
// it imports none of them (an internal helper that needs one belongs in
// that package, or above it).
var testHelpers = []string{"internal/testenv", "internal/layertest", "internal/dockerregistry"}

// TestImportGraph checks that imports point one way, as doc.go says:
// layer/gzip knows nothing of images, the transports and gobinary use
// image's exported API and never the other way round, nothing imports the
// command line, test helpers stay out of the library, internal packages
// other than test helpers import no public package, and no package
// imports what forbidden keeps from it.
func TestImportGraph(t *testing.T) {
	const mod = "github.com/minimage/minimage"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, ok := strings.CutPrefix(f[0], mod+"/")
		if !ok {
			continue
		}
		from, ranked := rank[pkg]
		for _, imp := range f[1:] {
			if slices.ContainsFunc(forbidden[pkg], func(f string) bool { return imp == f || strings.HasPrefix(imp, f+"/") }) {
				t.Errorf("%s imports %s, which it must not", pkg, imp)
			}
			dep, ok := strings.CutPrefix(imp, mod+"/")
			if !ok {
				continue
			}
			if strings.HasPrefix(dep, "cmd/") || strings.HasPrefix(dep, "examples/") {
				t.Errorf("%s imports %s: nothing imports a command or an example", pkg, dep)
			}
			if dep == "internal/testenv" || dep == "internal/layertest" || dep == "internal/dockerregistry" {
				t.Errorf("%s imports the test helper %s", pkg, dep)
			}
			if (dep == "image/imagetest" || dep == "image/registrytest") && ranked && rank[pkg] != rank[dep] {
				t.Errorf("%s imports %s: the test packages stay out of the library", pkg, dep)
			}
			to, ok := rank[dep]
			if ranked && ok && to >= from {
				t.Errorf("%s (rank %d) imports %s (rank %d): imports must point down", pkg, from, dep, to)
			}
		}
	}
}
