package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// An upload body reads its blob ahead of the transport: while one chunk
// is sent, the next is read (and hashed, for a layer). The source sees a
// second read before the body's reader asks for more.
func TestBlobBodyReadsAhead(t *testing.T) {
	data := make([]byte, 3*readAheadChunk+123)
	rand.NewChaCha8([32]byte{1}).Read(data)
	src := &signalReader{r: bytes.NewReader(data), reads: make(chan int, 100)}
	b := blob{desc: ocispec.Descriptor{Size: int64(len(data))}, open: func(context.Context) (io.ReadCloser, error) { return src, nil }}
	bb := newBlobBody(context.Background(), b, &sourceErr{}, nil)
	defer bb.Close()
	p := make([]byte, 32<<10)
	if _, err := bb.Read(p); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case n := <-src.reads:
			if n > readAheadChunk {
				return // a read beyond the first chunk, with nothing more asked
			}
		case <-deadline:
			t.Fatal("the body read nothing beyond what was asked for")
		}
	}
}

// readAhead gives rc's bytes in order, whatever the reads' sizes, then
// rc's error after the bytes that came before it; Close stops it early.
func TestReadAhead(t *testing.T) {
	data := make([]byte, 2*readAheadChunk+777)
	rand.NewChaCha8([32]byte{2}).Read(data)
	if err := iotest.TestReader(newReadAhead(io.NopCloser(bytes.NewReader(data))), data); err != nil {
		t.Error(err)
	}
	got, err := io.ReadAll(iotest.OneByteReader(newReadAhead(io.NopCloser(bytes.NewReader(data[:5000])))))
	if err != nil || !bytes.Equal(got, data[:5000]) {
		t.Errorf("one byte at a time: %d bytes, %v", len(got), err)
	}

	mismatch := errors.New("digest mismatch, at the end")
	r := newReadAhead(io.NopCloser(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(mismatch))))
	got, err = io.ReadAll(r)
	if !errors.Is(err, mismatch) || !bytes.Equal(got, data) {
		t.Errorf("an error at the end: %d bytes of %d, %v", len(got), len(data), err)
	}
	r.Close()

	// Close while the goroutine waits for a free buffer, and again.
	r = newReadAhead(io.NopCloser(bytes.NewReader(data)))
	if _, err := r.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Close(); r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
}

// signalReader sends, before each Read, how far the reads have asked.
type signalReader struct {
	r     *bytes.Reader
	reads chan int
	asked int
}

func (s *signalReader) Read(p []byte) (int, error) {
	s.asked += len(p)
	s.reads <- s.asked
	return s.r.Read(p)
}

func (s *signalReader) Close() error { return nil }
