package registry

import (
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

// PutBlob stores the bytes rd yields as blob d of repository name, as a
// push would, after checking them against d. It bypasses authentication
// and read-only mode: it is how a test preloads content.
func (r *Registry) PutBlob(name string, d digest.Digest, rd io.Reader) error {
	if err := r.checkPut(name, d); err != nil {
		return err
	}
	s, err := r.newSession(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(s, rd); err != nil {
		s.up.Cancel()
		return fmt.Errorf("registry: put blob %s in %s: %w", d, name, err)
	}
	if err := r.finish(s, d); err != nil {
		return fmt.Errorf("registry: put blob %s in %s: %w", d, name, err)
	}
	return nil
}

// PutManifest stores raw, a manifest or index of mediaType, as manifest d
// of repository name, tagged with tags, after the checks of a push: raw
// matches d, and the blobs and manifests it references are in the
// repository. Like PutBlob, it bypasses authentication and read-only
// mode.
func (r *Registry) PutManifest(name string, d digest.Digest, mediaType string, raw []byte, tags ...string) error {
	if err := r.checkPut(name, d); err != nil {
		return err
	}
	for _, t := range tags {
		if !ValidTag(t) {
			return fmt.Errorf("registry: put manifest %s in %s: tag %q: %w: a tag must match %s", d, name, t, ErrInvalid, reTag)
		}
	}
	if _, err := r.storeManifest(name, d, mediaType, raw, tags); err != nil {
		return fmt.Errorf("registry: put manifest %s in %s: %w", d, name, err)
	}
	return nil
}

func (r *Registry) checkPut(name string, d digest.Digest) error {
	if !ValidName(name) {
		return fmt.Errorf("registry: repository %q: %w: a name must match %s", name, ErrInvalid, reName)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("registry: digest %q: %w: %v", d, ErrInvalid, err)
	}
	return nil
}
