package layer

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// cacheSize is the number of layers a Cache keeps, so that a program
// building with many different options does not hold every layer for
// ever.
const cacheSize = 8

// Cache holds layers that are built the same way again and again, such as
// the base files, the CA bundle or a set of zones (the packages base, certs
// and tzdata take one in their Options), by a key that holds everything
// that decides the layer's bytes. It keeps the 8 layers added last; the
// oldest goes first, and callers keep their Shares of it.
//
// A program creates a Cache and passes it to whatever should share its
// layers; there is no cache per process. The zero value is an empty
// cache. A Cache is safe for concurrent use and must not be copied after
// first use.
type Cache struct {
	mu      sync.Mutex
	entries []*cacheEntry // oldest first
	builds  atomic.Int64
}

type cacheEntry struct {
	key     any
	done    chan struct{} // closed when the build has returned
	l       *Layer        // nil while building or when the build failed
	evicted bool
}

// Layer returns a Share of the layer cached under key, calling build on a
// miss; the caller may Release what it gets. key must be comparable, and
// of a type of the caller's own (an unexported struct, say) so that
// packages sharing a Cache cannot collide. Concurrent misses of one key
// build once: the others wait for that build, or until ctx is done; a
// failed build is not cached, and a waiter then builds itself. progress,
// if not nil, is called once with the layer's sizes when the layer comes
// from the cache, as a build would at its end. An error is build's, or
// ctx.Err() itself when ctx ended while another caller's build ran.
func (c *Cache) Layer(ctx context.Context, key any, progress func(Progress), build func() (*Layer, error)) (*Layer, error) {
	for {
		c.mu.Lock()
		if i := slices.IndexFunc(c.entries, func(e *cacheEntry) bool { return e.key == key }); i >= 0 {
			e := c.entries[i]
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			c.mu.Lock()
			if e.l == nil || e.evicted {
				c.mu.Unlock()
				continue // failed, or gone since: look again
			}
			l := e.l.Share() // under mu: eviction releases e.l
			c.mu.Unlock()
			if progress != nil {
				progress(Progress{In: l.TarSize(), Out: l.Size()})
			}
			return l, nil
		}
		e := &cacheEntry{key: key, done: make(chan struct{})}
		if len(c.entries) == cacheSize {
			c.evict(c.entries[0])
		}
		c.entries = append(c.entries, e)
		c.mu.Unlock()
		return c.fill(e, build)
	}
}

// Len returns the number of layers c holds, and builds it has begun.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Release drops every layer c holds; callers keep their Shares. c stays
// usable, and empty.
func (c *Cache) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.entries) > 0 {
		c.evict(c.entries[0])
	}
}

// fill runs build for e, which is in c.entries, and caches what it gives.
func (c *Cache) fill(e *cacheEntry, build func() (*Layer, error)) (*Layer, error) {
	l, err := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	close(e.done)
	if err != nil {
		if !e.evicted {
			c.evict(e)
		}
		return nil, err
	}
	c.builds.Add(1)
	if e.evicted {
		return l, nil // pushed out while it built: the caller's alone
	}
	e.l = l
	return l.Share(), nil
}

// evict drops e and releases the cache's hold on its layer; c.mu is held.
func (c *Cache) evict(e *cacheEntry) {
	c.entries = slices.DeleteFunc(c.entries, func(x *cacheEntry) bool { return x == e })
	e.evicted = true
	if e.l != nil {
		e.l.Release()
	}
}
