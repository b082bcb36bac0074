package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/opencontainers/go-digest"
)

// Tests against registries that misbehave on purpose, each a real
// listener on 127.0.0.1 with limits short enough to keep the tests fast.

// fast returns options for a hostile registry: plain HTTP, short
// timeouts and pauses, no retries unless a test asks.
func fast() Options {
	return Options{
		InsecureAllowHTTP: true,
		Retries:           -1,
		Backoff:           time.Millisecond,
		ResponseTimeout:   300 * time.Millisecond,
		StallTimeout:      300 * time.Millisecond,
		MinRate:           1000,
	}
}

// guard bounds a test that the old code would hang in.
func guard(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// silent accepts connections, reads what they send, and never answers.
func silent(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// fake is a registry that holds one image as app:v1 (or nothing, for
// pushes) and hands some requests to hooks.
type fake struct {
	img   *image.Image
	empty bool // answer 404 for every manifest and blob: a push target
	blob  func(w http.ResponseWriter, r *http.Request, data []byte)
	post  func(w http.ResponseWriter, r *http.Request)
	put   func(w http.ResponseWriter, r *http.Request)
	posts atomic.Int64
	done  chan struct{} // closed as the test ends, before the server stops
}

func (f *fake) start(t *testing.T) string {
	t.Helper()
	f.done = make(chan struct{})
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.done) })
	return strings.TrimPrefix(srv.URL, "http://")
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/v2/":
	case strings.HasSuffix(p, "/blobs/uploads/") && r.Method == http.MethodPost:
		f.posts.Add(1)
		if f.post != nil {
			f.post(w, r)
			return
		}
		w.Header().Set("Location", "/v2/app/blobs/uploads/u1")
		w.WriteHeader(http.StatusAccepted)
	case strings.Contains(p, "/blobs/uploads/"):
		if f.put != nil {
			f.put(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	case f.empty:
		http.NotFound(w, r)
	case strings.HasPrefix(p, "/v2/app/manifests/"):
		raw := f.img.RawManifest()
		w.Header().Set("Content-Type", f.img.Descriptor().MediaType)
		w.Header().Set("Docker-Content-Digest", f.img.Digest().String())
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		if r.Method == http.MethodGet {
			w.Write(raw)
		}
	case strings.HasPrefix(p, "/v2/app/blobs/"):
		d := digest.Digest(strings.TrimPrefix(p, "/v2/app/blobs/"))
		for _, b := range f.img.Blobs() {
			if b.Descriptor.Digest != d {
				continue
			}
			rc, err := b.Open(r.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			w.Header().Set("Docker-Content-Digest", d.String())
			if f.blob != nil && r.Method == http.MethodGet {
				f.blob(w, r, data)
				return
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			if r.Method == http.MethodGet {
				w.Write(data)
			}
			return
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

// trickle sends the headers of data, then a byte every 20 ms until the
// client goes away.
func trickle(w http.ResponseWriter, r *http.Request, data []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	for i := range data {
		if _, err := w.Write(data[i : i+1]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readLayer reads the first layer blob of a pulled image to the end.
func readLayer(ctx context.Context, img *image.Image) error {
	for _, b := range img.Blobs() {
		if b.Layer() == nil && !strings.Contains(b.Descriptor.MediaType, "layer") {
			continue
		}
		rc, err := b.Open(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	}
	return errors.New("no layer")
}

// wantTimeout checks that err is ErrTimeout, names host and says what.
func wantTimeout(t *testing.T, err error, host, what string, took, most time.Duration) {
	t.Helper()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, host) || !strings.Contains(msg, what) {
		t.Errorf("error %q: want it to name %s and say %q", msg, host, what)
	}
	if took > most {
		t.Errorf("took %v, want at most %v", took, most)
	}
}

func TestSilentRegistry(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	host := silent(t)
	img := imagetest.Image(t, imagetest.Spec{Seed: 401})
	for _, tc := range []struct {
		name string
		opts func(*Options)
		what string
	}{
		{"no answer", func(*Options) {}, "no answer within 300ms"},
		{"no answer, one retry", func(o *Options) { o.Retries = 1 }, "no answer within 300ms"},
		{"overall timeout", func(o *Options) { o.ResponseTimeout = -1; o.Timeout = 400 * time.Millisecond }, "Options.Timeout"},
	} {
		opts := fast()
		tc.opts(&opts)
		t.Run("pull/"+tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Pull(guard(t), host+"/app:v1", opts)
			wantTimeout(t, err, host, tc.what, time.Since(start), 3*time.Second)
		})
		t.Run("push/"+tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Push(guard(t), host+"/app:v1", img, opts)
			wantTimeout(t, err, host, tc.what, time.Since(start), 3*time.Second)
		})
	}
}

func TestTrickleDownload(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	img := imagetest.Image(t, imagetest.Spec{Seed: 402, Size: 64 << 10})
	f := &fake{img: img, blob: func(w http.ResponseWriter, r *http.Request, data []byte) {
		if len(data) < 4096 { // the config
			w.Write(data)
			return
		}
		trickle(w, r, data)
	}}
	host := f.start(t)
	for _, tc := range []struct {
		name string
		opts func(*Options)
		what string
	}{
		{"stall", func(*Options) {}, "download stalled"},
		{"stall, resumed once", func(o *Options) { o.Retries = 1 }, "download stalled"},
		{"overall timeout", func(o *Options) { o.StallTimeout = -1; o.Timeout = 500 * time.Millisecond }, "Options.Timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := fast()
			tc.opts(&opts)
			ctx := guard(t)
			a, err := Pull(ctx, host+"/app:v1", opts)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = readLayer(ctx, a.(*image.Image))
			wantTimeout(t, err, host, tc.what, time.Since(start), 3*time.Second)
		})
	}
}

func TestTrickleUpload(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	img := bigImage(t, 403)
	f := &fake{img: img, empty: true}
	f.put = func(w http.ResponseWriter, r *http.Request) {
		// Take a byte every 20 ms of a large body until the test ends:
		// the client's going away is not seen while bytes it sent wait
		// in the buffers.
		if r.ContentLength > 64<<10 {
			var b [1]byte
			for {
				if _, err := r.Body.Read(b[:]); err != nil {
					return
				}
				select {
				case <-f.done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}
	host := f.start(t)
	opts := fast()
	opts.Jobs = 1
	start := time.Now()
	_, err := Push(guard(t), host+"/app:v1", img, opts)
	wantTimeout(t, err, host, "upload stalled", time.Since(start), 3*time.Second)
}

func TestRetryStorm(t *testing.T) {
	t.Parallel() // its own registry; most of its time is waiting
	img := imagetest.Image(t, imagetest.Spec{Seed: 404})
	for _, tc := range []struct {
		name        string
		retries     int
		retryTime   time.Duration
		retryAfter  string
		posts       int64         // the POSTs the push may send
		least, most time.Duration // how long it may take
	}{
		// Before, transport retries times blob retries: 16 POSTs.
		{"503", 3, 0, "", 4, 0, 2 * time.Second},
		// Before, the 1 s Retry-After was waited twice, with 4 POSTs.
		{"Retry-After 1", 1, 0, "1", 2, time.Second, 1900 * time.Millisecond},
		// A wait past RetryTime is not made at all.
		{"Retry-After 999999", 1, 2 * time.Second, "999999", 1, 0, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{img: img, empty: true, post: func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
			}}
			host := f.start(t)
			opts := fast()
			opts.Retries, opts.RetryTime, opts.Jobs = tc.retries, tc.retryTime, 1
			start := time.Now()
			_, err := Push(guard(t), host+"/app:v1", img, opts)
			took := time.Since(start)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			if n := f.posts.Load(); n != tc.posts {
				t.Errorf("%d POSTs with Retries %d, want %d", n, tc.retries, tc.posts)
			}
			if took < tc.least || took > tc.most {
				t.Errorf("took %v, want between %v and %v", took, tc.least, tc.most)
			}
		})
	}
}

func TestRegistryTextEscaped(t *testing.T) {
	img := imagetest.Image(t, imagetest.Spec{Seed: 405})
	const evil = `\u001b[2J\u001b]0;owned\u0007\rminimage: pushed sha256:forged\u202e`
	f := &fake{img: img, empty: true, post: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"errors":[{"code":"DENIED","message":"`+evil+`"}]}`)
	}}
	host := f.start(t)
	_, err := Push(guard(t), host+"/app:v1", img, fast())
	if err == nil {
		t.Fatal("push succeeded")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\x1b\x07\r\n\u202e") {
		t.Errorf("error %q holds control bytes", msg)
	}
	if !strings.Contains(msg, `\x1b[2J`) || !strings.Contains(msg, `\r`) {
		t.Errorf("error %q: want the registry's text, escaped", msg)
	}
}
