package gzip

import "io"

// dispatch hands the current block over to be compressed and, unless it is
// the last one, makes a new current block primed with its tail. With one
// block in flight it compresses and writes the block right here.
func (z *Writer) dispatch(last bool) error {
	b := z.cur
	if z.blocks == 1 {
		b.compress()
		if err := z.emit(b); err != nil {
			return z.fail(err)
		}
		if !last {
			b.primeFrom(b)
		}
		return nil
	}
	// One block more than blocks may be handed off: a block that finishes
	// before an older one then never leaves a CPU idle while the older one
	// holds up the output.
	if len(z.queue) == z.blocks+1 {
		if err := z.emitOldest(); err != nil {
			return err
		}
	}
	z.queue = append(z.queue, b)
	z.cur = nil
	go b.run()
	if !last {
		// Reading b.in while b compresses is safe: both only read it.
		z.cur = z.newBlock()
		z.cur.primeFrom(b)
	}
	return nil
}

// drain waits for every block in flight, in order, and writes all output.
func (z *Writer) drain() error {
	for len(z.queue) > 0 {
		if err := z.emitOldest(); err != nil {
			return err
		}
	}
	if len(z.pending) > 0 {
		err := z.write(z.pending)
		z.pending = z.pending[:0]
		if err != nil {
			return z.fail(err)
		}
	}
	return nil
}

// emitOldest waits for the oldest block in flight and writes it out.
func (z *Writer) emitOldest() error {
	b := z.queue[0]
	<-b.done
	n := copy(z.queue, z.queue[1:])
	z.queue[n] = nil
	z.queue = z.queue[:n]
	err := z.emit(b)
	z.free = append(z.free, b)
	if err != nil {
		return z.fail(err)
	}
	return nil
}

// emit adds a compressed block's CRC and size to the stream's, and passes its
// output on, followed by the trailer if it is the last block.
func (z *Writer) emit(b *block) error {
	if b.err != nil {
		return b.err
	}
	n := uint64(len(b.data()))
	z.crc = crc32Combine(z.crc, b.crc, n)
	z.size += n
	if b.last {
		b.out.buf = appendTrailer(b.out.buf, z.crc, z.size)
	}
	err := z.output(b.out.buf, b.flush)
	b.out.buf = b.out.buf[:0]
	return err
}

// output writes p to the underlying writer in chunks of at least minWrite
// bytes, keeping what is short of that in z.pending until more comes or
// force is set. It copies at most minWrite bytes of p.
func (z *Writer) output(p []byte, force bool) error {
	switch {
	case len(z.pending) == 0 && len(p) >= minWrite:
		return z.write(p)
	case len(z.pending)+len(p) <= cap(z.pending):
		z.pending = append(z.pending, p...)
	default:
		// p is large: complete pending with its head, then write the rest
		// directly (it is at least minWrite bytes, as cap(pending) is at
		// least 2*minWrite), or keep it if a big header made pending large.
		k := min(len(p), max(0, minWrite-len(z.pending)))
		err := z.write(append(z.pending, p[:k]...))
		z.pending = z.pending[:0]
		if err != nil {
			return err
		}
		p = p[k:]
		if len(p) >= minWrite {
			return z.write(p)
		}
		z.pending = append(z.pending, p...)
	}
	if len(z.pending) >= minWrite || force && len(z.pending) > 0 {
		err := z.write(z.pending)
		z.pending = z.pending[:0]
		return err
	}
	return nil
}

// write writes p to the underlying writer.
func (z *Writer) write(p []byte) error {
	n, err := z.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// fail records err as the Writer's error and stops: it waits for the blocks
// in flight and releases them.
func (z *Writer) fail(err error) error {
	z.err = err
	z.release()
	return err
}

// release waits for every block in flight and returns all blocks to the
// pools. Nothing runs on the Writer's behalf afterwards.
func (z *Writer) release() {
	for i, b := range z.queue {
		<-b.done
		putBlock(b)
		z.queue[i] = nil
	}
	z.queue = z.queue[:0]
	for i, b := range z.free {
		putBlock(b)
		z.free[i] = nil
	}
	z.free = z.free[:0]
	if z.cur != nil {
		putBlock(z.cur)
		z.cur = nil
	}
}
