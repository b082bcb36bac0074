package build

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
)

// goBuildCmd is one go build of the recipe's package for a platform.
type goBuildCmd struct {
	pkg, dir string // what to build, and where
	gb       GoBuild
	procs    int // go build -p
}

// newGoBuild resolves where go build runs: a package that is a directory
// is built from inside it, so that its own module is used.
func newGoBuild(r *Recipe, procs int) goBuildCmd {
	c := goBuildCmd{pkg: r.Package, dir: r.Dir, gb: r.GoBuild, procs: procs}
	full := r.Package
	if !filepath.IsAbs(full) && r.Dir != "" {
		full = filepath.Join(r.Dir, full)
	}
	if fi, err := os.Stat(full); err == nil && fi.IsDir() {
		c.pkg, c.dir = ".", full
	}
	return c
}

// waitDelay is how long a cancelled go build has to exit after its
// interrupt before its process group is killed.
const waitDelay = 5 * time.Second

// run compiles the package for p into the file out (absolute), with
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
	args = append(args, "--", c.pkg)
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
	return nil
}

func (c goBuildCmd) pkgName() string {
	if c.pkg == "." {
		return c.dir
	}
	return c.pkg
}
