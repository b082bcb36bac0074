package certs

import (
	"crypto/sha256"
	"reflect"
	"sync"

	"github.com/minimage/minimage/layer"
)

// cacheSize bounds the number of layers kept, so that a program building
// with many different options does not hold every layer for ever.
const cacheSize = 8

// cacheKey holds what decides a layer's bytes. layer.Options is compared
// with reflect.DeepEqual: it holds a func field, so it is not comparable,
// and a field added to it later then takes part without a change here. Any
// non-nil func makes the options uncacheable.
type cacheKey struct {
	opts               layer.Options
	extra              [sha256.Size]byte
	includeConstrained bool
	ok                 bool // false: do not cache
}

func newCacheKey(o Options) cacheKey {
	k := cacheKey{opts: o.Layer, extra: sha256.Sum256(o.ExtraPEM), includeConstrained: o.IncludeConstrained}
	k.ok = o.Layer.Progress == nil
	return k
}

func (k cacheKey) equal(o cacheKey) bool {
	return k.extra == o.extra && k.includeConstrained == o.includeConstrained && reflect.DeepEqual(k.opts, o.opts)
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
		if e.key.equal(k) {
			return e.l
		}
	}
	return nil
}

// put stores l under k and returns the layer now cached for k: l, or the
// one a concurrent call stored first, so every caller shares one value.
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
