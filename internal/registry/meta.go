package registry

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// metadataVersion is the version of the snapshot a Storage keeps: 2
// since a journal follows it. Version 1, a snapshot alone, is read too.
const metadataVersion = 2

// compactAt is the least size of the journal at which the Registry
// writes a snapshot and empties it; it does at twice the snapshot's size
// if that is more, so that each change costs O(1) bytes written.
const compactAt = 1 << 20

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

// remove records and applies ops, which remove entries, then deletes
// the bytes of the digests ds that no repository holds any more; the
// caller holds r.mu for writing. In that order, a crash between the two
// leaves a file that nothing lists, which New removes, never a listing
// without its file.
func (r *Registry) remove(ops []op, ds ...digest.Digest) error {
	if err := r.change(ops...); err != nil {
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
// manifest it drops), writes the snapshot, then deletes the files
// nothing lists. It runs in New, before anything is served.
func (r *Registry) repair(ms MetadataStore) error {
	missing := func(d digest.Digest) (bool, error) {
		_, err := r.store.Stat(d)
		if errors.Is(err, ErrNotFound) {
			return true, nil
		}
		return false, err
	}
	for name, repo := range r.repos {
		for _, m := range []map[digest.Digest]bool{repo.Blobs, manifestSet(repo)} {
			for d := range m {
				gone, err := missing(d)
				if err != nil {
					return err
				}
				if gone {
					delete(repo.Blobs, d)
					delete(repo.Manifests, d)
				}
			}
		}
		for t, d := range repo.Tags {
			if repo.Manifests[d] == nil {
				delete(repo.Tags, t)
			}
		}
		if repo.empty() {
			delete(r.repos, name)
		}
	}
	if err := r.compact(); err != nil {
		return err
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

func manifestSet(repo *repository) map[digest.Digest]bool {
	m := make(map[digest.Digest]bool, len(repo.Manifests))
	for d := range repo.Manifests {
		m[d] = true
	}
	return m
}

// opKind is what an op changes.
type opKind string

const (
	opAddBlob     opKind = "add-blob"
	opDelBlob     opKind = "del-blob"
	opAddManifest opKind = "add-manifest"
	opDelManifest opKind = "del-manifest"
	opTag         opKind = "tag"
	opUntag       opKind = "untag"
)

// op is one change of one repository's metadata, as the journal records
// it. Applying an op sets or removes one entry, so that replaying the
// journal over a snapshot that already holds some of it is harmless.
type op struct {
	Kind   opKind        `json:"op"`
	Repo   string        `json:"repo"`
	Digest digest.Digest `json:"digest,omitempty"`
	Tag    string        `json:"tag,omitempty"`
	Info   *manifestInfo `json:"info,omitempty"` // of opAddManifest
}

// record is a line of the journal: the ops of one request, applied
// together or, if a crash cut the record short, not at all.
type record struct {
	Ops []op `json:"ops"`
}

// change records ops in the journal of a Storage that keeps metadata,
// then applies them; the caller holds r.mu for writing.
func (r *Registry) change(ops ...op) error {
	if ms, ok := r.store.(MetadataStore); ok {
		b, err := json.Marshal(record{Ops: ops})
		if err != nil {
			return fmt.Errorf("registry: save metadata: %w", err)
		}
		if err := ms.AppendMeta(b); err != nil {
			return err
		}
		r.journaled += int64(len(b)) + 1
	}
	for _, o := range ops {
		r.apply(o)
	}
	if r.journaled >= max(compactAt, 2*r.snapshotSize) {
		return r.compact()
	}
	return nil
}

// apply makes the change o holds, dropping a repository it empties.
func (r *Registry) apply(o op) {
	repo := r.repoForWrite(o.Repo)
	switch o.Kind {
	case opAddBlob:
		repo.Blobs[o.Digest] = true
	case opDelBlob:
		delete(repo.Blobs, o.Digest)
	case opAddManifest:
		if o.Info != nil {
			repo.Manifests[o.Digest] = o.Info
		}
	case opDelManifest:
		delete(repo.Manifests, o.Digest)
	case opTag:
		repo.Tags[o.Tag] = o.Digest
	case opUntag:
		delete(repo.Tags, o.Tag)
	}
	if repo.empty() {
		delete(r.repos, o.Repo)
	}
}

// compact writes the snapshot of every repository to a Storage that
// keeps metadata, which empties the journal; the caller holds r.mu for
// writing.
func (r *Registry) compact() error {
	ms, ok := r.store.(MetadataStore)
	if !ok {
		return nil
	}
	b, err := json.Marshal(metadata{Version: metadataVersion, Repositories: r.repos})
	if err != nil {
		return fmt.Errorf("registry: save metadata: %w", err)
	}
	if err := ms.WriteMeta(b); err != nil {
		return err
	}
	r.snapshotSize, r.journaled = int64(len(b)), 0
	return nil
}

// load reads the metadata of ms: its snapshot, then its journal.
func (r *Registry) load(ms MetadataStore) error {
	snap, journal, err := ms.ReadMeta()
	if err != nil {
		return err
	}
	const fix = "the storage's metadata is corrupt; move registry.json and registry.log away to start empty"
	if snap != nil {
		var m metadata
		if err := json.Unmarshal(snap, &m); err != nil {
			return fmt.Errorf("registry: read metadata: %w (%s)", err, fix)
		}
		if m.Version != 1 && m.Version != metadataVersion {
			return fmt.Errorf("registry: read metadata: version %d, want 1 or %d (written by a newer minimage?)", m.Version, metadataVersion)
		}
		for name, repo := range m.Repositories {
			if repo == nil {
				return fmt.Errorf("registry: read metadata: repository %q is null (%s)", name, fix)
			}
			repo.init()
			r.repos[name] = repo
		}
	}
	for i, b := range journal {
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("registry: read metadata: journal record %d: %w (%s)", i+1, err, fix)
		}
		for _, o := range rec.Ops {
			r.apply(o)
		}
	}
	return nil
}
