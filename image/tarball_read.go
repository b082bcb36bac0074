package image

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ReadTarball opens the tar file at path: an OCI layout in a tar (as
// WriteTarball, skopeo's oci-archive: or docker save from version 25
// write it) or a docker archive with only manifest.json (older docker
// save, skopeo's docker-archive:). Layers may be gzip, zstd or plain tar,
// with OCI or docker media types. The tar is not extracted: its entries
// are indexed once and blobs are read in place. The Layout holds the file
// open until Close. A compressed tarball must be decompressed first.
func ReadTarball(name string) (*Layout, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("image: read tarball: %w", err)
	}
	l, err := readTarball(f, name)
	if err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

type section struct{ off, size int64 }

func readTarball(f *os.File, name string) (*Layout, error) {
	head := make([]byte, 4)
	if n, _ := f.ReadAt(head, 0); n == 4 && sniffLayerType(head) != ocispec.MediaTypeImageLayer {
		return nil, fmt.Errorf("image: read tarball %s: %w: the file is compressed; decompress it first (gunzip, zstd -d)", name, ErrNotLayout)
	}
	files := map[string]section{}
	pr := &posReader{f: f}
	tr := tar.NewReader(pr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("image: read tarball %s: %w: %v", name, ErrCorrupt, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size < 0 || isSparse(h) {
			continue
		}
		files[path.Clean(strings.TrimPrefix(h.Name, "./"))] = section{pr.pos, h.Size}
	}
	open := func(rel string) (io.ReadCloser, int64, error) {
		s, ok := files[rel]
		if !ok {
			return nil, 0, fmt.Errorf("%w: not in the tarball", os.ErrNotExist)
		}
		return io.NopCloser(io.NewSectionReader(f, s.off, s.size)), s.size, nil
	}
	l := &Layout{name: name, open: open, closer: f}
	read := func(rel string) ([]byte, error) {
		s, ok := files[rel]
		if !ok {
			return nil, os.ErrNotExist
		}
		if s.size > maxJSONSize {
			return nil, fmt.Errorf("%w: %s is %d bytes, too large", ErrCorrupt, rel, s.size)
		}
		data := make([]byte, s.size)
		_, err := f.ReadAt(data, s.off)
		return data, err
	}
	if data, err := read("index.json"); err == nil {
		if _, ok := files["oci-layout"]; ok {
			lf, err := read("oci-layout")
			var v ocispec.ImageLayout
			if err != nil || json.Unmarshal(lf, &v) != nil || v.Version != ocispec.ImageLayoutVersion {
				return nil, fmt.Errorf("image: read tarball %s: oci-layout: %w: want {\"imageLayoutVersion\":\"1.0.0\"}", name, ErrNotLayout)
			}
		}
		idx, err := parseIndex(data)
		if err != nil {
			return nil, fmt.Errorf("image: read tarball %s: index.json: %w", name, err)
		}
		l.index = &idx
		return l, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("image: read tarball %s: index.json: %w", name, err)
	}
	data, err := read("manifest.json")
	if err != nil {
		return nil, fmt.Errorf("image: read tarball %s: %w: it has neither index.json nor manifest.json", name, ErrNotLayout)
	}
	if err := json.Unmarshal(data, &l.docker); err != nil {
		return nil, fmt.Errorf("image: read tarball %s: manifest.json: %w: %v", name, ErrCorrupt, err)
	}
	return l, nil
}

// dockerImage takes an image from a docker archive's manifest.json.
func (l *Layout) dockerImage(tag string, p Platform) (*Image, error) {
	want := tag
	if t, err := parseDockerTag(tag); err == nil {
		want = t.full
	}
	var cands []dockerManifestEntry
	for _, e := range l.docker {
		if tag == "" || slices.ContainsFunc(e.RepoTags, func(r string) bool {
			t, err := parseDockerTag(r)
			return r == tag || err == nil && t.full == want
		}) {
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 || tag == "" && len(cands) > 1 {
		return nil, fmt.Errorf("image: %s: tag %q %w; it has tags %q", l.name, tag, ErrNotFound, l.Tags())
	}
	for _, e := range cands {
		img, err := l.dockerEntry(e)
		if err != nil {
			return nil, err
		}
		if p == (Platform{}) || p.matches(img.Platform()) {
			return img, nil
		}
	}
	return nil, fmt.Errorf("image: %s: tag %q has no image for %s: %w", l.name, tag, p, ErrNotFound)
}

// dockerEntry reads one image of manifest.json. A blob named by its
// digest (blobs/sha256/<hex>, <hex>.json) is checked against it; other
// layer files (<id>/layer.tar) are hashed here to learn their digest.
func (l *Layout) dockerEntry(e dockerManifestEntry) (*Image, error) {
	cfgData, err := l.readAll(e.Config, maxJSONSize)
	if err != nil {
		return nil, err
	}
	if d, ok := digestOfName(e.Config); ok && !verifies(d, cfgData) {
		return nil, fmt.Errorf("image: %s: config %s: %w", l.name, e.Config, ErrBlobMismatch)
	}
	layers := make([]ocispec.Descriptor, len(e.Layers))
	for i, rel := range e.Layers {
		rc, size, err := l.open(path.Clean(rel))
		if err != nil {
			return nil, fmt.Errorf("image: %s: layer %s: %w", l.name, rel, err)
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(rc, head)
		d, named := digestOfName(rel)
		if !named {
			dg := digest.SHA256.Digester()
			dg.Hash().Write(head[:n])
			if _, err := io.Copy(dg.Hash(), rc); err != nil {
				rc.Close()
				return nil, fmt.Errorf("image: %s: layer %s: %w", l.name, rel, err)
			}
			d = dg.Digest()
		}
		rc.Close()
		layers[i] = ocispec.Descriptor{MediaType: sniffLayerType(head[:n]), Digest: d, Size: size}
	}
	// Layers not named by digest are read under their own names.
	byDigest := map[string]string{}
	for i, rel := range e.Layers {
		byDigest[blobPath(layers[i])] = path.Clean(rel)
	}
	inner := *l
	inner.open = func(rel string) (io.ReadCloser, int64, error) {
		if r, ok := byDigest[rel]; ok {
			rel = r
		}
		return l.open(rel)
	}
	return inner.newImage(cfgData, layers, nil)
}

func (l *Layout) readAll(rel string, limit int64) ([]byte, error) {
	rc, size, err := l.open(path.Clean(rel))
	if err != nil {
		return nil, fmt.Errorf("image: %s: %w", l.name, err)
	}
	defer rc.Close()
	if size > limit {
		return nil, fmt.Errorf("image: %s: %s: %w: %d bytes is too large", l.name, rel, ErrCorrupt, size)
	}
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("image: %s: %s: %w", l.name, rel, err)
	}
	return data, nil
}

// digestOfName returns the digest a docker archive file name carries:
// blobs/<alg>/<hex> or <hex>.json.
func digestOfName(rel string) (digest.Digest, bool) {
	rel = path.Clean(rel)
	var d digest.Digest
	if alg, enc, ok := strings.Cut(strings.TrimPrefix(rel, "blobs/"), "/"); ok && strings.HasPrefix(rel, "blobs/") {
		d = digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
	} else if enc, ok := strings.CutSuffix(rel, ".json"); ok {
		d = digest.NewDigestFromEncoded(digest.SHA256, enc)
	}
	return d, d != "" && d.Validate() == nil
}

func isSparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// posReader tracks the offset in f, so that the offset of each tar entry's
// data is known; Seek lets archive/tar skip data without reading it.
type posReader struct {
	f   *os.File
	pos int64
}

func (r *posReader) Read(p []byte) (int, error) {
	n, err := r.f.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (r *posReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		r.pos = off
	case io.SeekCurrent:
		r.pos += off
	case io.SeekEnd:
		st, err := r.f.Stat()
		if err != nil {
			return 0, err
		}
		r.pos = st.Size() + off
	}
	return r.pos, nil
}
