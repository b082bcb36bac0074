package build

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/minimage/minimage/image"
	"golang.org/x/sync/errgroup"
)

// goUnit is one go build of RunAll: the packages of a group that want
// one platform, compiled together into a directory.
type goUnit struct {
	cmd  goBuildCmd
	pl   image.Platform
	step func(format string, args ...any) // the progress of the group's first recipe
	done chan struct{}                    // closed when the build has returned
	dir  string                           // where the binaries are, once done
	err  error
}

// goGroup is recipes whose packages go build compiles together: the same
// directory, go build settings and AllowDynamic, and no two programs of
// one name (go build -o DIR/ names each after its package).
type goGroup struct {
	key   string
	names map[string]string // program name → the package argument
	units []*goUnit         // one per platform
}

// groupBuilds gathers the plans that compile a package into groups, sets
// each plan's fromGroup, and returns the go builds to run.
func groupBuilds(plans []*plan) ([]*goUnit, error) {
	var groups []*goGroup
	var units []*goUnit
	for _, p := range plans {
		if p.r.Package == "" {
			continue
		}
		dir, arg, name, err := goPackage(p.r.Package, p.r.Dir)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%s\x00%#v\x00%t", dir, p.r.GoBuild, p.r.AllowDynamic)
		i := slices.IndexFunc(groups, func(g *goGroup) bool {
			a, ok := g.names[name]
			return g.key == key && (!ok || a == arg)
		})
		if i < 0 {
			i = len(groups)
			groups = append(groups, &goGroup{key: key, names: map[string]string{}})
		}
		g := groups[i]
		g.names[name] = arg
		byPlatform := map[string]*goUnit{}
		for _, pl := range p.platforms {
			j := slices.IndexFunc(g.units, func(u *goUnit) bool { return u.pl.Same(pl) })
			if j < 0 {
				u := &goUnit{cmd: goBuildCmd{dir: dir, gb: p.r.GoBuild}, pl: pl, step: p.sharedStep, done: make(chan struct{})}
				g.units, units = append(g.units, u), append(units, u)
				j = len(g.units) - 1
			}
			u := g.units[j]
			if !slices.Contains(u.cmd.pkgs, arg) {
				u.cmd.pkgs = append(u.cmd.pkgs, arg)
			}
			byPlatform[pl.String()] = u
		}
		pkg := p.r.Package
		p.fromGroup = func(ctx context.Context, pl image.Platform) (string, error) {
			return byPlatform[pl.String()].binary(ctx, name, pkg)
		}
	}
	return units, nil
}

// binary waits for u's go build and returns the path of the program
// name, which the package pkg makes.
func (u *goUnit) binary(ctx context.Context, name, pkg string) (string, error) {
	select {
	case <-u.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if u.err != nil {
		return "", u.err
	}
	bin := filepath.Join(u.dir, name)
	if _, err := os.Stat(bin); errors.Is(err, fs.ErrNotExist) {
		return "", notMain(pkg) // go build -o DIR/ skips a package that is not main
	} else if err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	return bin, nil
}

// runUnits runs the go builds, parallel at a time (0: as many as there
// are, up to GOMAXPROCS), GOMAXPROCS shared between them with -p, each
// into a directory of its own under tmp.
func runUnits(ctx context.Context, units []*goUnit, tmp string, parallel int) error {
	if parallel <= 0 {
		parallel = min(len(units), runtime.GOMAXPROCS(0))
	}
	procs := max(1, runtime.GOMAXPROCS(0)/max(1, parallel))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, parallel))
	for i, u := range units {
		u.cmd.procs = procs
		u.dir = filepath.Join(tmp, strconv.Itoa(i))
		g.Go(func() error {
			defer close(u.done)
			if u.err = ctx.Err(); u.err != nil {
				return u.err // a build failed while this one waited for a slot
			}
			u.err = u.run(ctx)
			return u.err
		})
	}
	return g.Wait()
}

// run compiles u's packages into u.dir.
func (u *goUnit) run(ctx context.Context) error {
	u.step("go build %s for %s", strings.Join(u.cmd.pkgs, " "), u.pl)
	gotmp := u.dir + ".tmp"
	for _, d := range []string{u.dir, gotmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("build: %w", err)
		}
	}
	out := u.dir + string(filepath.Separator)
	var err error
	if u.cmd.gb.Cache != "" {
		err = u.cmd.runCachedDir(ctx, u.pl, out, gotmp)
	} else {
		err = u.cmd.run(ctx, u.pl, out, gotmp)
	}
	if err != nil && strings.Contains(err.Error(), "no main packages to build") {
		return notMain(strings.Join(u.cmd.pkgs, ", "))
	}
	return err
}

// goPackage returns the directory go build of pkg runs in, the package
// argument it takes there, and the name of the program it writes. A
// directory is built from its module's root (its nearest go.mod), so that
// the packages of one module build together.
func goPackage(pkg, dir string) (runDir, arg, name string, err error) {
	full := pkg
	if !filepath.IsAbs(full) && dir != "" {
		full = filepath.Join(dir, full)
	}
	fi, statErr := os.Stat(full)
	if statErr != nil || !fi.IsDir() {
		return dir, pkg, programFile(pkg), nil // an import path
	}
	if full, err = filepath.Abs(full); err != nil {
		return "", "", "", fmt.Errorf("build: %w", err)
	}
	root, mod := moduleOf(full)
	if root == "" {
		return full, ".", filepath.Base(full), nil
	}
	rel, err := filepath.Rel(root, full)
	if err != nil {
		return "", "", "", fmt.Errorf("build: %w", err)
	}
	if rel == "." {
		return root, ".", programFile(mod), nil
	}
	rel = filepath.ToSlash(rel)
	return root, "./" + rel, programFile(mod + "/" + rel), nil
}

// moduleOf returns the root of the module that holds dir and its path,
// or "" when no go.mod is found.
func moduleOf(dir string) (root, modPath string) {
	for d := dir; ; d = filepath.Dir(d) {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line, _, _ := strings.Cut(sc.Text(), "//")
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					return d, strings.Trim(f[1], `"`+"`")
				}
			}
			return d, path.Base(filepath.ToSlash(d))
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

// programFile is the file name go build -o DIR/ gives the program of the
// package importPath: its last element, or the one before a major version
// ("example.com/tool/v2" gives "tool").
func programFile(importPath string) string {
	dir, elem := path.Split(strings.TrimRight(importPath, "/"))
	if dir != "" && isMajorVersion(elem) {
		_, elem = path.Split(path.Dir(strings.TrimRight(importPath, "/")))
	}
	return elem
}

// isMajorVersion reports whether s is v2, v3, …: what go build leaves out
// of a program's name (v0 and v1 it keeps).
func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || s[1] == '1' && len(s) == 2 {
		return false
	}
	return strings.Trim(s[1:], "0123456789") == ""
}
