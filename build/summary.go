package build

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/minimage/minimage/sbom"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Summary says what a build made and where it went, as minimage build
// prints it: as JSON (WriteJSON) or as lines of text (WriteText).
type Summary struct {
	// Name is the image's name, set by a caller that made several (as
	// minimage build does from Recipe.Name); "" leaves it out.
	Name      string            `json:"name,omitempty"`
	Digest    digest.Digest     `json:"digest"`
	MediaType string            `json:"mediaType"`
	Size      int64             `json:"size"`
	Platforms []PlatformSummary `json:"platforms"`
	// Tags name the artifact in each layout and tarball written.
	Tags []string `json:"tags,omitempty"`
	// Outputs are the layouts and tarballs written to a path, in
	// Recipe.Outputs order; an Output.Writer is not listed.
	Outputs []OutputSummary `json:"outputs,omitempty"`
	// Pushed are the registry outputs, in Recipe.Outputs order.
	Pushed []PushedSummary `json:"pushed,omitempty"`

	text []string // what WriteText prints after the platforms
}

// PlatformSummary is one platform's image.
type PlatformSummary struct {
	Platform string        `json:"platform"`
	Digest   digest.Digest `json:"digest"`
	Layers   int           `json:"layers"`
	// LayerSize is the layers' compressed size in bytes, together.
	LayerSize int64 `json:"layerSize"`
}

// OutputSummary is one layout or tarball written.
type OutputSummary struct {
	Path   string `json:"path"`
	Format string `json:"format"` // "layout" or "tarball"
}

// PushedSummary is one registry output.
type PushedSummary struct {
	// Reference is the output's reference without a digest, then @ and
	// the artifact's digest: REGISTRY/REPOSITORY[:TAG]@DIGEST.
	Reference string        `json:"reference"`
	Digest    digest.Digest `json:"digest"`
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
}

// Summary returns what res, the result of building r, made and where it
// went.
func (res *Result) Summary(r Recipe) Summary {
	d := res.Artifact.Descriptor()
	s := Summary{Digest: d.Digest, MediaType: d.MediaType, Size: d.Size, Tags: r.Tags}
	for _, img := range res.Images {
		ps := PlatformSummary{Platform: img.Platform().String(), Digest: img.Digest(), Layers: len(img.Layers())}
		for _, l := range img.Layers() {
			ps.LayerSize += l.Size()
		}
		s.Platforms = append(s.Platforms, ps)
	}
	var local bool
	var outs []string
	for _, o := range r.Outputs {
		switch {
		case o.Format == Registry:
			ref := PushedReference(o.Path, d.Digest)
			s.Pushed = append(s.Pushed, PushedSummary{Reference: ref, Digest: d.Digest, MediaType: d.MediaType, Size: d.Size})
			outs = append(outs, "pushed "+ref)
		case o.Writer != nil:
			local = true
			outs = append(outs, fmt.Sprintf("wrote %s (tarball)", o.Path))
		default:
			local = true
			format := "layout"
			if o.Format == Tarball {
				format = "tarball"
			}
			s.Outputs = append(s.Outputs, OutputSummary{Path: o.Path, Format: format})
			outs = append(outs, fmt.Sprintf("wrote %s (%s)", o.Path, o.Format))
		}
	}
	for _, t := range r.Tags {
		if local { // a push's tag is in its reference
			s.text = append(s.text, "tagged "+t)
		}
	}
	s.text = append(append(s.text, outs...), res.sbomLines(r)...)
	return s
}

// sbomLines says where the SBOMs went.
func (res *Result) sbomLines(r Recipe) []string {
	if len(res.SBOMs) == 0 {
		return nil
	}
	var lines []string
	if r.SBOM.InImage != "" {
		lines = append(lines, "sbom in the image at "+r.SBOM.InImage)
	}
	for _, img := range res.Images {
		if r.SBOM.Dir != "" {
			lines = append(lines, "wrote sbom "+filepath.Join(r.SBOM.Dir, sbom.FileName(r.SBOMName(), img.Platform().String())))
		}
	}
	if r.SBOM.Referrer || r.hasOutput(Registry) {
		refs, _ := res.Referrers()
		for i, m := range refs {
			lines = append(lines, fmt.Sprintf("sbom referrer %s of %s", m.Digest(), res.Images[i].Digest()))
		}
	}
	return lines
}

// hasOutput reports whether r has an output of format f.
func (r Recipe) hasOutput(f OutputFormat) bool {
	for _, o := range r.Outputs {
		if o.Format == f {
			return true
		}
	}
	return false
}

// PushedReference is ref as a push of the digest d prints it: ref
// without any digest, then @ and d.
func PushedReference(ref string, d digest.Digest) string {
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	return ref + "@" + d.String()
}

// WriteText writes s as minimage build prints it: the artifact's name,
// if set, and digest, each platform's manifest digest and size, then the
// tags, the outputs and where the SBOMs went, one a line.
func (s Summary) WriteText(w io.Writer) error {
	kind := "image"
	if s.MediaType == ocispec.MediaTypeImageIndex {
		kind = "index"
	}
	if s.Name != "" {
		kind += " " + s.Name
	}
	fmt.Fprintf(w, "%s %s\n", kind, s.Digest)
	for _, p := range s.Platforms {
		fmt.Fprintf(w, "  %-14s manifest %s  %s in %d layers\n", p.Platform, p.Digest, human(p.LayerSize), p.Layers)
	}
	_, err := io.WriteString(w, strings.Join(append(s.text, ""), "\n"))
	return err
}

// WriteJSON writes s as indented JSON.
func (s Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
