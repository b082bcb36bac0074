package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
)

// maxMounts bounds the blobs a Mounts remembers a source of.
const maxMounts = 1 << 14

// Mounts remembers which repository of a registry holds each blob, for
// the Push and Pull calls given it in Options.Mounts, so that Push
// mounts a blob from another repository of the same registry instead of
// uploading it again. It also joins uploads in flight: a Push that needs
// a blob which another Push sharing the Mounts is uploading to the same
// registry waits for that upload, then mounts the blob, or uploads it
// itself if that upload failed.
//
// A source is keyed by the blob's digest, the registry's host[:port] as
// the reference names it, in lower case ("docker.io" for Docker Hub),
// and the credential sent to it: a SHA-256 of the username, password
// and tokens that Options or the credential files give (anonymous calls
// share one key). Calls with different credentials, or different Mounts
// values, never use each other's sources. To key by it, Push and Pull
// look the credential up before their first request, even for a
// registry that asks for none. A source is a hint: a mount the registry
// refuses becomes an upload.
//
// The zero value is empty and ready to use; it remembers the latest
// 16384 blobs. A Mounts is safe for concurrent use; the builds of one
// process that push to the same registries share one.
type Mounts struct {
	mu       sync.Mutex
	sources  map[mountKey]string         // the repository that holds the blob
	order    []mountKey                  // oldest first
	inflight map[mountKey]chan struct{}  // uploads, by blob
	mounting map[repoMount]chan struct{} // mounts, by blob and target repository
}

// repoMount is a mount of a blob into one repository.
type repoMount struct {
	mountKey
	repo string
}

// NewMounts returns an empty Mounts.
func NewMounts() *Mounts { return &Mounts{} }

// mountKey is a blob in a registry, as one credential sees it.
type mountKey struct {
	registry, identity string
	digest             digest.Digest
}

// mountScope is the registry and credential of one Push or Pull; a nil
// Mounts or an unknown credential remembers and mounts nothing.
type mountScope struct {
	m                  *Mounts
	registry, identity string
}

// newMountScope looks up the credential c sends, to key its sources by.
// It returns a scope that does nothing when m is nil or the credential
// cannot be found.
func newMountScope(ctx context.Context, m *Mounts, c *client) mountScope {
	if m == nil {
		return mountScope{}
	}
	cred, err := c.creds.get(ctx, c.ref.Registry)
	if err != nil {
		return mountScope{}
	}
	h := sha256.New()
	for _, s := range []string{cred.Username, cred.Password, cred.RefreshToken, cred.AccessToken} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return mountScope{m: m, registry: strings.ToLower(c.ref.Registry), identity: hex.EncodeToString(h.Sum(nil))}
}

func (s mountScope) key(d digest.Digest) mountKey {
	return mountKey{registry: s.registry, identity: s.identity, digest: d}
}

// remember records that repo holds d.
func (s mountScope) remember(d digest.Digest, repo string) {
	if s.m == nil {
		return
	}
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.m.rememberLocked(s.key(d), repo)
}

// acquire is called before d is pushed to repo. While another push
// uploads d to the registry, or mounts it into repo, it waits. Then it
// returns a repository other than repo known to hold d, to mount from,
// and a claim on that mount that makes later pushes of d into repo wait
// (two platforms of an index, pushed at once, share their layers); or,
// when there is none, "" and a claim on the upload that makes later
// pushes of d wait. The caller calls release with whether d got into
// repo: that records repo as a source of d and ends the claim.
func (s mountScope) acquire(ctx context.Context, d digest.Digest, repo string) (from string, release func(ok bool), err error) {
	m := s.m
	if m == nil {
		return "", func(bool) {}, nil
	}
	k := s.key(d)
	rk := repoMount{k, repo}
	m.mu.Lock()
	for {
		ch, busy := m.inflight[k]
		if !busy {
			ch, busy = m.mounting[rk]
		}
		if !busy {
			break
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
		m.mu.Lock()
	}
	defer m.mu.Unlock()
	if src, ok := m.sources[k]; ok && src != repo {
		ch := make(chan struct{})
		if m.mounting == nil {
			m.mounting = map[repoMount]chan struct{}{}
		}
		m.mounting[rk] = ch
		return src, func(ok bool) {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.mounting, rk)
			close(ch)
			if ok {
				m.rememberLocked(k, repo)
			}
		}, nil
	}
	ch := make(chan struct{})
	if m.inflight == nil {
		m.inflight = map[mountKey]chan struct{}{}
	}
	m.inflight[k] = ch
	return "", func(ok bool) {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.inflight, k)
		close(ch)
		if ok {
			m.rememberLocked(k, repo)
		}
	}, nil
}

func (m *Mounts) rememberLocked(k mountKey, repo string) {
	if m.sources == nil {
		m.sources = map[mountKey]string{}
	}
	if _, ok := m.sources[k]; !ok {
		if len(m.order) >= maxMounts {
			delete(m.sources, m.order[0])
			m.order = m.order[1:]
		}
		m.order = append(m.order, k)
	}
	m.sources[k] = repo
}
