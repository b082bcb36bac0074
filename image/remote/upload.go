package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/minimage/minimage/layer"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// UploadChunkSize is the largest PATCH request of an Upload, in bytes,
// unless the registry asks for larger ones (OCI-Chunk-Min-Length). The
// first chunk is firstChunk bytes and each next one twice the last, up
// to UploadChunkSize, so that the link starts early.
const UploadChunkSize = 4 << 20

const firstChunk = 256 << 10

// uploadQueue is how many full chunks Write queues before it waits for
// the upload to catch up: an Upload holds at most uploadQueue+2 chunks
// (the one being filled, and the one being sent).
const uploadQueue = 2

// uploadDropTimeout bounds the DELETE that Abort sends.
const uploadDropTimeout = 5 * time.Second

// ErrUploadAborted is what Write and Commit return after Abort.
var ErrUploadAborted = errors.New("remote: upload aborted")

// Upload sends one blob to a repository while it is written, for a blob
// whose digest is known only once its last byte is, such as a layer
// while it compresses. It speaks the OCI distribution spec's chunked
// upload: a POST starts it, a PATCH with Content-Range sends each chunk
// of UploadChunkSize bytes in order, and Commit's PUT ?digest= ends it.
//
// Write queues the bytes and returns; a goroutine of the Upload sends
// them, and Write waits only while a few chunks are queued, so the
// writer goes at the pace of the link at worst. An Upload does not ask
// whether the repository holds the blob (it cannot: the digest comes
// last) and does not start over: when a request fails, Write and Commit
// return the error, and the caller pushes the blob as usual (Push asks
// first and uploads it again from its first byte). Every Upload must end
// with Commit or Abort, which join its goroutine. Write is not safe for
// concurrent use; Abort may be called from any goroutine.
type Upload struct {
	c      *client
	ctx    context.Context
	cancel context.CancelFunc
	chunks chan []byte
	done   chan struct{} // closed when run has returned

	buf  []byte // the chunk being filled
	next int    // the size of the next chunk
	size int64  // bytes written

	mu  sync.Mutex
	err error // the first failure; set before done is closed
	loc *url.URL
}

// NewUpload starts an upload of one blob to the repository that ref,
// REGISTRY/REPOSITORY[:TAG], names (the tag is ignored), talking to it
// with opts. The POST that opens the upload is sent in the background;
// its failure comes back from Write or Commit. Cancelling ctx aborts the
// upload.
func NewUpload(ctx context.Context, ref string, opts Options) (*Upload, error) {
	c, err := clientFor(ref, opts)
	if err != nil {
		return nil, err
	}
	ctx = auth.AppendRepositoryScope(ctx, c.repo.Reference, auth.ActionPull, auth.ActionPush)
	ctx, cancel := context.WithCancel(ctx)
	u := &Upload{c: c, ctx: ctx, cancel: cancel, chunks: make(chan []byte, uploadQueue), done: make(chan struct{})}
	go u.run()
	return u, nil
}

// HasBlob reports whether the repository that ref,
// REGISTRY/REPOSITORY[:TAG], names holds the blob d (a HEAD request),
// such as a layer whose digest a caller knows before it builds it again:
// it then need not upload it while it builds.
func HasBlob(ctx context.Context, ref string, d ocispec.Descriptor, opts Options) (bool, error) {
	c, err := clientFor(ref, opts)
	if err != nil {
		return false, err
	}
	defer c.closeIdle()
	ctx, cancel := withTimeout(ctx, opts)
	defer cancel()
	ok, err := c.repo.Blobs().Exists(ctx, d)
	if err != nil {
		return false, c.timedOut(ctx, c.wrap(err, "check blob "+short(d)), "check blob "+short(d))
	}
	return ok, nil
}

// Write adds p to the blob. It returns the upload's error once a request
// has failed, and ErrUploadAborted after Abort.
func (u *Upload) Write(p []byte) (int, error) {
	if err := u.failed(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		if u.buf == nil {
			u.next = min(max(2*u.next, firstChunk), UploadChunkSize)
			u.buf = make([]byte, 0, u.next)
		}
		k := min(len(p), cap(u.buf)-len(u.buf))
		u.buf = append(u.buf, p[:k]...)
		p = p[k:]
		if len(u.buf) == cap(u.buf) {
			if err := u.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	u.size += int64(n)
	return n, nil
}

// Commit sends what Write has not sent yet and ends the upload as the
// blob d, which must be what was written: the registry checks the
// digest. It returns once the registry holds the blob, or with the
// upload's first error, after asking the registry to drop the upload.
// Call it once, after the last Write.
func (u *Upload) Commit(d ocispec.Descriptor) error {
	err := u.failed()
	if err == nil && d.Size != u.size {
		err = fmt.Errorf("remote: upload %s: %d bytes written, but the blob is %d: %w", short(d), u.size, d.Size, layer.ErrSizeMismatch)
	}
	if err == nil && len(u.buf) > 0 {
		err = u.flush()
	}
	close(u.chunks)
	<-u.done
	if err == nil {
		err = u.failed()
	}
	if err == nil {
		err = u.finish(d)
	}
	if err != nil {
		u.drop()
		return err
	}
	// Later pushes sharing opts.Mounts mount the blob from here.
	newMountScope(u.ctx, u.c.opts.Mounts, u.c).remember(d.Digest, u.c.ref.Repository)
	u.cancel()
	u.c.closeIdle()
	u.c.rep.send(Progress{Descriptor: d, State: Uploaded, Done: d.Size, Total: d.Size})
	return nil
}

// Abort stops the upload and asks the registry to drop what it holds of
// it. It waits for the Upload's goroutine; after Commit or another Abort
// it does nothing. Abort may be called while Write waits.
func (u *Upload) Abort() {
	u.setErr(ErrUploadAborted)
	u.cancel()
	<-u.done
	u.drop()
}

// drop asks the registry to forget the upload, if it is open, and
// closes the client's idle connections.
func (u *Upload) drop() {
	u.cancel()
	u.mu.Lock()
	loc := u.loc
	u.loc = nil
	u.mu.Unlock()
	if loc != nil {
		// Best effort, and brief: the registry forgets the upload anyway.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), uploadDropTimeout)
		defer cancel()
		if resp, err := u.do(ctx, http.MethodDelete, loc, nil, nil); err == nil {
			resp.Body.Close()
		}
	}
	u.c.closeIdle()
}

// flush queues the chunk being filled, waiting for room.
func (u *Upload) flush() error {
	select {
	case u.chunks <- u.buf:
		u.buf = nil
		return nil
	case <-u.done:
		return u.failed()
	}
}

func (u *Upload) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *Upload) setErr(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err == nil {
		u.err = err
	}
}

// run opens the upload and sends each queued chunk; after a failure it
// stops, and flush sees done closed.
func (u *Upload) run() {
	defer close(u.done)
	loc, min, err := u.open()
	if err != nil {
		u.setErr(err)
		return
	}
	var pending []byte // bytes kept to reach the registry's minimum chunk
	var off int64
	send := func(chunk []byte) error {
		next, err := u.patch(loc, off, chunk)
		if err != nil {
			return err
		}
		loc, off = next, off+int64(len(chunk))
		u.setLocation(loc)
		return nil
	}
	for {
		var chunk []byte
		var ok bool
		select {
		case chunk, ok = <-u.chunks:
		case <-u.ctx.Done():
			u.setErr(causeOf(u.ctx, u.ctx.Err()))
			return
		}
		if !ok {
			break
		}
		if pending = append(pending, chunk...); int64(len(pending)) < min {
			continue
		}
		if err := send(pending); err != nil {
			u.setErr(err)
			return
		}
		pending = nil
	}
	if len(pending) > 0 && u.failed() == nil {
		// The last chunk may be shorter than the minimum.
		if err := send(pending); err != nil {
			u.setErr(err)
		}
	}
}

func (u *Upload) setLocation(loc *url.URL) {
	u.mu.Lock()
	u.loc = loc
	u.mu.Unlock()
}

// open sends the POST that starts the upload and returns its location
// and the registry's minimum chunk size.
func (u *Upload) open() (*url.URL, int64, error) {
	c := u.c
	start := &url.URL{Scheme: c.scheme(), Host: c.repo.Reference.Host(), Path: "/v2/" + c.ref.Repository + "/blobs/uploads/"}
	resp, err := u.do(u.ctx, http.MethodPost, start, nil, nil)
	if err != nil {
		return nil, 0, c.wrap(err, "start upload")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, 0, c.wrap(errorResponse(resp), "start upload")
	}
	loc, err := location(resp)
	if err != nil {
		return nil, 0, c.wrap(err, "start upload")
	}
	u.setLocation(loc)
	min, _ := strconv.ParseInt(resp.Header.Get("OCI-Chunk-Min-Length"), 10, 64)
	return loc, min, nil
}

// patch sends chunk, the blob's bytes from off, and returns the upload's
// next location.
func (u *Upload) patch(loc *url.URL, off int64, chunk []byte) (*url.URL, error) {
	h := http.Header{
		"Content-Type":  {"application/octet-stream"},
		"Content-Range": {fmt.Sprintf("%d-%d", off, off+int64(len(chunk))-1)},
	}
	resp, err := u.do(u.ctx, http.MethodPatch, loc, h, chunk)
	if err != nil {
		return nil, u.c.wrap(err, "upload chunk")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return nil, u.c.wrap(errorResponse(resp), "upload chunk")
	}
	next, err := location(resp)
	if err != nil {
		return nil, u.c.wrap(err, "upload chunk")
	}
	return next, nil
}

// finish sends the PUT ?digest= that ends the upload.
func (u *Upload) finish(d ocispec.Descriptor) error {
	u.mu.Lock()
	loc := u.loc
	u.mu.Unlock()
	put := *loc
	q := put.Query()
	q.Set("digest", d.Digest.String())
	put.RawQuery = q.Encode()
	resp, err := u.do(u.ctx, http.MethodPut, &put, http.Header{"Content-Type": {"application/octet-stream"}}, []byte{})
	if err != nil {
		return u.c.wrap(err, "end upload "+short(d))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return u.c.wrap(errorResponse(resp), "end upload "+short(d))
	}
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && digest.Digest(got) != d.Digest {
		return u.c.wrap(fmt.Errorf("the registry stored %s: %w", got, layer.ErrDigestMismatch), "end upload "+short(d))
	}
	u.setLocation(nil)
	return nil
}

// do sends one request through the client's stack (authentication,
// retries); a body is sent again on a retry.
func (u *Upload) do(ctx context.Context, method string, target *url.URL, h http.Header, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return u.c.repo.Client.Do(req)
}

// scheme is the URL scheme the client speaks.
func (c *client) scheme() string {
	if c.repo.PlainHTTP {
		return "http"
	}
	return "https"
}

// location reads an upload's Location, relative to the request's URL.
func location(resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("HTTP %d without a Location header: the registry does not follow the distribution spec", resp.StatusCode)
	}
	u, err := resp.Request.URL.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("Location %q: %w", loc, err)
	}
	return u, nil
}

// errorResponse reads a registry's error answer as oras-go does.
func errorResponse(resp *http.Response) error {
	e := &errcode.ErrorResponse{Method: resp.Request.Method, URL: resp.Request.URL, StatusCode: resp.StatusCode}
	var body struct {
		Errors errcode.Errors `json:"errors"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<10)).Decode(&body); err == nil {
		e.Errors = body.Errors
	}
	return e
}
