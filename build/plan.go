package build

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// plan is a checked recipe: everything Run needs, worked out before any
// work starts.
type plan struct {
	r         Recipe
	platforms []image.Platform
	bases     []*image.Image // per platform; nil without a Base
	user      string
	workdir   string // "" leaves the config's
	ports     []string
	env       [][2]string
	zones     *ZonesReport // nil without zones
	dest      string       // the binary's path in the image
	binPaths  []string     // with Recipe.Binaries, the host path per platform
	layer     layer.Options
	parallel  int // go builds at once
	procs     int // go build -p

	// fromGroup, set by RunAll, waits for the binary that the go build
	// of the recipe's group compiled for a platform and returns its path.
	fromGroup func(context.Context, image.Platform) (string, error)

	sbomName string // the image reference the SBOMs name; "" with SBOM.None
	sbomPath string // the SBOM's path in the image, or ""

	subjectName string // the name the in-toto statements give the images

	inPlace *inPlace // the tarball output written as the build goes, or nil

	// name names the plan's events (Event.Image) and once reports the
	// steps of shared work once across plans; both set by RunAll.
	name string
	once *stepOnce

	pre *prepush // set by pipeline; nil when nothing is pushed

	files *filesLayer // Recipe.Files' layer, shared by RunAll's plans; nil: the plan's own

	mu sync.Mutex // serializes r.Progress
}

// Validate checks r as Run does before any work: every field and every
// combination of fields, host files, Binaries and outputs (that each
// exists or can be written), without reading a Base or compiling
// anything. Run calls it; a tool that takes recipes from its users can
// call it first. Errors wrap ErrInvalid and say how to fix the recipe.
func (r Recipe) Validate() error {
	_, err := r.check()
	return err
}

// check runs Validate's checks and returns the plan they fill in.
func (r Recipe) check() (*plan, error) {
	p := &plan{r: r}
	for _, check := range []func() error{
		p.checkTarget, p.checkPlatforms, p.checkLayer, p.checkContents,
		p.checkUser, p.checkConfig, p.checkZones, p.checkFiles,
		p.checkOutputs, p.checkSBOM, p.checkSign, p.checkBaseKey,
	} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// plan checks r and resolves its defaults, reading only what it must:
// the base's manifests and configs and the Binaries' headers.
func (r Recipe) plan(ctx context.Context) (*plan, error) {
	p, err := r.check()
	if err != nil {
		return nil, err
	}
	if p.layer.Limiter == nil {
		// Bound this run's builds, platforms and shared layers together.
		p.layer.Limiter = layer.NewLimiter(0)
	}
	if p.r.Base != nil { // p.r.Base, which checkBaseKey may wrap
		for _, pl := range p.platforms {
			img, err := p.r.Base.Image(ctx, pl)
			if err != nil {
				return nil, err
			}
			p.bases = append(p.bases, img)
		}
	}
	if p.user == "" {
		if err := p.resolveUser(ctx); err != nil {
			return nil, err
		}
	}
	p.setWorkdir()
	p.parallel = r.GoBuild.Parallel
	if p.parallel <= 0 {
		p.parallel = min(len(p.platforms), runtime.GOMAXPROCS(0))
	}
	p.procs = max(1, runtime.GOMAXPROCS(0)/p.parallel)
	return p, nil
}

// checkLayer checks Created and Layer and sets the options of new
// layers.
func (p *plan) checkLayer() error {
	r := &p.r
	if err := checkCreated(r.Created); err != nil {
		return err
	}
	if r.Layer.Tee != nil || r.Layer.Sink != nil {
		return invalid("Recipe.Layer.Tee and Sink must be nil: a build makes several layers and puts each where Outputs say (read them from the Result, or push with a Registry output)")
	}
	p.layer = r.Layer
	p.layer.ModTime, p.layer.Progress, p.layer.FileContents = r.Created, nil, nil
	if p.layer.SpillDir == "" {
		p.layer.SpillDir, p.layer.SpillWriteback = spillDir(r.Outputs)
	}
	if err := p.layer.Validate(); err != nil {
		return invalid("%w", err)
	}
	return nil
}

// checkContents refuses switches of what the image holds that contradict
// each other.
func (p *plan) checkContents() error {
	r := &p.r
	switch {
	case r.Bare && r.Base != nil:
		return invalid("a bare image is the binary alone; it cannot take a base: drop Bare or Base")
	case r.Bare && (len(r.Zones) > 0 || r.Localtime != ""):
		return invalid("a bare image is the binary alone; it cannot take zones or a localtime: drop Bare, or Zones and Localtime")
	case r.Bare && r.AllowDynamic:
		return invalid("a bare image has no C library for a dynamically linked binary to load; drop Bare and give a Base that holds one, or build with CGO_ENABLED=0 and drop AllowDynamic")
	}
	return nil
}

// checkUser parses User and resolves a name against minimage's base
// files; on a Base, a name is resolved once the base is read.
func (p *plan) checkUser() error {
	var err error
	if p.user, err = parseUser(p.r.User); err != nil || p.user != "" || p.r.Base != nil {
		return err
	}
	return p.resolveUser(context.Background()) // reads no base: nothing to cancel
}

// checkTarget checks Package or Binaries and sets dest.
func (p *plan) checkTarget() error {
	r := &p.r
	switch {
	case (r.Package == "") == (len(r.Binaries) == 0):
		return invalid("give exactly one of Package (a Go package to compile) and Binaries (built binaries)")
	case len(r.Binaries) > 0:
		if err := checkBinaryFiles(r.Binaries, r.Path); err != nil {
			return err
		}
	case strings.HasPrefix(r.Package, ".") || filepath.IsAbs(r.Package):
		full := r.Package
		if !filepath.IsAbs(full) && r.Dir != "" {
			full = filepath.Join(r.Dir, full)
		}
		if _, err := os.Stat(full); err != nil {
			return invalid("package %s does not exist; give a Go package directory such as ./cmd/server, an import path, or a built binary", r.Package)
		}
	}
	p.dest = path.Clean("/" + r.Path)
	if r.Path == "" {
		p.dest = "/" + r.Name()
	}
	if p.dest == "/" {
		return invalid("path %q: the binary needs a file name, such as /app", r.Path)
	}
	return nil
}

// checkPlatforms checks the platforms; with Binaries, those of the
// binaries.
func (p *plan) checkPlatforms() error {
	r := &p.r
	p.platforms = r.Platforms
	if len(p.platforms) == 0 && len(r.Binaries) == 0 {
		p.platforms = []image.Platform{{OS: "linux", Architecture: runtime.GOARCH}}
	}
	for i, pl := range p.platforms {
		if err := checkPlatform(pl); err != nil {
			return err
		}
		for _, q := range p.platforms[:i] {
			if pl.Same(q) {
				return invalid("platform %s is given twice", pl)
			}
		}
	}
	if len(r.Binaries) == 0 {
		return nil
	}
	return p.checkBinaries()
}

// checkConfig checks the environment, labels, annotations, ports and
// working directory.
func (p *plan) checkConfig() error {
	r := &p.r
	for _, kv := range r.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return invalid("env %q: want KEY=VALUE", kv)
		}
		p.env = append(p.env, [2]string{k, v})
	}
	for what, m := range map[string]map[string]string{"label": r.Labels, "annotation": r.Annotations} {
		if _, ok := m[""]; ok {
			return invalid("%s with an empty key: want KEY=VALUE", what)
		}
	}
	for _, s := range r.Ports {
		port, err := ParsePort(s)
		if err != nil {
			return err
		}
		p.ports = append(p.ports, port)
	}
	return nil
}

// setWorkdir sets the working directory once the user is known.
func (p *plan) setWorkdir() {
	r := &p.r
	uid, _, _ := strings.Cut(p.user, ":")
	switch {
	case r.WorkingDir != "":
		p.workdir = path.Clean("/" + r.WorkingDir)
	case r.Base == nil && !r.Bare && uid == fmt.Sprint(base.NonrootUID):
		p.workdir = base.NonrootHome
	}
}

// checkZones checks Zones and Localtime against the embedded tzdata.
func (p *plan) checkZones() error {
	r := &p.r
	if len(r.Zones) == 0 && r.Localtime == "" {
		if r.ZoneinfoZip {
			return invalid("zoneinfo zip without zones; name the zones to include")
		}
		return nil
	}
	pats := r.Zones
	if r.Localtime != "" {
		if _, err := tzdata.Canonical(r.Localtime); err != nil {
			return invalid("localtime: %w", err)
		}
		pats = append(pats[:len(pats):len(pats)], r.Localtime)
	}
	names, err := tzdata.Select(pats...)
	if err != nil {
		return invalid("zones: %w", err)
	}
	p.zones = &ZonesReport{Release: tzdata.Release, Zones: names, Localtime: r.Localtime, Zip: r.ZoneinfoZip}
	return nil
}

// checkOutputs checks each output and that no two are the same.
func (p *plan) checkOutputs() error {
	seen := map[string]bool{}
	for _, o := range p.r.Outputs {
		if o.Format != Registry && !reflect.ValueOf(o.Remote).IsZero() {
			return invalid("output %s: Remote is set, but a %s output talks to no registry; drop Remote, or set Format to Registry", o.Path, o.Format)
		}
		if o.Format == Registry {
			ref, err := checkRegistryOutput(o)
			if err != nil {
				return err
			}
			if seen[ref] {
				return invalid("output %s is given twice", o.Path)
			}
			seen[ref] = true
			continue
		}
		if err := checkOutput(o); err != nil {
			return err
		}
		if o.Writer != nil {
			continue
		}
		abs, err := filepath.Abs(o.Path)
		if err != nil {
			return invalid("output %s: %v", o.Path, err)
		}
		if seen[abs] {
			return invalid("output %s is given twice", o.Path)
		}
		seen[abs] = true
	}
	return nil
}

// emit passes e to Recipe.Progress, one call at a time.
func (p *plan) emit(e Event) {
	if p.r.Progress == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.r.Progress(e)
}

func (p *plan) step(format string, args ...any) {
	p.emit(Event{Kind: Step, Message: fmt.Sprintf(format, args...), Image: p.name})
}

// sharedStep reports a step of work the plans of a RunAll share, such as
// building the CA bundle's layer: once, however many plans take part.
func (p *plan) sharedStep(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.once.first(msg) {
		p.emit(Event{Kind: Step, Message: msg})
	}
}

// stepOnce is the set of shared steps already reported; a nil *stepOnce
// reports each (Run's plan shares with no other).
type stepOnce struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (o *stepOnce) first(msg string) bool {
	if o == nil {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen[msg] {
		return false
	}
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	o.seen[msg] = true
	return true
}

// layerOptions returns the options of a new layer, reporting its bytes
// as name, of total tar bytes (0: unknown).
func (p *plan) layerOptions(name string, total int64) layer.Options {
	lo := p.layer
	if p.r.Progress != nil {
		lo.Progress = func(b layer.Progress) {
			p.emit(Event{Kind: LayerBytes, Layer: name, Bytes: b, Total: total, Image: p.name})
		}
	}
	return lo
}

// tarSize is the length of a tar stream that holds one file of size
// bytes: a header, the content padded to 512-byte blocks, and the two
// zero blocks that end it.
func tarSize(size int64) int64 { return 512 + (size+511)/512*512 + 1024 }

// spillDir returns where large layers spill for outputs: beside the first
// layout output, so that layout.Write links them into place instead of
// copying them, with writeback as they are written (linked is true);
// else in the directory of the first tarball file, so that the kernel can
// copy them into it (copy_file_range works within a file system, and
// os.TempDir may be a tmpfs, whose spill would take memory); else "",
// os.TempDir.
func spillDir(outs []Output) (dir string, linked bool) {
	for _, o := range outs {
		if o.Format == Layout && o.Writer == nil {
			return layout.SpillDir(o.Path), true
		}
	}
	for _, o := range outs {
		if o.Format == Tarball && o.Writer == nil {
			return filepath.Dir(o.Path), false
		}
	}
	return "", false
}
