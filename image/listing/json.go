package listing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one element of the array [WriteJSON] writes: an image, or an
// artifact (an attestation or SBOM manifest) that refers to no image
// shown.
type Image struct {
	Platform  string   `json:"platform"`
	Digest    string   `json:"digest"`
	MediaType string   `json:"mediaType"`
	Tags      []string `json:"tags,omitempty"`
	// Index is the digest of the index that lists the image, and
	// IndexAnnotations that index's annotations.
	Index            string            `json:"index,omitempty"`
	IndexAnnotations map[string]string `json:"indexAnnotations,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	// ArtifactType, Subject and Blobs are set for an artifact.
	ArtifactType string               `json:"artifactType,omitempty"`
	Subject      string               `json:"subject,omitempty"`
	Blobs        []ocispec.Descriptor `json:"blobs,omitempty"`
	Config       *ocispec.Image       `json:"config"`
	Layers       []Layer              `json:"layers"`
	// Artifacts are the attestations and SBOMs the index lists for this
	// image.
	Artifacts []Artifact `json:"artifacts,omitempty"`
}

// Layer is one layer of an [Image], with its files.
type Layer struct {
	Digest    string `json:"digest"`
	DiffID    string `json:"diffID"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	CreatedBy string `json:"createdBy,omitempty"`
	// Files names each entry: "/path", "/dir/", "/link -> target",
	// "/hardlink => /path".
	Files   []string `json:"files"`
	Entries []File   `json:"entries"`
}

// Artifact is a manifest other than an image's that an index lists for
// an [Image].
type Artifact struct {
	Digest       string               `json:"digest"`
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType,omitempty"`
	Subject      string               `json:"subject,omitempty"`
	Annotations  map[string]string    `json:"annotations,omitempty"`
	Blobs        []ocispec.Descriptor `json:"blobs"`
}

// WriteJSON writes the images of entries (nested indexes opened), and
// the artifacts that refer to no image shown, as a JSON array of [Image],
// each layer's files streamed as they are read.
func WriteJSON(ctx context.Context, out io.Writer, entries []Entry, opts Options) error {
	w := &stickyWriter{w: out}
	p := opts.Platform
	io.WriteString(w, "[")
	sep := "\n"
	for _, e := range entries {
		var ix *image.Index
		items, listed := []image.Artifact{e.Artifact}, []map[string]string{nil}
		if a, ok := e.Artifact.(*image.Index); ok {
			ix = a
			items, listed = flattenIndex(a)
		}
		shown := map[digest.Digest]bool{}
		for _, it := range items {
			if img, ok := it.(*image.Image); ok && (p == (image.Platform{}) || p.Matches(img.Platform())) {
				shown[img.Digest()] = true
			}
		}
		for i, it := range items {
			var err error
			switch a := it.(type) {
			case *image.Image:
				if !shown[a.Digest()] {
					continue
				}
				io.WriteString(w, sep)
				err = jsonImage(ctx, w, e.Tags, ix, a, items, listed)
			case *image.Manifest:
				if shown[referent(a, listed[i])] || p != (image.Platform{}) {
					continue
				}
				io.WriteString(w, sep)
				err = jsonArtifact(w, e.Tags, ix, a, listed[i])
			}
			if err != nil {
				return err
			}
			sep = ",\n"
		}
	}
	io.WriteString(w, "\n]\n")
	return w.err
}

// flattenIndex lists what ix reaches, nested indexes opened, with the
// annotations each is listed with.
func flattenIndex(ix *image.Index) ([]image.Artifact, []map[string]string) {
	var items []image.Artifact
	var listed []map[string]string
	descs := ix.Index().Manifests
	for i, m := range ix.Manifests() {
		if sub, ok := m.(*image.Index); ok {
			a, l := flattenIndex(sub)
			items, listed = append(items, a...), append(listed, l...)
			continue
		}
		items = append(items, m)
		var ann map[string]string
		if i < len(descs) {
			ann = descs[i].Annotations
		}
		listed = append(listed, ann)
	}
	return items, listed
}

// jsonArtifact writes m, which refers to no image shown, as an Image.
func jsonArtifact(w io.Writer, tags []string, ix *image.Index, m *image.Manifest, listed map[string]string) error {
	in := Image{Digest: m.Digest().String(), MediaType: m.MediaType(), Tags: tags, ArtifactType: m.ArtifactType(), Annotations: m.Manifest().Annotations, Blobs: m.Manifest().Layers, Layers: []Layer{}}
	if s := referent(m, listed); s != "" {
		in.Subject = s.String()
	}
	if ix != nil {
		in.Index, in.IndexAnnotations = ix.Digest().String(), ix.Annotations()
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func jsonImage(ctx context.Context, w io.Writer, tags []string, ix *image.Index, img *image.Image, items []image.Artifact, listed []map[string]string) error {
	cfg := img.Config()
	in := Image{Platform: img.Platform().String(), Digest: img.Digest().String(), MediaType: img.MediaType(), Tags: tags, Annotations: img.Annotations(), Config: &cfg}
	if ix != nil {
		in.Index, in.IndexAnnotations = ix.Digest().String(), ix.Annotations()
	}
	if s := img.Subject(); s != nil {
		in.Subject = s.Digest.String()
	}
	for i, it := range items {
		if m, ok := it.(*image.Manifest); ok && referent(m, listed[i]) == img.Digest() {
			in.Artifacts = append(in.Artifacts, Artifact{Digest: m.Digest().String(), MediaType: m.MediaType(), ArtifactType: m.ArtifactType(), Subject: img.Digest().String(), Annotations: listed[i], Blobs: m.Manifest().Layers})
		}
	}
	head, err := json.Marshal(in)
	if err != nil {
		return err
	}
	// Splice the layers in, each streamed: head ends in "layers":null}
	// or, with artifacts, "layers":null,"artifacts":[…]}.
	before, after, ok := strings.Cut(string(head), `"layers":null`)
	if !ok {
		return errors.New("listing: internal error: no layers field")
	}
	io.WriteString(w, before+`"layers":[`)
	layers := img.Layers()
	history := layerHistory(cfg, len(layers))
	for i, l := range layers {
		if i > 0 {
			io.WriteString(w, ",")
		}
		lh, err := json.Marshal(Layer{Digest: l.Digest().String(), DiffID: l.DiffID().String(), MediaType: l.MediaType(), Size: l.Size(), CreatedBy: history[i]})
		if err != nil {
			return err
		}
		lb, _, _ := strings.Cut(string(lh), `"files":null`)
		io.WriteString(w, "\n"+lb+`"files":[`)
		if err := jsonFiles(ctx, w, l, fileName); err != nil {
			return err
		}
		io.WriteString(w, `],"entries":[`)
		if err := jsonFiles(ctx, w, l, func(f File) any { return f }); err != nil {
			return err
		}
		io.WriteString(w, "]}")
	}
	io.WriteString(w, "]"+after)
	return nil
}

// jsonFiles writes what of each of l's files as JSON, one a line, with
// commas between.
func jsonFiles(ctx context.Context, w io.Writer, l *layer.Layer, what func(File) any) error {
	sep := "\n"
	_, _, err := Files(ctx, l, func(f File) error {
		b, err := json.Marshal(what(f))
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, sep+string(b))
		sep = ",\n"
		return err
	})
	return err
}

// fileName is f as Layer.Files names it.
func fileName(f File) any {
	switch f.Type {
	case "symlink":
		return f.Name + " -> " + f.Link
	case "hardlink":
		return f.Name + " => " + f.Link
	}
	return f.Name
}
