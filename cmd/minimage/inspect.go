package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const inspectUsage = `Usage: minimage inspect [flags] SRC[:TAG]

Show what SRC holds: an OCI layout directory, a tarball, or a registry
reference (REGISTRY/REPOSITORY[:TAG|@DIGEST]). Each entry is shown under
its tags: an index with its digest, annotations and manifests; each image
with its platform, digest, config and layers; each layer's files in ls -l
style (mode, uid:gid, size, name, -> symlink target, => hard link path),
printed as they are read. Attestations and SBOMs an index lists are shown
with what they refer to. Names, labels and annotations that hold control
characters are quoted.

Flags:
`

type inspectFlags struct {
	json     bool
	raw      string
	platform string
	registry registryFlags
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f inspectFlags
	fs := newFlagSet("minimage inspect", inspectUsage, stdout, stderr)
	fs.BoolVar(&f.json, "json", false, "print JSON, for scripts: an array of images, each with its layers' files")
	fs.StringVar(&f.raw, "raw", "", "print the stored bytes of the `manifest`, config or index, as crane manifest and crane config do")
	fs.StringVar(&f.platform, "platform", "", "show only the image for `os/arch[/variant]`, such as linux/arm64")
	f.registry.register(fs)
	ref, err := parseCommand(fs, args, "SRC[:TAG]")
	if err != nil {
		return err
	}
	var p image.Platform
	if f.platform != "" {
		if p, err = image.ParsePlatform(f.platform); err != nil {
			return fmt.Errorf("%w: --platform: %v", errUsage, err)
		}
	}
	src, tag, err := openSource(ctx, ref, &f.registry, stderr)
	if err != nil {
		return err
	}
	entries, err := sourceEntries(ctx, src, tag)
	if err != nil {
		return err
	}
	if p != (image.Platform{}) && f.raw == "" {
		var all []*image.Image
		for _, e := range entries {
			all = append(all, artifactImages(e.a)...)
		}
		if !slices.ContainsFunc(all, func(img *image.Image) bool { return samePlatform(p, img.Platform()) }) {
			return fmt.Errorf("%w: no image for %s in %s; it has %s", image.ErrNotFound, p, ref, platformList(all))
		}
	}
	switch f.raw {
	case "":
	case "manifest", "config", "index":
		return printRaw(ctx, stdout, src, tag, entries, f.raw, p)
	default:
		return fmt.Errorf("%w: --raw %q: want manifest, config or index", errUsage, f.raw)
	}
	if f.json {
		return inspectJSON(ctx, stdout, entries, p)
	}
	w := &stickyWriter{w: stdout}
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := inspectText(ctx, w, e, p); err != nil {
			return err
		}
	}
	return w.err
}

// openSource opens SRC[:TAG]: a layout directory or tarball on disk, else
// a registry reference.
func openSource(ctx context.Context, ref string, rf *registryFlags, stderr io.Writer) (image.Source, string, error) {
	if isRemote(ref) {
		rf.quiet = true
		opts, err := rf.options(stderr)
		if err != nil {
			return nil, "", err
		}
		s, err := pullSource(ctx, ref, opts)
		return s, "", err
	}
	path, tag := splitSource(ref)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if r, err := remote.ParseReference(ref); err == nil && !strings.HasSuffix(path, ".tar") {
			full := r.Registry + "/" + r.Repository
			if r.Tag != "" {
				full += ":" + r.Tag
			}
			if r.Digest != "" {
				full += "@" + r.Digest.String()
			}
			return nil, "", fmt.Errorf("%s does not exist; give an OCI layout directory or an image tarball, or for a registry image name its registry: %s", path, full)
		}
	}
	src, err := openLayout(path)
	return src, tag, err
}

// entry is one entry of a source, with every tag that names it.
type entry struct {
	tags []string
	a    image.Artifact
}

// sourceEntries returns the entries tagged tag, or every entry of src
// (the untagged ones of a layout included), each digest once.
func sourceEntries(ctx context.Context, src image.Source, tag string) ([]entry, error) {
	if tag != "" {
		a, err := src.Artifact(ctx, tag)
		if err != nil {
			return nil, err
		}
		return []entry{{[]string{tag}, a}}, nil
	}
	var out []entry
	add := func(t string, a image.Artifact) {
		for i := range out {
			if out[i].a.Digest() == a.Digest() {
				if t != "" {
					out[i].tags = append(out[i].tags, t)
				}
				return
			}
		}
		var tags []string
		if t != "" {
			tags = []string{t}
		}
		out = append(out, entry{tags, a})
	}
	for _, t := range src.Tags() {
		a, err := src.Artifact(ctx, t)
		if err != nil {
			return nil, err
		}
		add(t, a)
	}
	if l, ok := src.(*layout.Layout); ok {
		ld := image.NewLoader(l) // an index listed many times is read once
		for _, d := range l.Manifests() {
			if d.Annotations[ocispec.AnnotationRefName] != "" {
				continue
			}
			a, err := ld.Load(ctx, d)
			if err != nil {
				return nil, err
			}
			add("", a)
		}
	}
	if len(out) == 0 {
		a, err := src.Artifact(ctx, "")
		if err != nil {
			return nil, err
		}
		add("", a)
	}
	return out, nil
}

// printRaw writes the stored bytes of the index, manifest or config,
// unchanged: what crane manifest and crane config print.
func printRaw(ctx context.Context, w io.Writer, src image.Source, tag string, entries []entry, what string, p image.Platform) error {
	if len(entries) != 1 {
		return fmt.Errorf("%w: --raw shows one entry, and this holds %d; add :TAG, one of %s", errUsage, len(entries), quoteList(src.Tags()))
	}
	a := entries[0].a
	if what == "index" {
		ix, ok := a.(*image.Index)
		if !ok {
			return fmt.Errorf("--raw index: the entry is %s, not an index; use --raw manifest", describeKind(a))
		}
		_, err := w.Write(ix.RawManifest())
		return err
	}
	var img *image.Image
	switch a := a.(type) {
	case *image.Image:
		img = a
	case *image.Manifest:
		if what == "manifest" {
			_, err := w.Write(a.RawManifest())
			return err
		}
		return fmt.Errorf("--raw config: the entry is an artifact (%s) with no image config; use --raw manifest", a.ArtifactType())
	case *image.Index:
		imgs := a.Images()
		if p != (image.Platform{}) {
			imgs = slices.DeleteFunc(imgs, func(img *image.Image) bool { return !samePlatform(p, img.Platform()) })
		}
		switch len(imgs) {
		case 0:
			return fmt.Errorf("%w: no image for %s in index %s; it has %s", image.ErrNotFound, p, a.Digest(), platformList(a.Images()))
		case 1:
			img = imgs[0]
		default:
			return fmt.Errorf("%w: --raw %s: the index holds images for %s; pick one with --platform, or use --raw index", errUsage, what, platformList(imgs))
		}
	}
	raw := img.RawManifest()
	if what == "config" {
		raw = img.RawConfig()
	}
	_, err := w.Write(raw)
	return err
}

// inspectText prints one entry.
func inspectText(ctx context.Context, w io.Writer, e entry, p image.Platform) error {
	switch len(e.tags) {
	case 0:
		fmt.Fprintln(w, "untagged")
	case 1:
		fmt.Fprintf(w, "tag %s\n", quote(e.tags[0]))
	default:
		fmt.Fprintf(w, "tags %s\n", quoteList(e.tags))
	}
	return textArtifact(ctx, w, "", e.a, nil, p)
}

// textArtifact prints a, listed with the annotations desc gives it.
func textArtifact(ctx context.Context, w io.Writer, indent string, a image.Artifact, listed map[string]string, p image.Platform) error {
	switch a := a.(type) {
	case *image.Index:
		ms := a.Manifests()
		fmt.Fprintf(w, "%sindex %s  %s, %s\n", indent, a.Digest(), shortType(a.MediaType()), plural(len(ms), "manifest"))
		printMap(w, indent+"  ", "annotation", a.Annotations())
		descs := a.Index().Manifests
		for i, m := range ms {
			var ann map[string]string
			if i < len(descs) {
				ann = descs[i].Annotations
			}
			if img, ok := m.(*image.Image); ok && p != (image.Platform{}) && !samePlatform(p, img.Platform()) {
				continue
			}
			if _, ok := m.(*image.Manifest); ok && p != (image.Platform{}) {
				continue
			}
			fmt.Fprintln(w)
			if err := textArtifact(ctx, w, indent+"  ", m, ann, p); err != nil {
				return err
			}
		}
		return nil
	case *image.Image:
		return textImage(ctx, w, indent, a)
	case *image.Manifest:
		textManifest(w, indent, a, listed)
		return nil
	}
	return fmt.Errorf("unknown artifact %T", a)
}

func textImage(ctx context.Context, w io.Writer, indent string, img *image.Image) error {
	cfg := img.Config()
	c := cfg.Config
	in := indent + "  "
	fmt.Fprintf(w, "%s%s  image %s", indent, img.Platform(), img.Digest())
	if mt := img.MediaType(); mt != ocispec.MediaTypeImageManifest {
		fmt.Fprintf(w, "  %s", shortType(mt))
	}
	fmt.Fprintln(w)
	if cfg.Created != nil {
		fmt.Fprintf(w, "%screated     %s\n", in, cfg.Created.UTC().Format(time.RFC3339))
	}
	if len(c.Entrypoint) > 0 {
		fmt.Fprintf(w, "%sentrypoint  %q\n", in, c.Entrypoint)
	}
	if len(c.Cmd) > 0 {
		fmt.Fprintf(w, "%scmd         %q\n", in, c.Cmd)
	}
	if c.User != "" {
		fmt.Fprintf(w, "%suser        %s\n", in, quote(c.User))
	}
	if c.WorkingDir != "" {
		fmt.Fprintf(w, "%sworkdir     %s\n", in, quote(c.WorkingDir))
	}
	for _, e := range c.Env {
		fmt.Fprintf(w, "%senv         %s\n", in, quote(e))
	}
	for _, k := range slices.Sorted(maps.Keys(c.ExposedPorts)) {
		fmt.Fprintf(w, "%sport        %s\n", in, quote(k))
	}
	if c.StopSignal != "" {
		fmt.Fprintf(w, "%sstopsignal  %s\n", in, quote(c.StopSignal))
	}
	printMap(w, in, "label", c.Labels)
	printMap(w, in, "annotation", img.Annotations())
	if s := img.Subject(); s != nil {
		fmt.Fprintf(w, "%ssubject     %s\n", in, s.Digest)
	}
	layers := img.Layers()
	history := layerHistory(cfg, len(layers))
	for i, l := range layers {
		fmt.Fprintf(w, "%slayer %d/%d  %s  %s  %s", in, i+1, len(layers), l.Digest(), human(l.Size()), shortType(l.MediaType()))
		if history[i] != "" {
			fmt.Fprintf(w, "  %s", quote(history[i]))
		}
		fmt.Fprintln(w)
		n, size, err := listLayer(ctx, l, func(e listEntry) error {
			_, err := fmt.Fprintf(w, "%s    %s\n", in, e)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s    %s, %s\n", in, plural(n, "file"), human(size))
	}
	return nil
}

func textManifest(w io.Writer, indent string, m *image.Manifest, listed map[string]string) {
	in := indent + "  "
	kind := "artifact"
	if listed["vnd.docker.reference.type"] == "attestation-manifest" {
		kind = "attestation"
	}
	fmt.Fprintf(w, "%s%s %s  %s", indent, kind, m.Digest(), quote(m.ArtifactType()))
	if ref := referent(m, listed); ref != "" {
		fmt.Fprintf(w, "  for %s", ref)
	}
	fmt.Fprintln(w)
	printMap(w, in, "listed as", listed)
	printMap(w, in, "annotation", m.Manifest().Annotations)
	for _, b := range m.Manifest().Layers {
		fmt.Fprintf(w, "%sblob %s  %s  %s\n", in, b.Digest, human(b.Size), quote(b.MediaType))
		printMap(w, in+"  ", "annotation", b.Annotations)
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

// listLayer lists l's files through fn, then reads the layer to its end,
// so that its diffID is checked.
func listLayer(ctx context.Context, l *layer.Layer, fn func(listEntry) error) (int, int64, error) {
	rc, err := l.Uncompressed(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer rc.Close()
	n, size, err := listTar(ctx, rc, fn)
	if err != nil {
		return n, size, fmt.Errorf("layer %s: %w", l.Digest(), err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return n, size, fmt.Errorf("layer %s: %w", l.Digest(), err)
	}
	return n, size, nil
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

func printMap(w io.Writer, indent, what string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "%s%-11s %s\n", indent, what, quote(k+"="+m[k]))
	}
}

// shortType shortens a media type to what tells them apart:
// "tar+gzip", "image.manifest.v1+json".
func shortType(mt string) string {
	if _, ok := layer.ParseMediaType(mt); ok {
		return quote(mt[strings.LastIndexByte(mt, '.')+1:])
	}
	for _, p := range []string{"application/vnd.oci.", "application/vnd.docker."} {
		if s, ok := strings.CutPrefix(mt, p); ok {
			return quote(s)
		}
	}
	return quote(mt)
}

func describeKind(a image.Artifact) string {
	switch a.(type) {
	case *image.Image:
		return "an image"
	case *image.Manifest:
		return "an artifact manifest"
	}
	return "a " + a.MediaType()
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
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

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("minimage verify", "Usage: minimage verify PATH\n\nChecks every blob of an OCI layout directory or tarball against its digest and size,\nand every layer against its diffID, attestations and SBOMs included; exits 1 on any\nmismatch.\n", stdout, stderr)
	path, err := parseCommand(fs, args, "PATH")
	if err != nil {
		return err
	}
	lay, err := openLayout(path)
	if err != nil {
		return err
	}
	n, err := lay.Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s verified\n", path, plural(n, "blob"))
	return nil
}
