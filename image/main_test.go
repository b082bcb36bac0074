package image_test

import (
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/layer"
)

var (
	amd64 = image.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = image.Platform{OS: "linux", Architecture: "arm64"}
)

func mkLayer(t testing.TB, files ...string) *layer.Layer { return imagetest.FilesLayer(t, files...) }

func fixtureImage(t testing.TB, p image.Platform) *image.Image { return imagetest.Fixture(t, p) }

func fixtureIndex(t testing.TB) *image.Index { return imagetest.FixtureIndex(t) }
