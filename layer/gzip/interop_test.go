package gzip

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExternalTools checks that gzip and pigz, where installed, accept the
// output and decompress it to the input.
func TestExternalTools(t *testing.T) {
	data := testInput(3<<20+5, 11)
	streams := map[string][]byte{"empty": compress(t, nil, 6, DefaultBlockSize, 2)}
	for _, level := range []int{HuffmanOnly, 0, 1, 6, 9} {
		streams[fmt.Sprintf("level%d", level)] = compress(t, data, level, DefaultBlockSize, 2)
	}
	// A stream with flushes, so short blocks and sync markers in the middle.
	var buf bytes.Buffer
	z, _ := NewWriterLevel(&buf, 6)
	for p := data; len(p) > 0; p = p[min(len(p), 300000):] {
		z.Write(p[:min(len(p), 300000)])
		z.Flush()
	}
	z.Close()
	streams["flushed"] = buf.Bytes()

	dir := t.TempDir()
	for _, tool := range []string{"gzip", "pigz"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Logf("%s not installed; skipping it", tool)
			continue
		}
		for name, z := range streams {
			file := filepath.Join(dir, name+".gz")
			if err := os.WriteFile(file, z, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, "-t", file).CombinedOutput(); err != nil {
				t.Errorf("%s -t rejects %s: %v\n%s", tool, name, err, out)
				continue
			}
			got, err := exec.Command(path, "-dc", file).Output()
			if err != nil {
				t.Errorf("%s -dc %s: %v", tool, name, err)
				continue
			}
			want := data
			if name == "empty" {
				want = nil
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s -dc %s: output differs from the input", tool, name)
			}
		}
	}
}
