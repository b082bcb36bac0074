package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minimage/minimage/image"
)

// cacheEntry returns the directory of GoBuild.Cache that keeps the
// binary of this go build for p. Two builds that differ in a way the key
// does not see (flags, sources) share an entry; go build notices and
// relinks, so the key only decides what is kept.
func (c goBuildCmd) cacheEntry(p image.Platform) (string, error) {
	dir := c.dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs + "\x00" + strings.Join(c.pkgs, "\x00") + "\x00" + p.String()))
	return filepath.Join(c.gb.Cache, hex.EncodeToString(sum[:12])), nil
}

// runCached runs go build into the cache entry's binary, under the
// entry's lock, and copies the result to out, which the caller owns.
func (c goBuildCmd) runCached(ctx context.Context, p image.Platform, out, tmp string) error {
	entry, err := c.cacheEntry(p)
	if err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	if err := os.MkdirAll(entry, 0o755); err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	unlock, err := lockEntry(ctx, filepath.Join(entry, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	bin := filepath.Join(entry, "bin")
	if err := c.run(ctx, p, bin, tmp); err != nil {
		return err
	}
	// go build replaces bin (rename or remove and create) rather than
	// writing into it, so a hard link is a snapshot; across file systems,
	// a copy.
	if err := os.Link(bin, out); err == nil {
		return nil
	}
	return copyFile(out, bin)
}

// runCachedDir runs go build of several packages into the cache entry's
// directory of binaries, under the entry's lock, and links (or copies)
// each binary to the directory out, which the caller owns; out ends in a
// separator. The entry's key holds the packages, so its directory holds
// their binaries alone.
func (c goBuildCmd) runCachedDir(ctx context.Context, p image.Platform, out, tmp string) error {
	entry, err := c.cacheEntry(p)
	if err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	bins := filepath.Join(entry, "bins")
	if err := os.MkdirAll(bins, 0o755); err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	unlock, err := lockEntry(ctx, filepath.Join(entry, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.run(ctx, p, bins+string(filepath.Separator), tmp); err != nil {
		return err
	}
	des, err := os.ReadDir(bins)
	if err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	for _, de := range des {
		src, dst := filepath.Join(bins, de.Name()), filepath.Join(out, de.Name())
		if err := os.Link(src, dst); err != nil {
			if err := copyFile(dst, src); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockEntry takes the lock file's exclusive lock, waiting while ctx
// allows.
func lockEntry(ctx context.Context, name string) (func(), error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("build: cache: %w", err)
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("build: cache: lock %s: %w", name, err)
		}
		if ok {
			return func() { f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func copyFile(dst, src string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("build: cache: %w", err)
	}
	_, err = io.Copy(o, in)
	return errors.Join(err, o.Close())
}
