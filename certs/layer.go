package certs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/pem"
	"fmt"

	"github.com/minimage/minimage/layer"
)

// Options control the bundle file and its layer. The zero value gives the
// default: Mozilla's unconstrained roots only, built with layer's default
// options (gzip, entries dated the Unix epoch).
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
}

// File returns the bytes of the bundle file that Layer writes at Path for
// opts: the roots as PEM followed by opts.ExtraPEM's certificates. The
// slice is the caller's. An error wraps ErrMalformedPEM or ErrNotCA.
func File(opts Options) ([]byte, error) {
	base := bundlePEM(opts.IncludeConstrained)
	extra, err := parseExtra(opts.ExtraPEM)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(base) + len(opts.ExtraPEM))
	buf.Write(base)
	seen := make(map[[sha256.Size]byte]bool)
	for _, r := range load().roots {
		if r.constraint == nil || opts.IncludeConstrained {
			seen[r.sum] = true
		}
	}
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
// by 0:0, with its parent directories (0755, 0:0).
//
// Layers are cached per process: a second call with equal options
// (ExtraPEM compared by content, opts.Layer by its Format) returns a Share
// of the cached layer without building again, so the caller may Release
// what it gets; opts.Layer.Progress is then called once, with the layer's
// sizes. It is safe for concurrent use. An error wraps ErrMalformedPEM or
// ErrNotCA for bad ExtraPEM, or comes from the layer package.
func Layer(ctx context.Context, opts Options) (*layer.Layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("certs: layer: %w", err)
	}
	l, err := cache.Layer(ctx, newCacheKey(opts), opts.Layer.Progress, func() (*layer.Layer, error) {
		data, err := File(opts)
		if err != nil {
			return nil, err
		}
		b := layer.New(opts.Layer)
		if err := b.AddFile(Path, data, layer.Attr{Mode: 0o644}); err != nil {
			return nil, fmt.Errorf("certs: %w", err)
		}
		l, err := b.Build(ctx)
		if err != nil {
			return nil, fmt.Errorf("certs: %w", err)
		}
		return l, nil
	})
	if err != nil && err == ctx.Err() {
		// Cancelled while another caller built the layer.
		return nil, fmt.Errorf("certs: layer: %w", err)
	}
	return l, err
}
