package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/registrytest"
)

// TestBuildOutputParentAndPushTags runs Publish's second and third lines:
// -o into a directory that does not exist yet creates it as mkdir -p
// would, the layout is tagged with the --push references when no -t is
// given, and push DIR:TAG finds the tag.
func TestBuildOutputParentAndPushTags(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{})
	bin := helloBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "dist", "sub", "oci")
	app := reg.Host() + "/me/app"
	code, _, stderr := minimage(t, "build", "-q", "--insecure-allow-http", "-o", out, "--push", app+":v1", "--push", app, bin)
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	for _, tag := range []string{"v1", "latest"} {
		if got, want := layoutDigest(t, out, tag), layoutDigest(t, out, app+":"+tag); got != want {
			t.Errorf("tag %s: %s, and under its full name %s", tag, got, want)
		}
	}
	if code, _, stderr := minimage(t, "push", "-q", "--insecure-allow-http", out+":v1", app+":v2"); code != 0 {
		t.Errorf("push %s:v1: exit %d: %s", out, code, stderr)
	}

	// A build that fails takes back the directories it made.
	bad := filepath.Join(dir, "made", "by", "build", "oci")
	if code, _, _ := minimage(t, "build", "-q", "--zones", "Nowhere/Nothing", "-o", bad, bin); code == 0 {
		t.Fatal("build with --zones Nowhere/Nothing succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "made")); !os.IsNotExist(err) {
		t.Errorf("a failed build left %s: %v", filepath.Join(dir, "made"), err)
	}
}
