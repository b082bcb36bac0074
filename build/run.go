package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
	"golang.org/x/sync/errgroup"
)

// Run checks r, builds its images and writes them to r.Outputs.
//
// Nothing is compiled, compressed or written before every check passes
// (see the package documentation); those errors wrap ErrInvalid. Then the
// shared layers are built while go build compiles each platform, each
// binary is added as soon as it is there, and the artifact is written to
// each output in turn, atomically, then the SBOMs where Recipe.SBOM
// says and to each Registry output, and the provenance (Recipe.Provenance)
// to each Registry output: signed, with the signatures, when
// Recipe.Sign has a key. A Registry output gets each platform's image,
// by digest, as soon as it is built, while the next compiles, and the
// binary's layer while it compresses (see GoBuild.Cache); the tag is set
// last. Run stops promptly when ctx is
// cancelled, interrupting go build and removing its temporary directory,
// and returns only after everything it started has stopped.
func Run(ctx context.Context, r Recipe) (*Result, error) {
	r = r.withMounts(nil)
	p, err := r.plan(ctx)
	if err != nil {
		return nil, err
	}
	p.inPlace = newInPlace(r.Outputs)
	defer p.inPlace.abort()
	res, err := p.build(ctx)
	if err != nil {
		return nil, err
	}
	return res, p.publish(ctx, res)
}

// publish makes the provenance of res and writes res to the outputs,
// then the SBOMs and attestations.
func (p *plan) publish(ctx context.Context, res *Result) error {
	r := &p.r
	var err error
	if !r.Provenance.None {
		if res.Provenance, err = p.provenance(res); err != nil {
			return err
		}
	}
	for _, o := range r.Outputs {
		if o.Format == Registry {
			p.step("pushing %s", o.Path)
		} else {
			p.step("writing %s (%s)", o.Path, o.Format)
		}
		if err := p.writeOutput(ctx, o, res.Artifact, r.Tags); err != nil {
			return fmt.Errorf("build: output %s: %w", o.Path, err)
		}
	}
	if err := p.writeSBOMs(ctx, res); err != nil {
		return err
	}
	return p.publishAttestations(ctx, res)
}

// binary is a program ready to go into an image: its host path and what
// the report says of it.
type binary struct {
	path   string
	report BinaryReport
}

// sharedParts is what every platform's image shares: layers, and the report
// of Recipe.Files.
type sharedParts struct {
	layers []sharedLayer
	files  []FileReport
}

type sharedLayer struct {
	layer     *layer.Layer
	createdBy string
}

// build runs the pipeline and makes the result: one image, or an index
// of the images.
func (p *plan) build(ctx context.Context) (*Result, error) {
	if p.r.Bare {
		p.emit(Event{Kind: Note, Message: fmt.Sprintf("bare: the image holds the binary alone and runs as %s; it has no /etc/passwd, no CA certificates and no time zones", p.user)})
	}
	var tmp string
	if p.r.Package != "" && p.fromGroup == nil {
		var err error
		if tmp, err = os.MkdirTemp("", "minimage-build-*"); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		defer os.RemoveAll(tmp) // after the pipeline: nothing uses it then
	}
	res, err := p.pipeline(ctx, tmp)
	if err != nil {
		return nil, err
	}
	if len(res.Images) == 1 {
		res.Artifact = res.Images[0]
		return res, nil
	}
	ix, err := image.NewIndex(res.Images...)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for k, v := range p.r.Annotations {
		ix = ix.WithAnnotation(k, v)
	}
	res.Artifact = ix
	return res, nil
}

// pipeline builds the shared layers, the binaries (go build into tmp)
// and the images, each in goroutines of their own, and pushes each image
// to the Registry outputs as soon as it is built (see prepush), all
// joined before it returns; the first error cancels the rest. The result has no Artifact
// yet.
func (p *plan) pipeline(ctx context.Context, tmp string) (*Result, error) {
	g, ctx := errgroup.WithContext(ctx)
	p.pre = p.newPrepush(ctx, g)
	defer p.pre.close()
	shared := make(chan sharedParts, 1)
	g.Go(func() error {
		s, err := p.sharedLayers(ctx)
		if err != nil {
			return err
		}
		shared <- s
		return nil
	})
	bins := make([]chan binary, len(p.platforms))
	for i := range bins {
		bins[i] = make(chan binary, 1)
	}
	g.Go(func() error { return p.binaries(ctx, tmp, bins) })
	n := len(p.platforms)
	res := &Result{Images: make([]*image.Image, n), Report: Report{Platforms: make([]PlatformReport, n)}, sbomName: p.sbomName, subjectName: p.subjectName}
	if !p.r.SBOM.None {
		res.SBOMs = make([][]byte, n)
	}
	g.Go(func() error { return p.images(ctx, shared, bins, res) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return res, nil
}

// binaries runs the go builds (or takes Recipe.Binaries) in platform
// order, p.parallel at a time, and sends each binary on its channel.
func (p *plan) binaries(ctx context.Context, tmp string, bins []chan binary) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(p.parallel)
	for i, pl := range p.platforms {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err // a build failed while this one waited for a slot
			}
			b, err := p.binary(ctx, i, pl, tmp)
			if err != nil {
				return err
			}
			bins[i] <- b
			return nil
		})
	}
	return g.Wait()
}

// images assembles each platform's image, in platform order, as soon as
// the shared layers and its binary are there, while the next binaries
// compile, and fills in res: images, reports and SBOMs.
func (p *plan) images(ctx context.Context, shared <-chan sharedParts, bins []chan binary, res *Result) error {
	var s sharedParts
	select {
	case s = <-shared:
	case <-ctx.Done():
		return ctx.Err()
	}
	for i := range p.platforms {
		var b binary
		select {
		case b = <-bins[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		img, rep, doc, err := p.image(ctx, i, b, s)
		if err != nil {
			return err
		}
		res.Images[i], res.Report.Platforms[i] = img, rep
		p.pre.image(i, img)
		if res.SBOMs == nil {
			continue
		}
		if doc == nil {
			if doc, err = p.sbom(rep); err != nil {
				return err
			}
		}
		res.SBOMs[i] = doc
	}
	return nil
}

// binary compiles the package for pl, platform i, into dir, or takes its
// binary of Recipe.Binaries, and reads what the report says of it.
func (p *plan) binary(ctx context.Context, i int, pl image.Platform, dir string) (binary, error) {
	var b binary
	switch {
	case p.binPaths != nil:
		b.path = p.binPaths[i]
	case p.fromGroup != nil:
		var err error
		if b.path, err = p.fromGroup(ctx, pl); err != nil {
			return binary{}, err
		}
	default:
		p.step("go build %s for %s", p.r.Package, pl)
		name := strings.ReplaceAll(pl.String(), "/", "-")
		abs, err := filepath.Abs(filepath.Join(dir, name))
		if err != nil {
			return binary{}, fmt.Errorf("build: %w", err)
		}
		gotmp := abs + ".tmp"
		if err := os.Mkdir(gotmp, 0o700); err != nil {
			return binary{}, fmt.Errorf("build: %w", err)
		}
		gb := newGoBuild(&p.r, p.procs)
		run := gb.run
		if p.r.GoBuild.Cache != "" {
			run = gb.runCached
			p.pre.speculate(i, gb, pl)
		}
		if err := run(ctx, pl, abs, gotmp); err != nil {
			return binary{}, err
		}
		p.pre.settle(i, abs)
		b.path = abs
	}
	var err error
	b.report, err = binaryReport(b.path, p.dest, p.r.Package, p.sbomPath != "")
	return b, err
}

// image assembles the image of platform i: base, shared layers, binary,
// config. With an SBOM in the image it returns the document too, which
// then carries no image digest; otherwise the document is nil.
func (p *plan) image(ctx context.Context, i int, b binary, shared sharedParts) (*image.Image, PlatformReport, []byte, error) {
	pl := p.platforms[i]
	rep := PlatformReport{Platform: pl, Binary: b.report, Zones: p.zones}
	img := image.New(pl)
	if p.bases != nil {
		bi := p.bases[i]
		img = image.FromBase(bi, p.r.Base.Name())
		rep.Base = &BaseReport{Name: p.r.Base.Name(), Digest: bi.Digest()}
	}
	for _, s := range shared.layers {
		if slices.ContainsFunc(img.Layers(), func(l *layer.Layer) bool { return l.Digest() == s.layer.Digest() }) {
			continue // the base already has it, such as the CA bundle
		}
		img = img.AppendLayer(s.layer, image.History{CreatedBy: s.createdBy})
	}
	if !p.r.Bare && !p.r.NoCerts {
		rep.Certs = certsReport()
	}
	rep.Files = shared.files
	var doc []byte
	var files map[string][]byte
	if p.sbomPath != "" {
		var err error
		if doc, err = p.sbom(rep); err != nil {
			return nil, PlatformReport{}, nil, err
		}
		files = map[string][]byte{p.sbomPath: doc}
	}
	p.step("adding the binary for %s", pl)
	lo, err := p.inPlace.binaryOptions(ctx, img, p.layerOptions("binary "+pl.String(), tarSize(b.report.Size)), b.report.Size)
	if err != nil {
		return nil, PlatformReport{}, nil, fmt.Errorf("build: %w", err)
	}
	opts := gobinary.Options{
		AllowDynamic: p.r.AllowDynamic,
		Layer:        lo,
		Files:        files,
		History:      image.History{CreatedBy: binaryCreatedBy(b.report)},
	}
	opts.Layer = p.pre.layer(ctx, i, b.path, layerKey{p.dest, files}, opts.Layer)
	img, err = p.addBinary(ctx, i, img, b.path, opts, &rep.Binary)
	if err := p.inPlace.built(img, lo, err); err != nil {
		return nil, PlatformReport{}, nil, fmt.Errorf("build: %w", err)
	}
	img = p.configure(img)
	rep.Digest = img.Digest()
	return img, rep, doc, nil
}

// addBinary returns img with the binary bin of platform i added by
// opts, in the layer that its speculation built if it did (see
// prepush.built), and fills br's hashes of the binary unless it has
// them or the recipe makes no SBOM.
func (p *plan) addBinary(ctx context.Context, i int, img *image.Image, bin string, opts gobinary.Options, br *BinaryReport) (*image.Image, error) {
	hash := br.Digest == "" && !p.r.SBOM.None
	if l, sum := p.pre.built(i); l != nil {
		f, err := os.Open(bin)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if hash {
			sum.fill(br)
		}
		return gobinary.AddLayer(img, p.dest, f, bin, l, opts)
	}
	var hasher *hasher
	if hash {
		// Hash the binary for the SBOM in the read that builds its
		// layer.
		hasher = newHasher()
		opts.Tee = hasher
	}
	img, err := gobinary.Add(ctx, img, p.dest, bin, opts)
	if err == nil && hasher != nil {
		hasher.fill(br)
	}
	return img, err
}

// configure applies the recipe's runtime config and annotations.
func (p *plan) configure(img *image.Image) *image.Image {
	r := &p.r
	img = img.WithUser(p.user)
	if !r.Created.IsZero() {
		img = img.WithCreated(r.Created)
	}
	if r.ZoneinfoZip && p.zones != nil {
		for _, kv := range tzdata.Env(tzdata.Options{Zip: true}) {
			k, v, _ := strings.Cut(kv, "=")
			img = img.WithEnv(k, v)
		}
	}
	for _, kv := range p.env {
		img = img.WithEnv(kv[0], kv[1])
	}
	for k, v := range r.Labels {
		img = img.WithLabel(k, v)
	}
	for k, v := range r.Annotations {
		img = img.WithAnnotation(k, v)
	}
	if p.workdir != "" {
		img = img.WithWorkingDir(p.workdir)
	}
	for _, port := range p.ports {
		img = img.WithExposedPort(port)
	}
	return img
}

// sharedLayers builds the layers every platform shares, each once: the
// base files, the CA bundle, the zones and Recipe.Files, whose hashes it
// reports.
func (p *plan) sharedLayers(ctx context.Context) (sharedParts, error) {
	r := &p.r
	var out []sharedLayer
	add := func(what string, build func(lo layer.Options) (*layer.Layer, error)) error {
		if what == "files" && p.files == nil {
			p.step("building the %s layer", what) // Files are this recipe's own
		} else {
			p.sharedStep("building the %s layer", what)
		}
		l, err := build(p.layerOptions(what, 0))
		if err != nil {
			return fmt.Errorf("build: %s: %w", what, err)
		}
		out = append(out, sharedLayer{l, p.createdBy(what)})
		return nil
	}
	if !r.Bare && r.Base == nil {
		if err := add("base files", func(lo layer.Options) (*layer.Layer, error) {
			return base.Layer(ctx, base.Options{Layer: lo, Cache: r.Cache})
		}); err != nil {
			return sharedParts{}, err
		}
	}
	if !r.Bare && !r.NoCerts {
		if err := add("CA certificates", func(lo layer.Options) (*layer.Layer, error) {
			return certs.Layer(ctx, certs.Options{Layer: lo, Cache: r.Cache})
		}); err != nil {
			return sharedParts{}, err
		}
	}
	if p.zones != nil {
		if err := add("time zones", func(lo layer.Options) (*layer.Layer, error) {
			return tzdata.Layer(ctx, tzdata.Options{Zones: r.Zones, Localtime: r.Localtime, Zip: r.ZoneinfoZip, Layer: lo, Cache: r.Cache})
		}); err != nil {
			return sharedParts{}, err
		}
	}
	var files []FileReport
	if len(r.Files) > 0 {
		if err := add("files", func(lo layer.Options) (l *layer.Layer, err error) {
			build := func() (*layer.Layer, []FileReport, error) { return buildFiles(ctx, lo, r.Files) }
			if p.files != nil {
				l, files, err = p.files.get(build)
			} else {
				l, files, err = build()
			}
			return l, err
		}); err != nil {
			return sharedParts{}, err
		}
	}
	return sharedParts{out, files}, nil
}
