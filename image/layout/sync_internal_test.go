package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/internal/oci"
)

// TestBlobsSyncedBeforeIndex: every blob a Write adds is synced before it
// gets its name and before index.json is written, which is what keeps a
// crash from leaving an index.json that names a blob whose bytes were
// lost. The sync is batched: none happens before the last blob was read.
func TestBlobsSyncedBeforeIndex(t *testing.T) {
	ctx := context.Background()
	var blobs []image.Blob
	for i := range 6 {
		blobs = append(blobs, image.BlobFromBytes("application/octet-stream", fmt.Appendf(nil, "blob %d %s", i, make([]byte, i<<16))))
	}
	a, err := image.NewManifest("application/x-test", blobs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	synced := map[string]bool{}
	hook := func(p *oci.Pending) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := os.Stat(filepath.Join(dir, "index.json")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("index.json is there before blob %s was synced", p.Target())
		}
		if _, err := os.Stat(p.Target()); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("blob %s has its name before it was synced", p.Target())
		}
		synced[p.Target()] = true
		return p.Sync()
	}
	if err := write(ctx, dir, a, nil, hook); err != nil {
		t.Fatal(err)
	}
	for _, b := range a.Blobs() {
		p := blobPath(dir, b)
		if !synced[p] {
			t.Errorf("blob %s was not synced", p)
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("blob %s: %v", p, err)
		}
	}
	if len(synced) != len(a.Blobs()) {
		t.Errorf("%d syncs for %d blobs", len(synced), len(a.Blobs()))
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Fatal(err)
	}

	// A failed sync names no blob and writes no index.json.
	again := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(again, 0o777); err != nil {
		t.Fatal(err)
	}
	errSync := errors.New("sync failed, as asked")
	err = write(ctx, again, a, nil, func(*oci.Pending) error { return errSync })
	if !errors.Is(err, errSync) {
		t.Fatalf("write with a failing sync = %v, want it to wrap the sync's error", err)
	}
	ents, _ := os.ReadDir(filepath.Join(again, "blobs", "sha256"))
	for _, e := range ents {
		t.Errorf("after a failed sync, blobs/sha256 holds %s", e.Name())
	}
	if _, err := os.Stat(filepath.Join(again, "index.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after a failed sync, index.json: %v", err)
	}
}
