package registry

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// tags serves GET /v2/<name>/tags/list, in lexical order, paginated by
// ?n= and ?last=.
func (r *Registry) tags(w http.ResponseWriter, req *http.Request, name, _ string) error {
	r.mu.RLock()
	repo := r.repo(name)
	var tags []string
	if repo != nil {
		tags = slices.Sorted(maps.Keys(repo.Tags))
	}
	r.mu.RUnlock()
	if repo == nil {
		return newError(http.StatusNotFound, CodeNameUnknown, fmt.Sprintf("repository %s is not known", name))
	}
	page, next, err := paginate(req, tags)
	if err != nil {
		return err
	}
	if next != "" {
		setNext(w, req, "/v2/"+name+"/tags/list", next)
	}
	return writeJSON(w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{name, page})
}

// catalog serves GET /v2/_catalog: the repositories, as tags lists tags.
// It is not part of the OCI spec, but clients such as crane use it.
func (r *Registry) catalog(w http.ResponseWriter, req *http.Request, _, _ string) error {
	r.mu.RLock()
	names := slices.Sorted(maps.Keys(r.repos))
	r.mu.RUnlock()
	page, next, err := paginate(req, names)
	if err != nil {
		return err
	}
	if next != "" {
		setNext(w, req, "/v2/_catalog", next)
	}
	return writeJSON(w, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{page})
}

// paginate returns the part of sorted that ?last= and ?n= ask for, and
// the last entry of it when more follow.
func paginate(req *http.Request, sorted []string) (page []string, next string, err error) {
	q := req.URL.Query()
	if last := q.Get("last"); last != "" {
		i, _ := slices.BinarySearch(sorted, last)
		for i < len(sorted) && sorted[i] <= last {
			i++
		}
		sorted = sorted[i:]
	}
	page = sorted
	if s := q.Get("n"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, "", newError(http.StatusBadRequest, CodeUnsupported, fmt.Sprintf("invalid n=%q: want a count of entries, 0 or more", s))
		}
		if n < len(sorted) {
			page = sorted[:n]
			if n > 0 {
				next = page[n-1]
			}
		}
	}
	if page == nil {
		page = []string{}
	}
	return page, next, nil
}

// setNext sets the Link header to the next page.
func setNext(w http.ResponseWriter, req *http.Request, path, last string) {
	q := url.Values{}
	q.Set("last", last)
	q.Set("n", req.URL.Query().Get("n"))
	w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, path, q.Encode()))
}

// referrers serves GET /v2/<name>/referrers/<digest>: an index of the
// manifests whose subject is digest, filtered by ?artifactType=.
func (r *Registry) referrers(w http.ResponseWriter, req *http.Request, name, ref string) error {
	d, err := parseDigest(ref)
	if err != nil {
		return err
	}
	types := req.URL.Query()["artifactType"]
	list := []ocispec.Descriptor{}
	r.mu.RLock()
	if repo := r.repo(name); repo != nil {
		for md, info := range repo.Manifests {
			if info.Subject != d || (len(types) > 0 && !slices.Contains(types, info.ArtifactType)) {
				continue
			}
			list = append(list, ocispec.Descriptor{
				MediaType:    info.MediaType,
				ArtifactType: info.ArtifactType,
				Digest:       md,
				Size:         info.Size,
				Annotations:  maps.Clone(info.Annotations),
			})
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(list, func(a, b ocispec.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	if len(types) > 0 {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: list}
	ix.SchemaVersion = 2
	return writeJSON(w, ocispec.MediaTypeImageIndex, ix)
}

func writeJSON(w http.ResponseWriter, mediaType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}
