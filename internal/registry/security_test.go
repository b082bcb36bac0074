package registry

import (
	"net/http"
	"testing"

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
