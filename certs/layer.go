package certs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"slices"

	"github.com/minimage/minimage/layer"
)

// Options control the bundle file and its layer. The zero value gives the
// default: Mozilla's unconstrained roots only, built with layer's default
// options (gzip, entries dated the Unix epoch), and no cache.
type Options struct {
	// ExtraPEM holds more CA certificates, such as a company's own root,
	// as PEM "CERTIFICATE" blocks; text between blocks is ignored. Each
	// must be a CA (basic constraints with CA:TRUE). They follow the
	// Mozilla roots in the file, in the order given; a certificate that is
	// already in the file is written once. ExtraPEM is read, not kept.
	ExtraPEM []byte

	// IncludeConstrained writes the roots that carry a constraint too. The
	// file cannot hold the constraint, so readers of the file will trust
	// those roots unconditionally; see the package documentation.
	IncludeConstrained bool

	// Layer holds the options the layer is built with.
	Layer layer.Options

	// Cache, if set, holds the layers Layer builds, so that equal
	// bundles build once; see Layer. nil builds every time.
	Cache *layer.Cache
}

// File returns the bytes of the bundle file that Layer writes at Path for
// opts: the roots as PEM followed by opts.ExtraPEM's certificates. The
// slice is the caller's. An error wraps ErrMalformedPEM or ErrNotCA.
func File(opts Options) ([]byte, error) {
	tail, err := extraTail(opts)
	if err != nil {
		return nil, err
	}
	return slices.Concat(bundlePEM(opts.IncludeConstrained), tail), nil
}

// extraTail returns what follows the roots in the file: the PEM of each
// certificate of opts.ExtraPEM not already there.
func extraTail(opts Options) ([]byte, error) {
	extra, err := parseExtra(opts.ExtraPEM)
	if err != nil || len(extra) == 0 {
		return nil, err
	}
	seen := make(map[[sha256.Size]byte]bool)
	for _, r := range load().roots {
		if r.constraint == nil || opts.IncludeConstrained {
			seen[r.sum] = true
		}
	}
	var buf bytes.Buffer
	for _, c := range extra {
		sum := sha256.Sum256(c.Raw)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		buf.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	return buf.Bytes(), nil
}

// Layer returns a layer holding the bundle file at Path, mode 0644, owned
// by 0:0, with its parent directories (0755, 0:0); the caller may Release
// it. It is safe for concurrent use. An error wraps ErrMalformedPEM or
// ErrNotCA for bad ExtraPEM, or comes from the layer package.
//
// With opts.Cache set, a second call whose file would hold the same bytes
// (ExtraPEM compared by the certificates it adds, not by its text), with
// an equal opts.Layer.Format, returns a Share of the cached layer without
// building again; opts.Layer.Progress is then called once, with the
// layer's sizes.
func Layer(ctx context.Context, opts Options) (*layer.Layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("certs: layer: %w", err)
	}
	tail, err := extraTail(opts)
	if err != nil {
		return nil, err
	}
	build := func() (*layer.Layer, error) {
		data := slices.Concat(bundlePEM(opts.IncludeConstrained), tail)
		b := layer.New(opts.Layer)
		if err := b.AddFile(Path, data, layer.Attr{Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("certs: %w", err)
		}
		l, err := b.Build(ctx)
		if err != nil {
			return nil, fmt.Errorf("certs: %w", err)
		}
		return l, nil
	}
	if opts.Cache == nil {
		return build()
	}
	key := cacheKey{format: opts.Layer.Format, includeConstrained: opts.IncludeConstrained, extra: sha256.Sum256(tail)}
	l, err := opts.Cache.Layer(ctx, key, opts.Layer.Progress, build)
	if err != nil && err == ctx.Err() {
		// Cancelled while another caller built the layer.
		return nil, fmt.Errorf("certs: layer: %w", err)
	}
	return l, err
}

// cacheKey holds what decides a layer's bytes: the layer's Format (how the
// work runs, Blocks or SpillDir say, changes no byte), the roots chosen and
// the certificates that follow them. It is comparable.
type cacheKey struct {
	format             layer.Format
	includeConstrained bool
	extra              [sha256.Size]byte // of extraTail
}
