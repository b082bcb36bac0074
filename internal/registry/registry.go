package registry

import (
	_ "crypto/sha512" // digests of sha512 and sha384
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// Options configure a Registry. The zero value is an in-memory registry
// without authentication that accepts pushes.
type Options struct {
	// Storage keeps the bytes. nil means NewMemory("", DefaultThreshold).
	// The Registry closes it in Close.
	Storage Storage
	// Auth is the authentication every request needs; the zero value
	// needs none.
	Auth Auth
	// ReadOnly refuses every push, mount and delete with 405 and code
	// UNSUPPORTED. The Put methods still work, to preload content.
	ReadOnly bool
}

// Registry is an OCI distribution registry. It is an http.Handler that
// serves the /v2/ API (and, with bearer auth, the token endpoint at
// /token), and it is safe for concurrent use.
type Registry struct {
	store    Storage
	auth     *authenticator
	readOnly bool

	mu    sync.RWMutex // guards repos and the metadata snapshot
	repos map[string]*repository

	upMu    sync.Mutex
	uploads map[string]*session
}

// New returns a Registry with opts. With a Storage that keeps metadata
// (NewDir), it serves what the storage held.
func New(opts Options) (*Registry, error) {
	if err := opts.Auth.validate(); err != nil {
		return nil, err
	}
	store := opts.Storage
	if store == nil {
		s, err := NewMemory("", 0)
		if err != nil {
			return nil, err
		}
		store = s
	}
	r := &Registry{store: store, readOnly: opts.ReadOnly, repos: map[string]*repository{}, uploads: map[string]*session{}}
	if opts.Auth.Scheme != NoAuth {
		r.auth = newAuthenticator(opts.Auth)
	}
	ms, _ := store.(MetadataStore)
	if ms == nil {
		return r, nil
	}
	b, err := ms.ReadMeta()
	if err != nil {
		return nil, err
	}
	if b != nil {
		var m metadata
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("registry: read metadata: %w (the storage's registry.json is corrupt; move it away to start empty)", err)
		}
		if m.Version != metadataVersion {
			return nil, fmt.Errorf("registry: read metadata: version %d, want %d", m.Version, metadataVersion)
		}
		for name, repo := range m.Repositories {
			repo.init()
			r.repos[name] = repo
		}
	}
	return r, nil
}

// Close cancels the uploads in progress and closes the storage. The
// caller stops serving requests first.
func (r *Registry) Close() error {
	r.upMu.Lock()
	sessions := r.uploads
	r.uploads = map[string]*session{}
	r.upMu.Unlock()
	for _, s := range sessions {
		s.mu.Lock()
		s.up.Cancel()
		s.mu.Unlock()
	}
	return r.store.Close()
}

// Routes of the /v2/ API; name is greedy, so that a repository name may
// hold segments such as "blobs".
var (
	reUpload   = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/([^/]*)$`)
	reResource = regexp.MustCompile(`^/v2/(.+)/(blobs|manifests|referrers)/([^/]+)$`)
	reTags     = regexp.MustCompile(`^/v2/(.+)/tags/list$`)
)

// ServeHTTP serves one request of the distribution API.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	path := req.URL.Path
	if r.auth != nil && r.auth.scheme == BearerAuth && path == tokenPath {
		r.auth.serveToken(w, req)
		return
	}
	if path != "/v2" && !strings.HasPrefix(path, "/v2/") {
		http.NotFound(w, req)
		return
	}
	var h func(http.ResponseWriter, *http.Request, string, string) error
	var name, arg string
	var methods []string
	switch m := reUpload.FindStringSubmatch(path); {
	case path == "/v2/" || path == "/v2":
		h, methods = r.ping, []string{"GET", "HEAD"}
	case path == "/v2/_catalog":
		h, methods = r.catalog, []string{"GET"}
	case m != nil:
		name, arg = m[1], m[2]
		if arg == "" {
			h, methods = r.startUpload, []string{"POST"}
		} else {
			h, methods = r.upload, []string{"GET", "PATCH", "PUT", "DELETE"}
		}
	default:
		if m := reResource.FindStringSubmatch(path); m != nil {
			name, arg = m[1], m[3]
			switch m[2] {
			case "blobs":
				h, methods = r.blob, []string{"GET", "HEAD", "DELETE"}
			case "manifests":
				h, methods = r.manifest, []string{"GET", "HEAD", "PUT", "DELETE"}
			case "referrers":
				h, methods = r.referrers, []string{"GET"}
			}
		} else if m := reTags.FindStringSubmatch(path); m != nil {
			name = m[1]
			h, methods = r.tags, []string{"GET"}
		}
	}
	if h == nil {
		writeError(w, newError(http.StatusNotFound, CodeUnsupported, "no such endpoint: "+path))
		return
	}
	if !slices.Contains(methods, req.Method) {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, newError(http.StatusMethodNotAllowed, CodeUnsupported, req.Method+" is not allowed on "+path))
		return
	}
	if name != "" && !ValidName(name) {
		writeError(w, newError(http.StatusBadRequest, CodeNameInvalid, fmt.Sprintf("invalid repository name %q: it must match %s", name, reName)))
		return
	}
	if r.auth != nil && !r.auth.allow(w, req, name) {
		return
	}
	if r.readOnly && req.Method != "GET" && req.Method != "HEAD" {
		writeError(w, newError(http.StatusMethodNotAllowed, CodeUnsupported, "the registry is read-only"))
		return
	}
	if err := h(w, req, name, arg); err != nil {
		writeError(w, err)
	}
}

func (r *Registry) ping(w http.ResponseWriter, _ *http.Request, _, _ string) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("{}"))
	return nil
}

// The spec's grammar of repository names and tags.
const (
	reName = `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`
	reTag  = `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
)

var (
	nameRE = regexp.MustCompile(`^` + reName + `$`)
	tagRE  = regexp.MustCompile(`^` + reTag + `$`)
)

// ValidName reports whether name is a repository name the spec allows:
// lower-case path components of letters and digits joined by ".", "_",
// "__" or dashes, at most 255 bytes.
func ValidName(name string) bool { return len(name) <= 255 && nameRE.MatchString(name) }

// ValidTag reports whether tag is a tag the spec allows.
func ValidTag(tag string) bool { return tagRE.MatchString(tag) }

// parseDigest parses s as a digest of an algorithm this registry
// verifies: sha256, sha384 or sha512.
func parseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", newError(http.StatusBadRequest, CodeDigestInvalid, fmt.Sprintf("invalid digest %q: %v", s, err))
	}
	return d, nil
}
