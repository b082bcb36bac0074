package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// isBinaryPath reports whether target names an existing regular file (an
// already-built binary) rather than a Go package.
func isBinaryPath(target string) bool {
	fi, err := os.Stat(target)
	return err == nil && fi.Mode().IsRegular()
}

// goBuild compiles the Go package target for one platform into dir and
// returns the binary's path: CGO_ENABLED=0 and -trimpath, so the result is
// static and does not depend on where the source lives.
func goBuild(ctx context.Context, target, dir, os_, arch, variant string) (string, error) {
	name := filepath.Join(dir, fmt.Sprintf("%s-%s-%s%s", binaryName(target), os_, arch, variant))
	pkg, wd := target, ""
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		// Build from inside the package's directory, so that its own
		// module is used wherever minimage runs.
		pkg, wd = ".", target
	}
	name, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", name, pkg)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+os_, "GOARCH="+arch, "GOFLAGS="+os.Getenv("GOFLAGS"))
	if arch == "arm" && variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(variant, "v"))
	}
	if arch == "amd64" && variant != "" {
		cmd.Env = append(cmd.Env, "GOAMD64="+variant)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("go build %s for %s/%s failed:\n%s", target, os_, arch, msg)
	}
	return name, nil
}

// binaryName is the name an image of target gets by default: the last
// element of the package path or file name.
func binaryName(target string) string {
	t := strings.TrimRight(filepath.ToSlash(target), "/")
	if t == "." || t == "" {
		if wd, err := os.Getwd(); err == nil {
			t = filepath.Base(wd)
		}
	}
	base := t[strings.LastIndex(t, "/")+1:]
	base = strings.TrimSuffix(base, ".exe")
	if i := strings.IndexByte(base, '@'); i > 0 {
		base = base[:i]
	}
	// A major-version suffix (example.com/tool/v2) names no program.
	if len(base) >= 2 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		if rest := strings.TrimSuffix(t, "/"+base); rest != t {
			return binaryName(rest)
		}
	}
	return strings.ToLower(base)
}
