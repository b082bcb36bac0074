package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/minimage/minimage/mediatype"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestSize is the largest manifest a registry accepts: 4 MiB, the
// size the spec says registries should accept at least.
const MaxManifestSize = 4 << 20

// manifest serves GET, HEAD, PUT and DELETE /v2/<name>/manifests/<ref>.
func (r *Registry) manifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	switch req.Method {
	case "PUT":
		return r.putManifest(w, req, name, ref)
	case "DELETE":
		return r.deleteManifest(w, name, ref)
	}
	d, info, err := r.resolve(name, ref)
	if err != nil {
		return err
	}
	rc, size, err := r.store.Open(d)
	if errors.Is(err, ErrNotFound) {
		return manifestUnknown(name, ref)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", info.MediaType)
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Etag", `"`+d.String()+`"`)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if req.Method == "GET" {
		io.Copy(w, rc)
	}
	return nil
}

// resolve returns the digest and info of manifest ref (a tag or a
// digest) of repository name.
func (r *Registry) resolve(name, ref string) (digest.Digest, manifestInfo, error) {
	var d digest.Digest
	if strings.Contains(ref, ":") {
		var err error
		if d, err = parseDigest(ref); err != nil {
			return "", manifestInfo{}, err
		}
	} else if !ValidTag(ref) {
		return "", manifestInfo{}, newError(http.StatusNotFound, CodeManifestUnknown, fmt.Sprintf("%q is neither a tag nor a digest", ref))
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	repo := r.repo(name)
	if repo == nil {
		return "", manifestInfo{}, manifestUnknown(name, ref)
	}
	if d == "" {
		d = repo.Tags[ref]
	}
	info := repo.Manifests[d]
	if info == nil {
		return "", manifestInfo{}, manifestUnknown(name, ref)
	}
	return d, *info, nil
}

func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, name, ref string) error {
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxManifestSize+1))
	if err != nil {
		return newError(http.StatusBadRequest, CodeManifestInvalid, "reading the manifest: "+err.Error())
	}
	if len(body) > MaxManifestSize {
		return newError(http.StatusRequestEntityTooLarge, CodeSizeInvalid, fmt.Sprintf("the manifest is larger than %d bytes", MaxManifestSize))
	}
	tags := req.URL.Query()["tag"]
	var d digest.Digest
	if strings.Contains(ref, ":") {
		if d, err = parseDigest(ref); err != nil {
			return err
		}
	} else {
		tags = append(tags, ref)
		d = digest.FromBytes(body)
	}
	for _, t := range tags {
		if !ValidTag(t) {
			return newError(http.StatusBadRequest, CodeManifestInvalid, fmt.Sprintf("invalid tag %q: it must match %s", t, reTag))
		}
	}
	info, err := r.storeManifest(name, d, req.Header.Get("Content-Type"), body, tags)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/manifests/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	if info.Subject != "" {
		h.Set("OCI-Subject", info.Subject.String())
	}
	if len(req.URL.Query()["tag"]) > 0 {
		for _, t := range tags {
			h.Add("OCI-Tag", t)
		}
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// storeManifest checks body against d and what it references, then
// stores it in repository name under d and tags.
func (r *Registry) storeManifest(name string, d digest.Digest, contentType string, body []byte, tags []string) (manifestInfo, error) {
	if got := d.Algorithm().FromBytes(body); got != d {
		return manifestInfo{}, newError(http.StatusBadRequest, CodeDigestInvalid, fmt.Sprintf("the manifest has digest %s, not %s", got, d))
	}
	info, blobs, children, err := parseManifest(contentType, body)
	if err != nil {
		return manifestInfo{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repo(name)
	for _, b := range blobs {
		if repo == nil || !repo.Blobs[b] {
			return manifestInfo{}, &apiError{Status: http.StatusBadRequest, Code: CodeManifestBlobUnknown,
				Message: fmt.Sprintf("the manifest references blob %s, which is not in repository %s: push it first", b, name),
				Detail:  map[string]string{"digest": b.String()}}
		}
	}
	for _, c := range children {
		if repo == nil || repo.Manifests[c] == nil {
			return manifestInfo{}, &apiError{Status: http.StatusBadRequest, Code: CodeManifestBlobUnknown,
				Message: fmt.Sprintf("the index references manifest %s, which is not in repository %s: push it first", c, name),
				Detail:  map[string]string{"digest": c.String()}}
		}
	}
	if _, err := r.store.Stat(d); errors.Is(err, ErrNotFound) {
		up, err := r.store.Create()
		if err != nil {
			return manifestInfo{}, err
		}
		if _, err := up.Write(body); err != nil {
			up.Cancel()
			return manifestInfo{}, err
		}
		if err := up.Commit(d); err != nil {
			return manifestInfo{}, err
		}
	} else if err != nil {
		return manifestInfo{}, err
	}
	ops := []op{{Kind: opAddManifest, Repo: name, Digest: d, Info: &info}}
	for _, t := range tags {
		ops = append(ops, op{Kind: opTag, Repo: name, Tag: t, Digest: d})
	}
	return info, r.change(ops...)
}

// parseManifest checks body is a manifest of media type contentType (or,
// if that is empty, the type it declares) and returns what the registry
// keeps of it and the blobs and child manifests it references.
func parseManifest(contentType string, body []byte) (info manifestInfo, blobs, children []digest.Digest, err error) {
	invalid := func(format string, args ...any) error {
		return newError(http.StatusBadRequest, CodeManifestInvalid, fmt.Sprintf(format, args...))
	}
	var m struct {
		MediaType    string               `json:"mediaType"`
		ArtifactType string               `json:"artifactType"`
		Config       *ocispec.Descriptor  `json:"config"`
		Layers       []ocispec.Descriptor `json:"layers"`
		Manifests    []ocispec.Descriptor `json:"manifests"`
		Subject      *ocispec.Descriptor  `json:"subject"`
		Annotations  map[string]string    `json:"annotations"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return info, nil, nil, invalid("the manifest is not JSON: %v", err)
	}
	mt := strings.TrimSpace(contentType)
	base := mt
	if mt != "" {
		if base, _, err = mime.ParseMediaType(mt); err != nil {
			return info, nil, nil, invalid("invalid Content-Type %q: %v", mt, err)
		}
	}
	switch {
	case mt == "" && m.MediaType != "":
		mt, base = m.MediaType, m.MediaType
	case mt == "" && m.Manifests != nil:
		mt, base = ocispec.MediaTypeImageIndex, ocispec.MediaTypeImageIndex
	case mt == "" && m.Config != nil:
		mt, base = ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageManifest
	case mt == "":
		return info, nil, nil, invalid("the manifest has no media type: set the Content-Type header")
	case m.MediaType != "" && m.MediaType != base:
		return info, nil, nil, invalid("the manifest's mediaType %q differs from its Content-Type %q", m.MediaType, mt)
	}
	info = manifestInfo{MediaType: mt, Size: int64(len(body)), ArtifactType: m.ArtifactType}
	check := func(what string, desc ocispec.Descriptor) error {
		if err := desc.Digest.Validate(); err != nil {
			return invalid("the manifest's %s has an invalid digest %q: %v", what, desc.Digest, err)
		}
		return nil
	}
	switch base {
	case ocispec.MediaTypeImageManifest, mediatype.DockerManifest:
		if m.Config == nil {
			return info, nil, nil, invalid("the image manifest has no config")
		}
		if err := check("config", *m.Config); err != nil {
			return info, nil, nil, err
		}
		blobs = append(blobs, m.Config.Digest)
		for i, l := range m.Layers {
			if err := check(fmt.Sprintf("layer %d", i), l); err != nil {
				return info, nil, nil, err
			}
			// Non-distributable layers live elsewhere, by design.
			if len(l.URLs) == 0 && !strings.Contains(l.MediaType, "nondistributable") && l.MediaType != mediatype.DockerForeignLayer {
				blobs = append(blobs, l.Digest)
			}
		}
		if info.ArtifactType == "" {
			info.ArtifactType = m.Config.MediaType
		}
	case ocispec.MediaTypeImageIndex, mediatype.DockerManifestList:
		for i, c := range m.Manifests {
			if err := check(fmt.Sprintf("manifest %d", i), c); err != nil {
				return info, nil, nil, err
			}
			children = append(children, c.Digest)
		}
	}
	if m.Subject != nil {
		if err := check("subject", *m.Subject); err != nil {
			return info, nil, nil, err
		}
		info.Subject = m.Subject.Digest
		info.Annotations = m.Annotations
	}
	return info, blobs, children, nil
}

// deleteManifest serves DELETE by digest, which deletes the manifest and
// its tags, and by tag, which deletes the tag alone.
func (r *Registry) deleteManifest(w http.ResponseWriter, name, ref string) error {
	var d digest.Digest
	if strings.Contains(ref, ":") {
		var err error
		if d, err = parseDigest(ref); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repo(name)
	var err error
	switch {
	case repo == nil:
		return manifestUnknown(name, ref)
	case d == "":
		if _, ok := repo.Tags[ref]; !ok {
			return manifestUnknown(name, ref)
		}
		err = r.remove([]op{{Kind: opUntag, Repo: name, Tag: ref}})
	default:
		if repo.Manifests[d] == nil {
			return manifestUnknown(name, ref)
		}
		var ops []op
		for t, td := range repo.Tags {
			if td == d {
				ops = append(ops, op{Kind: opUntag, Repo: name, Tag: t})
			}
		}
		err = r.remove(append(ops, op{Kind: opDelManifest, Repo: name, Digest: d}), d)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func manifestUnknown(name, ref string) error {
	return newError(http.StatusNotFound, CodeManifestUnknown, fmt.Sprintf("manifest %s is not in repository %s", ref, name))
}
