package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// inspected is the --json form of one image.
type inspected struct {
	Platform    string            `json:"platform"`
	Digest      string            `json:"digest"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Config      ocispec.Image     `json:"config"`
	Layers      []inspectedLayer  `json:"layers"`
}

type inspectedLayer struct {
	Digest    string   `json:"digest"`
	DiffID    string   `json:"diffID"`
	MediaType string   `json:"mediaType"`
	Size      int64    `json:"size"`
	Files     []string `json:"files"`
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("minimage inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON, for scripts")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: minimage inspect [--json] PATH[:TAG]\n\nPATH is an OCI layout directory or a tarball.\n")
		fs.PrintDefaults()
	}
	ref, err := parseCommand(fs, args, "PATH[:TAG]")
	if err != nil {
		return err
	}
	path, tag := build.SplitRef(ref)
	lay, err := openLayout(path)
	if err != nil {
		return err
	}
	imgs, err := lay.Images(ctx, tag)
	if err != nil {
		return err
	}
	var out []inspected
	for _, img := range imgs {
		in := inspected{Platform: img.Platform().String(), Digest: string(img.Digest()), Annotations: img.Annotations(), Config: img.Config()}
		for _, l := range img.Layers() {
			files, err := listFiles(ctx, l)
			if err != nil {
				return err
			}
			in.Layers = append(in.Layers, inspectedLayer{string(l.Digest()), string(l.DiffID()), l.MediaType(), l.Size(), files})
		}
		out = append(out, in)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, in := range out {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		printInspected(stdout, in)
	}
	return nil
}

func printInspected(w io.Writer, in inspected) {
	c := in.Config.Config
	fmt.Fprintf(w, "%s  %s\n", in.Platform, in.Digest)
	fmt.Fprintf(w, "  created     %s\n", in.Config.Created)
	fmt.Fprintf(w, "  entrypoint  %q\n", c.Entrypoint)
	if len(c.Cmd) > 0 {
		fmt.Fprintf(w, "  cmd         %q\n", c.Cmd)
	}
	fmt.Fprintf(w, "  user        %s\n", c.User)
	if c.WorkingDir != "" {
		fmt.Fprintf(w, "  workdir     %s\n", c.WorkingDir)
	}
	for _, e := range c.Env {
		fmt.Fprintf(w, "  env         %s\n", e)
	}
	for k := range c.ExposedPorts {
		fmt.Fprintf(w, "  port        %s\n", k)
	}
	for _, k := range sortedKeys(c.Labels) {
		fmt.Fprintf(w, "  label       %s=%s\n", k, c.Labels[k])
	}
	for _, k := range sortedKeys(in.Annotations) {
		fmt.Fprintf(w, "  annotation  %s=%s\n", k, in.Annotations[k])
	}
	for i, l := range in.Layers {
		fmt.Fprintf(w, "  layer %d  %s  %s  %s, %d files\n", i, l.Digest, human(l.Size), l.MediaType[strings.LastIndexByte(l.MediaType, '.')+1:], len(l.Files))
		for _, f := range l.Files {
			fmt.Fprintf(w, "    %s\n", f)
		}
	}
}

// listFiles reads a layer's tar and lists its entries as "/path",
// "/dir/", "/link -> target".
func listFiles(ctx context.Context, l *layer.Layer) ([]string, error) {
	rc, err := l.Uncompressed(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var files []string
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest(), err)
		}
		name := "/" + strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")
		switch h.Typeflag {
		case tar.TypeSymlink:
			name += " -> " + h.Linkname
		case tar.TypeLink:
			name += " => /" + h.Linkname
		}
		files = append(files, name)
	}
	// Drain to the end so the reader checks the layer's diffID.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, err
	}
	return files, nil
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("minimage verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: minimage verify PATH\n\nChecks every blob of an OCI layout directory or tarball against its digest and size;\nexits 1 on any mismatch.\n")
	}
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
	fmt.Fprintf(stdout, "%s: %d blobs verified\n", path, n)
	return nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// openLayout opens a layout directory or a tarball.
func openLayout(p string) (image.Source, error) {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return layout.Read(p)
	}
	return tarball.Read(p)
}
