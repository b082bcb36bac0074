package build

import (
	"os"
	"slices"

	"github.com/minimage/minimage/gobinary"
	"github.com/minimage/minimage/image"
)

// checkBinaryFiles checks that each binary is a regular file and, unless
// dest names the image, that they share one name.
func checkBinaryFiles(bins []Binary, dest string) error {
	for _, b := range bins {
		fi, err := os.Stat(b.Path)
		if err != nil {
			return invalid("binary %s: %v", b.Path, err)
		}
		if !fi.Mode().IsRegular() {
			return invalid("binary %s: not a regular file", b.Path)
		}
		if first := bins[0].Path; dest == "" && programName(b.Path) != programName(first) {
			return invalid("binaries %s and %s have different names, and the image takes its name from them; give Path (--path or --name) to name the image", first, b.Path)
		}
	}
	return nil
}

// checkBinaries reads the platform of each binary, checks the binary for
// it, and sets the platforms and the binary of each: in the order of
// Recipe.Platforms if set, which must hold each binary's platform and no
// other, else in the binaries' order.
func (p *plan) checkBinaries() error {
	r := &p.r
	var pls []image.Platform
	for _, b := range r.Binaries {
		pl, err := binaryPlatform(b, r.Platforms, r.AllowDynamic)
		if err != nil {
			return err
		}
		if j := slices.IndexFunc(pls, pl.Same); j >= 0 {
			return invalid("binaries %s and %s are both for %s; give one binary per platform", r.Binaries[j].Path, b.Path, pl)
		}
		pls = append(pls, pl)
		p.binPaths = append(p.binPaths, b.Path)
	}
	if len(r.Platforms) == 0 {
		p.platforms = pls
		return nil
	}
	paths := p.binPaths
	p.binPaths = nil
	for _, want := range r.Platforms {
		i := slices.IndexFunc(pls, want.Same)
		if i < 0 {
			return invalid("platform %s has no binary; give one built for it (as %s=PATH on the command line), or drop the platform", want, want)
		}
		p.binPaths = append(p.binPaths, paths[i])
	}
	return nil
}

// binaryPlatform returns the platform of b after checking the binary for
// it: b.Platform, else with platforms given the one of them that is the
// binary's own or, failing that, the only one of its architecture, else
// the one its headers name.
func binaryPlatform(b Binary, platforms []image.Platform, allowDynamic bool) (image.Platform, error) {
	f, err := os.Open(b.Path)
	if err != nil {
		return image.Platform{}, invalid("binary %s: %v", b.Path, err)
	}
	defer f.Close()
	opts := gobinary.Options{AllowDynamic: allowDynamic}
	pl := b.Platform
	if pl == (image.Platform{}) {
		bi, err := gobinary.Inspect(f, b.Path, opts)
		if err != nil {
			return image.Platform{}, invalid("%w", err)
		}
		if pl, err = pickPlatform(b.Path, bi.Platform(), platforms); err != nil {
			return image.Platform{}, err
		}
	}
	if err := checkPlatform(pl); err != nil {
		return image.Platform{}, err
	}
	if _, err := gobinary.Check(f, b.Path, pl, opts); err != nil {
		return image.Platform{}, invalid("%w", err)
	}
	return pl, nil
}

// pickPlatform returns the platform of platforms that a binary built for
// own goes into: own itself, or the only one of own's architecture. With
// no platforms, it is own.
func pickPlatform(name string, own image.Platform, platforms []image.Platform) (image.Platform, error) {
	if len(platforms) == 0 || slices.ContainsFunc(platforms, own.Same) {
		return own, nil
	}
	var arch []image.Platform
	for _, pl := range platforms {
		if pl.Architecture == own.Architecture {
			arch = append(arch, pl)
		}
	}
	if len(arch) == 1 {
		return arch[0], nil
	}
	return image.Platform{}, invalid("binary %s is built for %s, which is not among the platforms asked for (%s): %w; give a binary built for them, or ask for %s", name, own, platformList(platforms), gobinary.ErrWrongArch, own)
}

// platformList is platforms as the command line's --platform lists them.
func platformList(pls []image.Platform) string {
	s := ""
	for i, pl := range pls {
		if i > 0 {
			s += ","
		}
		s += pl.String()
	}
	return s
}
