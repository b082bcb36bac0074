package build

import (
	"crypto/ecdsa"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
)

// Recipe says what Run builds and where it writes it. Its zero value is
// not runnable: set Package or Binaries. Every other field's zero value is
// the documented default. Fields that contradict each other are refused
// by Validate, which Run calls before any work. Run reads the recipe and
// does not keep it.
type Recipe struct {
	// Package is the Go package to compile for each platform: a
	// directory ("./cmd/server", resolved in Dir) or an import path
	// ("example.com/app/cmd/server"). A directory is built from inside
	// it, so the module it belongs to is used wherever Run runs. Exactly
	// one of Package and Binaries is set.
	Package string

	// Binaries are programs already built, one per platform: each makes
	// the image of its platform. Each is checked before any work: an ELF
	// executable for its platform, statically linked unless AllowDynamic
	// is set. Binaries whose file names differ need Path, which then
	// names the image.
	Binaries []Binary

	// Dir is the directory go build runs in and Package is resolved in;
	// "" means the current directory.
	Dir string

	// Path is where the binary goes in the image, which is also the
	// entrypoint; "" means "/" + Name().
	Path string

	// Platforms are the images to build, one per platform; several make
	// an index, in this order. nil means linux/GOARCH of the running
	// program, or with Binaries their platforms, in their order. Only
	// linux platforms with an architecture and variant Go can build for
	// are accepted (image.ParsePlatform parses one). With Binaries, it
	// must list each binary's platform and no other.
	Platforms []image.Platform

	// Base is the image to build on, per platform, instead of
	// minimage's base files; see OpenBase. Its layers come first,
	// unchanged, and its config is inherited.
	Base Base

	// BaseKey, when set, makes Run refuse a Base not signed by this
	// ECDSA P-256 public key (signature.ReadPublicKeyFile), before any
	// work: in a registry, the manifest the reference names and the
	// image taken from it must each have a signature by the key, in
	// cosign's tag scheme or as a sigstore bundle referrer (as
	// signature.PullVerified checks); in an OCI layout, each manifest of
	// the entry a bundle referrer (signature.VerifyLayout). The error
	// names the digest and the reason (signature.ErrNoSignature,
	// ErrWrongKey, ErrDigestMismatch). Other bases are refused.
	BaseKey *ecdsa.PublicKey

	// Bare builds the binary alone, like FROM scratch: no base files, no
	// CA bundle, no zones. It cannot be combined with Base, Zones,
	// Localtime or AllowDynamic (NoCerts adds nothing to it).
	Bare bool

	// NoCerts leaves out the Mozilla CA bundle.
	NoCerts bool

	// Zones are the time zones to include: names and patterns as package
	// tzdata takes them ("Europe/Paris", "America/*", "all").
	Zones []string

	// Localtime makes /etc/localtime the zone it names (and includes it).
	Localtime string

	// ZoneinfoZip ships the zones as one zip with ZONEINFO set in the
	// environment, for images whose programs are all Go.
	ZoneinfoZip bool

	// Files are files and trees to add, in one layer below the binary.
	Files []File

	// User is who the image runs as: "" or "nonroot" (65532:65532),
	// "root" (0:0), numeric "UID[:GID]", or "USER[:GROUP]" with names
	// the image's /etc/passwd and /etc/group hold ("nobody" is
	// 65534:65534 in minimage's base files; with a Base, its files are
	// read). A name becomes numeric ids in the config, the user's primary
	// group unless GROUP is given. It is set on a Base's config too.
	User string

	// WorkingDir is the entrypoint's working directory. "" means
	// /home/nonroot (base.NonrootHome) for an image of minimage's base
	// files that runs as nonroot, as distroless's nonroot images do; on a
	// Base, the base's; otherwise none, which runtimes take as "/".
	WorkingDir string

	// Env holds "KEY=VALUE" entries, set in this order; a later KEY
	// replaces an earlier one in place.
	Env []string

	// Labels are config labels, on every image.
	Labels map[string]string

	// Annotations are manifest annotations, on every image and on the
	// index.
	Annotations map[string]string

	// Ports are exposed ports, "PORT" or "PORT/PROTO" with PROTO tcp, udp
	// or sctp and PORT 1 to 65535.
	Ports []string

	// Created is the images' creation time and every layer entry's
	// modification time. The zero value is the Unix epoch (see
	// layer.SourceDateEpoch to take it from SOURCE_DATE_EPOCH). Years 0
	// to 9999 are accepted: what an image config can hold.
	Created time.Time

	// Layer holds the options every new layer is built with: its Format
	// (compression, level, block size; its ModTime is Created) and how
	// the work runs (gzip blocks in flight, spill threshold and
	// directory, Limiter). Run sets its Progress and FileContents (to
	// hash Files for the report); Tee and Sink, which take one layer's
	// blob, must be nil. A nil Limiter gives the run one of its
	// own (layer.NewLimiter(0): GOMAXPROCS layers at once); programs
	// running many builds at once share one Limiter among their Recipes
	// to bound them together.
	Layer layer.Options

	// Cache, if set, holds the base, CA and zone layers across runs that
	// share it (see layer.Cache), so that a program running many builds
	// builds each once. nil builds them in every run; a run builds each
	// once for all its platforms either way.
	Cache *layer.Cache

	// SBOM says where each image's software bill of materials goes; see
	// SBOMOptions. The zero value makes the documents (Result.SBOMs) and
	// writes them nowhere.
	SBOM SBOMOptions

	// Provenance says whether Run makes SLSA provenance of the build;
	// see ProvenanceOptions. The zero value makes it.
	Provenance ProvenanceOptions

	// Sign, with a Key, signs and attests what Run pushes to Registry
	// outputs; see SignOptions. The zero value signs nothing.
	Sign SignOptions

	// AllowDynamic accepts a dynamically linked binary, for a Base that
	// holds its C library. It cannot be combined with Bare.
	AllowDynamic bool

	// GoBuild holds more settings for go build.
	GoBuild GoBuild

	// Outputs are where the artifact is written, in order, each
	// atomically (a layout keeps what it held, a tarball file is replaced
	// whole). None means Run only builds.
	Outputs []Output

	// Tags name the artifact in layout and tarball outputs, alike (see
	// layout.Options.Tags): a tag alone ("v1") or a docker reference
	// ("ghcr.io/me/app:v1"), whose tag goes into ref.name and whose full
	// name beside it. nil means none.
	Tags []string

	// Progress, if set, is told what Run is doing. Run serializes the
	// calls, so it need not be safe for concurrent use, but it must not
	// block for long.
	Progress func(Event)
}

// Binary is a program already built, for one platform.
type Binary struct {
	// Path is its host path.
	Path string
	// Platform is the platform it is for. The zero value means the one
	// its ELF header and Go build settings name (see
	// gobinary.Info.Platform): GOARM, GOAMD64 and GOARM64 give the
	// variant.
	Platform image.Platform
}

// ParseBinary reads a built binary as the minimage command line names
// it: PATH, or PLATFORM=PATH ("linux/arm64=dist/app_linux_arm64/app").
// ok is false when s is neither a PLATFORM=PATH nor an existing regular
// file, which the command line takes for a Go package. Errors wrap
// ErrInvalid.
func ParseBinary(s string) (b Binary, ok bool, err error) {
	if fi, err := os.Stat(s); err == nil && fi.Mode().IsRegular() {
		return Binary{Path: s}, true, nil
	}
	pl, file, found := strings.Cut(s, "=")
	if !found || !strings.Contains(pl, "/") {
		return Binary{}, false, nil
	}
	p, err := image.ParsePlatform(pl)
	if err != nil {
		return Binary{}, true, invalid("binary %s: %w", s, err)
	}
	if file == "" {
		return Binary{}, true, invalid("binary %s: no path after %s=; give PLATFORM=PATH, such as linux/arm64=dist/app", s, pl)
	}
	return Binary{Path: file, Platform: p}, true, nil
}

// GoBuild holds the settings of go build beyond the ones Run always sets
// (CGO_ENABLED=0, -trimpath, GOOS, GOARCH and the variant's GOARM,
// GOAMD64 or GOARM64).
type GoBuild struct {
	// Ldflags is passed as -ldflags, such as "-s -w -X main.version=v1".
	Ldflags string

	// Tags are build tags, passed as -tags.
	Tags []string

	// Flags are more go build flags, after the others, such as
	// "-mod=vendor" or "-buildvcs=false". GOFLAGS in the environment
	// applies too.
	Flags []string

	// Env holds "KEY=VALUE" entries added to the environment after Run's
	// own, so they win (CGO_ENABLED=1 with AllowDynamic builds with cgo).
	Env []string

	// Parallel is how many go build commands run at once; GOMAXPROCS is
	// shared between them with go build's -p flag. 0 means as many as
	// there are platforms, up to GOMAXPROCS.
	Parallel int

	// Cache, if set, is a directory that keeps the binaries go build
	// writes, one per package and platform, between runs: go build then
	// finds a binary up to date and skips linking it, most of the time a
	// go build takes when its packages are in Go's build cache. Run
	// locks an entry while go build writes it and Run copies it, so
	// concurrent runs may share the directory. "" means go build writes
	// into a temporary directory and always links.
	//
	// With a Registry output, Run also keeps there a record of each
	// binary's layer (its digest, diffID and size) and uploads the layer
	// while it compresses, unless the record names it and the registry
	// holds it: an unchanged program is then not uploaded again. When the
	// registry lacks it, the upload starts from the binary the cache
	// holds while go build checks that binary, and is kept only if go
	// build leaves it as it was. Without Cache, the layer is uploaded
	// once built, where the registry lacks it.
	Cache string
}

// OutputFormat is what an Output holds.
type OutputFormat int

const (
	// Layout is an OCI image-layout directory, created or added to.
	Layout OutputFormat = iota
	// Tarball is one tar file: an OCI layout plus docker's manifest.json,
	// which docker load, podman load and skopeo read.
	Tarball
	// Registry is a repository of a registry the artifact is pushed to
	// (see image/remote): Path is REGISTRY/REPOSITORY[:TAG], the tag
	// "latest" when it has none, and Output.Remote says how to talk to
	// the registry. Recipe.Tags do not apply: the reference names the
	// tag, so push to several tags with several outputs. Only what the
	// registry lacks is sent; a base's layers pulled from another
	// repository of the same registry are mounted, not uploaded.
	Registry
)

func (f OutputFormat) String() string {
	switch f {
	case Tarball:
		return "tarball"
	case Registry:
		return "registry"
	}
	return "OCI layout"
}

// Output is one place Run writes the artifact to.
type Output struct {
	// Format is a Layout directory, a Tarball file or a Registry.
	Format OutputFormat
	// Path is the directory or file, or for a Registry the reference
	// pushed to, REGISTRY/REPOSITORY[:TAG] (without a digest: Run checks
	// outputs before the digest is known). With Writer set it only names
	// the output in messages.
	Path string
	// Writer, if set, receives a Tarball instead of the file Path; Run
	// does not close it. Only a Tarball takes one.
	Writer io.Writer
	// Remote says how to talk to a Registry: TLS, credentials, retries,
	// uploads at once, progress. The zero value is remote's default; it
	// must be zero for a Layout or Tarball, which talk to no registry.
	// Its Mounts, shared by the builds of a process (and the
	// RegistryBase they build on), makes a blob they share go up once
	// and be mounted into the other repositories of the registry. nil
	// means the RegistryBase's Mounts, or else one for this Run alone.
	Remote remote.Options
}

// Event is one report of progress, passed to Recipe.Progress.
type Event struct {
	// Kind says what the event reports.
	Kind EventKind
	// Message is the step or note, such as "go build ./cmd/app for
	// linux/arm64"; empty for LayerBytes.
	Message string
	// Layer names the layer being built, such as "binary linux/amd64",
	// for LayerBytes.
	Layer string
	// Bytes is how far that layer is, for LayerBytes.
	Bytes layer.Progress
	// Total is the size the layer's tar stream will have, which
	// Bytes.In counts towards, where it is known in advance (the binary's
	// layer); 0 where it is not.
	Total int64
	// Image is the name (Recipe.Name) of the image the event is about
	// when RunAll builds several; "" from Run, and for work the images
	// share (a go build of several packages, the base files, CA bundle
	// and zones layers, which RunAll reports once).
	Image string
}

// EventKind is what an Event reports.
type EventKind int

const (
	// Step is a step starting.
	Step EventKind = iota
	// Note is something the user should know even when steps are not
	// shown, such as what a bare image lacks.
	Note
	// LayerBytes is how many bytes of a layer are done, about every MiB.
	LayerBytes
)

// Name returns the program's name: the last element of Path if set, else
// of Package or the first of Binaries, lower-cased, without ".exe", an "@version" or a
// major-version element ("example.com/tool/v2" gives "tool"). The package
// "." is named after its directory.
func (r Recipe) Name() string {
	if r.Path != "" {
		return programName(r.Path)
	}
	t := r.Package
	if t == "" && len(r.Binaries) > 0 {
		t = r.Binaries[0].Path
	}
	t = strings.TrimRight(filepath.ToSlash(t), "/")
	if t == "." || t == "" {
		dir := r.Dir
		if dir == "" {
			dir = "."
		}
		if abs, err := filepath.Abs(dir); err == nil {
			t = filepath.ToSlash(abs)
		} else if wd, err := os.Getwd(); err == nil {
			t = filepath.ToSlash(wd)
		}
	}
	return programName(t)
}

func programName(t string) string {
	t = strings.TrimRight(t, "/")
	base := t[strings.LastIndex(t, "/")+1:]
	base = strings.TrimSuffix(base, ".exe")
	if i := strings.IndexByte(base, '@'); i > 0 {
		base = base[:i]
	}
	// A major-version suffix (example.com/tool/v2) names no program.
	if len(base) >= 2 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		if rest := strings.TrimSuffix(t, "/"+base); rest != t {
			return programName(rest)
		}
	}
	return strings.ToLower(base)
}
