package remote

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// budget is the retry budget of one operation: resolving a tag, pushing
// or fetching one blob or manifest. Every layer that retries (a request
// sent again, a blob upload started over, a download resumed) draws from
// the same budget, so retries are counted once, not multiplied.
type budget struct {
	mu      sync.Mutex
	left    int           // retries left
	lost    time.Duration // time lost so far: pauses and timed-out tries
	max     time.Duration // bound on lost; 0: none
	backoff time.Duration // the first pause
	n       int           // retries made
}

// newBudget returns a fresh budget with the limits of opts.
func newBudget(opts Options) *budget {
	return &budget{
		left:    opts.retries(),
		max:     dur(opts.RetryTime, DefaultRetryTime),
		backoff: dur(opts.Backoff, DefaultBackoff),
	}
}

// retry says whether another try may follow the failure err, and after
// how long: asked when the registry asked for a pause (Retry-After),
// else the backoff. A try that timed out counts its timeout as lost.
func (b *budget) retry(err error, asked time.Duration, hasAsked bool) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left <= 0 {
		return 0, false
	}
	wait := asked
	if !hasAsked {
		wait = b.pause()
	}
	lost := b.lost + wait
	var te *timeoutError
	if errors.As(err, &te) {
		lost += te.after
	}
	if b.max > 0 && lost > b.max {
		// Spent, for every layer: a registry that asked for a longer
		// pause than is left is not asked again at once.
		b.left = 0
		return 0, false
	}
	b.left--
	b.n++
	b.lost = lost
	return wait, true
}

// pause is the backoff before retry b.n+1: exponential from b.backoff,
// at most 32 times it, with ±25% jitter so parallel uploads do not retry
// in step.
func (b *budget) pause() time.Duration {
	if b.backoff <= 0 {
		return 0
	}
	d := b.backoff << min(b.n, 5)
	return d - d/4 + rand.N(d/2+1)
}

type budgetKey struct{}

// withBudget returns ctx carrying b, for the requests of one operation.
func withBudget(ctx context.Context, b *budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// budgetOf returns the budget ctx carries, or nil.
func budgetOf(ctx context.Context) *budget {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	return b
}
