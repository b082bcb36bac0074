package certs

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/minimage/minimage/layer"
)

// cacheSize bounds the number of layers kept, so that a program building
// with many different options does not hold every layer for ever.
const cacheSize = 8

// cacheKey holds what decides a layer's bytes: the layer's Format (how the
// work runs, Blocks or SpillDir say, changes no byte) and the bundle's
// options. It is comparable.
type cacheKey struct {
	format             layer.Format
	extra              [sha256.Size]byte
	includeConstrained bool
	ok                 bool // false: do not cache
}

// newCacheKey returns o's key. Options with a Progress callback are not
// cached: the caller expects it to be called.
func newCacheKey(o Options) cacheKey {
	return cacheKey{format: o.Layer.Format, extra: sha256.Sum256(o.ExtraPEM), includeConstrained: o.IncludeConstrained, ok: o.Layer.Progress == nil}
}

type cacheEntry struct {
	key cacheKey
	l   *layer.Layer
}

// layerCache is a small, mutex-guarded list of built layers, oldest first.
type layerCache struct {
	mu      sync.Mutex
	entries []cacheEntry
}

var cache layerCache

// builds counts the layers built, for the tests of the cache.
var builds atomic.Int64

func (c *layerCache) get(k cacheKey) *layer.Layer {
	if !k.ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.find(k)
}

// find returns the layer cached for k, or nil; c.mu must be held.
func (c *layerCache) find(k cacheKey) *layer.Layer {
	for _, e := range c.entries {
		if e.key == k {
			return e.l
		}
	}
	return nil
}

// put stores l under k and returns the layer now cached for k: l, or the
// one a concurrent call stored first, so every caller shares its bytes.
func (c *layerCache) put(k cacheKey, l *layer.Layer) *layer.Layer {
	if !k.ok {
		return l
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached := c.find(k); cached != nil {
		return cached
	}
	if len(c.entries) == cacheSize {
		c.entries = c.entries[1:]
	}
	c.entries = append(c.entries, cacheEntry{k, l})
	return l
}
