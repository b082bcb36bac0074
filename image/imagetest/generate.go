package imagetest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/layer"
)

// generator makes the layers of one platform's image of a Spec.
type generator struct {
	spec     Spec
	platform uint64 // hash of the platform, mixed into every stream
	width    int    // digits in a file number
}

func newGenerator(s Spec, p image.Platform) *generator {
	h := fnv.New64a()
	h.Write([]byte(p.String()))
	return &generator{spec: s, platform: h.Sum64(), width: max(3, len(strconv.Itoa(s.Files)))}
}

// layer builds layer i (from 1). Its content comes from a PCG stream of
// its own, so that it depends on the seed, the platform and i alone.
func (g *generator) layer(ctx context.Context, i int) (*layer.Layer, error) {
	// Only PCG's Uint64 is used, never rand.Rand's methods: the PCG
	// output is fixed by its algorithm, while the Rand methods' use of it
	// is an implementation detail that a Go release may change.
	src := rand.NewPCG(g.spec.Seed, g.platform^(uint64(i)*0x9e3779b97f4a7c15))
	b := layer.New(layer.Options{Format: layer.Format{Compression: g.spec.Compression}})
	dir := fmt.Sprintf("usr/share/fixture/layer%d", i)
	if err := b.AddDir(dir, layer.Attr{}); err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	var last string
	for j := 1; j <= g.spec.Files; j++ {
		data := make([]byte, g.spec.Size)
		name := fmt.Sprintf("file%0*d.txt", g.width, j)
		if j%4 == 0 {
			name = fmt.Sprintf("data/file%0*d.bin", g.width, j)
			fillBinary(src, data)
		} else {
			fillText(src, data)
		}
		if err := b.AddFile(dir+"/"+name, data, layer.Attr{}); err != nil {
			return nil, fmt.Errorf("imagetest: %w", err)
		}
		last = name
	}
	if err := b.AddSymlink(dir+"/latest", last, layer.Attr{}); err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	l, err := b.Build(ctx)
	if err != nil {
		return nil, fmt.Errorf("imagetest: %w", err)
	}
	return l, nil
}

// words are what text files are made of.
var words = [...]string{
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
	"quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
	"xray", "yankee", "zulu", "layer", "image", "fixture", "minimal", "oci",
	"test",
}

// fillText fills data with lines of words, about 60 bytes each, ending
// with a newline.
func fillText(src *rand.PCG, data []byte) {
	n, line := 0, 0
	for n < len(data) {
		switch {
		case line >= 60:
			data[n], line = '\n', 0
			n++
			continue
		case line > 0:
			data[n] = ' '
			n++
			line++
		}
		w := words[src.Uint64()%uint64(len(words))]
		c := copy(data[n:], w)
		n += c
		line += c
	}
	if len(data) > 0 {
		data[len(data)-1] = '\n'
	}
}

// fillBinary fills data with pseudo-random bytes, with runs of zeros as
// real binaries have.
func fillBinary(src *rand.PCG, data []byte) {
	var buf [8]byte
	for n := 0; n < len(data); n += 8 {
		r := src.Uint64()
		if r>>61 == 0 {
			r = 0 // one word in eight
		}
		binary.LittleEndian.PutUint64(buf[:], r)
		copy(data[n:], buf[:])
	}
}
