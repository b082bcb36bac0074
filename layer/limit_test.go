package layer

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
)

// TestConcurrentBuildsBounded builds 8 large layers at once, as 8
// parallel tests would: a shared Limiter keeps the peak heap to that of a
// few builds.
func TestConcurrentBuildsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 8 layers of 64 MiB")
	}
	size := int64(64 << 20)
	if raceEnabled {
		size = 16 << 20
	}
	const limit = 128 << 20
	dir := t.TempDir()
	lim := NewLimiter(0)
	peak := testenv.PeakHeap(func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				b := New(Options{SpillDir: dir, Limiter: lim})
				b.AddReader("/big", newPatternReader(size), size, Attr{})
				l, err := b.Build(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				l.Release()
			})
		}
		wg.Wait()
	})
	t.Logf("8 builds of %d MiB at once: peak live heap %.1f MiB", size>>20, float64(peak)/(1<<20))
	if peak > limit {
		t.Errorf("peak live heap %.1f MiB; want under %d MiB", float64(peak)/(1<<20), limit>>20)
	}
}

// gateReader returns n bytes, the first only once gate is closed, and
// counts the readers between their first and last byte.
type gateReader struct {
	gate    <-chan struct{}
	n, off  int64
	active  *atomic.Int32
	peak    *atomic.Int32
	started bool
}

func (r *gateReader) Read(p []byte) (int, error) {
	if !r.started {
		<-r.gate
		r.started = true
		v := r.active.Add(1)
		for {
			old := r.peak.Load()
			if v <= old || r.peak.CompareAndSwap(old, v) {
				break
			}
		}
	}
	if r.off >= r.n {
		return 0, io.EOF
	}
	time.Sleep(time.Millisecond) // let the other builds run meanwhile
	k := int(min(int64(len(p)), r.n-r.off, 64<<10))
	clear(p[:k])
	r.off += int64(k)
	if r.off == r.n {
		r.active.Add(-1)
	}
	return k, nil
}

// TestLimiter checks that no more builds of a Limiter than its limit read
// their input at once, that more than one does when the limit allows, and
// that the zero Limiter lets GOMAXPROCS build.
func TestLimiter(t *testing.T) {
	if got, want := new(Limiter).Limit(), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("the zero Limiter's limit: %d, want GOMAXPROCS %d", got, want)
	}
	for _, max := range []int{1, 3} {
		lim := NewLimiter(max)
		var active, peak atomic.Int32
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				b := New(Options{Limiter: lim})
				const n = 1 << 20
				b.AddReader("/f", &gateReader{gate: gate, n: n, active: &active, peak: &peak}, n, Attr{})
				if _, err := b.Build(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		close(gate)
		wg.Wait()
		if got := int(peak.Load()); got != max {
			t.Errorf("NewLimiter(%d): %d builds read at once, want %d", max, got, max)
		}
	}
}

// TestLimiterCancel cancels a build that waits for a slot: it returns the
// context's error, and the slot it would have had goes to the next.
func TestLimiterCancel(t *testing.T) {
	lim := NewLimiter(1)
	hold := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		b := New(Options{Limiter: lim})
		b.AddReader("/f", &gateReader{gate: hold, n: 1, active: new(atomic.Int32), peak: new(atomic.Int32)}, 1, Attr{})
		if _, err := b.Build(context.Background()); err != nil {
			t.Error(err)
		}
	})
	// Wait until the first build holds the slot.
	for {
		lim.mu.Lock()
		r := lim.running
		lim.mu.Unlock()
		if r == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	b := New(Options{Limiter: lim})
	b.AddFile("/f", []byte("x"), Attr{})
	_, err := b.Build(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a build waiting for a slot past its deadline: %v", err)
	}
	_, err = FromTar(ctx, nil, Options{Limiter: lim})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FromTar waiting for a slot past its deadline: %v", err)
	}
	close(hold)
	wg.Wait()
	if _, err := b.Build(context.Background()); err != nil {
		t.Errorf("a build after the slot came free: %v", err)
	}
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if lim.running != 0 || len(lim.queue) != 0 {
		t.Errorf("%d builds running, %d waiting after every build returned", lim.running, len(lim.queue))
	}
}

// TestNestedBuild builds a layer (FromTar) whose input is the tar of another
// layer, built only once the outer build reads: with one slot shared by
// both, the inner build waits for ever (here, until the deadline), as it
// did with the process-wide limit; with no Limiter, or one each, both
// complete.
func TestNestedBuild(t *testing.T) {
	one := NewLimiter(1)
	for _, tc := range []struct {
		name         string
		outer, inner *Limiter
		deadlock     bool
	}{
		{"none", nil, nil, false},
		{"one-each", NewLimiter(1), NewLimiter(1), false},
		{"shared-one", one, one, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wait := 10 * time.Second
			if tc.deadlock {
				wait = 200 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			outer, err := nestedBuild(ctx, tc.outer, tc.inner)
			if tc.deadlock {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("nested builds sharing one slot: %v; want them stuck until the deadline", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("nested builds: %v", err)
			}
			if outer.TarSize() == 0 {
				t.Error("the outer layer is empty")
			}
		})
	}
}

// nestedBuild runs FromTar on a pipe that another build feeds once
// FromTar first reads it.
func nestedBuild(ctx context.Context, outer, inner *Limiter) (*Layer, error) {
	pr, pw := io.Pipe()
	first := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		select {
		case <-first:
		case <-ctx.Done():
			pw.CloseWithError(ctx.Err())
			return
		}
		b := New(Options{Limiter: inner, Format: Format{Compression: Uncompressed}})
		b.AddFile("/inner", []byte("inner"), Attr{})
		l, err := b.Build(ctx)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer l.Release()
		rc, err := l.Compressed(ctx)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer rc.Close()
		_, err = io.Copy(pw, rc)
		pw.CloseWithError(err)
	})
	var once sync.Once
	r := readerFunc(func(p []byte) (int, error) {
		once.Do(func() { close(first) })
		return pr.Read(p)
	})
	l, err := FromTar(ctx, r, Options{Limiter: outer})
	pr.CloseWithError(io.ErrClosedPipe) // unblock the inner build's copy on error
	return l, err
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
