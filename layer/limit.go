package layer

import (
	"context"
	"runtime"
	"slices"
	"sync"
)

// Limiter bounds how many layers build at once among the builds (Build
// and FromTar) whose Options hold it. A build past the limit waits, before
// it reads any input, for a running one to finish, in the order they came,
// and stops waiting with its context's error when the context is done.
// Builds that leave Options.Blocks at 0 share GOMAXPROCS gzip blocks among
// the builds of their Limiter running when they start.
//
// The limit bounds memory, whatever the number of goroutines (a test suite
// running t.Parallel, say) that build layers: each build holds its gzip
// blocks and up to Options.SpillThreshold of blob, and CPUs are busy with
// GOMAXPROCS builds anyway (BENCHMARKS.md has the numbers). Share one
// Limiter among the builds whose memory should be bounded together.
//
// A build whose input (AddReader, FromTar, a named pipe) waits for another
// build holding the same Limiter, such as a pipe fed by another goroutine's
// build, can wait for ever once every slot is taken: give such nested
// builds no Limiter, or one of their own.
//
// A Limiter is safe for concurrent use and must not be copied after first
// use. The zero value lets GOMAXPROCS layers build at once.
type Limiter struct {
	max int // 0: GOMAXPROCS

	mu      sync.Mutex
	running int
	queue   []chan struct{}
}

// NewLimiter returns a Limiter that lets n layers build at once; n < 1
// means GOMAXPROCS, read as each build starts.
func NewLimiter(n int) *Limiter {
	return &Limiter{max: max(n, 0)}
}

// Limit returns the number of layers l lets build at once.
func (l *Limiter) Limit() int {
	if l.max > 0 {
		return l.max
	}
	return runtime.GOMAXPROCS(0)
}

// acquire takes a slot, waiting for one until ctx is done, and returns the
// number of builds running with it.
func (l *Limiter) acquire(ctx context.Context) (running int, err error) {
	l.mu.Lock()
	if len(l.queue) == 0 && l.running < l.Limit() {
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
func (l *Limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.running--
	l.grant()
}

// grant starts waiters while slots are free; l.mu is held.
func (l *Limiter) grant() {
	for len(l.queue) > 0 && l.running < l.Limit() {
		ch := l.queue[0]
		l.queue = slices.Delete(l.queue, 0, 1)
		l.running++
		close(ch)
	}
}
