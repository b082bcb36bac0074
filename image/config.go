package image

import (
	"maps"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// WithConfig returns img with its runtime config changed by f. f gets a
// deep copy, so it may change slices and maps in place; img is not
// touched.
func (img *Image) WithConfig(f func(c *ocispec.ImageConfig)) *Image {
	n := img.clone()
	f(&n.config.Config)
	n.config.Config = cloneImageConfig(n.config.Config)
	return n
}

// WithEntrypoint returns img with the entrypoint set to args (copied); no
// args clears it.
func (img *Image) WithEntrypoint(args ...string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.Entrypoint = slices.Clone(args) })
}

// WithCmd returns img with the default arguments set to args (copied); no
// args clears them.
func (img *Image) WithCmd(args ...string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.Cmd = slices.Clone(args) })
}

// WithEnv returns img with the environment variable k set to v: an entry
// "k=…" already there is replaced in place, otherwise "k=v" is added at
// the end.
func (img *Image) WithEnv(k, v string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) {
		kv := k + "=" + v
		for i, e := range c.Env {
			if name, _, _ := strings.Cut(e, "="); name == k {
				c.Env[i] = kv
				return
			}
		}
		c.Env = append(c.Env, kv)
	})
}

// WithUser returns img running as u: "name", "uid", "uid:gid" or
// "name:group"; "" means root to runtimes. New images run as DefaultUser.
func (img *Image) WithUser(u string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.User = u })
}

// WithWorkingDir returns img with the working directory set to dir.
func (img *Image) WithWorkingDir(dir string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.WorkingDir = dir })
}

// WithLabel returns img with the config label k set to v; an empty v
// removes k.
func (img *Image) WithLabel(k, v string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.Labels = setOrDelete(c.Labels, k, v) })
}

// WithExposedPort returns img exposing port, such as "8080/tcp".
func (img *Image) WithExposedPort(port string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[port] = struct{}{}
	})
}

// WithStopSignal returns img stopped with sig, such as "SIGTERM".
func (img *Image) WithStopSignal(sig string) *Image {
	return img.WithConfig(func(c *ocispec.ImageConfig) { c.StopSignal = sig })
}

func cloneImageConfig(c ocispec.ImageConfig) ocispec.ImageConfig {
	c.Env = slices.Clone(c.Env)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Cmd = slices.Clone(c.Cmd)
	c.ExposedPorts = maps.Clone(c.ExposedPorts)
	c.Volumes = maps.Clone(c.Volumes)
	c.Labels = maps.Clone(c.Labels)
	return c
}
