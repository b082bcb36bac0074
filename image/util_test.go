package image_test

import (
	"context"

	"encoding/json"
	"github.com/minimage/minimage/image"

	"github.com/opencontainers/go-digest"
)

type digestT = digest.Digest

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func writeLayoutTB(dir string, v image.Artifact) error {
	return image.WriteLayout(context.Background(), dir, v, image.LayoutOptions{Tags: []string{"app"}})
}
