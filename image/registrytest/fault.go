package registrytest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is a failure that a Registry or a Proxy injects into the
// requests that match it, for testing how a client copes: errors and rate limits, connections
// that break in the middle of a body, slow answers. The effects combine:
// a Delay with a Status waits, then fails.
type Fault struct {
	// Method is the HTTP method the fault matches, as the client sends
	// it (see Registry.Fail); "" matches any.
	Method string
	// Path is a regular expression the fault matches against the URL
	// path, such as `/blobs/` or `/manifests/v1$`; "" matches any.
	Path string
	// Times is how many matching requests the fault affects: 0 means
	// one, a negative count every one.
	Times int

	// Status answers the request with this HTTP status and an error
	// body of the spec's format (code TOOMANYREQUESTS for 429), without
	// handling it.
	Status int
	// RetryAfter, with Status, sets the Retry-After header, in whole
	// seconds.
	RetryAfter time.Duration
	// Delay waits this long before answering, or until the client gives
	// up.
	Delay time.Duration
	// CutResponse handles the request, then closes the connection after
	// sending the status, the headers and After bytes of the body, as a
	// network failure would. A shorter body arrives whole.
	CutResponse bool
	// CutRequest handles the request with a body that ends after After
	// bytes, as if the client's connection broke there; the registry
	// keeps what it read (an upload holds those bytes, for a client to
	// resume after) and closes the connection without an answer. A
	// shorter body is not cut.
	CutRequest bool
	// After is where CutResponse and CutRequest cut a body, in bytes.
	After int64
}

// Request is one request a Registry or a Proxy served, as Log reports it.
type Request struct {
	Method string
	Path   string // the URL path
	Query  string // the raw query, without "?"
	Range  string // the Range header, such as "bytes=100-", or ""
	// Status is the status the registry sent, 0 when it sent none (the
	// request was cut).
	Status int
	// BytesIn is the size of the request body the registry read, and
	// BytesOut that of the response body it sent.
	BytesIn, BytesOut int64
	// Fault reports whether a Fault affected the request.
	Fault bool
}

// faults injects Faults into the requests a handler serves and logs
// them; Registry and Proxy embed it. Its methods are safe for concurrent
// use.
type faults struct {
	mu     sync.Mutex
	faults []*faultState
	log    []Request
}

type faultState struct {
	Fault
	path  *regexp.Regexp
	left  int // < 0: no limit
	fired int
}

// Fail adds f to the faults injected; faults match in the order they were
// added, and every fault that matches a request affects it. Fail panics
// if f.Path is not a regular expression or f does nothing.
//
// A fault's Method is compared with the method the client sends, exactly:
// a client that pulls by tag resolves the tag with HEAD and then gets the
// manifest by digest, so Fault{Method: "GET", Path: "/manifests/v1$"}
// matches nothing of such a pull. New and NewProxy fail the test when a
// fault never fired; Unfired lists such faults.
func (fs *faults) Fail(f Fault) {
	st := &faultState{Fault: f, left: f.Times}
	if f.Path != "" {
		st.path = regexp.MustCompile(f.Path)
	}
	if f.Times == 0 {
		st.left = 1
	}
	if f.Status == 0 && f.Delay == 0 && !f.CutResponse && !f.CutRequest {
		panic("registrytest: Fail: the fault does nothing: set Status, Delay, CutResponse or CutRequest")
	}
	fs.mu.Lock()
	fs.faults = append(fs.faults, st)
	fs.mu.Unlock()
}

// Unfired returns the faults given to Fail that no request has matched
// yet, in the order they were added.
func (fs *faults) Unfired() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var out []Fault
	for _, st := range fs.faults {
		if st.fired == 0 {
			out = append(out, st.Fault)
		}
	}
	return out
}

// Log returns the requests served since the start or ResetLog, in the
// order they ended.
func (fs *faults) Log() []Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]Request(nil), fs.log...)
}

// ResetLog empties the log, so that a test can check what one step did:
// "pushing again uploaded nothing".
func (fs *faults) ResetLog() {
	fs.mu.Lock()
	fs.log = nil
	fs.mu.Unlock()
}

// checkFired fails t for every fault that never fired, unless t has
// already failed or was skipped, when the faults may not have been
// reached.
func (fs *faults) checkFired(t testing.TB) {
	if t.Failed() || t.Skipped() {
		return
	}
	for _, f := range fs.Unfired() {
		hint := ""
		if f.Method == http.MethodGet {
			hint = "; a pull resolves a tag with HEAD and gets the manifest by digest, so match HEAD or leave Method empty"
		}
		t.Errorf("registrytest: fault %s never fired: no request matched it%s", f, hint)
	}
}

// String describes f by what it matches: "GET /manifests/ (3 times)".
func (f Fault) String() string {
	m, p := f.Method, f.Path
	if m == "" {
		m = "any method"
	}
	if p == "" {
		p = "any path"
	}
	n := "once"
	switch {
	case f.Times < 0:
		n = "every time"
	case f.Times > 1:
		n = fmt.Sprintf("%d times", f.Times)
	}
	return fmt.Sprintf("%s %s (%s)", m, p, n)
}

// match returns the combined fault for req and consumes one use of each
// fault that matched; ok is false when none did.
func (fs *faults) match(req *http.Request) (f Fault, ok bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, st := range fs.faults {
		if st.left == 0 || (st.Method != "" && st.Method != req.Method) || (st.path != nil && !st.path.MatchString(req.URL.Path)) {
			continue
		}
		ok = true
		st.fired++
		if st.left > 0 {
			st.left--
		}
		if f.Status == 0 {
			f.Status, f.RetryAfter = st.Status, st.RetryAfter
		}
		f.Delay += st.Delay
		if st.CutResponse && !f.CutResponse {
			f.CutResponse, f.After = true, st.After
		}
		if st.CutRequest && !f.CutRequest {
			f.CutRequest, f.After = true, st.After
		}
	}
	return f, ok
}

// wrap wraps next with the faults and the log.
func (fs *faults) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f, faulty := fs.match(req)
		body := &countingBody{ReadCloser: req.Body, limit: -1}
		if faulty && f.CutRequest {
			body.limit = f.After
		}
		req.Body = body
		cw := &countingWriter{ResponseWriter: w, cut: -1, body: body, head: req.Method == "HEAD"}
		if faulty && f.CutResponse {
			cw.cut = f.After
		}
		defer func() {
			status := cw.status
			if body.cut {
				status = 0
			}
			fs.mu.Lock()
			fs.log = append(fs.log, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
				Range: req.Header.Get("Range"), Status: status, BytesIn: body.n, BytesOut: cw.n, Fault: faulty})
			fs.mu.Unlock()
		}()
		if faulty && f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-req.Context().Done():
				t.Stop()
				panic(http.ErrAbortHandler)
			}
		}
		if faulty && f.Status != 0 {
			writeStatus(cw, f)
		} else {
			next.ServeHTTP(cw, req)
		}
		if body.cut {
			// Close the connection without an answer, as a client
			// whose connection broke gets none.
			panic(http.ErrAbortHandler)
		}
	})
}

// writeStatus answers with f.Status and an error body of the spec's
// format.
func writeStatus(w http.ResponseWriter, f Fault) {
	code := "UNKNOWN"
	switch f.Status {
	case http.StatusTooManyRequests:
		code = "TOOMANYREQUESTS"
	case http.StatusUnauthorized:
		code = "UNAUTHORIZED"
	case http.StatusForbidden:
		code = "DENIED"
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":"registrytest: injected fault: %d %s"}]}`+"\n", code, f.Status, http.StatusText(f.Status))
}

// countingBody counts what the handler reads of a request body, and ends
// it with an error after limit bytes when limit >= 0.
type countingBody struct {
	io.ReadCloser
	n, limit int64
	cut      bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	if b.limit >= 0 && b.n >= b.limit {
		b.cut = true
		return 0, io.ErrUnexpectedEOF
	}
	if b.limit >= 0 {
		p = p[:min(int64(len(p)), b.limit-b.n)]
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// countingWriter counts the body bytes written and records the status.
// With cut >= 0 it sends only the first cut bytes of the body, then
// aborts the handler. Once the request body was cut, it sends nothing.
type countingWriter struct {
	http.ResponseWriter
	body   *countingBody
	status int
	n      int64
	cut    int64
	head   bool // net/http drops the body of an answer to HEAD
}

func (w *countingWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if !w.body.cut {
		w.ResponseWriter.WriteHeader(status)
	}
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.body.cut || w.head {
		return len(p), nil
	}
	if w.cut >= 0 && w.n+int64(len(p)) > w.cut {
		n, _ := w.ResponseWriter.Write(p[:w.cut-w.n])
		w.n += int64(n)
		w.flush()
		panic(http.ErrAbortHandler)
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *countingWriter) flush() {
	if !w.body.cut {
		http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// BlobCounts is what a registry's log says of blob uploads, by digest.
type BlobCounts struct {
	// Uploads counts the uploads that ended with a blob stored: a PUT
	// ?digest= that succeeded, or a monolithic POST ?digest=.
	Uploads map[string]int
	// Mounts counts the blobs mounted from another repository: a POST
	// ?mount= answered 201 Created.
	Mounts map[string]int
	// Refused counts the mounts the registry refused (it started an
	// upload instead).
	Refused int
}

// CountBlobs returns the blob uploads and mounts of a log (Log), for a
// test asserting that a push "uploaded each blob once and mounted the
// shared layer into the other repositories".
func CountBlobs(log []Request) BlobCounts {
	c := BlobCounts{Uploads: map[string]int{}, Mounts: map[string]int{}}
	for _, r := range log {
		if !strings.Contains(r.Path, "/blobs/uploads/") {
			continue
		}
		q, _ := url.ParseQuery(r.Query)
		switch {
		case q.Get("digest") != "" && r.Status == http.StatusCreated && (r.Method == http.MethodPut || r.Method == http.MethodPost):
			c.Uploads[q.Get("digest")]++
		case r.Method == http.MethodPost && q.Has("mount") && r.Status == http.StatusCreated:
			c.Mounts[q.Get("mount")]++
		case r.Method == http.MethodPost && q.Has("mount"):
			c.Refused++
		}
	}
	return c
}
