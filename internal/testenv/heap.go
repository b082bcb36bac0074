package testenv

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// PeakHeap runs f and returns the largest live heap, in bytes, seen while
// it ran: /memory/classes/heap/objects:bytes, sampled every millisecond
// after a GC. A peak shorter than a millisecond can be missed.
//
// The heap's objects include garbage not yet collected, which at the
// default GOGC can double what is live, more so when the machine is busy
// and the collector lags; PeakHeap runs f with GOGC at 20 so that the peak
// measures what f keeps, not when the collector ran.
func PeakHeap(f func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	f()
	close(done)
	wg.Wait() // orders the sampler's writes to peak before the read
	return peak
}
