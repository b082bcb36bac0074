package main

// The --json form of inspect: an array of images, each layer's files
// streamed into it as they are read.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/minimage/minimage/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// inspected is the --json form of one image, or of an artifact (an
// attestation or SBOM manifest) that refers to no image shown.
type inspected struct {
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
	Layers       []inspectedLayer     `json:"layers"`
	// Artifacts are the attestations and SBOMs the index lists for this
	// image.
	Artifacts []inspectedArtifact `json:"artifacts,omitempty"`
}

type inspectedLayer struct {
	Digest    string      `json:"digest"`
	DiffID    string      `json:"diffID"`
	MediaType string      `json:"mediaType"`
	Size      int64       `json:"size"`
	CreatedBy string      `json:"createdBy,omitempty"`
	Files     []string    `json:"files"`
	Entries   []listEntry `json:"entries"`
}

// inspectedArtifact is a non-image manifest, as --json shows it.
type inspectedArtifact struct {
	Digest       string               `json:"digest"`
	MediaType    string               `json:"mediaType"`
	ArtifactType string               `json:"artifactType,omitempty"`
	Subject      string               `json:"subject,omitempty"`
	Annotations  map[string]string    `json:"annotations,omitempty"`
	Blobs        []ocispec.Descriptor `json:"blobs"`
}

// inspectJSON writes the images (and artifacts that refer to no image
// shown) as a JSON array, each layer's files streamed as they are read:
// "files" as names, "entries" with mode, owner and size.
func inspectJSON(ctx context.Context, out io.Writer, entries []entry, p image.Platform) error {
	w := &stickyWriter{w: out}
	io.WriteString(w, "[")
	first := true
	next := func() {
		if !first {
			io.WriteString(w, ",")
		}
		first = false
		io.WriteString(w, "\n")
	}
	for _, e := range entries {
		var ix *image.Index
		var items []image.Artifact
		var listed []map[string]string
		switch a := e.a.(type) {
		case *image.Index:
			ix = a
			items, listed = flattenIndex(a)
		default:
			items, listed = []image.Artifact{a}, []map[string]string{nil}
		}
		shown := map[digest.Digest]bool{}
		for _, it := range items {
			if img, ok := it.(*image.Image); ok && (p == (image.Platform{}) || p.Matches(img.Platform())) {
				shown[img.Digest()] = true
			}
		}
		for i, it := range items {
			switch a := it.(type) {
			case *image.Image:
				if !shown[a.Digest()] {
					continue
				}
				next()
				if err := jsonImage(ctx, w, e.tags, ix, a, items, listed); err != nil {
					return err
				}
			case *image.Manifest:
				if shown[referent(a, listed[i])] || p != (image.Platform{}) {
					continue
				}
				next()
				in := inspected{Digest: a.Digest().String(), MediaType: a.MediaType(), Tags: e.tags, ArtifactType: a.ArtifactType(), Annotations: a.Manifest().Annotations, Blobs: a.Manifest().Layers, Layers: []inspectedLayer{}}
				if s := referent(a, listed[i]); s != "" {
					in.Subject = s.String()
				}
				if ix != nil {
					in.Index, in.IndexAnnotations = ix.Digest().String(), ix.Annotations()
				}
				if err := encodeJSON(w, in); err != nil {
					return err
				}
			}
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

func jsonImage(ctx context.Context, w io.Writer, tags []string, ix *image.Index, img *image.Image, items []image.Artifact, listed []map[string]string) error {
	cfg := img.Config()
	in := inspected{Platform: img.Platform().String(), Digest: img.Digest().String(), MediaType: img.MediaType(), Tags: tags, Annotations: img.Annotations(), Config: &cfg}
	if ix != nil {
		in.Index, in.IndexAnnotations = ix.Digest().String(), ix.Annotations()
	}
	if s := img.Subject(); s != nil {
		in.Subject = s.Digest.String()
	}
	for i, it := range items {
		if m, ok := it.(*image.Manifest); ok && referent(m, listed[i]) == img.Digest() {
			in.Artifacts = append(in.Artifacts, inspectedArtifact{Digest: m.Digest().String(), MediaType: m.MediaType(), ArtifactType: m.ArtifactType(), Subject: img.Digest().String(), Annotations: listed[i], Blobs: m.Manifest().Layers})
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
		return errors.New("inspect: internal error: no layers field")
	}
	io.WriteString(w, before+`"layers":[`)
	layers := img.Layers()
	history := layerHistory(cfg, len(layers))
	for i, l := range layers {
		if i > 0 {
			io.WriteString(w, ",")
		}
		lh, err := json.Marshal(inspectedLayer{Digest: l.Digest().String(), DiffID: l.DiffID().String(), MediaType: l.MediaType(), Size: l.Size(), CreatedBy: history[i]})
		if err != nil {
			return err
		}
		lb, _, _ := strings.Cut(string(lh), `"files":null`)
		io.WriteString(w, "\n"+lb+`"files":[`)
		sep := "\n"
		if _, _, err := listLayer(ctx, l, func(e listEntry) error {
			// As before entries: "/path", "/dir/", "/link -> target",
			// "/hardlink => /path".
			name := e.Name
			switch e.Type {
			case "symlink":
				name += " -> " + e.Link
			case "hardlink":
				name += " => " + e.Link
			}
			b, _ := json.Marshal(name)
			_, err := io.WriteString(w, sep+string(b))
			sep = ",\n"
			return err
		}); err != nil {
			return err
		}
		io.WriteString(w, `],"entries":[`)
		sep = "\n"
		if _, _, err := listLayer(ctx, l, func(e listEntry) error {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, sep+string(b))
			sep = ",\n"
			return err
		}); err != nil {
			return err
		}
		io.WriteString(w, "]}")
	}
	io.WriteString(w, "]"+after)
	return nil
}

func encodeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
