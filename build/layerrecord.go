package build

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/minimage/minimage/layer"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerRecord is what an earlier build made of a binary's layer, kept
// in GoBuild.Cache under a name that holds everything that decides the
// layer's bytes (recordName), so that a push knows the layer's digest
// before it builds the layer again, and asks the registry for it instead
// of uploading it while it compresses. A record is a hint: a wrong one
// costs an upload, never a wrong image.
type layerRecord struct {
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	DiffID    digest.Digest `json:"diffID"`
	Size      int64         `json:"size"`
}

func (r layerRecord) descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: r.MediaType, Digest: r.Digest, Size: r.Size}
}

// layerKey is what decides a binary's layer besides the binary and the
// layer.Format: its path in the image and the other files in the layer
// (gobinary.Options.Files).
type layerKey struct {
	dest  string
	files map[string][]byte
}

// recordVersion changes when what goes into a record's name, or a
// binary layer's tar entries, change.
const recordVersion = "minimage binary layer record 1"

// recordName returns the file in dir that holds the record of the layer
// of the binary bin, built with key and f.
func recordName(dir, bin string, key layerKey, f layer.Format) (string, error) {
	id, err := binaryID(bin)
	if err != nil {
		return "", err
	}
	return recordFile(dir, id, key, f), nil
}

// recordFile returns the file in dir that holds the record of the layer
// of the binary whose binaryID is id, built with key and f.
func recordFile(dir, id string, key layerKey, f layer.Format) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00", recordVersion, id, key.dest,
		f.Compression, f.Level, f.BlockSize, f.ModTime.Unix())
	for _, p := range slices.Sorted(maps.Keys(key.files)) {
		fmt.Fprintf(h, "%s\x00%x\x00", p, sha256.Sum256(key.files[p]))
	}
	return filepath.Join(dir, "layers", hex.EncodeToString(h.Sum(nil))+".json")
}

// binaryID names the content of the binary bin: the content hash that
// go build writes into its build ID, read from the ELF note without
// reading the program, else the file's sha256.
func binaryID(bin string) (string, error) {
	f, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if id := goContentID(f); id != "" {
		return id, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// goContentID returns "go:" and the last part of the Go build ID of the
// binary r (see goBuildID), actionID/.../contentID, where go build puts
// the hash of the linked file, its build ID left out; "" when r has no
// such build ID.
func goContentID(r io.ReaderAt) string {
	id := goBuildID(r)
	if id == "" {
		return ""
	}
	return "go:" + id[strings.LastIndexByte(id, '/')+1:]
}

// goBuildID returns the Go build ID in the ELF note .note.go.buildid of
// the binary r, "" when r has none with a content ID (not Go, not ELF,
// or linked with -buildid=). Two binaries of one build ID hold the same
// bytes.
func goBuildID(r io.ReaderAt) string {
	f, err := elf.NewFile(r)
	if err != nil {
		return ""
	}
	s := f.Section(".note.go.buildid")
	if s == nil {
		return ""
	}
	note, err := s.Data()
	if err != nil || len(note) < 16 {
		return ""
	}
	// namesz, descsz, type, then "Go\x00\x00" and the build ID.
	bo := f.ByteOrder
	namesz, descsz := bo.Uint32(note[0:]), bo.Uint32(note[4:])
	if namesz != 4 || !bytes.Equal(note[12:16], []byte("Go\x00\x00")) || uint64(len(note)) < 16+uint64(descsz) {
		return ""
	}
	id := string(note[16 : 16+descsz])
	if i := strings.LastIndexByte(id, '/'); i <= 0 || i == len(id)-1 {
		return ""
	}
	return id
}

// readRecord reads the record in name; ok is false when there is none
// or it cannot be read.
func readRecord(name string) (layerRecord, bool) {
	data, err := os.ReadFile(name)
	if err != nil {
		return layerRecord{}, false
	}
	var r layerRecord
	if json.Unmarshal(data, &r) != nil || r.Digest.Validate() != nil || r.DiffID.Validate() != nil || r.Size <= 0 || r.MediaType == "" {
		return layerRecord{}, false
	}
	return r, true
}

// writeRecord writes r to name, atomically; a failure leaves no record,
// which costs the next push an upload, so it is not reported.
func writeRecord(name string, r layerRecord) {
	data, err := json.Marshal(r)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".record-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), name) != nil {
		os.Remove(tmp.Name())
	}
}
