package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"net"
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
	mu     sync.Mutex // held while a request reads into the upload
	id     string
	name   string
	client string // the remote address's host, for MaxUploadsPerClient
	up     Upload
	sha    hash.Hash // sha256 of what up holds, which most digests use
	done   bool
	used   time.Time   // when a request last ended; guarded by mu
	timer  *time.Timer // drops the session once idle; nil until registered
}

// uploadLimits are the Options that bound uploads, defaults applied.
type uploadLimits struct {
	maxBlob          int64 // 0: none
	total, perClient int   // < 0: none
	timeout          time.Duration
}

func newUploadLimits(opts Options) (uploadLimits, error) {
	l := uploadLimits{maxBlob: opts.MaxBlobSize, total: opts.MaxUploads, perClient: opts.MaxUploadsPerClient, timeout: opts.UploadTimeout}
	switch {
	case l.maxBlob < 0:
		return l, fmt.Errorf("registry: MaxBlobSize %d: want 0 (no limit) or more", l.maxBlob)
	case l.timeout < 0:
		return l, fmt.Errorf("registry: UploadTimeout %v: want 0 (the default) or more", l.timeout)
	}
	if l.total == 0 {
		l.total = DefaultMaxUploads
	}
	if l.perClient == 0 {
		l.perClient = DefaultMaxUploadsPerClient
	}
	if l.timeout == 0 {
		l.timeout = DefaultUploadTimeout
	}
	return l, nil
}

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
		if err := r.append(s, req); err != nil {
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
	if err := r.register(s, clientHost(req)); err != nil {
		s.up.Cancel()
		return err
	}
	uploadStatus(w, s, http.StatusAccepted)
	return nil
}

// clientHost returns the host of req's remote address: the client that
// MaxUploadsPerClient counts.
func clientHost(req *http.Request) string {
	if h, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		return h
	}
	return req.RemoteAddr
}

// register adds s to the sessions in progress, within the limits, and
// starts the timer that drops it once idle.
func (r *Registry) register(s *session, client string) error {
	r.upMu.Lock()
	defer r.upMu.Unlock()
	l := r.limits
	if l.total > 0 && len(r.uploads) >= l.total {
		return newError(http.StatusTooManyRequests, CodeTooManyRequests,
			fmt.Sprintf("%d uploads are in progress, the most this registry holds: finish or cancel one, or retry later", l.total))
	}
	if l.perClient > 0 && r.clients[client] >= l.perClient {
		return newError(http.StatusTooManyRequests, CodeTooManyRequests,
			fmt.Sprintf("this client has %d uploads in progress, the most one client may hold: finish or cancel one (DELETE its location), or retry later", l.perClient))
	}
	s.client = client
	r.uploads[s.id] = s
	r.clients[client]++
	s.timer = time.AfterFunc(l.timeout, func() { r.expire(s) })
	return nil
}

// expire drops s if it has been idle for the upload timeout, which its
// client abandoned; a session a request is using is not idle, and the
// request's end restarts the timer.
func (r *Registry) expire(s *session) {
	if !s.mu.TryLock() {
		return
	}
	defer s.mu.Unlock()
	if s.done {
		return
	}
	if idle := time.Since(s.used); idle < r.limits.timeout {
		s.timer.Reset(r.limits.timeout - idle)
		return
	}
	r.endSession(s)
	s.up.Cancel()
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
	defer func() {
		s.used = time.Now()
		if !s.done {
			s.timer.Reset(r.limits.timeout)
		}
	}()
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
		if err := r.appendTo(w, s, req); err != nil {
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
	if err := r.appendTo(w, s, req); err != nil {
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

// appendTo adds the body of req to session s, as append does. An
// out-of-order chunk gets the headers that say where s stands; a chunk
// that takes s past MaxBlobSize ends s.
func (r *Registry) appendTo(w http.ResponseWriter, s *session, req *http.Request) error {
	err := r.append(s, req)
	if e, ok := err.(*apiError); ok {
		switch e.Status {
		case http.StatusRequestedRangeNotSatisfiable:
			uploadHeaders(w, s)
		case http.StatusRequestEntityTooLarge:
			r.endSession(s)
			s.up.Cancel()
		}
	}
	return err
}

// endSession forgets s; the caller holds s.mu.
func (r *Registry) endSession(s *session) {
	s.done = true
	if s.timer != nil {
		s.timer.Stop()
	}
	r.upMu.Lock()
	if r.uploads[s.id] == s {
		delete(r.uploads, s.id)
		if r.clients[s.client]--; r.clients[s.client] <= 0 {
			delete(r.clients, s.client)
		}
	}
	r.upMu.Unlock()
}

// append adds the body of req to s, after checking its Content-Range, if
// any, starts where s ends. What was read stays in the upload even if
// reading fails, so that a client can resume after it. A body that would
// take s past MaxBlobSize gets 413.
func (r *Registry) append(s *session, req *http.Request) error {
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
	limit := r.limits.maxBlob
	if limit > 0 && want > 0 && start+want > limit {
		return tooLarge(start+want, limit)
	}
	if e, ok := s.up.(interface{ expect(int64) error }); ok && want > 0 {
		if err := e.expect(want); err != nil {
			return err
		}
	}
	body := io.Reader(req.Body)
	if limit > 0 {
		body = io.LimitReader(body, limit-start+1)
	}
	n, err := io.Copy(s, body)
	if limit > 0 && s.up.Size() > limit {
		return tooLarge(s.up.Size(), limit)
	}
	if err != nil {
		return newError(http.StatusBadRequest, CodeBlobUploadInvalid, fmt.Sprintf("reading the chunk after %d bytes: %v", n, err))
	}
	if want >= 0 && n != want {
		return newError(http.StatusBadRequest, CodeBlobUploadInvalid, fmt.Sprintf("the chunk has %d bytes, not %d", n, want))
	}
	return nil
}

func tooLarge(size, limit int64) error {
	return newError(http.StatusRequestEntityTooLarge, CodeSizeInvalid,
		fmt.Sprintf("the blob would be %d bytes or more, over the %d this registry takes; the upload is dropped", size, limit))
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
	if repo := r.repo(s.name); repo != nil && repo.Blobs[d] {
		return nil
	}
	return r.change(op{Kind: opAddBlob, Repo: s.name, Digest: d})
}

// mount adds blob d of repository from to repository name, and reports
// whether it was there to add.
func (r *Registry) mount(name, from string, d digest.Digest) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if repo := r.repo(from); repo == nil || !repo.Blobs[d] {
		return false, nil
	}
	if repo := r.repo(name); repo != nil && repo.Blobs[d] {
		return true, nil
	}
	return true, r.change(op{Kind: opAddBlob, Repo: name, Digest: d})
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
