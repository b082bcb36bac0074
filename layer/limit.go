package layer

import (
	"context"
	"runtime"
	"slices"
	"sync"
)

// SetMaxBuilds sets how many layers this process builds at once (Build and
// FromTar, every Builder together), and returns the previous setting; 0
// restores the default, GOMAXPROCS. A build past the limit waits for a
// running one to finish, in the order they came, before it reads any
// input, and stops waiting with its context's error when the context is
// done. Builds that leave Options.Blocks at 0 share GOMAXPROCS gzip blocks
// among the builds running when they start.
//
// The limit bounds memory, whatever the number of goroutines (a test suite
// running t.Parallel, say) that build layers: each build holds its gzip
// blocks and up to Options.SpillThreshold of blob, and CPUs are busy with
// GOMAXPROCS builds anyway (BENCHMARKS.md has the numbers).
//
// A reader that a build reads (AddReader, FromTar, a named pipe) and that
// waits for another build of this process to finish, such as a pipe fed by
// another goroutine's build, can wait for ever once every slot is taken:
// raise the limit for such pipelines. SetMaxBuilds is safe for concurrent
// use; a raised limit starts waiting builds at once.
func SetMaxBuilds(n int) (previous int) {
	return buildSlots.set(max(n, 0))
}

// buildSlots limits the builds running in this process.
var buildSlots limiter

// limiter is a counting semaphore whose waiters are served in order and
// give up when their context is done.
type limiter struct {
	mu      sync.Mutex
	max     int // 0: GOMAXPROCS
	running int
	queue   []chan struct{}
}

func (l *limiter) limit() int {
	if l.max > 0 {
		return l.max
	}
	return runtime.GOMAXPROCS(0)
}

func (l *limiter) set(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev := l.max
	l.max = n
	l.grant()
	return prev
}

// acquire takes a slot, waiting for one until ctx is done, and returns the
// number of builds running with it.
func (l *limiter) acquire(ctx context.Context) (running int, err error) {
	l.mu.Lock()
	if len(l.queue) == 0 && l.running < l.limit() {
		l.running++
		n := l.running
		l.mu.Unlock()
		return n, nil
	}
	ch := make(chan struct{})
	l.queue = append(l.queue, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		l.mu.Lock()
		n := l.running
		l.mu.Unlock()
		return n, nil
	case <-ctx.Done():
		l.mu.Lock()
		if i := slices.Index(l.queue, ch); i >= 0 {
			l.queue = slices.Delete(l.queue, i, i+1)
			l.mu.Unlock()
		} else {
			// Granted as ctx ended: hand the slot on.
			l.running--
			l.grant()
			l.mu.Unlock()
		}
		return 0, ctx.Err()
	}
}

// release gives a slot back.
func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running--
	l.grant()
}

// grant starts waiters while slots are free; l.mu is held.
func (l *limiter) grant() {
	for len(l.queue) > 0 && l.running < l.limit() {
		ch := l.queue[0]
		l.queue = slices.Delete(l.queue, 0, 1)
		l.running++
		close(ch)
	}
}
