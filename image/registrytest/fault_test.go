package registrytest

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// errorRecorder is a testing.TB that keeps what Errorf reports.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestUnfiredFault checks that a fault no request matched is listed and
// fails the test, with a hint for the GET a pull by tag never sends.
func TestUnfiredFault(t *testing.T) {
	reg := New(t, Options{})
	get := Fault{Method: "GET", Path: "/manifests/v1$", Status: http.StatusServiceUnavailable}
	head := Fault{Method: "HEAD", Path: "/manifests/v1$", Status: http.StatusServiceUnavailable}
	reg.Fail(get)
	reg.Fail(head)
	mustSend(t, reg, http.StatusServiceUnavailable, "HEAD", "/v2/app/manifests/v1", nil)
	if u := reg.Unfired(); len(u) != 1 || u[0] != get {
		t.Fatalf("Unfired() = %v, want the GET fault alone", u)
	}
	rec := &errorRecorder{TB: t}
	reg.checkFired(rec)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "GET /manifests/v1$ (once) never fired") || !strings.Contains(rec.errors[0], "match HEAD") {
		t.Errorf("checkFired reported %q, want the GET fault with a hint to match HEAD", rec.errors)
	}
	// Fire it, or the cleanup fails this test.
	mustSend(t, reg, http.StatusServiceUnavailable, "GET", "/v2/app/manifests/v1", nil)
	if u := reg.Unfired(); len(u) != 0 {
		t.Errorf("Unfired() after both fired = %v", u)
	}
}

// TestProxy checks that a Proxy passes requests on to the registry
// behind it and injects the same faults as a Registry.
func TestProxy(t *testing.T) {
	reg := New(t, Options{TLS: true})
	cert := reg.srv.TLS.Certificates[0]
	px := NewProxy(t, reg.URL(), ProxyOptions{Transport: reg.Client().Transport, Certificate: &cert})
	if px.Host() == reg.Host() || !strings.HasPrefix(px.URL(), "https://") {
		t.Fatalf("proxy at %s (%s), registry at %s", px.Host(), px.URL(), reg.Host())
	}
	via := &Registry{srv: px.srv, client: reg.Client()} // send through the proxy
	px.Fail(Fault{Method: "GET", Path: "^/v2/$", Status: http.StatusServiceUnavailable, Times: 2})
	for _, want := range []int{503, 503, 200} {
		mustSend(t, via, want, "GET", "/v2/", nil)
	}

	data := bytes.Repeat([]byte("0123456789"), 100)
	d := digest.FromBytes(data)
	loc := mustSend(t, via, http.StatusAccepted, "POST", "/v2/repo/blobs/uploads/", nil).Header.Get("Location")
	if !strings.Contains(loc, px.Host()) && strings.HasPrefix(loc, "http") {
		t.Errorf("upload Location %q leads past the proxy", loc)
	}
	px.Fail(Fault{Method: "PUT", Path: "/blobs/uploads/", CutRequest: true, After: 300})
	if resp, _, err := send(t, via, "PUT", loc+"?digest="+d.String(), data); err == nil {
		t.Fatalf("cut PUT: %s, want a broken connection", resp.Status)
	}
	mustSend(t, via, http.StatusCreated, "POST", "/v2/repo/blobs/uploads/?digest="+d.String(), data)
	px.Fail(Fault{Method: "GET", Path: "/blobs/sha256:", CutResponse: true, After: 100})
	if _, body, err := send(t, via, "GET", "/v2/repo/blobs/"+d.String(), nil); err == nil || len(body) != 100 {
		t.Errorf("cut GET through the proxy: %d bytes, error %v; want 100 bytes and an error", len(body), err)
	}

	var faulty []string
	for _, r := range px.Log() {
		if r.Fault {
			faulty = append(faulty, fmt.Sprintf("%s %d", r.Method, r.Status))
		}
	}
	if got, want := strings.Join(faulty, ", "), "GET 503, GET 503, PUT 0, GET 200"; got != want {
		t.Errorf("faults in the proxy's log: %s, want %s", got, want)
	}
	if n := len(reg.Log()); n < 3 {
		t.Errorf("the registry behind the proxy logged %d requests, want the ones passed on", n)
	}
}
