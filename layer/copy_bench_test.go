package layer

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkCopyToFile copies a 48 MiB spilled blob into a file, as
// image/tarball's WriteFile does: in the kernel (io.Copy finds the layer
// reader's WriteTo, which uses copy_file_range) and through memory.
//
//	go test ./layer -run '^$' -bench CopyToFile -count 6
func BenchmarkCopyToFile(b *testing.B) {
	dir := b.TempDir()
	bl := New(Options{Format: Format{Compression: Uncompressed}, SpillDir: dir, SpillThreshold: -1})
	bl.AddFile("/d", randomData(48<<20, 1), Attr{})
	l := build(b, bl)
	for _, mode := range []string{"kernel", "memory"} {
		b.Run("mode="+mode, func(b *testing.B) {
			b.SetBytes(l.Size())
			for b.Loop() {
				f, err := os.Create(filepath.Join(dir, "out"))
				if err != nil {
					b.Fatal(err)
				}
				rc, err := l.Compressed(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if mode == "kernel" {
					_, err = io.Copy(f, rc)
				} else {
					_, err = io.Copy(f, struct{ io.Reader }{rc}) // hides WriteTo
				}
				if err != nil {
					b.Fatal(err)
				}
				rc.Close()
				f.Close()
				os.Remove(f.Name())
			}
		})
	}
}
