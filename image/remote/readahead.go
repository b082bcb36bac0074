package remote

import (
	"io"
	"sync"
)

// readAhead reads rc in a goroutine of its own, a chunk ahead of the
// caller: a blob's reading and checking (the sha256 of layer.Compressed
// and image's verifier) overlaps with sending the chunk before. A read
// error, a digest mismatch included, comes after the bytes that preceded
// it, as from rc. Close stops the goroutine and waits for it.
type readAhead struct {
	rc    io.ReadCloser
	full  chan chunk    // chunks read, in order
	empty chan []byte   // buffers to read into
	stop  chan struct{} // closed by Close
	done  sync.WaitGroup

	cur  chunk // what Read hands out
	once sync.Once
}

// chunk is one read: buf, the buffer, of which b is what is left to hand
// out, and the error that ended the read.
type chunk struct {
	buf, b []byte
	err    error
}

// readAheadChunk is the size of each read of the blob; two are in use.
const readAheadChunk = 1 << 20

func newReadAhead(rc io.ReadCloser) *readAhead {
	r := &readAhead{rc: rc, full: make(chan chunk, 1), empty: make(chan []byte, 2), stop: make(chan struct{})}
	r.empty <- make([]byte, readAheadChunk)
	r.empty <- make([]byte, readAheadChunk)
	r.done.Add(1)
	go r.fill()
	return r
}

// fill reads rc into free buffers until an error or EOF, or Close.
func (r *readAhead) fill() {
	defer r.done.Done()
	for {
		var buf []byte
		select {
		case buf = <-r.empty:
		case <-r.stop:
			return
		}
		n, err := io.ReadFull(r.rc, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case r.full <- chunk{buf: buf, b: buf[:n], err: err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for len(r.cur.b) == 0 {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.buf != nil {
			r.empty <- r.cur.buf
		}
		r.cur = <-r.full
	}
	n := copy(p, r.cur.b)
	r.cur.b = r.cur.b[n:]
	if len(r.cur.b) == 0 && r.cur.err != nil {
		return n, r.cur.err
	}
	return n, nil
}

// Close stops the reading, waits for it, and closes rc.
func (r *readAhead) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.done.Wait()
	return r.rc.Close()
}
