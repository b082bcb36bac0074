package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// session is an upload in progress: POST starts it, PATCH and PUT add to
// it, PUT ends it.
type session struct {
	mu   sync.Mutex // held while a request reads into the upload
	id   string
	name string
	up   Upload
	sha  hash.Hash // sha256 of what up holds, which most digests use
	done bool
	used time.Time // when a request last ended; guarded by mu
}

// UploadTimeout is how long an upload may sit idle before the registry
// drops it, when a new one starts.
const UploadTimeout = time.Hour

func (s *session) Write(p []byte) (int, error) {
	n, err := s.up.Write(p)
	s.sha.Write(p[:n])
	return n, err
}

func (s *session) location() string { return "/v2/" + s.name + "/blobs/uploads/" + s.id }

// startUpload serves POST /v2/<name>/blobs/uploads/: a mount (?mount=
// and ?from=), a monolithic upload (?digest=), or the start of an upload
// session.
func (r *Registry) startUpload(w http.ResponseWriter, req *http.Request, name, _ string) error {
	q := req.URL.Query()
	if m := q.Get("mount"); m != "" {
		d, err := parseDigest(m)
		if err != nil {
			return err
		}
		// A mount reads only from a repository that the client names
		// and may pull; the spec lets a registry that does not mount
		// answer with an upload session instead.
		if from := q.Get("from"); from != "" && ValidName(from) && r.canPull(req, from) {
			ok, err := r.mount(name, from, d)
			if err != nil {
				return err
			}
			if ok {
				return created(w, name, d)
			}
		}
		// Not there to mount, or not to this client: the client uploads
		// it in the session below.
	} else if dg := q.Get("digest"); dg != "" {
		d, err := parseDigest(dg)
		if err != nil {
			return err
		}
		s, err := r.newSession(name)
		if err != nil {
			return err
		}
		if err := s.append(req); err != nil {
			s.up.Cancel()
			return err
		}
		if err := r.finish(s, d); err != nil {
			return err
		}
		return created(w, name, d)
	}
	s, err := r.newSession(name)
	if err != nil {
		return err
	}
	r.expireUploads(time.Now().Add(-UploadTimeout))
	r.upMu.Lock()
	r.uploads[s.id] = s
	r.upMu.Unlock()
	uploadStatus(w, s, http.StatusAccepted)
	return nil
}

// expireUploads drops the uploads idle since before, which their clients
// abandoned; an upload a request is using is not idle.
func (r *Registry) expireUploads(before time.Time) {
	r.upMu.Lock()
	var idle []*session
	for _, s := range r.uploads {
		if s.mu.TryLock() {
			if s.used.Before(before) {
				idle = append(idle, s)
			} else {
				s.mu.Unlock()
			}
		}
	}
	for _, s := range idle {
		delete(r.uploads, s.id)
	}
	r.upMu.Unlock()
	for _, s := range idle {
		s.done = true
		s.up.Cancel()
		s.mu.Unlock()
	}
}

// upload serves GET, PATCH, PUT and DELETE
// /v2/<name>/blobs/uploads/<id>.
func (r *Registry) upload(w http.ResponseWriter, req *http.Request, name, id string) error {
	r.upMu.Lock()
	s := r.uploads[id]
	r.upMu.Unlock()
	if s == nil || s.name != name {
		return newError(http.StatusNotFound, CodeBlobUploadUnknown, fmt.Sprintf("no upload %s in repository %s: start one with POST /v2/%s/blobs/uploads/", id, name, name))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return newError(http.StatusNotFound, CodeBlobUploadUnknown, fmt.Sprintf("upload %s has ended", id))
	}
	defer func() { s.used = time.Now() }()
	switch req.Method {
	case "GET":
		uploadStatus(w, s, http.StatusNoContent)
		return nil
	case "DELETE":
		r.endSession(s)
		err := s.up.Cancel()
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return err
	case "PATCH":
		if err := s.append(req); err != nil {
			if e, ok := err.(*apiError); ok && e.Status == http.StatusRequestedRangeNotSatisfiable {
				uploadHeaders(w, s)
			}
			return err
		}
		uploadStatus(w, s, http.StatusAccepted)
		return nil
	}
	// PUT: the last chunk, if any, and the digest.
	dg := req.URL.Query().Get("digest")
	if dg == "" {
		return newError(http.StatusBadRequest, CodeDigestInvalid, "PUT of an upload needs ?digest=: the digest of the whole blob")
	}
	d, err := parseDigest(dg)
	if err != nil {
		return err
	}
	if err := s.append(req); err != nil {
		if e, ok := err.(*apiError); ok && e.Status == http.StatusRequestedRangeNotSatisfiable {
			uploadHeaders(w, s)
		}
		return err
	}
	r.endSession(s)
	if err := r.finish(s, d); err != nil {
		return err
	}
	return created(w, name, d)
}

func (r *Registry) newSession(name string) (*session, error) {
	up, err := r.store.Create()
	if err != nil {
		return nil, err
	}
	return &session{id: rand.Text(), name: name, up: up, sha: sha256.New(), used: time.Now()}, nil
}

// endSession forgets s; the caller holds s.mu.
func (r *Registry) endSession(s *session) {
	s.done = true
	r.upMu.Lock()
	delete(r.uploads, s.id)
	r.upMu.Unlock()
}

// append adds the body of req to s, after checking its Content-Range, if
// any, starts where s ends. What was read stays in the upload even if
// reading fails, so that a client can resume after it.
func (s *session) append(req *http.Request) error {
	start := s.up.Size()
	want := req.ContentLength
	if cr := req.Header.Get("Content-Range"); cr != "" {
		from, to, err := parseContentRange(cr)
		if err != nil {
			return newError(http.StatusBadRequest, CodeBlobUploadInvalid, err.Error())
		}
		if from != start {
			return newError(http.StatusRequestedRangeNotSatisfiable, CodeBlobUploadInvalid,
				fmt.Sprintf("chunk %d-%d is out of order: the upload holds %d bytes, so the next chunk starts at %d", from, to, start, start))
		}
		if want >= 0 && want != to-from+1 {
			return newError(http.StatusBadRequest, CodeBlobUploadInvalid,
				fmt.Sprintf("Content-Range %s is %d bytes but Content-Length is %d", cr, to-from+1, want))
		}
		want = to - from + 1
	}
	if req.Body == nil {
		return nil
	}
	if e, ok := s.up.(interface{ expect(int64) error }); ok && want > 0 {
		if err := e.expect(want); err != nil {
			return err
		}
	}
	n, err := io.Copy(s, req.Body)
	if err != nil {
		return newError(http.StatusBadRequest, CodeBlobUploadInvalid, fmt.Sprintf("reading the chunk after %d bytes: %v", n, err))
	}
	if want >= 0 && n != want {
		return newError(http.StatusBadRequest, CodeBlobUploadInvalid, fmt.Sprintf("the chunk has %d bytes, not %d", n, want))
	}
	return nil
}

// parseContentRange parses "FROM-TO" as the spec writes a chunk's range,
// also in the "bytes FROM-TO/SIZE" form of RFC 9110.
func parseContentRange(s string) (from, to int64, err error) {
	v := strings.TrimSpace(s)
	v = strings.TrimPrefix(v, "bytes")
	v = strings.TrimLeft(v, " =")
	v, _, _ = strings.Cut(v, "/")
	a, b, ok := strings.Cut(v, "-")
	if ok {
		from, err = strconv.ParseInt(a, 10, 64)
	}
	if ok && err == nil {
		to, err = strconv.ParseInt(b, 10, 64)
	}
	if !ok || err != nil || from < 0 || to < from {
		return 0, 0, fmt.Errorf("invalid Content-Range %q: want FROM-TO, such as 0-1023", s)
	}
	return from, to, nil
}

// finish checks what s holds against d and commits it as a blob of
// repository s.name. A mismatch drops the upload.
func (r *Registry) finish(s *session, d digest.Digest) error {
	var got digest.Digest
	if d.Algorithm() == digest.SHA256 {
		got = digest.NewDigest(digest.SHA256, s.sha)
	} else {
		rc, err := s.up.Reader()
		if err != nil {
			s.up.Cancel()
			return err
		}
		got, err = d.Algorithm().FromReader(rc)
		rc.Close()
		if err != nil {
			s.up.Cancel()
			return err
		}
	}
	if got != d {
		s.up.Cancel()
		return newError(http.StatusBadRequest, CodeDigestInvalid,
			fmt.Sprintf("the %d bytes uploaded have digest %s, not %s", s.up.Size(), got, d))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := s.up.Commit(d); err != nil {
		return err
	}
	r.repoForWrite(s.name).Blobs[d] = true
	return r.save()
}

// mount adds blob d of repository from to repository name, and reports
// whether it was there to add.
func (r *Registry) mount(name, from string, d digest.Digest) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if repo := r.repo(from); repo == nil || !repo.Blobs[d] {
		return false, nil
	}
	r.repoForWrite(name).Blobs[d] = true
	return true, r.save()
}

// uploadHeaders sets the headers that tell a client where an upload
// stands: its URL and the range it holds.
func uploadHeaders(w http.ResponseWriter, s *session) {
	h := w.Header()
	h.Set("Location", s.location())
	h.Set("Docker-Upload-UUID", s.id)
	// The spec's Range is inclusive; an empty upload reports "0-0", as
	// the reference implementation does and clients expect.
	h.Set("Range", fmt.Sprintf("0-%d", max(s.up.Size()-1, 0)))
}

func uploadStatus(w http.ResponseWriter, s *session, status int) {
	uploadHeaders(w, s)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

// created answers a completed blob upload or mount.
func created(w http.ResponseWriter, name string, d digest.Digest) error {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}
