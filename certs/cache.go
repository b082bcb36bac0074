package certs

import (
	"crypto/sha256"

	"github.com/minimage/minimage/internal/layercache"
	"github.com/minimage/minimage/layer"
)

// cacheKey holds what decides a layer's bytes: the layer's Format (how the
// work runs, Blocks or SpillDir say, changes no byte) and the bundle's
// options. It is comparable.
type cacheKey struct {
	format             layer.Format
	extra              [sha256.Size]byte
	includeConstrained bool
}

func newCacheKey(o Options) cacheKey {
	return cacheKey{format: o.Layer.Format, extra: sha256.Sum256(o.ExtraPEM), includeConstrained: o.IncludeConstrained}
}

var cache layercache.Cache[cacheKey]
