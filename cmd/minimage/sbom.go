package main

// The SBOM flags of "minimage build", and what "minimage push" does with
// the SBOM referrers a layout holds. build.go registers and applies the
// flags:
//
//	f.sbom.register(fs)          in newBuildFlagSet
//	err := f.sbom.apply(&r)      in recipe, after the tags are set

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/ref"
	"github.com/minimage/minimage/image/remote"
)

// sbomFlags are the SBOM flags of "minimage build".
type sbomFlags struct {
	mode     string
	dir      string
	referrer bool
	inImage  optionalPath
}

func (f *sbomFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "sbom", "spdx", "`MODE` spdx: an SPDX 2.3 SBOM per platform image, attached to it as an OCI referrer by --push, signed into -o DIR by --sign-key, and written where --sbom-out, --sbom-referrer and --sbom-in-image say (a build with none of these makes none); none: no SBOM anywhere")
	fs.StringVar(&f.dir, "sbom-out", "", "write each platform's SBOM into `DIR` as NAME-OS-ARCH.spdx.json")
	fs.BoolVar(&f.referrer, "sbom-referrer", false, "add each platform's SBOM to layout outputs as an OCI referrer (oras discover --oci-layout lists it); the layout then holds more than one entry, so give the tag (oci:DIR:TAG) to tools that read it")
	fs.Var(&f.inImage, "sbom-in-image", "put each platform's SBOM into its image, at /usr/share/sbom/NAME.spdx.json or at `=PATH`; it changes the image digest, and the SBOM then holds none")
}

// apply sets r.SBOM from the flags; r's tags and target are set.
func (f *sbomFlags) apply(r *build.Recipe) error {
	switch f.mode {
	case "spdx":
	case "none":
		if f.dir != "" || f.referrer || f.inImage.set {
			return fmt.Errorf("%w: --sbom=none makes no SBOM; it cannot be combined with --sbom-out, --sbom-referrer or --sbom-in-image", errUsage)
		}
		r.SBOM.None = true
		return nil
	default:
		return fmt.Errorf("%w: --sbom %q: want spdx or none", errUsage, f.mode)
	}
	r.SBOM.Dir, r.SBOM.Referrer = f.dir, f.referrer
	signedLayout := r.Sign.Key != nil && hasOutput(r.Outputs, build.Layout)
	if f.dir == "" && !f.referrer && !f.inImage.set && !hasOutput(r.Outputs, build.Registry) && !signedLayout {
		// Nothing would receive the documents (a --push, or the signed
		// attestations --sign-key adds to a layout): making them would
		// only cost SPDX's SHA-1 and SHA-256 of the binary, a fifth of
		// the compressor's time for a large one.
		r.SBOM.None = true
		return nil
	}
	if f.referrer && !hasOutput(r.Outputs, build.Layout) && !hasOutput(r.Outputs, build.Registry) {
		return fmt.Errorf("%w: --sbom-referrer adds referrers to OCI layout outputs, and there is none; add -o DIR (a --push attaches them without it)", errUsage)
	}
	if f.inImage.set {
		r.SBOM.InImage = f.inImage.path
		if r.SBOM.InImage == "" {
			r.SBOM.InImage = build.SBOMInImagePath(r.Name())
		}
	}
	return nil
}

func hasOutput(outs []build.Output, f build.OutputFormat) bool {
	for _, o := range outs {
		if o.Format == f && o.Writer == nil {
			return true
		}
	}
	return false
}

// optionalPath is a flag that may be given alone (--flag) or with a value
// (--flag=PATH).
type optionalPath struct {
	set  bool
	path string
}

func (p *optionalPath) String() string   { return p.path }
func (p *optionalPath) IsBoolFlag() bool { return true }

func (p *optionalPath) Set(v string) error {
	switch v {
	case "true":
		p.set, p.path = true, ""
	case "false":
		p.set, p.path = false, ""
	case "":
		return fmt.Errorf("give a path, such as --sbom-in-image=/usr/share/sbom/app.spdx.json, or the flag alone")
	default:
		p.set, p.path = true, v
	}
	return nil
}

// pushLayoutReferrers pushes the referrers of a that the layout src
// (PATH[:TAG]) holds, if it is a layout, into the repository of dst.
func pushLayoutReferrers(ctx context.Context, src, dst string, a image.Artifact, opts remote.Options, quiet bool, stderr io.Writer) error {
	r, err := ref.Parse(src, ref.Options{Local: true})
	if err != nil || r.Kind != ref.Layout {
		return nil
	}
	l, err := layout.Read(r.Path)
	if err != nil {
		return err
	}
	refs, err := l.Referrers(ctx, a)
	if err != nil {
		return err
	}
	ds, err := remote.PushReferrers(ctx, dst, refs, opts)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if !quiet {
			fmt.Fprintf(stderr, "minimage: pushed referrer %s (%s)\n", d.Digest, d.ArtifactType)
		}
	}
	return nil
}
