package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/layer"
)

// ProvenanceBuildType is the SLSA buildType of the provenance Run makes:
// a build by minimage, whose externalParameters are the recipe (see
// docs/provenance.md).
const ProvenanceBuildType = "https://github.com/minimage/minimage/blob/main/docs/provenance.md#build-v1"

// ProvenanceBuilderID is the SLSA builder.id of the provenance Run makes.
const ProvenanceBuilderID = "https://github.com/minimage/minimage"

// ProvenanceOptions say whether Run makes SLSA provenance (v1) of what
// it builds. The zero value makes it (Result.Provenance) and attaches it
// to every Registry output: signed with Recipe.Sign.Key, in
// Recipe.Sign.Format's form (see SignOptions), else as an unsigned
// in-toto OCI 1.1 referrer. With a key, Layout outputs get it signed too.
type ProvenanceOptions struct {
	// None makes no provenance: Result.Provenance is nil.
	None bool
}

// slsaProvenance is the SLSA provenance v1 predicate, with the spec's
// field order.
type slsaProvenance struct {
	BuildDefinition struct {
		BuildType            string           `json:"buildType"`
		ExternalParameters   provenanceParams `json:"externalParameters"`
		InternalParameters   map[string]any   `json:"internalParameters,omitempty"`
		ResolvedDependencies []slsaResource   `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID      string            `json:"id"`
			Version map[string]string `json:"version,omitempty"`
		} `json:"builder"`
		Metadata struct {
			StartedOn  string `json:"startedOn,omitempty"`
			FinishedOn string `json:"finishedOn,omitempty"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// slsaResource is a SLSA ResourceDescriptor.
type slsaResource struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// provenanceParams is the recipe as its user gave it: what decides the
// image, not where it goes (outputs) or how fast (caches, parallelism).
type provenanceParams struct {
	Package      string            `json:"package,omitempty"`
	Binaries     []string          `json:"binaries,omitempty"` // PATH, or PLATFORM=PATH as given
	Path         string            `json:"path,omitempty"`
	Platforms    []string          `json:"platforms"`
	Tags         []string          `json:"tags,omitempty"`
	Base         string            `json:"base,omitempty"`
	Bare         bool              `json:"bare,omitempty"`
	NoCerts      bool              `json:"noCerts,omitempty"`
	Zones        []string          `json:"zones,omitempty"`
	Localtime    string            `json:"localtime,omitempty"`
	ZoneinfoZip  bool              `json:"zoneinfoZip,omitempty"`
	Files        []provenanceFile  `json:"files,omitempty"`
	User         string            `json:"user,omitempty"`
	WorkingDir   string            `json:"workingDir,omitempty"`
	Env          []string          `json:"env,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Ports        []string          `json:"ports,omitempty"`
	Created      string            `json:"created,omitempty"`
	Compression  string            `json:"compression"`
	Level        int               `json:"level,omitempty"`
	SBOMInImage  string            `json:"sbomInImage,omitempty"`
	AllowDynamic bool              `json:"allowDynamic,omitempty"`
	Ldflags      string            `json:"ldflags,omitempty"`
	BuildTags    []string          `json:"buildTags,omitempty"`
	BuildFlags   []string          `json:"buildFlags,omitempty"`
}

type provenanceFile struct {
	Source string `json:"source"`
	Path   string `json:"path"`
}

// provenance returns the SLSA provenance v1 predicate of res. Its
// startedOn and finishedOn are Recipe.Created, else SOURCE_DATE_EPOCH;
// with neither set they are left out, as the image's own times are the
// Unix epoch then: the same build makes the same bytes, and pushing it
// again adds no referrer.
func (p *plan) provenance(res *Result) ([]byte, error) {
	var s slsaProvenance
	s.BuildDefinition.BuildType = ProvenanceBuildType
	s.BuildDefinition.ExternalParameters = p.provenanceParams()
	deps, err := p.provenanceDeps(res.Report)
	if err != nil {
		return nil, err
	}
	s.BuildDefinition.ResolvedDependencies = deps
	s.RunDetails.Builder.ID = ProvenanceBuilderID
	s.RunDetails.Builder.Version = map[string]string{"minimage": minimageVersion()}
	fixed := p.r.Created
	if fixed.IsZero() {
		t, ok, err := layer.SourceDateEpoch()
		if err != nil {
			return nil, fmt.Errorf("build: provenance: %w", err)
		}
		if ok {
			fixed = t
		}
	}
	if !fixed.IsZero() {
		t := fixed.UTC().Format(time.RFC3339)
		s.RunDetails.Metadata.StartedOn, s.RunDetails.Metadata.FinishedOn = t, t
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("build: provenance: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// provenanceParams returns the recipe's fields that decide the image.
func (p *plan) provenanceParams() provenanceParams {
	r := &p.r
	pp := provenanceParams{
		Package: r.Package, Path: r.Path, Tags: r.Tags,
		Bare: r.Bare, NoCerts: r.NoCerts, Zones: r.Zones, Localtime: r.Localtime, ZoneinfoZip: r.ZoneinfoZip,
		User: r.User, WorkingDir: r.WorkingDir, Env: r.Env, Labels: r.Labels,
		Annotations: r.Annotations, Ports: r.Ports, Compression: r.Layer.Compression.String(), Level: r.Layer.Level,
		SBOMInImage: r.SBOM.InImage, AllowDynamic: r.AllowDynamic,
		Ldflags: r.GoBuild.Ldflags, BuildTags: r.GoBuild.Tags, BuildFlags: r.GoBuild.Flags,
	}
	for _, b := range r.Binaries {
		if b.Platform.OS == "" {
			pp.Binaries = append(pp.Binaries, b.Path)
		} else {
			pp.Binaries = append(pp.Binaries, b.Platform.String()+"="+b.Path)
		}
	}
	for _, f := range r.Files {
		pp.Files = append(pp.Files, provenanceFile{f.Source, f.Path})
	}
	for _, pl := range p.platforms {
		pp.Platforms = append(pp.Platforms, pl.String())
	}
	if r.Base != nil {
		pp.Base = r.Base.Name()
	}
	if !r.Created.IsZero() {
		pp.Created = r.Created.UTC().Format(time.RFC3339)
	}
	return pp
}

// provenanceDeps returns what the build resolved, each once: the base
// image of each platform by digest, the main module at its VCS revision
// and the Go toolchain (from each binary's build information), the CA
// bundle, the tzdata release and the host files added.
func (p *plan) provenanceDeps(rep Report) ([]slsaResource, error) {
	var deps []slsaResource
	add := func(d slsaResource) {
		if !slices.ContainsFunc(deps, func(e slsaResource) bool { return sameResource(e, d) }) {
			deps = append(deps, d)
		}
	}
	for _, pr := range rep.Platforms {
		if b := pr.Base; b != nil {
			add(slsaResource{Name: or(b.Name, "base"), Digest: digestSet(b.Digest.Algorithm().String(), b.Digest.Encoded()),
				Annotations: map[string]string{"platform": pr.Platform.String()}})
		}
		if bi := pr.Binary.BuildInfo; bi != nil {
			add(mainModule(bi))
			add(slsaResource{Name: "go", URI: "pkg:golang/stdlib@" + strings.TrimPrefix(bi.GoVersion, "go"), Annotations: map[string]string{"version": bi.GoVersion}})
		}
		if c := pr.Certs; c != nil {
			data, err := certs.File(certs.Options{})
			if err != nil {
				return nil, fmt.Errorf("build: provenance: CA bundle: %w", err)
			}
			sum := sha256.Sum256(data)
			add(slsaResource{Name: "CA bundle", URI: "pkg:golang/golang.org/x/crypto/x509roots/fallback@" + c.Version,
				Digest: digestSet("sha256", hex.EncodeToString(sum[:]))})
		}
		if z := pr.Zones; z != nil {
			add(slsaResource{Name: "tzdata", URI: "https://data.iana.org/time-zones/releases/tzdata" + z.Release + ".tar.gz",
				Annotations: map[string]string{"release": z.Release}})
		}
		for _, f := range pr.Files {
			add(slsaResource{Name: f.Path, Digest: digestSet(f.Digest.Algorithm().String(), f.Digest.Encoded()),
				Annotations: map[string]string{"source": f.Source}})
		}
	}
	return deps, nil
}

// mainModule describes the main module a binary was built from: its
// path and version, and the VCS revision Go recorded (go build -buildvcs).
func mainModule(bi *debug.BuildInfo) slsaResource {
	m := slsaResource{Name: bi.Main.Path, URI: "pkg:golang/" + bi.Main.Path}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		m.URI += "@" + v
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" && settings["vcs"] == "git" {
		m.Digest = digestSet("gitCommit", rev)
	}
	for _, k := range []string{"vcs", "vcs.revision", "vcs.time", "vcs.modified"} {
		if v, ok := settings[k]; ok && (k != "vcs.revision" || m.Digest == nil) {
			if m.Annotations == nil {
				m.Annotations = map[string]string{}
			}
			m.Annotations[k] = v
		}
	}
	return m
}

func digestSet(alg, hex string) map[string]string { return map[string]string{alg: hex} }

func sameResource(a, b slsaResource) bool {
	ja, _ := json.Marshal(a) // cannot fail: strings only
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// minimageVersion returns the version of this module the running program
// was built with, or "devel".
func minimageVersion() string {
	const module = "github.com/minimage/minimage"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
		if m.Path != module {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
		}
		if m.Version != "" && m.Version != "(devel)" {
			return m.Version
		}
	}
	return "devel"
}
