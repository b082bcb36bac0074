// Package listing describes what a source holds, as "minimage inspect"
// shows it: each entry under its tags; an index with its digest,
// annotations and manifests; each image with its platform, digest,
// config and layers; each layer's files in ls -l style; attestations and
// SBOMs with what they refer to.
//
// [WriteText] writes that for people, [WriteJSON] as a JSON array of
// [Image] for scripts. Both stream: a layer's files are written as they
// are read, never the whole layer held, and a name or link target is cut
// past [MaxName] bytes. Names, labels and annotations that hold control
// characters or could pass for listing syntax are quoted ([Quote]).
package listing

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say what a listing shows. The zero value shows everything.
type Options struct {
	// Platform, if set, shows only the images for it, and no artifact.
	Platform image.Platform
}

// WriteText writes entries as text, one after another with a blank line
// between, and returns the first error of w or of reading a layer.
func WriteText(ctx context.Context, w io.Writer, entries []Entry, opts Options) error {
	t := text{w: &stickyWriter{w: w}, p: opts.Platform}
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(t.w)
		}
		switch len(e.Tags) {
		case 0:
			fmt.Fprintln(t.w, "untagged")
		case 1:
			fmt.Fprintf(t.w, "tag %s\n", Quote(e.Tags[0]))
		default:
			fmt.Fprintf(t.w, "tags %s\n", quoteList(e.Tags))
		}
		if err := t.artifact(ctx, "", e.Artifact, nil); err != nil {
			return err
		}
	}
	return t.w.err
}

// text writes a listing as text.
type text struct {
	w *stickyWriter
	p image.Platform
}

// artifact writes a, listed in an index with the annotations listed.
func (t text) artifact(ctx context.Context, indent string, a image.Artifact, listed map[string]string) error {
	switch a := a.(type) {
	case *image.Index:
		ms := a.Manifests()
		fmt.Fprintf(t.w, "%sindex %s  %s, %s\n", indent, a.Digest(), shortType(a.MediaType()), plural(len(ms), "manifest"))
		t.printMap(indent+"  ", "annotation", a.Annotations())
		descs := a.Index().Manifests
		for i, m := range ms {
			var ann map[string]string
			if i < len(descs) {
				ann = descs[i].Annotations
			}
			if img, ok := m.(*image.Image); ok && t.p != (image.Platform{}) && !t.p.Matches(img.Platform()) {
				continue
			}
			if _, ok := m.(*image.Manifest); ok && t.p != (image.Platform{}) {
				continue
			}
			fmt.Fprintln(t.w)
			if err := t.artifact(ctx, indent+"  ", m, ann); err != nil {
				return err
			}
		}
		return nil
	case *image.Image:
		return t.image(ctx, indent, a)
	case *image.Manifest:
		t.manifest(indent, a, listed)
		return nil
	}
	return fmt.Errorf("listing: unknown artifact %T", a)
}

func (t text) image(ctx context.Context, indent string, img *image.Image) error {
	cfg := img.Config()
	in := indent + "  "
	fmt.Fprintf(t.w, "%s%s  image %s", indent, img.Platform(), img.Digest())
	if mt := img.MediaType(); mt != ocispec.MediaTypeImageManifest {
		fmt.Fprintf(t.w, "  %s", shortType(mt))
	}
	fmt.Fprintln(t.w)
	t.config(in, cfg)
	t.printMap(in, "annotation", img.Annotations())
	if s := img.Subject(); s != nil {
		fmt.Fprintf(t.w, "%ssubject     %s\n", in, s.Digest)
	}
	layers := img.Layers()
	history := layerHistory(cfg, len(layers))
	for i, l := range layers {
		fmt.Fprintf(t.w, "%slayer %d/%d  %s  %s  %s", in, i+1, len(layers), l.Digest(), human(l.Size()), shortType(l.MediaType()))
		if history[i] != "" {
			fmt.Fprintf(t.w, "  %s", Quote(history[i]))
		}
		fmt.Fprintln(t.w)
		n, size, err := Files(ctx, l, func(f File) error {
			_, err := fmt.Fprintf(t.w, "%s    %s\n", in, f)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(t.w, "%s    %s, %s\n", in, plural(n, "file"), human(size))
	}
	return nil
}

// config writes what cfg sets to run the image.
func (t text) config(in string, cfg ocispec.Image) {
	c := cfg.Config
	if cfg.Created != nil {
		fmt.Fprintf(t.w, "%screated     %s\n", in, cfg.Created.UTC().Format(time.RFC3339))
	}
	if len(c.Entrypoint) > 0 {
		fmt.Fprintf(t.w, "%sentrypoint  %q\n", in, c.Entrypoint)
	}
	if len(c.Cmd) > 0 {
		fmt.Fprintf(t.w, "%scmd         %q\n", in, c.Cmd)
	}
	if c.User != "" {
		fmt.Fprintf(t.w, "%suser        %s\n", in, Quote(c.User))
	}
	if c.WorkingDir != "" {
		fmt.Fprintf(t.w, "%sworkdir     %s\n", in, Quote(c.WorkingDir))
	}
	for _, e := range c.Env {
		fmt.Fprintf(t.w, "%senv         %s\n", in, Quote(e))
	}
	for _, k := range slices.Sorted(maps.Keys(c.ExposedPorts)) {
		fmt.Fprintf(t.w, "%sport        %s\n", in, Quote(k))
	}
	if c.StopSignal != "" {
		fmt.Fprintf(t.w, "%sstopsignal  %s\n", in, Quote(c.StopSignal))
	}
	t.printMap(in, "label", c.Labels)
}

func (t text) manifest(indent string, m *image.Manifest, listed map[string]string) {
	in := indent + "  "
	kind := "artifact"
	if listed["vnd.docker.reference.type"] == "attestation-manifest" {
		kind = "attestation"
	}
	fmt.Fprintf(t.w, "%s%s %s  %s", indent, kind, m.Digest(), Quote(m.ArtifactType()))
	if ref := referent(m, listed); ref != "" {
		fmt.Fprintf(t.w, "  for %s", ref)
	}
	fmt.Fprintln(t.w)
	t.printMap(in, "listed as", listed)
	t.printMap(in, "annotation", m.Manifest().Annotations)
	for _, b := range m.Manifest().Layers {
		fmt.Fprintf(t.w, "%sblob %s  %s  %s\n", in, b.Digest, human(b.Size), Quote(b.MediaType))
		t.printMap(in+"  ", "annotation", b.Annotations)
	}
}

func (t text) printMap(indent, what string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(t.w, "%s%-11s %s\n", indent, what, Quote(k+"="+m[k]))
	}
}

// referent is the digest of the manifest m refers to: its subject, or
// the vnd.docker.reference.digest buildx lists an attestation with.
func referent(m *image.Manifest, listed map[string]string) digest.Digest {
	if s := m.Subject(); s != nil {
		return s.Digest
	}
	return digest.Digest(listed["vnd.docker.reference.digest"])
}

// layerHistory returns the created_by of each of n layers, from the
// config's history entries that are not empty layers.
func layerHistory(cfg ocispec.Image, n int) []string {
	out := make([]string, n)
	i := 0
	for _, h := range cfg.History {
		if h.EmptyLayer {
			continue
		}
		if i >= n {
			break
		}
		out[i] = h.CreatedBy
		i++
	}
	return out
}

// shortType shortens a media type to what tells them apart:
// "tar+gzip", "image.manifest.v1+json".
func shortType(mt string) string {
	if _, ok := layer.ParseMediaType(mt); ok {
		return Quote(mt[strings.LastIndexByte(mt, '.')+1:])
	}
	for _, p := range []string{"application/vnd.oci.", "application/vnd.docker."} {
		if s, ok := strings.CutPrefix(mt, p); ok {
			return Quote(s)
		}
	}
	return Quote(mt)
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = Quote(s)
	}
	return strings.Join(q, ", ")
}

// plural says "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
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

// stickyWriter remembers the first write error, so that a listing to a
// closed pipe stops at the next entry.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
