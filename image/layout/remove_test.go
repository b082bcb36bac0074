package layout_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// RemoveOnError: a Write that fails after some blobs takes back the
// directory it made; into a layout that was there, it keeps the layout
// as it was and says how many blobs it left. Without the option the
// blobs stay, and the directory too.
func TestRemoveOnError(t *testing.T) {
	good := imagetest.Image(t, imagetest.Spec{Seed: 7, Layers: 3})
	ls := good.Layers()
	bad := image.New(good.Platform()).Append(ls[0], ls[1], imagetest.Failing(t, ls[2]))

	fresh := filepath.Join(t.TempDir(), "sub", "new")
	err := layout.Write(t.Context(), fresh, bad, layout.Options{Tags: []string{"v1"}, RemoveOnError: true})
	if !errors.Is(err, imagetest.ErrFailing) {
		t.Fatalf("Write = %v, want ErrFailing", err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the directory Write made is still there: %v", err)
	}

	kept := filepath.Join(t.TempDir(), "kept")
	if err := layout.Write(t.Context(), kept, bad, layout.Options{}); err == nil {
		t.Fatal("Write of a failing layer succeeded")
	}
	if _, err := os.Stat(filepath.Join(kept, "oci-layout")); err != nil {
		t.Errorf("without RemoveOnError the layout went: %v", err)
	}

	old := imagetest.WriteLayout(t, imagetest.Image(t, imagetest.Spec{Seed: 8}), "other")
	before, _ := os.ReadFile(filepath.Join(old, "index.json"))
	err = layout.Write(t.Context(), old, bad, layout.Options{Tags: []string{"v1"}, RemoveOnError: true})
	if !errors.Is(err, imagetest.ErrFailing) || !strings.Contains(err.Error(), "left ") {
		t.Errorf("Write into an existing layout = %v, want ErrFailing and how many blobs it left", err)
	}
	if after, _ := os.ReadFile(filepath.Join(old, "index.json")); string(after) != string(before) {
		t.Errorf("index.json changed")
	}
}
