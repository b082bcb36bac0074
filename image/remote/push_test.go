package remote

import (
	"context"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
)

func TestPushImage(t *testing.T) {
	reg := startDockerRegistry(t, registryConfig{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 1, Layers: 2, Files: 4})
	ctx := context.Background()

	mark := reg.Mark()
	got, err := Push(ctx, reg.Ref("app:v1"), img, reg.Options())
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != img.Digest() {
		t.Errorf("Push returned %s, want the image's %s", got.Digest, img.Digest())
	}
	t.Logf("first push: %v", reg.Requests(mark))
	if tags := reg.Tags("app"); strings.Join(tags, ",") != "v1" {
		t.Errorf("tags = %v, want [v1]", tags)
	}
}
