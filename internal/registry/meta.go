package registry

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// metadataVersion is the version of the snapshot a Storage keeps.
const metadataVersion = 1

// metadata is the snapshot of every repository, as stored by WriteMeta.
type metadata struct {
	Version      int                    `json:"version"`
	Repositories map[string]*repository `json:"repositories"`
}

// repository is what a repository holds; the bytes are in the Storage,
// shared with other repositories.
type repository struct {
	Blobs     map[digest.Digest]bool          `json:"blobs,omitempty"`
	Manifests map[digest.Digest]*manifestInfo `json:"manifests,omitempty"`
	Tags      map[string]digest.Digest        `json:"tags,omitempty"`
}

// manifestInfo is what the registry keeps of a manifest beside its bytes:
// enough to serve it and to list it as a referrer.
type manifestInfo struct {
	MediaType    string            `json:"mediaType"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Subject      digest.Digest     `json:"subject,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"` // only with a subject
}

func (repo *repository) init() {
	if repo.Blobs == nil {
		repo.Blobs = map[digest.Digest]bool{}
	}
	if repo.Manifests == nil {
		repo.Manifests = map[digest.Digest]*manifestInfo{}
	}
	if repo.Tags == nil {
		repo.Tags = map[string]digest.Digest{}
	}
}

func (repo *repository) empty() bool {
	return len(repo.Blobs) == 0 && len(repo.Manifests) == 0 && len(repo.Tags) == 0
}

// repo returns repository name, or nil; the caller holds r.mu.
func (r *Registry) repo(name string) *repository { return r.repos[name] }

// repoForWrite returns repository name, creating it; the caller holds
// r.mu for writing.
func (r *Registry) repoForWrite(name string) *repository {
	repo := r.repos[name]
	if repo == nil {
		repo = &repository{}
		repo.init()
		r.repos[name] = repo
	}
	return repo
}

// referenced reports whether any repository holds d as a blob or a
// manifest; the caller holds r.mu.
func (r *Registry) referenced(d digest.Digest) bool {
	for _, repo := range r.repos {
		if repo.Blobs[d] || repo.Manifests[d] != nil {
			return true
		}
	}
	return false
}

// collect deletes the bytes of the digests no repository holds any more,
// drops repository name if it is empty, and saves the metadata; the
// caller holds r.mu for writing.
func (r *Registry) collect(name string, ds ...digest.Digest) error {
	if repo := r.repos[name]; repo != nil && repo.empty() {
		delete(r.repos, name)
	}
	for _, d := range ds {
		if !r.referenced(d) {
			if err := r.store.Delete(d); err != nil {
				return err
			}
		}
	}
	return r.save()
}

// save writes the metadata snapshot to a Storage that keeps it; the
// caller holds r.mu for writing.
func (r *Registry) save() error {
	ms, ok := r.store.(MetadataStore)
	if !ok {
		return nil
	}
	b, err := json.Marshal(metadata{Version: metadataVersion, Repositories: r.repos})
	if err != nil {
		return fmt.Errorf("registry: save metadata: %w", err)
	}
	return ms.WriteMeta(b)
}
