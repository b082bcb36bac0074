package tzdata

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"sync"
)

//go:embed zoneinfo.zip
var zoneinfoZip []byte

// Names returns every zone name the package knows, zones and links alike,
// sorted. The slice is the caller's.
func Names() []string {
	return slices.Clone(load().names)
}

// Canonical returns the zone that holds name's data: name itself for a
// zone, the zone it points to for a link ("US/Eastern" gives
// "America/New_York"). An unknown name is an error wrapping
// ErrUnknownZone that suggests the closest names.
func Canonical(name string) (string, error) {
	if _, ok := load().data[name]; !ok {
		return "", unknownZone("", name)
	}
	return canonical(name), nil
}

func canonical(name string) string {
	if t, ok := links[name]; ok {
		return t
	}
	return name
}

// zones is the embedded zip, indexed.
type zones struct {
	names []string          // sorted
	data  map[string][]byte // read-only views into zoneinfoZip
}

// load indexes the embedded zip once per process. The zip is generated and
// checked by go generate and the tests, so a zip that does not read is a
// broken build, not an error a caller could handle.
var load = sync.OnceValue(func() *zones {
	zr, err := zip.NewReader(bytes.NewReader(zoneinfoZip), int64(len(zoneinfoZip)))
	if err != nil {
		panic(fmt.Sprintf("tzdata: embedded zoneinfo.zip: %v", err))
	}
	z := &zones{data: make(map[string][]byte, len(zr.File))}
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil || f.Method != zip.Store {
			panic(fmt.Sprintf("tzdata: embedded zoneinfo.zip: %s: method %d, %v", f.Name, f.Method, err))
		}
		// Stored, so the zone's bytes lie in the zip as they are; the
		// three-index slice keeps appends from touching the zip.
		end := off + int64(f.UncompressedSize64)
		z.data[f.Name] = zoneinfoZip[off:end:end]
		z.names = append(z.names, f.Name)
	}
	slices.Sort(z.names)
	return z
})
