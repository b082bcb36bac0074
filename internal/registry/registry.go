package registry

import (
	_ "crypto/sha512" // digests of sha512 and sha384
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// Options configure a Registry. The zero value is an in-memory registry
// without authentication that accepts pushes.
type Options struct {
	// Storage keeps the bytes. nil means NewDir(Dir) with Dir set, else
	// NewMemory("", DefaultThreshold). The Registry closes it in Close.
	Storage Storage
	// Dir, with Storage nil, keeps the bytes in that directory
	// (NewDir), which a later Registry of the same Dir serves again.
	Dir string
	// Auth is the authentication every request needs; the zero value
	// needs none.
	Auth Auth
	// ReadOnly refuses every push, mount and delete with 405 and code
	// UNSUPPORTED. The Put methods still work, to preload content.
	ReadOnly bool
	// MinBodyRate is the slowest a request body may arrive; the zero
	// value means 64 KiB in every 30 seconds (about 2 KiB/s), a
	// negative Bytes no limit. It holds
	// where the server's connections take read deadlines (net/http's
	// do), and bounds only bodies: set the http.Server's
	// ReadHeaderTimeout and IdleTimeout for the rest.
	MinBodyRate BodyRate
	// MaxBlobSize is the largest blob a push may upload, in bytes; a
	// larger one is refused with 413 and code SIZE_INVALID. Zero means
	// no limit. PutBlob is not limited.
	MaxBlobSize int64
	// MaxUploads is how many upload sessions may be open at once, and
	// MaxUploadsPerClient how many of them one client (one remote IP
	// address) may hold; past either, a new one is refused with 429 and
	// code TOOMANYREQUESTS. Zero means DefaultMaxUploads and
	// DefaultMaxUploadsPerClient, a negative value no limit.
	MaxUploads, MaxUploadsPerClient int
	// UploadTimeout is how long an upload session may sit idle between
	// requests before the registry drops it and what it holds; zero
	// means DefaultUploadTimeout.
	UploadTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultMaxUploads          = 1024
	DefaultMaxUploadsPerClient = 256
	DefaultUploadTimeout       = 10 * time.Minute
)

// Registry is an OCI distribution registry. It is an http.Handler that
// serves the /v2/ API (and, with bearer auth, the token endpoint at
// /token), and it is safe for concurrent use.
type Registry struct {
	store    Storage
	auth     *authenticator
	readOnly bool
	bodyRate BodyRate // Bytes <= 0: no limit
	limits   uploadLimits

	mu           sync.RWMutex // guards repos and the metadata's sizes
	repos        map[string]*repository
	snapshotSize int64 // of the last snapshot written
	journaled    int64 // bytes of journal since

	upMu    sync.Mutex
	uploads map[string]*session
	clients map[string]int // open sessions by client address
}

// New returns a Registry with opts. With a Storage that keeps metadata
// (NewDir), it serves what the storage held.
func New(opts Options) (*Registry, error) {
	if err := opts.Auth.validate(); err != nil {
		return nil, err
	}
	if b := opts.MinBodyRate; b.Bytes > 0 && b.Window <= 0 {
		return nil, fmt.Errorf("registry: MinBodyRate of %d bytes needs a Window over 0", b.Bytes)
	}
	limits, err := newUploadLimits(opts)
	if err != nil {
		return nil, err
	}
	store := opts.Storage
	switch {
	case store != nil && opts.Dir != "":
		return nil, fmt.Errorf("registry: Storage and Dir %s both set: give one", opts.Dir)
	case store == nil && opts.Dir != "":
		if store, err = NewDir(opts.Dir); err != nil {
			return nil, err
		}
	case store == nil:
		if store, err = NewMemory("", 0); err != nil {
			return nil, err
		}
	}
	r := &Registry{store: store, readOnly: opts.ReadOnly, bodyRate: opts.MinBodyRate, limits: limits,
		repos: map[string]*repository{}, uploads: map[string]*session{}, clients: map[string]int{}}
	if r.bodyRate == (BodyRate{}) {
		r.bodyRate = BodyRate{Bytes: 64 << 10, Window: 30 * time.Second}
	}
	if opts.Auth.Scheme != NoAuth {
		r.auth = newAuthenticator(opts.Auth)
	}
	ms, _ := store.(MetadataStore)
	if ms == nil {
		return r, nil
	}
	if err := r.load(ms); err != nil {
		return nil, err
	}
	if err := r.repair(ms); err != nil {
		return nil, fmt.Errorf("registry: check the storage at start: %w", err)
	}
	return r, nil
}

// Close cancels the uploads in progress and closes the storage. The
// caller stops serving requests first.
func (r *Registry) Close() error {
	r.upMu.Lock()
	sessions := r.uploads
	r.uploads, r.clients = map[string]*session{}, map[string]int{}
	r.upMu.Unlock()
	for _, s := range sessions {
		s.timer.Stop()
		s.mu.Lock()
		s.done = true
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

// endpoint is a kind of resource of the API: what a path names, on which
// the access a request needs depends.
type endpoint int

const (
	endPing endpoint = iota
	endCatalog
	endUploads // POST of a new upload or a mount
	endUpload  // an upload session
	endBlob
	endManifest
	endReferrers
	endTags
)

// route is what a request's path names: the endpoint, its handler and
// methods, the repository and what follows it (tag, digest, upload id).
type route struct {
	end       endpoint
	h         func(http.ResponseWriter, *http.Request, string, string) error
	methods   []string
	name, arg string
}

// ServeHTTP serves one request of the distribution API.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.bodyRate.Bytes > 0 && req.Body != nil && req.Body != http.NoBody {
		req.Body = &rateBody{ReadCloser: req.Body, rc: http.NewResponseController(w), rate: r.bodyRate}
	}
	path := req.URL.Path
	if r.auth != nil && r.auth.scheme == BearerAuth && path == tokenPath {
		r.auth.serveToken(w, req)
		return
	}
	if path != "/v2" && !strings.HasPrefix(path, "/v2/") {
		http.NotFound(w, req)
		return
	}
	rt, ok := r.route(path)
	if !ok {
		writeError(w, newError(http.StatusNotFound, CodeUnsupported, "no such endpoint: "+path))
		return
	}
	if !slices.Contains(rt.methods, req.Method) {
		w.Header().Set("Allow", strings.Join(rt.methods, ", "))
		writeError(w, newError(http.StatusMethodNotAllowed, CodeUnsupported, req.Method+" is not allowed on "+path))
		return
	}
	if rt.name != "" && !ValidName(rt.name) {
		writeError(w, newError(http.StatusBadRequest, CodeNameInvalid, fmt.Sprintf("invalid repository name %q: it must match %s", rt.name, reName)))
		return
	}
	if r.auth != nil {
		if req, ok = r.auth.allow(w, req, needs(req.Method, rt)); !ok {
			return
		}
	}
	if r.readOnly && req.Method != "GET" && req.Method != "HEAD" {
		writeError(w, newError(http.StatusMethodNotAllowed, CodeUnsupported, "the registry is read-only"))
		return
	}
	if err := rt.h(w, req, rt.name, rt.arg); err != nil {
		writeError(w, err)
	}
}

// route returns the route of path, a path under /v2, or false.
func (r *Registry) route(path string) (route, bool) {
	switch m := reUpload.FindStringSubmatch(path); {
	case path == "/v2/" || path == "/v2":
		return route{end: endPing, h: r.ping, methods: []string{"GET", "HEAD"}}, true
	case path == "/v2/_catalog":
		return route{end: endCatalog, h: r.catalog, methods: []string{"GET"}}, true
	case m != nil && m[2] == "":
		return route{end: endUploads, h: r.startUpload, methods: []string{"POST"}, name: m[1]}, true
	case m != nil:
		return route{end: endUpload, h: r.upload, methods: []string{"GET", "PATCH", "PUT", "DELETE"}, name: m[1], arg: m[2]}, true
	}
	if m := reResource.FindStringSubmatch(path); m != nil {
		rt := route{name: m[1], arg: m[3]}
		switch m[2] {
		case "blobs":
			rt.end, rt.h, rt.methods = endBlob, r.blob, []string{"GET", "HEAD", "DELETE"}
		case "manifests":
			rt.end, rt.h, rt.methods = endManifest, r.manifest, []string{"GET", "HEAD", "PUT", "DELETE"}
		default:
			rt.end, rt.h, rt.methods = endReferrers, r.referrers, []string{"GET"}
		}
		return rt, true
	}
	if m := reTags.FindStringSubmatch(path); m != nil {
		return route{end: endTags, h: r.tags, methods: []string{"GET"}, name: m[1]}, true
	}
	return route{}, false
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
