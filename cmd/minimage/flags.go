package main

import (
	"fmt"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"strings"
)

// listFlag is a repeatable flag; each use may also hold a comma-separated
// list when split is set.
type listFlag struct {
	values []string
	split  bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(v string) error {
	if !l.split {
		l.values = append(l.values, v)
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.values = append(l.values, s)
		}
	}
	return nil
}

// keyValues parses K=V flags into a map, naming the flag in its error.
func keyValues(flag string, vs []string) (map[string]string, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
		m[k] = val
	}
	return m, nil
}

// keyValueList checks K=V flags and keeps them in order, naming the flag
// in its error.
func keyValueList(flag string, vs []string) ([]string, error) {
	for _, v := range vs {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
	}
	return vs, nil
}

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
