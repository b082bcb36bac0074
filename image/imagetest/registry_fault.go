package imagetest

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Fault is a failure the registry injects into the requests that match
// it, for testing how a client copes: errors and rate limits, connections
// that break in the middle of a body, slow answers. The effects combine:
// a Delay with a Status waits, then fails.
type Fault struct {
	// Method is the HTTP method the fault matches; "" matches any.
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

// Request is one request the registry served, as Log reports it.
type Request struct {
	Method string
	Path   string // the URL path
	Query  string // the raw query, without "?"
	// Status is the status the registry sent, 0 when it sent none (the
	// request was cut).
	Status int
	// BytesIn is the size of the request body the registry read, and
	// BytesOut that of the response body it sent.
	BytesIn, BytesOut int64
	// Fault reports whether a Fault affected the request.
	Fault bool
}

type faultState struct {
	Fault
	path *regexp.Regexp
	left int // < 0: no limit
}

// Fail adds f to the faults the registry injects; faults match in the
// order they were added, and every fault that matches a request affects
// it. Fail panics if f.Path is not a regular expression or f does
// nothing.
func (r *Registry) Fail(f Fault) {
	st := &faultState{Fault: f, left: f.Times}
	if f.Path != "" {
		st.path = regexp.MustCompile(f.Path)
	}
	if f.Times == 0 {
		st.left = 1
	}
	if f.Status == 0 && f.Delay == 0 && !f.CutResponse && !f.CutRequest {
		panic("imagetest: Fail: the fault does nothing: set Status, Delay, CutResponse or CutRequest")
	}
	r.mu.Lock()
	r.faults = append(r.faults, st)
	r.mu.Unlock()
}

// Log returns the requests served since the registry started or
// ResetLog was called, in the order they ended.
func (r *Registry) Log() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.log...)
}

// ResetLog empties the log, so that a test can check what one step did:
// "pushing again uploaded nothing".
func (r *Registry) ResetLog() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// match returns the combined fault for req and consumes one use of each
// fault that matched; ok is false when none did.
func (r *Registry) match(req *http.Request) (f Fault, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.faults[:0]
	for _, st := range r.faults {
		if (st.Method == "" || st.Method == req.Method) && (st.path == nil || st.path.MatchString(req.URL.Path)) {
			ok = true
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
			if st.left > 0 {
				st.left--
			}
			if st.left == 0 {
				continue
			}
		}
		kept = append(kept, st)
	}
	clear(r.faults[len(kept):])
	r.faults = kept
	return f, ok
}

// middleware wraps the registry's handler with the faults and the log.
func (r *Registry) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f, faulty := r.match(req)
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
			r.mu.Lock()
			r.log = append(r.log, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
				Status: status, BytesIn: body.n, BytesOut: cw.n, Fault: faulty})
			r.mu.Unlock()
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
				cw.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
			}
			cw.Header().Set("Content-Type", "application/json")
			cw.WriteHeader(f.Status)
			fmt.Fprintf(cw, `{"errors":[{"code":%q,"message":"imagetest: injected fault: %d %s"}]}`+"\n", code, f.Status, http.StatusText(f.Status))
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
