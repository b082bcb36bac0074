package main

import (
	"fmt"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
)

// parsePlatform reads --platform, as every command that takes one does;
// "" is the zero Platform, all of them.
func parsePlatform(s string) (image.Platform, error) {
	if s == "" {
		return image.Platform{}, nil
	}
	p, err := image.ParsePlatform(s)
	if err != nil {
		return p, fmt.Errorf("%w: --platform: %w", errUsage, cliError{err})
	}
	return p, nil
}

// parseOutput reads -o as every command that writes an image does: a
// name ending in .tar is a tarball, anything else a layout directory,
// and a compressed archive's name (x.tgz, x.tar.gz) is refused, as
// build.ParseOutput says. "-" (stdout) is the caller's.
func parseOutput(o string) (build.Output, error) {
	out, err := build.ParseOutput(o)
	if err != nil {
		return out, fmt.Errorf("%w: -o: %w", errUsage, cliError{err})
	}
	return out, nil
}
