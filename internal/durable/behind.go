// Package durable makes a file's bytes durable while it is still being
// written, so that the fsync that must come before the file is named has
// only the tail left to wait for.
package durable

import "os"

// Behind syncs a file's data in the background, one sync at a time, each
// time a chunk more has been written since the last one started. Writing
// never waits for the disk: a chunk written while a sync is in flight is
// taken by the next one.
//
// A sync makes the bytes durable, the disk's write cache flushed; a
// writeback started with sync_file_range does neither, and leaves the
// closing fsync the whole cache flush to wait for.
//
// A Behind is not safe for concurrent use. Its goroutine is joined by
// Wait, which the caller must call before the file is closed.
type Behind struct {
	f        *os.File
	chunk    int64
	unsynced int64
	// done is closed when the sync in flight ends (nil if none). A sync
	// starts only after the one before it ended, so err, which each may
	// set, is read safely once done is.
	done chan struct{}
	err  error // the first error a sync returned
}

// Chunk is how much a Behind lets be written between the syncs it
// starts.
const Chunk = 8 << 20

// NewBehind returns a Behind for f that starts a sync each Chunk bytes.
// Where background syncs are not done (systems other than Linux), it does
// nothing, and the caller's closing fsync does all the work, as before.
func NewBehind(f *os.File) *Behind {
	return &Behind{f: f, chunk: Chunk}
}

// Wrote records that n more bytes were written to the file, and starts a
// sync when a chunk is unsynced and none is in flight.
func (b *Behind) Wrote(n int64) {
	if !background {
		return
	}
	b.unsynced += n
	if b.unsynced < b.chunk {
		return
	}
	if b.done != nil {
		select {
		case <-b.done:
		default:
			return // the next one takes this chunk too
		}
	}
	b.unsynced = 0
	done := make(chan struct{})
	b.done = done
	go func() {
		defer close(done)
		if err := syncData(b.f); err != nil && b.err == nil {
			b.err = err
		}
	}()
}

// Wait waits for the sync in flight, if any, and returns the first error
// any sync returned, unwrapped: the caller names the file. The bytes
// written since the last sync started are not durable yet: the caller
// still syncs the file. The error must reach the caller: once a sync has
// reported a write error, Linux may not report it to a later fsync.
func (b *Behind) Wait() error {
	if b.done != nil {
		<-b.done
	}
	return b.err
}
