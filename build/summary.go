package build

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minimage/minimage/image"
)

// WriteSummary writes what the Run of r wrote, as minimage build prints
// it: the artifact's kind and digest, each image's platform, manifest
// digest, layer size and count, the tags (where r has a layout or tarball
// output: a push's tag is in its reference), then each output, "pushed
// REPOSITORY[:TAG]@DIGEST" or "wrote PATH (FORMAT)". SBOMs are not
// listed. It returns w's first write error.
func (res *Result) WriteSummary(w io.Writer, r Recipe) error {
	var b strings.Builder
	kind := "image"
	if _, ok := res.Artifact.(*image.Index); ok {
		kind = "index"
	}
	fmt.Fprintf(&b, "%s %s\n", kind, res.Artifact.Descriptor().Digest)
	for _, img := range res.Images {
		var size int64
		for _, l := range img.Layers() {
			size += l.Size()
		}
		fmt.Fprintf(&b, "  %-14s manifest %s  %s in %d layers\n", img.Platform(), img.Descriptor().Digest, humanSize(size), len(img.Layers()))
	}
	if slices.ContainsFunc(r.Outputs, func(o Output) bool { return o.Format != Registry }) {
		for _, t := range r.Tags {
			fmt.Fprintf(&b, "tagged %s\n", t)
		}
	}
	for _, o := range r.Outputs {
		if o.Format != Registry {
			fmt.Fprintf(&b, "wrote %s (%s)\n", o.Path, o.Format)
			continue
		}
		ref := o.Path
		if i := strings.LastIndexByte(ref, '@'); i >= 0 {
			ref = ref[:i]
		}
		fmt.Fprintf(&b, "pushed %s@%s\n", ref, res.Artifact.Digest())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// humanSize is n bytes in B, KiB or MiB.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
