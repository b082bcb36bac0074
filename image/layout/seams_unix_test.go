//go:build unix

package layout_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
)

// A FIFO where index.json or a blob should be is an error, at once, not
// a read that never returns (issue 17, item 3).
func TestSpecialFiles(t *testing.T) {
	ctx := context.Background()
	img := imagetest.Fixture(t, amd64)
	for _, name := range []string{"index.json", "oci-layout", "blob"} {
		dir := t.TempDir()
		writeLayout(t, dir, img, "a")
		p := filepath.Join(dir, name)
		if name == "blob" {
			p = blobFile(dir, img)
		}
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		done := make(chan error, 1)
		go func() {
			l, err := layout.Read(dir)
			if err == nil {
				_, err = l.Image(ctx, "a", amd64)
			}
			if err == nil {
				err = layout.Write(ctx, dir, img, layout.Options{Tags: []string{"b"}})
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "regular file") {
				t.Errorf("%s as a FIFO: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s as a FIFO: still reading after 5s", name)
		}
	}
}

// Files written honour the umask, as directories do (issue 17, item 8).
func TestUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "l")
	writeLayout(t, dir, imagetest.Fixture(t, amd64), "a")
	for _, p := range []string{filepath.Join(dir, "index.json"), filepath.Join(dir, "oci-layout")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o027 != 0 {
			t.Errorf("%s: mode %v ignores the umask 027", p, st.Mode().Perm())
		}
	}
}
