package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
)

// ErrNotMain is the error of Run and RunAll for a Recipe.Package that is
// not package main: go build makes no program of it.
var ErrNotMain = errors.New("not a main package")

// goBuildCmd is one go build of a recipe's package, or of the packages
// of a RunAll group, for a platform.
type goBuildCmd struct {
	pkgs  []string // what to build
	dir   string   // where
	label string   // the package as the recipe names it, for messages; "": pkgs
	gb    GoBuild
	procs int // go build -p
}

// newGoBuild resolves where go build runs: a package that is a directory
// is built from inside it, so that its own module is used.
func newGoBuild(r *Recipe, procs int) goBuildCmd {
	c := goBuildCmd{pkgs: []string{r.Package}, dir: r.Dir, label: r.Package, gb: r.GoBuild, procs: procs}
	full := r.Package
	if !filepath.IsAbs(full) && r.Dir != "" {
		full = filepath.Join(r.Dir, full)
	}
	if fi, err := os.Stat(full); err == nil && fi.IsDir() {
		c.pkgs, c.dir = []string{"."}, full
	}
	return c
}

// waitDelay is how long a cancelled go build has to exit after its
// interrupt before its process group is killed.
const waitDelay = 5 * time.Second

// run compiles the package for p into the file out (absolute), or the
// packages into the directory out when it ends in a separator, with
// go build's own temporary files in tmp (GOTMPDIR), which the caller
// removes: go build exits on a signal without removing them. Cancelling
// ctx interrupts go build and everything it started: they run in a
// process group of their own, which gets SIGINT and, if still there after
// waitDelay, SIGKILL.
func (c goBuildCmd) run(ctx context.Context, p image.Platform, out, tmp string) error {
	args := []string{"build", "-trimpath", "-p", strconv.Itoa(c.procs), "-o", out}
	if c.gb.Ldflags != "" {
		args = append(args, "-ldflags", c.gb.Ldflags)
	}
	if len(c.gb.Tags) > 0 {
		args = append(args, "-tags", strings.Join(c.gb.Tags, ","))
	}
	args = append(args, c.gb.Flags...)
	args = append(append(args, "--"), c.pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOTMPDIR="+tmp)
	if v := platformEnv(p); v != "" {
		cmd.Env = append(cmd.Env, v)
	}
	cmd.Env = append(cmd.Env, c.gb.Env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	inGroup(cmd)
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if ctx.Err() != nil {
		killGroup(cmd)
		return ctx.Err()
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("build: go build %s for %s failed:\n%s", c.pkgName(), p, msg)
	}
	if !os.IsPathSeparator(out[len(out)-1]) {
		return c.checkProgram(out)
	}
	return nil
}

// checkProgram refuses what go build wrote to out when it is an archive:
// what go build -o FILE writes for a package that is not package main.
func (c goBuildCmd) checkProgram(out string) error {
	f, err := os.Open(out)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	defer f.Close()
	magic := make([]byte, len(arMagic))
	if n, _ := f.Read(magic); n == len(magic) && string(magic) == arMagic {
		return notMain(c.pkgName())
	}
	return nil
}

// arMagic starts the archive go build writes for a package that is not
// package main.
const arMagic = "!<arch>\n"

// notMain is the error for a package that is not package main.
func notMain(pkg string) error {
	return fmt.Errorf("build: package %s: %w: go build makes no program of it; give a package main, such as ./cmd/server", pkg, ErrNotMain)
}

func (c goBuildCmd) pkgName() string {
	switch {
	case c.label != "" && c.label != ".":
		return c.label
	case len(c.pkgs) == 1 && c.pkgs[0] == ".":
		return c.dir
	}
	return strings.Join(c.pkgs, " ")
}
