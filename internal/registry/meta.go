package registry

import (
	"encoding/json"
	"errors"
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

// collect drops repository name if it is empty, saves the metadata, and
// then deletes the bytes of the digests no repository holds any more; the
// caller holds r.mu for writing. In that order, a crash between the two
// leaves a file that nothing lists, which New removes, never a listing
// without its file.
func (r *Registry) collect(name string, ds ...digest.Digest) error {
	if repo := r.repos[name]; repo != nil && repo.empty() {
		delete(r.repos, name)
	}
	if err := r.save(); err != nil {
		return err
	}
	for _, d := range ds {
		if !r.referenced(d) {
			if err := r.store.Delete(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// repair makes the metadata and the files of ms agree after a crash: it
// drops what a repository lists whose file is gone (and the tags of a
// manifest it drops), then deletes the files nothing lists. It runs in
// New, before anything is served.
func (r *Registry) repair(ms MetadataStore) error {
	changed := false
	exists := func(d digest.Digest) (bool, error) {
		_, err := r.store.Stat(d)
		if errors.Is(err, ErrNotFound) {
			changed = true
			return false, nil
		}
		return err == nil, err
	}
	for name, repo := range r.repos {
		for d := range repo.Blobs {
			if ok, err := exists(d); err != nil {
				return err
			} else if !ok {
				delete(repo.Blobs, d)
			}
		}
		for d := range repo.Manifests {
			if ok, err := exists(d); err != nil {
				return err
			} else if !ok {
				delete(repo.Manifests, d)
			}
		}
		for t, d := range repo.Tags {
			if repo.Manifests[d] == nil {
				delete(repo.Tags, t)
				changed = true
			}
		}
		if repo.empty() {
			delete(r.repos, name)
		}
	}
	if changed {
		if err := r.save(); err != nil {
			return err
		}
	}
	held, err := ms.Digests()
	if err != nil {
		return err
	}
	for _, d := range held {
		if !r.referenced(d) {
			if err := r.store.Delete(d); err != nil {
				return err
			}
		}
	}
	return nil
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
