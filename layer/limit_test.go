package layer

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/testenv"
)

// TestConcurrentBuildsBounded builds 8 large layers at once, as 8
// parallel tests would: the process-wide limit keeps the peak heap to that
// of a few builds.
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
	peak := testenv.PeakHeap(func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				b := New(Options{SpillDir: dir})
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

// TestMaxBuilds checks that no more builds than the limit read their
// input at once, and that more than one does when the limit allows.
func TestMaxBuilds(t *testing.T) {
	for _, max := range []int{1, 3} {
		prev := SetMaxBuilds(max)
		var active, peak atomic.Int32
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				b := New(Options{})
				const n = 1 << 20
				b.AddReader("/f", &gateReader{gate: gate, n: n, active: &active, peak: &peak}, n, Attr{})
				if _, err := b.Build(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		close(gate)
		wg.Wait()
		SetMaxBuilds(prev)
		if got := int(peak.Load()); got != max {
			t.Errorf("SetMaxBuilds(%d): %d builds read at once, want %d", max, got, max)
		}
	}
}

// TestMaxBuildsCancel cancels a build that waits for a slot: it returns the
// context's error, and the slot it would have had goes to the next.
func TestMaxBuildsCancel(t *testing.T) {
	defer SetMaxBuilds(SetMaxBuilds(1))
	hold := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		b := New(Options{})
		b.AddReader("/f", &gateReader{gate: hold, n: 1, active: new(atomic.Int32), peak: new(atomic.Int32)}, 1, Attr{})
		if _, err := b.Build(context.Background()); err != nil {
			t.Error(err)
		}
	})
	// Wait until the first build holds the slot.
	for {
		buildSlots.mu.Lock()
		r := buildSlots.running
		buildSlots.mu.Unlock()
		if r == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	b := New(Options{})
	b.AddFile("/f", []byte("x"), Attr{})
	_, err := b.Build(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a build waiting for a slot past its deadline: %v", err)
	}
	_, err = FromTar(ctx, nil, Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("FromTar waiting for a slot past its deadline: %v", err)
	}
	close(hold)
	wg.Wait()
	if _, err := b.Build(context.Background()); err != nil {
		t.Errorf("a build after the slot came free: %v", err)
	}
	buildSlots.mu.Lock()
	defer buildSlots.mu.Unlock()
	if buildSlots.running != 0 || len(buildSlots.queue) != 0 {
		t.Errorf("%d builds running, %d waiting after every build returned", buildSlots.running, len(buildSlots.queue))
	}
}
