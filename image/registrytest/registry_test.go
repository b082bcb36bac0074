package registrytest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// send sends a request to reg with its client and returns the response
// with its body read, or the error.
func send(t *testing.T, reg *Registry, method, path string, body []byte, headers ...string) (*http.Response, []byte, error) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = reg.URL() + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := reg.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// mustSend is send that ends the test on an error or a status other than
// status.
func mustSend(t *testing.T, reg *Registry, status int, method, path string, body []byte, headers ...string) *http.Response {
	t.Helper()
	resp, b, err := send(t, reg, method, path, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %s, want %d: %s", method, path, resp.Status, status, b)
	}
	return resp
}

func TestRegistryLog(t *testing.T) {
	reg := New(t, Options{})
	data := []byte("a blob")
	d := digest.FromBytes(data)
	mustSend(t, reg, http.StatusCreated, "POST", "/v2/repo/blobs/uploads/?digest="+d.String(), data)
	mustSend(t, reg, http.StatusOK, "GET", "/v2/repo/blobs/"+d.String(), nil)
	mustSend(t, reg, http.StatusNotFound, "HEAD", "/v2/repo/manifests/v1", nil)
	want := []Request{
		{Method: "POST", Path: "/v2/repo/blobs/uploads/", Query: "digest=" + d.String(), Status: http.StatusCreated, BytesIn: int64(len(data))},
		{Method: "GET", Path: "/v2/repo/blobs/" + d.String(), Status: http.StatusOK, BytesOut: int64(len(data))},
		{Method: "HEAD", Path: "/v2/repo/manifests/v1", Status: http.StatusNotFound},
	}
	if got := reg.Log(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Log:\n got %+v\nwant %+v", got, want)
	}
	reg.ResetLog()
	if got := reg.Log(); len(got) != 0 {
		t.Errorf("Log after ResetLog: %+v", got)
	}
}

func TestRegistryTLS(t *testing.T) {
	reg := New(t, Options{TLS: true})
	if !strings.HasPrefix(reg.URL(), "https://127.0.0.1:") || reg.URL() != "https://"+reg.Host() {
		t.Errorf("URL %q, Host %q", reg.URL(), reg.Host())
	}
	mustSend(t, reg, http.StatusOK, "GET", "/v2/", nil)
	// A client that does not trust the CA fails.
	resp, err := http.Get(reg.URL() + "/v2/")
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("GET with the default client: %v, want x509.UnknownAuthorityError", err)
	}
	block, _ := pem.Decode(reg.CAPEM())
	if block == nil {
		t.Fatal("CAPEM holds no PEM block")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("CAPEM: %v, IsCA %v", err, ca != nil && ca.IsCA)
	}
	if reg.CertPool() == nil {
		t.Error("CertPool is nil with TLS")
	}
	plain := New(t, Options{})
	if plain.CertPool() != nil || plain.CAPEM() != nil || !strings.HasPrefix(plain.URL(), "http://") {
		t.Errorf("without TLS: CertPool %v, CAPEM %q, URL %s", plain.CertPool(), plain.CAPEM(), plain.URL())
	}
}

func TestRegistryAuth(t *testing.T) {
	basic := New(t, Options{User: "u", Password: "p"})
	mustSend(t, basic, http.StatusUnauthorized, "GET", "/v2/", nil)
	req, _ := http.NewRequest("GET", basic.URL()+"/v2/", nil)
	req.SetBasicAuth("u", "p")
	mustSend(t, basic, http.StatusOK, "GET", "/v2/", nil, "Authorization", req.Header.Get("Authorization"))

	bearer := New(t, Options{User: "u", Password: "p", BearerToken: true, TLS: true})
	resp := mustSend(t, bearer, http.StatusUnauthorized, "GET", "/v2/repo/tags/list", nil)
	ch := resp.Header.Get("WWW-Authenticate")
	want := fmt.Sprintf(`Bearer realm="%s/token",service="%s",scope="repository:repo:pull"`, bearer.URL(), bearer.Host())
	if ch != want {
		t.Fatalf("challenge %q, want %q", ch, want)
	}
	resp, body, err := send(t, bearer, "GET", "/token?service="+bearer.Host()+"&scope=repository:repo:pull", nil, "Authorization", req.Header.Get("Authorization"))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %v %v %s", err, resp, body)
	}
	var tok struct{ Token string }
	json.Unmarshal(body, &tok)
	mustSend(t, bearer, http.StatusNotFound, "GET", "/v2/repo/tags/list", nil, "Authorization", "Bearer "+tok.Token)

	if _, err := Start(Options{BearerToken: true}); err == nil {
		t.Error("StartRegistry with BearerToken and no User: no error")
	}
}

func TestRegistryReadOnly(t *testing.T) {
	reg := New(t, Options{ReadOnly: true})
	mustSend(t, reg, http.StatusMethodNotAllowed, "POST", "/v2/repo/blobs/uploads/", nil)
	mustSend(t, reg, http.StatusOK, "GET", "/v2/", nil)
}

func TestStart(t *testing.T) {
	reg, err := Start(Options{MemoryThreshold: 10})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("more than ten bytes, so in a file")
	mustSend(t, reg, http.StatusCreated, "POST", "/v2/repo/blobs/uploads/?digest="+digest.FromBytes(data).String(), data)
	dir := reg.tmp
	if ents, _ := os.ReadDir(dir); len(ents) == 0 {
		t.Errorf("the blob over the threshold is not in %s", dir)
	}
	reg.Close()
	reg.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", dir, err)
	}
	if _, err := http.Get(reg.URL() + "/v2/"); err == nil {
		t.Error("the registry still answers after Close")
	}
}

func TestRegistryFailStatus(t *testing.T) {
	tests := []struct {
		name     string
		fault    Fault
		requests []string // "METHOD PATH"
		want     []int    // statuses
		faulty   []bool
	}{
		{"once", Fault{Status: 503}, []string{"GET /v2/", "GET /v2/"}, []int{503, 200}, []bool{true, false}},
		{"twice", Fault{Status: 500, Times: 2}, []string{"GET /v2/", "GET /v2/", "GET /v2/"}, []int{500, 500, 200}, []bool{true, true, false}},
		{"always", Fault{Status: 502, Times: -1}, []string{"GET /v2/", "GET /v2/", "GET /v2/"}, []int{502, 502, 502}, []bool{true, true, true}},
		{"by method", Fault{Method: "HEAD", Status: 503}, []string{"GET /v2/", "HEAD /v2/", "HEAD /v2/"}, []int{200, 503, 200}, []bool{false, true, false}},
		{"by path", Fault{Path: `/tags/list$`, Status: 429}, []string{"GET /v2/", "GET /v2/r/tags/list", "GET /v2/r/tags/list"}, []int{200, 429, 404}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := New(t, Options{})
			reg.Fail(tt.fault)
			for i, rq := range tt.requests {
				method, path, _ := strings.Cut(rq, " ")
				mustSend(t, reg, tt.want[i], method, path, nil)
			}
			for i, r := range reg.Log() {
				if r.Fault != tt.faulty[i] || r.Status != tt.want[i] {
					t.Errorf("request %d: logged status %d, fault %v; want %d, %v", i, r.Status, r.Fault, tt.want[i], tt.faulty[i])
				}
			}
		})
	}
}

func TestRegistryFailBody(t *testing.T) {
	reg := New(t, Options{})
	reg.Fail(Fault{Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond})
	resp, body, err := send(t, reg, "GET", "/v2/", nil)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Errors []struct{ Code string } }
	json.Unmarshal(body, &e)
	if resp.Header.Get("Retry-After") != "2" || len(e.Errors) != 1 || e.Errors[0].Code != "TOOMANYREQUESTS" {
		t.Errorf("429: Retry-After %q, body %s", resp.Header.Get("Retry-After"), body)
	}
}

func TestRegistryFailDelay(t *testing.T) {
	reg := New(t, Options{})
	reg.Fail(Fault{Delay: 200 * time.Millisecond, Status: 503})
	start := time.Now()
	mustSend(t, reg, http.StatusServiceUnavailable, "GET", "/v2/", nil)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("the delayed request took %v, want at least 200ms", d)
	}
}

func TestRegistryCutResponse(t *testing.T) {
	reg := New(t, Options{})
	data := bytes.Repeat([]byte("0123456789"), 100)
	d := digest.FromBytes(data)
	mustSend(t, reg, http.StatusCreated, "POST", "/v2/repo/blobs/uploads/?digest="+d.String(), data)
	reg.ResetLog()
	reg.Fail(Fault{Method: "GET", Path: "/blobs/", CutResponse: true, After: 100})
	resp, body, err := send(t, reg, "GET", "/v2/repo/blobs/"+d.String(), nil)
	if err == nil || resp.StatusCode != http.StatusOK || !bytes.Equal(body, data[:100]) {
		t.Errorf("cut GET: status %v, %d bytes, error %v; want 200, the first 100 bytes, an error", resp.StatusCode, len(body), err)
	}
	if log := reg.Log(); len(log) != 1 || log[0].BytesOut != 100 || !log[0].Fault {
		t.Errorf("Log %+v, want one request with 100 bytes out", log)
	}
	// A range request resumes.
	resp = mustSend(t, reg, http.StatusPartialContent, "GET", "/v2/repo/blobs/"+d.String(), nil, "Range", "bytes=100-")
	if resp.ContentLength != 900 {
		t.Errorf("resume: Content-Length %d, want 900", resp.ContentLength)
	}
}

func TestRegistryCutRequest(t *testing.T) {
	reg := New(t, Options{})
	data := bytes.Repeat([]byte("abcdefghij"), 100)
	d := digest.FromBytes(data)
	loc := mustSend(t, reg, http.StatusAccepted, "POST", "/v2/repo/blobs/uploads/", nil).Header.Get("Location")
	reg.Fail(Fault{Method: "PATCH", CutRequest: true, After: 300})
	if resp, _, err := send(t, reg, "PATCH", loc, data, "Content-Range", "0-999"); err == nil {
		t.Fatalf("cut PATCH: %s, want a broken connection", resp.Status)
	}
	log := reg.Log()
	if last := log[len(log)-1]; last.Status != 0 || last.BytesIn != 300 || !last.Fault {
		t.Errorf("Log of the cut request %+v, want status 0 and 300 bytes in", last)
	}
	// The upload holds the first 300 bytes; the client resumes there.
	resp := mustSend(t, reg, http.StatusNoContent, "GET", loc, nil)
	if resp.Header.Get("Range") != "0-299" {
		t.Fatalf("upload status after the cut: Range %q, want 0-299", resp.Header.Get("Range"))
	}
	mustSend(t, reg, http.StatusAccepted, "PATCH", loc, data[300:], "Content-Range", "300-999")
	mustSend(t, reg, http.StatusCreated, "PUT", loc+"?digest="+d.String(), nil)
}

func TestRegistryFailInvalid(t *testing.T) {
	reg := New(t, Options{})
	for _, f := range []Fault{{Path: "("}, {Method: "GET"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Fail(%+v) did not panic", f)
				}
			}()
			reg.Fail(f)
		}()
	}
}

// TestCountBlobs counts a monolithic upload, a chunked one, a mount and
// a refused mount, and nothing for requests that store no blob.
func TestCountBlobs(t *testing.T) {
	reg := New(t, Options{})
	a, b := []byte("blob a"), []byte("blob b")
	da, db := digest.FromBytes(a), digest.FromBytes(b)
	mustSend(t, reg, http.StatusCreated, "POST", "/v2/one/blobs/uploads/?digest="+da.String(), a)
	loc := mustSend(t, reg, http.StatusAccepted, "POST", "/v2/one/blobs/uploads/", nil).Header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("digest", db.String())
	mustSend(t, reg, http.StatusCreated, "PUT", u.Path+"?"+q.Encode(), b)
	mustSend(t, reg, http.StatusCreated, "POST", "/v2/two/blobs/uploads/?mount="+da.String()+"&from=one", nil)
	missing := digest.FromString("missing")
	mustSend(t, reg, http.StatusAccepted, "POST", "/v2/two/blobs/uploads/?mount="+missing.String()+"&from=one", nil)
	mustSend(t, reg, http.StatusOK, "GET", "/v2/one/blobs/"+da.String(), nil)

	c := CountBlobs(reg.Log())
	want := BlobCounts{Uploads: map[string]int{da.String(): 1, db.String(): 1}, Mounts: map[string]int{da.String(): 1}, Refused: 1}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("CountBlobs = %+v, want %+v", c, want)
	}
}
