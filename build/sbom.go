package build

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/sbom"
	"github.com/minimage/minimage/tzdata"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// SBOMOptions say where Run puts the software bill of materials of each
// image: one SPDX 2.3 JSON document per platform image (see package
// sbom), made from the build's report, with the same bytes in every place
// it goes. The zero value makes the documents (Result.SBOMs) and attaches
// them to the images of every Registry output, each as an OCI 1.1
// referrer of its platform's manifest (remote.PushReferrers); the pushed
// digests do not change.
type SBOMOptions struct {
	// None makes no documents: Result.SBOMs is nil and nothing is
	// attached to a push. It cannot be combined with Dir, Referrer or
	// InImage.
	None bool

	// Name is the image reference the documents name, such as
	// "example.com/app:v1"; see Recipe.SBOMName for the default.
	Name string

	// Dir, if set, is a directory, created if needed (its parent must
	// exist), that gets each document as sbom.FileName(Recipe.SBOMName(),
	// platform): "app-linux-amd64.spdx.json". A file of that name is
	// replaced atomically.
	Dir string

	// Referrer adds each document to every Layout output as an OCI 1.1
	// referrer of its platform's image (Result.Referrers): an untagged
	// entry of index.json with artifactType application/spdx+json, which
	// is where oras discover --oci-layout finds it. The entries stay when
	// the tag moves to another build, one per build. The layout then
	// holds more than one entry, so tools that take a layout without a
	// tag (skopeo copy oci:DIR, umoci, crane push DIR) ask for one: name
	// the image by its tag (oci:DIR:TAG).
	Referrer bool

	// InImage, if set, is a path in the image where the document goes,
	// in the binary's layer, mode 0644; minimage build --sbom-in-image
	// uses /usr/share/sbom/NAME.spdx.json. A document cannot hold the
	// digest of the image it is in, so with InImage the documents carry
	// no image digest, everywhere they go (a referrer's subject still
	// names the image). The file changes the image and so its digest.
	InImage string
}

// SBOMName returns the image reference the SBOMs name, which also names
// their files (sbom.FileName): SBOM.Name if set; else the repository of
// the first Registry output, in full ("docker.io/library/app" for
// "app:v1"); else the repository of the first of Tags ("app" for
// "app:v1"); else Name(). The default names no tag: tags move, and an
// image gets the same document whatever tags it is pushed under, so that
// it has one SBOM referrer, not one per tag.
func (r Recipe) SBOMName() string {
	if r.SBOM.Name != "" {
		return r.SBOM.Name
	}
	for _, o := range r.Outputs {
		if o.Format != Registry {
			continue
		}
		if ref, err := remote.ParseReference(o.Path); err == nil {
			return ref.Registry + "/" + ref.Repository
		}
	}
	if len(r.Tags) > 0 {
		repo := r.Tags[0]
		if i := strings.IndexByte(repo, '@'); i >= 0 {
			repo = repo[:i]
		}
		if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
			repo = repo[:i]
		}
		if repo != "" && strings.ContainsAny(r.Tags[0], ":/@") {
			return repo
		}
	}
	return r.Name()
}

// SBOMInImagePath returns where minimage build --sbom-in-image puts an
// image's document by default: /usr/share/sbom/NAME.spdx.json, NAME being
// Recipe.Name().
func SBOMInImagePath(name string) string {
	return "/usr/share/sbom/" + name + ".spdx.json"
}

// Referrers returns, for each image in Images order, the OCI 1.1 artifact
// manifest that attaches its document to it: artifactType
// application/spdx+json, the empty config, one application/spdx+json
// layer holding SBOMs[i] (titled with its sbom.FileName), and the image's
// manifest as subject; each is an *image.Manifest. remote.PushReferrers
// pushes them to a registry, where each is found through the referrers
// API or the referrers tag schema, and the image's digest stays what it
// is; layout.Write adds each to a layout. It returns nothing for a Result
// without SBOMs.
func (r *Result) Referrers() ([]image.Artifact, error) {
	if len(r.SBOMs) == 0 {
		return nil, nil
	}
	if len(r.SBOMs) != len(r.Images) {
		return nil, fmt.Errorf("build: referrers: %d SBOMs for %d images", len(r.SBOMs), len(r.Images))
	}
	ms := make([]image.Artifact, len(r.Images))
	for i, img := range r.Images {
		blob := image.BlobFromBytes(sbom.MediaType, r.SBOMs[i])
		if r.sbomName != "" {
			blob.Descriptor.Annotations = map[string]string{ocispec.AnnotationTitle: sbom.FileName(r.sbomName, img.Platform().String())}
		}
		subject := img.Descriptor()
		m, err := image.NewManifest(sbom.MediaType, []image.Blob{blob}, &subject, nil)
		if err != nil {
			return nil, fmt.Errorf("build: referrer of %s: %w", img.Platform(), err)
		}
		ms[i] = m
	}
	return ms, nil
}

// checkSBOM checks Recipe.SBOM and sets the documents' name.
func (p *plan) checkSBOM() error {
	s := &p.r.SBOM
	if s.None {
		if s.Dir != "" || s.Referrer || s.InImage != "" {
			return invalid("sbom: None makes no documents; it cannot be combined with Dir, Referrer or InImage")
		}
		return nil
	}
	p.sbomName = p.r.SBOMName()
	if s.InImage != "" {
		p.sbomPath = path.Clean("/" + s.InImage)
		if p.sbomPath == "/" || strings.HasSuffix(s.InImage, "/") {
			return invalid("sbom: in-image path %q: give a file path, such as %s", s.InImage, SBOMInImagePath(p.r.Name()))
		}
		if p.sbomPath == p.dest {
			return invalid("sbom: in-image path %s is the binary's; give another, such as %s", s.InImage, SBOMInImagePath(p.r.Name()))
		}
	}
	if s.Dir != "" {
		if fi, err := os.Stat(s.Dir); err == nil && !fi.IsDir() {
			return invalid("sbom: %s is a file, not a directory", s.Dir)
		}
		parent := filepath.Dir(filepath.Clean(s.Dir))
		if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
			return invalid("sbom: directory %s: its parent %s is not a directory; create it first", s.Dir, parent)
		}
	}
	return nil
}

// sbom returns the document of the image rep reports.
func (p *plan) sbom(rep PlatformReport) ([]byte, error) {
	in, err := sbomInput(rep, p.sbomName, p.r.Created)
	if err != nil {
		return nil, err
	}
	doc, err := sbom.Generate(in)
	if err != nil {
		return nil, fmt.Errorf("build: sbom for %s: %w", rep.Platform, err)
	}
	return doc, nil
}

// sbomInput maps what the report says of one image to what its document
// holds. The CA bundle and the zone files are made again from the
// report's options, as the layers were, and hashed.
func sbomInput(rep PlatformReport, name string, created time.Time) (sbom.Input, error) {
	in := sbom.Input{
		Name:      name,
		Platform:  rep.Platform.String(),
		Created:   created,
		Digest:    rep.Digest,
		BuildInfo: rep.Binary.BuildInfo,
	}
	if rep.Binary.Path != "" {
		f, err := sbomFile(rep.Binary.Path, rep.Binary.SHA1, rep.Binary.Digest.Encoded())
		if err != nil {
			return in, err
		}
		in.Binary = f
	}
	if b := rep.Base; b != nil {
		in.Base = &sbom.Base{Name: b.Name, Digest: b.Digest}
		if in.Base.Name == "" {
			in.Base.Name = "base"
		}
	}
	if c := rep.Certs; c != nil {
		data, err := certs.File(certs.Options{})
		if err != nil {
			return in, fmt.Errorf("build: sbom: CA bundle: %w", err)
		}
		in.Components = append(in.Components, sbom.CABundle(c.Version, sbom.NewFile(c.Path, data)))
	}
	if z := rep.Zones; z != nil {
		files, err := tzdata.Files(tzdata.Options{Zones: z.Zones, Localtime: z.Localtime, Zip: z.Zip})
		if err != nil {
			return in, fmt.Errorf("build: sbom: zones: %w", err)
		}
		var fs []sbom.File
		for _, f := range files {
			fs = append(fs, sbom.NewFile(f.Path, f.Data))
		}
		in.Components = append(in.Components, sbom.TZData(z.Release, fs...))
	}
	if len(rep.Files) > 0 {
		c := sbom.Component{
			Name:    "files",
			Comment: "Files added to the image from the build host (Recipe.Files, minimage build --file); where they come from is not known.",
		}
		for _, fr := range rep.Files {
			f, err := sbomFile(fr.Path, fr.SHA1, fr.Digest.Encoded())
			if err != nil {
				return in, err
			}
			c.Files = append(c.Files, f)
		}
		in.Components = append(in.Components, c)
	}
	return in, nil
}

// sbomFile returns the sbom.File at p with the hashes the report holds.
func sbomFile(p string, sha1 [20]byte, sha256Hex string) (sbom.File, error) {
	f := sbom.File{Path: p, SHA1: sha1}
	if n, err := hex.Decode(f.SHA256[:], []byte(sha256Hex)); err != nil || n != len(f.SHA256) {
		return f, fmt.Errorf("build: sbom: %s: the report has no sha256 digest", p)
	}
	return f, nil
}

// writeSBOMs puts the documents where Recipe.SBOM says: the referrers
// into each layout output and to each registry output, the files into
// Dir.
func (p *plan) writeSBOMs(ctx context.Context, res *Result) error {
	s := p.r.SBOM
	if s.None {
		return nil
	}
	ms, err := res.Referrers()
	if err != nil {
		return err
	}
	for _, o := range p.r.Outputs {
		if o.Format != Registry {
			continue
		}
		p.step("attaching the SBOMs to %s", o.Path)
		if _, err := remote.PushReferrers(ctx, o.Path, ms, o.Remote); err != nil {
			return fmt.Errorf("build: output %s: %w", o.Path, err)
		}
	}
	if s.Referrer {
		for _, o := range p.r.Outputs {
			if o.Format != Layout || o.Writer != nil {
				continue
			}
			p.step("adding the SBOM referrers to %s", o.Path)
			for _, m := range ms {
				if err := layout.Write(ctx, o.Path, m, layout.Options{}); err != nil {
					return fmt.Errorf("build: output %s: sbom referrer: %w", o.Path, err)
				}
			}
		}
	}
	if s.Dir != "" {
		p.step("writing the SBOMs to %s", s.Dir)
		if err := os.MkdirAll(s.Dir, 0o777); err != nil {
			return fmt.Errorf("build: sbom: %w", err)
		}
		for i, img := range res.Images {
			name := sbom.FileName(p.sbomName, img.Platform().String())
			if err := oci.WriteFileAtomic(s.Dir, name, res.SBOMs[i]); err != nil {
				return fmt.Errorf("build: sbom: %w", err)
			}
		}
	}
	return nil
}
