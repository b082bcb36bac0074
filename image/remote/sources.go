package remote

import (
	"sync"

	"github.com/opencontainers/go-digest"
)

// maxSources bounds the blobs whose origin is remembered.
const maxSources = 1 << 14

// source is where a blob was pulled from: a repository of a registry,
// which can then mount it into another repository of the same registry
// instead of the blob being uploaded again.
type source struct {
	Registry, Repository string
}

// sources remembers, for this process, the repositories blobs were
// pulled from, by digest. It is a hint: a mount the registry refuses
// falls back to an upload.
//
// TODO(seam): image.Blob could carry its source instead (see the report).
var sources = struct {
	sync.Mutex
	m     map[digest.Digest]source
	order []digest.Digest
}{m: map[digest.Digest]source{}}

// rememberSource records that d was found in r's repository.
func rememberSource(d digest.Digest, r reference) {
	sources.Lock()
	defer sources.Unlock()
	if _, ok := sources.m[d]; !ok {
		if len(sources.order) >= maxSources {
			delete(sources.m, sources.order[0])
			sources.order = sources.order[1:]
		}
		sources.order = append(sources.order, d)
	}
	sources.m[d] = source{Registry: r.Registry, Repository: r.Repository}
}

// mountSource returns a repository of r's registry, other than r's, that
// holds d, if one is known.
func mountSource(d digest.Digest, r reference) (string, bool) {
	sources.Lock()
	defer sources.Unlock()
	s, ok := sources.m[d]
	if !ok || s.Registry != r.Registry || s.Repository == r.Repository {
		return "", false
	}
	return s.Repository, true
}
