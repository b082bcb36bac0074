package build

// The created_by of each layer's history entry: what made the layer, as
// docker history and minimage inspect show it. Only what the inputs fix
// goes in (versions, paths in the image, counts), never host paths, so
// that the config's bytes stay reproducible.

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/tzdata"
)

// createdBy describes the shared layer what.
func (p *plan) createdBy(what string) string {
	r := &p.r
	switch what {
	case "base files":
		var files, dirs []string
		for _, f := range base.Files() {
			if f.Mode.IsDir() {
				dirs = append(dirs, f.Path)
			} else {
				files = append(files, f.Path)
			}
		}
		return fmt.Sprintf("minimage: base files %s; directories %s", strings.Join(files, " "), strings.Join(dirs, " "))
	case "CA certificates":
		c := certsReport()
		return fmt.Sprintf("minimage: CA certificates %s (%d, from golang.org/x/crypto/x509roots/fallback %s)", c.Path, c.Count, c.Version)
	case "time zones":
		z := p.zones
		where := "in " + tzdata.Dir
		if z.Zip {
			where = "in " + tzdata.ZipPath
		}
		n := fmt.Sprintf("%d zones", len(z.Zones))
		if len(z.Zones) == 1 {
			n = "1 zone"
		}
		s := "minimage: time zones "
		if len(r.Zones) > 0 {
			// Sorted: the order the zones were asked in changes neither
			// the layer nor, through this entry, the image's digest.
			s += strings.Join(slices.Compact(slices.Sorted(slices.Values(r.Zones))), " ") + " "
		}
		s += fmt.Sprintf("(tzdata %s, %s %s)", z.Release, n, where)
		if z.Localtime != "" {
			s += "; " + tzdata.LocaltimePath + " " + z.Localtime
		}
		return s
	case "files":
		var paths []string
		for _, f := range r.Files {
			paths = append(paths, path.Clean("/"+f.Path))
		}
		return "minimage: files " + strings.Join(paths, " ")
	}
	return "minimage: " + what
}

// binaryCreatedBy describes the binary's layer: its path in the image
// and, for a Go program, its main package and Go version.
func binaryCreatedBy(b BinaryReport) string {
	s := "minimage: binary " + b.Path
	if bi := b.BuildInfo; bi != nil {
		s += fmt.Sprintf(" (%s, %s)", bi.Path, bi.GoVersion)
	}
	return s
}
