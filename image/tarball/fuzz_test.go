package tarball_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/fixture"
)

// FuzzRead feeds arbitrary tar bytes to Read and every reading method:
// they may fail, never panic or hang.
func FuzzRead(f *testing.F) {
	f.Add(tarBytes(f, fixture.Image(f, amd64), "app:v1"))
	f.Add(tarBytes(f, fixture.Index(f)))
	f.Add([]byte("not a tarball"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.tar")
		os.WriteFile(p, data, 0o644)
		l, err := tarball.Read(p)
		if err != nil {
			return
		}
		ctx := context.Background()
		l.Verify(ctx)
		for _, tag := range append(l.Tags(), "") {
			if a, err := l.Artifact(ctx, tag); err == nil {
				image.Verify(ctx, a)
			}
			for _, p := range []image.Platform{{}, amd64, arm64} {
				if img, err := l.Image(ctx, tag, p); err == nil {
					image.FromBase(img, "base").WithEnv("A", "B").RawConfig()
				}
			}
		}
	})
}
