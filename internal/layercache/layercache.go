// Package layercache keeps, once per process, the layers that packages
// build the same way again and again: the base files, the CA bundle, a set
// of zones. A cache hands each caller a Share of its layer, so a caller's
// Release never takes another's bytes.
package layercache

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/minimage/minimage/layer"
)

// Size is the number of layers a Cache keeps, so that a program building
// with many different options does not hold every layer for ever. The
// oldest goes first; callers keep their Shares of it.
const Size = 8

// Cache holds layers by a key that must hold everything that decides the
// layer's bytes: the layer.Format (how the work runs, Blocks or SpillDir,
// changes no byte) and the package's own options. The zero value is an
// empty cache, safe for concurrent use.
type Cache[K comparable] struct {
	mu      sync.Mutex
	entries []*entry[K] // oldest first
	builds  atomic.Int64
}

type entry[K comparable] struct {
	key     K
	done    chan struct{} // closed when the build has returned
	l       *layer.Layer  // nil while building or when the build failed
	evicted bool
}

// Layer returns a Share of the layer cached under key, calling build on a
// miss. Concurrent misses of one key build once: the others wait for that
// build, or until ctx is done; a failed build is not cached, and a waiter
// then builds itself. progress, if not nil, is called once with the
// layer's sizes when the layer comes from the cache, as a build would at
// its end (build calls it otherwise). An error is build's, or ctx.Err()
// itself when ctx ended while another caller's build ran.
func (c *Cache[K]) Layer(ctx context.Context, key K, progress func(layer.Progress), build func() (*layer.Layer, error)) (*layer.Layer, error) {
	for {
		c.mu.Lock()
		if i := slices.IndexFunc(c.entries, func(e *entry[K]) bool { return e.key == key }); i >= 0 {
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
				progress(layer.Progress{In: l.TarSize(), Out: l.Size()})
			}
			return l, nil
		}
		e := &entry[K]{key: key, done: make(chan struct{})}
		if len(c.entries) == Size {
			c.evict(c.entries[0])
		}
		c.entries = append(c.entries, e)
		c.mu.Unlock()

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
}

// evict drops e and releases the cache's hold on its layer; c.mu is held.
func (c *Cache[K]) evict(e *entry[K]) {
	c.entries = slices.DeleteFunc(c.entries, func(x *entry[K]) bool { return x == e })
	e.evicted = true
	if e.l != nil {
		e.l.Release()
	}
}

// Builds returns how many layers the cache has built, for tests.
func (c *Cache[K]) Builds() int64 { return c.builds.Load() }
