package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/testenv"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestRelease(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	ctx := context.Background()
	pkg := "../hello"
	out := t.TempDir()
	digest, err := release(ctx, pkg, "v1.2.3", out, []string{"linux/amd64", "linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}

	// A second release of the same source gives the same index.
	again, err := release(ctx, pkg, "v1.2.3", t.TempDir(), []string{"linux/amd64", "linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if again != digest {
		t.Errorf("rebuilt index %s, first build %s", again, digest)
	}

	for _, open := range []func() (image.Source, error){
		func() (image.Source, error) { return layout.Read(filepath.Join(out, "layout")) },
		func() (image.Source, error) { return tarball.Read(filepath.Join(out, "hello.tar")) },
	} {
		lay, err := open()
		if err != nil {
			t.Fatal(err)
		}
		imgs, err := lay.Images(ctx, "hello:v1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		if len(imgs) != 2 {
			t.Fatalf("%d images under hello:v1.2.3, want 2", len(imgs))
		}
		for _, img := range imgs {
			if got := img.Annotations()[ocispec.AnnotationVersion]; got != "v1.2.3" {
				t.Errorf("%s: version annotation %q", img.Platform(), got)
			}
			if got := img.Config().Created.Unix(); got != 1700000000 {
				t.Errorf("%s: created %d, want SOURCE_DATE_EPOCH", img.Platform(), got)
			}
			if n := len(img.Layers()); n != 4 {
				t.Errorf("%s: %d layers, want base, certs, zones, binary", img.Platform(), n)
			}
		}
		if _, err := lay.(interface {
			Verify(context.Context) (int, error)
		}).Verify(ctx); err != nil {
			t.Error(err)
		}
	}

	t.Run("skopeo", func(t *testing.T) {
		skopeo := testenv.NeedTool(t, "skopeo")
		cmd := exec.Command(skopeo, "inspect", "--raw", "oci:"+filepath.Join(out, "layout")+":latest")
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("skopeo inspect: %v", err)
		}
		if got := "sha256:" + sha256hex(raw); got != digest {
			t.Errorf("skopeo sees index %s, release printed %s", got, digest)
		}
	})
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
