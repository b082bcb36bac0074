package registry

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// bearerRegistry returns a client of a registry with bearer auth whose
// requests carry a token for every repository the tests use, and a
// function that returns a client with a token for scope only.
func bearerRegistry(t *testing.T) (admin *client, scoped func(scope string) *client) {
	t.Helper()
	admin = newClient(t, Options{Auth: Auth{Scheme: BearerAuth, User: "u", Password: "p"}})
	scoped = func(scope string) *client {
		bare := &client{t: t, url: admin.url, hc: admin.hc, reg: admin.reg, header: http.Header{}}
		tok, status := bare.token(admin.url+"/token", "s", scope, "u", "p")
		if status != http.StatusOK {
			t.Fatalf("token for %s: %d", scope, status)
		}
		return &client{t: t, url: admin.url, hc: admin.hc, reg: admin.reg, header: http.Header{"Authorization": {"Bearer " + tok}}}
	}
	admin.header = scoped("repository:private:* repository:mine:* repository:x/blobs/uploads:*").header
	return admin, scoped
}

// A mount takes a blob only from a repository named by from that the
// client may pull; otherwise it starts an upload.
func TestMountNeedsPullOfTheSource(t *testing.T) {
	admin, scoped := bearerRegistry(t)
	d := admin.pushBlob("private", []byte("private bytes"))
	c := scoped("repository:mine:pull,push")
	for _, query := range []string{"mount=" + d.String(), "mount=" + d.String() + "&from=private"} {
		r := c.do("POST", "/v2/mine/blobs/uploads/?"+query, nil)
		r.want(t, http.StatusAccepted, "")
		if r.Header.Get("Docker-Upload-UUID") == "" {
			t.Errorf("?%s: a 202 without an upload session", query)
		}
		c.do("GET", "/v2/mine/blobs/"+d.String(), nil).want(t, http.StatusNotFound, CodeBlobUnknown)
	}
	// With pull access to the source, the same mount works.
	c = scoped("repository:mine:pull,push repository:private:pull")
	c.do("POST", "/v2/mine/blobs/uploads/?mount="+d.String(), nil).want(t, http.StatusAccepted, "")
	c.do("POST", "/v2/mine/blobs/uploads/?mount="+d.String()+"&from=private", nil).want(t, http.StatusCreated, "")
	c.do("GET", "/v2/mine/blobs/"+d.String(), nil).want(t, http.StatusOK, "")
}

// A repository whose name holds "/blobs/uploads" does not turn a
// DELETE of its manifests, tags or blobs into an upload cancel.
func TestDeleteNeedsDeleteScope(t *testing.T) {
	admin, scoped := bearerRegistry(t)
	const name = "x/blobs/uploads"
	img := newImage("victim", nil, "", nil)
	admin.push(name, img, "latest")
	c := scoped("repository:" + name + ":pull,push")
	for _, path := range []string{
		"/v2/" + name + "/manifests/latest",
		"/v2/" + name + "/manifests/" + img.digest.String(),
		"/v2/" + name + "/blobs/" + digestOf(img.layer).String(),
	} {
		r := c.do("DELETE", path, nil)
		if ch := challenge(t, r); ch["scope"] != "repository:"+name+":delete" {
			t.Errorf("DELETE %s: challenge scope %q, want repository:%s:delete", path, ch["scope"], name)
		}
	}
	admin.do("GET", "/v2/"+name+"/manifests/latest", nil, "Accept", ocispec.MediaTypeImageManifest).want(t, http.StatusOK, "")
	admin.do("GET", "/v2/"+name+"/blobs/"+digestOf(img.layer).String(), nil).want(t, http.StatusOK, "")
	// The same token cancels its own upload.
	loc := c.do("POST", "/v2/"+name+"/blobs/uploads/", nil).Header.Get("Location")
	c.do("DELETE", loc, nil).want(t, http.StatusNoContent, "")
}

// A body that trickles in is dropped once a window passes without the
// bytes the rate asks for; a slow but steady one completes.
func TestMinBodyRate(t *testing.T) {
	t.Parallel() // its own server; most of its time is waiting on the rate window
	const window = time.Second
	c := newClient(t, Options{MinBodyRate: BodyRate{Bytes: 100, Window: window}})
	data := pattern(3, 2000)
	d := digestOf(data)
	send := func(chunk int, every time.Duration) (status string, took time.Duration) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprintf(conn, "POST /v2/repo/blobs/uploads/?digest=%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", d, len(data))
		closed := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(conn).ReadString('\n')
			closed <- strings.TrimSpace(line)
		}()
		for rest := data; len(rest) > 0; rest = rest[min(chunk, len(rest)):] {
			if time.Since(start) > 8*window {
				return "still open", time.Since(start)
			}
			select {
			case line := <-closed:
				return line, time.Since(start)
			case <-time.After(every):
			}
			conn.Write(rest[:min(chunk, len(rest))])
		}
		select {
		case line := <-closed:
			return line, time.Since(start)
		case <-time.After(10 * time.Second):
			return "no answer", time.Since(start)
		}
	}
	// 1,000 bytes a second: ten times the 100 a second asked for.
	if status, took := send(100, 100*time.Millisecond); !strings.Contains(status, " 201 ") {
		t.Errorf("a steady upload: %q after %s, want 201 Created", status, took)
	}
	// 10 bytes a second: answered or dropped a window or two after it
	// starts, not after the 200 s it would take.
	if status, took := send(1, 100*time.Millisecond); strings.Contains(status, " 201 ") || took > 4*window {
		t.Errorf("a trickling upload: %q after %s, want it dropped within %s", status, took, 4*window)
	}
	c.do("GET", "/v2/", nil).want(t, http.StatusOK, "")
}
