package registry

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/opencontainers/go-digest"
)

// blob serves GET, HEAD and DELETE /v2/<name>/blobs/<digest>.
func (r *Registry) blob(w http.ResponseWriter, req *http.Request, name, ref string) error {
	d, err := parseDigest(ref)
	if err != nil {
		return err
	}
	if req.Method == "DELETE" {
		return r.deleteBlob(w, name, d)
	}
	r.mu.RLock()
	repo := r.repo(name)
	ok := repo != nil && repo.Blobs[d]
	r.mu.RUnlock()
	if !ok {
		return blobUnknown(name, d)
	}
	rc, _, err := r.store.Open(d)
	if errors.Is(err, ErrNotFound) {
		// Deleted since the check above.
		return blobUnknown(name, d)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Etag", `"`+d.String()+`"`)
	// ServeContent answers Range (206, or 416 for a range outside the
	// blob) and If-None-Match against the ETag.
	http.ServeContent(w, req, "", time.Time{}, rc)
	return nil
}

func (r *Registry) deleteBlob(w http.ResponseWriter, name string, d digest.Digest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	repo := r.repo(name)
	if repo == nil || !repo.Blobs[d] {
		return blobUnknown(name, d)
	}
	if err := r.remove([]op{{Kind: opDelBlob, Repo: name, Digest: d}}, d); err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func blobUnknown(name string, d digest.Digest) error {
	return newError(http.StatusNotFound, CodeBlobUnknown, fmt.Sprintf("blob %s is not in repository %s", d, name))
}
