package gobinary

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LabelGoVersion is the config label Add sets to the Go version a binary
// was built with, such as "go1.26.8".
const LabelGoVersion = "dev.minimage.go.version"

// Options control Check and Add. The zero value rejects dynamically
// linked binaries and builds a gzip layer.
type Options struct {
	// AllowDynamic accepts a dynamically linked binary, for a base image
	// that holds its C library and interpreter.
	AllowDynamic bool

	// Layer are the options of the binary's layer.
	Layer layer.Options

	// History describes the layer in the config's history; an empty
	// CreatedBy becomes "minimage: binary <dest>".
	History image.History

	// Files are more regular files for the binary's layer, path in the
	// image to content, each mode 0644 and owned by 0:0, such as a
	// software bill of materials that describes the binary. A path that
	// is the binary's is an error. The contents are not copied and must
	// not change until Add returns. Check ignores them.
	Files map[string][]byte

	// Tee, if set, is written the binary's bytes as Add reads them into
	// the layer, so that a caller can hash them (for an SBOM, say)
	// without reading the file a second time.
	Tee io.Writer
}

// Add returns img with the host file hostPath added as dest (absolute;
// "app" means "/app"), mode 0755, owned by 0:0, in a layer of its own,
// after Check accepts it for img's platform; img is not changed. It also
// fills defaults the caller can override later with the image's
// WithAnnotation, WithLabel and WithEntrypoint (values img already has
// are kept):
//   - the entrypoint [dest], when img has none;
//   - the annotation and label org.opencontainers.image.source, from a
//     Go module path that names a repository (see Info.Source);
//   - the annotation and label org.opencontainers.image.revision, from
//     the vcs.revision build setting;
//   - the label LabelGoVersion.
//
// The file is opened once and read from that descriptor for both the check
// and the layer; it must not change while Add runs.
func Add(ctx context.Context, img *image.Image, dest, hostPath string, opts Options) (*image.Image, error) {
	dest = path.Clean("/" + dest)
	if dest == "/" {
		return nil, fmt.Errorf("gobinary: add %q: destination is the root; give a file path such as /app", hostPath)
	}
	f, err := os.Open(hostPath)
	if err != nil {
		return nil, fmt.Errorf("gobinary: add: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gobinary: add: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gobinary: add %q: %w: not a regular file", hostPath, ErrNotELF)
	}
	bi, err := Check(f, hostPath, img.Platform(), opts)
	if err != nil {
		return nil, err
	}
	l, err := buildLayer(ctx, io.NewSectionReader(f, 0, st.Size()), dest, opts)
	if err != nil {
		return nil, fmt.Errorf("gobinary: add %q: %w", hostPath, err)
	}
	return appendBinary(img, l, dest, bi, opts.History), nil
}

// AddLayer returns img with l appended as Add appends the layer it
// builds of the binary r at dest, with the same defaults, after Check
// accepts r for img's platform (name names r in errors); img is not
// changed. It is for a caller that built that layer already, such as
// while it uploaded it: l must be the layer Add builds of r at dest with
// opts (opts.Layer's format, opts.Files), which AddLayer does not check,
// and AddLayer reads r's headers only.
func AddLayer(img *image.Image, dest string, r io.ReaderAt, name string, l *layer.Layer, opts Options) (*image.Image, error) {
	dest = path.Clean("/" + dest)
	if dest == "/" {
		return nil, fmt.Errorf("gobinary: add %q: destination is the root; give a file path such as /app", name)
	}
	bi, err := Check(r, name, img.Platform(), opts)
	if err != nil {
		return nil, err
	}
	return appendBinary(img, l, dest, bi, opts.History), nil
}

// appendBinary returns img with l, the layer of the binary bi at dest,
// appended with the history h and the defaults Add sets.
func appendBinary(img *image.Image, l *layer.Layer, dest string, bi Info, h image.History) *image.Image {
	if h.CreatedBy == "" {
		h.CreatedBy = "minimage: binary " + dest
	}
	return withDefaults(img.AppendLayer(l, h), dest, bi)
}

// buildLayer builds the layer of the binary bin at dest and opts.Files.
func buildLayer(ctx context.Context, bin *io.SectionReader, dest string, opts Options) (*layer.Layer, error) {
	b := layer.New(opts.Layer)
	var src io.Reader = bin
	if opts.Tee != nil {
		src = io.TeeReader(src, opts.Tee)
	}
	if err := b.AddReader(dest, src, bin.Size(), layer.Attr{Mode: 0o755}); err != nil {
		return nil, err
	}
	for _, p := range slices.Sorted(maps.Keys(opts.Files)) {
		if err := b.AddFile(p, opts.Files[p], layer.Attr{Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("file %s: %w", p, err)
		}
	}
	return b.Build(ctx)
}

// withDefaults returns img with the entrypoint, annotations and labels
// that Add fills from the binary bi at dest, where img has none.
func withDefaults(img *image.Image, dest string, bi Info) *image.Image {
	defaults := map[string]string{ocispec.AnnotationSource: bi.Source(), ocispec.AnnotationRevision: bi.Revision()}
	for k, v := range defaults {
		if _, ok := img.Annotations()[k]; !ok && v != "" {
			img = img.WithAnnotation(k, v)
		}
	}
	return img.WithConfig(func(c *ocispec.ImageConfig) {
		if len(c.Entrypoint) == 0 {
			c.Entrypoint = []string{dest}
		}
		labels := maps.Clone(defaults)
		labels[LabelGoVersion] = bi.GoVersion
		for k, v := range labels {
			if _, ok := c.Labels[k]; !ok && v != "" {
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels[k] = v
			}
		}
	})
}
