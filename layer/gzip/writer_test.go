package gzip

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestRoundTrip(t *testing.T) {
	text := testInput(700<<10, 1)
	inputs := map[string][]byte{
		"empty":  nil,
		"byte":   {42},
		"small":  text[:1000],
		"text":   text,
		"random": randomBytes(300<<10, 2),
		"zeros":  make([]byte, 500<<10),
		"exact":  text[:4*MinBlockSize], // ends on a block boundary
	}
	for name, data := range inputs {
		for _, level := range allLevels {
			for _, blocks := range []int{1, 3} {
				z := compress(t, data, level, MinBlockSize, blocks)
				if got := gunzip(t, z); !bytes.Equal(got, data) {
					t.Fatalf("%s level %d blocks %d: round trip changed the data", name, level, blocks)
				}
			}
		}
	}
}

func TestHeaderDefaults(t *testing.T) {
	for _, c := range []struct {
		level int
		xfl   byte
	}{{BestSpeed, 4}, {BestCompression, 2}, {DefaultCompression, 0}, {6, 0}} {
		z := compress(t, []byte("x"), c.level, DefaultBlockSize, 1)
		want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, c.xfl, 255}
		if !bytes.Equal(z[:10], want) {
			t.Errorf("level %d: header % x, want % x", c.level, z[:10], want)
		}
	}
}

func TestHeaderFields(t *testing.T) {
	var buf bytes.Buffer
	z := NewWriter(&buf)
	z.Name = "naïve.txt"
	z.Comment = "a comment"
	z.Extra = []byte{'A', 'B', 2, 0, 1, 2}
	z.ModTime = time.Unix(1700000000, 0)
	z.OS = 3
	if _, err := z.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := stdgzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != z.Name || r.Comment != z.Comment || !bytes.Equal(r.Extra, z.Extra) || !r.ModTime.Equal(z.ModTime) || r.OS != 3 {
		t.Errorf("header read back as %+v, wrote %+v", r.Header, z.Header)
	}
}

func TestHeaderErrors(t *testing.T) {
	for name, h := range map[string]Header{
		"name":    {Name: "日本"},
		"comment": {Comment: "a\x00b"},
		"extra":   {Extra: make([]byte, 1<<16)},
	} {
		z := NewWriter(io.Discard)
		z.Header = h
		_, err := z.Write([]byte("x"))
		if err == nil || !strings.HasPrefix(err.Error(), "gzip: Header.") {
			t.Errorf("%s: Write error %v, want one about the header", name, err)
		}
		if err2 := z.Close(); err2 != err {
			t.Errorf("%s: Close returned %v, want the Write error", name, err2)
		}
	}
}

func TestInvalidSettings(t *testing.T) {
	for _, level := range []int{-3, 10, 100} {
		if _, err := NewWriterLevel(io.Discard, level); err == nil || !strings.Contains(err.Error(), "use -2") {
			t.Errorf("level %d: error %v, want one listing the valid levels", level, err)
		}
	}
	z := NewWriter(io.Discard)
	for _, c := range [][2]int{{MinBlockSize - 1, 1}, {MaxBlockSize + 1, 1}, {DefaultBlockSize, 0}, {DefaultBlockSize, -1}} {
		if err := z.SetConcurrency(c[0], c[1]); err == nil || !strings.Contains(err.Error(), "use ") {
			t.Errorf("SetConcurrency(%d, %d): error %v, want one saying what to use", c[0], c[1], err)
		}
	}
	if _, err := z.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := z.SetConcurrency(MinBlockSize, 2); err == nil {
		t.Error("SetConcurrency after Write succeeded")
	}
	z.Reset(io.Discard)
	if err := z.SetConcurrency(MinBlockSize, 2); err != nil {
		t.Errorf("SetConcurrency after Reset: %v", err)
	}
}

func TestCloseAndAfter(t *testing.T) {
	var buf bytes.Buffer
	z := NewWriter(&buf)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, buf.Bytes()); len(got) != 0 {
		t.Errorf("empty stream decodes to %d bytes", len(got))
	}
	if err := z.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := z.Flush(); err != nil {
		t.Errorf("Flush after Close: %v", err)
	}
	if _, err := z.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestFlush(t *testing.T) {
	data := testInput(200<<10, 3)
	for _, blocks := range []int{1, 4} {
		var buf bytes.Buffer
		z, _ := NewWriterLevel(&buf, 6)
		z.SetConcurrency(MinBlockSize, blocks)
		if err := z.Flush(); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 10 {
			t.Errorf("blocks %d: Flush before Write wrote %d bytes, want the 10-byte header", blocks, buf.Len())
		}
		pos := 0
		for _, cut := range []int{1000, 1000, 70000, 150000, len(data)} {
			if _, err := z.Write(data[pos:cut]); err != nil {
				t.Fatal(err)
			}
			pos = cut
			if err := z.Flush(); err != nil {
				t.Fatal(err)
			}
			// Everything written so far decodes from what is out.
			r, err := stdgzip.NewReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, cut)
			if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[:cut]) {
				t.Fatalf("blocks %d: after Flush at %d the output does not decode to the input so far: %v", blocks, cut, err)
			}
		}
		n := buf.Len()
		if err := z.Flush(); err != nil || buf.Len() != n {
			t.Errorf("blocks %d: a second Flush wrote %d bytes (err %v), want none", blocks, buf.Len()-n, err)
		}
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if got := gunzip(t, buf.Bytes()); !bytes.Equal(got, data) {
			t.Fatalf("blocks %d: flushed stream does not round-trip", blocks)
		}
	}
}

func TestReset(t *testing.T) {
	data := testInput(300<<10, 4)
	want := compress(t, data, 6, MinBlockSize, 2)
	var buf bytes.Buffer
	z, _ := NewWriterLevel(&buf, 6)
	z.SetConcurrency(MinBlockSize, 2)
	z.Name = "dropped by Reset"
	z.Write(data[:100000]) // abandoned mid-stream
	for range 3 {
		buf.Reset()
		z.Reset(&buf)
		z.Write(data)
		if err := z.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatal("a Reset Writer writes other bytes than a new one")
		}
	}
}

func TestReadFrom(t *testing.T) {
	data := testInput(300<<10, 5)
	want := compress(t, data, 1, MinBlockSize, 3)
	var buf bytes.Buffer
	z, _ := NewWriterLevel(&buf, 1)
	z.SetConcurrency(MinBlockSize, 3)
	// OneByteReader and HalfReader give reads of odd sizes.
	n, err := z.ReadFrom(iotest.HalfReader(bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("ReadFrom writes other bytes than Write")
	}

	// A failing reader leaves the stream usable.
	buf.Reset()
	z.Reset(&buf)
	readErr := errors.New("read failed")
	if _, err := z.ReadFrom(iotest.ErrReader(readErr)); err != readErr {
		t.Fatalf("ReadFrom returned %v, want the reader's error", err)
	}
	z.Write([]byte("after"))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, buf.Bytes()); string(got) != "after" {
		t.Fatalf("got %q", got)
	}
}

// chunkRecorder records the sizes of the writes it gets.
type chunkRecorder struct {
	sizes []int
	n     int
}

func (c *chunkRecorder) Write(p []byte) (int, error) {
	c.sizes = append(c.sizes, len(p))
	c.n += len(p)
	return len(p), nil
}

func TestLargeWrites(t *testing.T) {
	// Text compresses about 3:1 and zeros about 1000:1, so with 64 KiB blocks
	// several blocks make up one 64 KiB write.
	data := append(testInput(2<<20, 6), make([]byte, 2<<20)...)
	for _, blocks := range []int{1, 4} {
		var c chunkRecorder
		z, _ := NewWriterLevel(&c, 6)
		z.SetConcurrency(64<<10, blocks)
		for p := data; len(p) > 0; p = p[min(len(p), 1000):] {
			z.Write(p[:min(len(p), 1000)])
		}
		z.Close()
		for i, n := range c.sizes[:len(c.sizes)-1] {
			if n < minWrite {
				t.Errorf("blocks %d: write %d of %d is %d bytes, want at least %d", blocks, i, len(c.sizes), n, minWrite)
			}
		}
	}
}

// failingWriter fails from its nth write on.
type failingWriter struct {
	n     int
	short bool // fail with a short write instead of an error
}

var errWrite = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n--; f.n >= 0 {
		return len(p), nil
	}
	if f.short {
		return len(p) / 2, nil
	}
	return 0, errWrite
}

func TestWriterError(t *testing.T) {
	data := testInput(3<<20, 7)
	for _, short := range []bool{false, true} {
		for _, blocks := range []int{1, 2, 8} {
			for _, failAt := range []int{0, 1, 3} {
				z, _ := NewWriterLevel(&failingWriter{n: failAt, short: short}, 1)
				z.SetConcurrency(64<<10, blocks)
				var err error
				for p := data; len(p) > 0 && err == nil; p = p[min(len(p), 100000):] {
					_, err = z.Write(p[:min(len(p), 100000)])
				}
				if err == nil {
					err = z.Close()
				}
				want := errWrite
				if short {
					want = io.ErrShortWrite
				}
				if err != want {
					t.Fatalf("blocks %d, fail at %d: got %v, want %v", blocks, failAt, err, want)
				}
				if _, err := z.Write([]byte("x")); err != want {
					t.Errorf("Write after the error returned %v", err)
				}
				if err := z.Flush(); err != want {
					t.Errorf("Flush after the error returned %v", err)
				}
				if err := z.Close(); err != want {
					t.Errorf("Close after the error returned %v", err)
				}
			}
		}
	}
}
