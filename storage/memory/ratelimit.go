package memory

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/internal/ratewindow"
)

// maxRateKeys bounds how many keys the rate limiter tracks, so that a
// flood of distinct keys cannot grow memory without limit: past it, keys
// whose events have left the window are dropped, and then arbitrary ones.
const maxRateKeys = 100_000

// rateSweepEvery is how often the rate limiter looks for keys to forget
// while it tracks fewer than maxRateKeys.
const rateSweepEvery = time.Minute

// rates holds the rate limiter's events. Keys are kept as their SHA-256,
// so a long key costs no more memory than a short one.
type rates struct {
	mu      sync.Mutex
	keys    map[[sha256.Size]byte]*rateKey
	maxKeys int
	swept   time.Time
}

// rateKey is one key's events, oldest first, and when it may be forgotten.
type rateKey struct {
	hits    []time.Time
	expires time.Time
}

// HitRate records one event for l.Key when fewer than l.Limit events count
// in the window, and reports whether it did.
func (s *Store) HitRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	return s.countRate(ctx, l, ratewindow.Hit)
}

// CheckRate reports whether one more event for l.Key would be allowed now,
// without recording anything.
func (s *Store) CheckRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	return s.countRate(ctx, l, ratewindow.Check)
}

// AddRate records one event for l.Key whatever the limit and reports
// whether one more would be allowed after it.
func (s *Store) AddRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	return s.countRate(ctx, l, ratewindow.Add)
}

// ResetRate forgets key's events.
func (s *Store) ResetRate(ctx context.Context, key string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if strings.TrimSpace(key) == "" {
		return icc.Invalid("key", "is required")
	}
	h := sha256.Sum256([]byte(key))
	r := &s.rates
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, h)
	return nil
}

// countRate does op for l under the rate limiter's lock.
func (s *Store) countRate(ctx context.Context, l icc.RateLimit, op ratewindow.Op) (icc.RateDecision, error) {
	if err := s.check(ctx); err != nil {
		return icc.RateDecision{}, err
	}
	if err := l.Validate(); err != nil {
		return icc.RateDecision{}, err
	}
	clock := s.stamp()
	now := clock
	if !l.Now.IsZero() {
		now = icc.Timestamp(l.Now)
	}
	h := sha256.Sum256([]byte(l.Key))
	r := &s.rates
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.keys[h]
	var hits []time.Time
	if cur != nil {
		hits = cur.hits
	}
	kept, d := ratewindow.Apply(hits, now, l, op)
	switch {
	case len(kept) == 0:
		delete(r.keys, h)
	case op == ratewindow.Check || (op == ratewindow.Hit && !d.Allowed):
		// Nothing recorded: the key's expiry stays as it was.
		cur.hits = kept
	default:
		if cur == nil {
			r.sweep(clock)
		}
		r.keys[h] = &rateKey{hits: kept, expires: ratewindow.Expires(kept, l.Window, clock)}
	}
	return d, nil
}

// sweep forgets keys that have expired at most once per rateSweepEvery,
// or when maxKeys are tracked; if that is not enough it forgets arbitrary
// keys, down to nine tenths of maxKeys, rather than grow. r.mu must be
// held.
func (r *rates) sweep(clock time.Time) {
	if clock.Sub(r.swept) < rateSweepEvery && len(r.keys) < r.maxKeys {
		return
	}
	r.swept = clock
	for k, e := range r.keys {
		if !clock.Before(e.expires) {
			delete(r.keys, k)
		}
	}
	if len(r.keys) < r.maxKeys {
		return
	}
	for k := range r.keys {
		if len(r.keys) < r.maxKeys*9/10 {
			break
		}
		delete(r.keys, k)
	}
}
