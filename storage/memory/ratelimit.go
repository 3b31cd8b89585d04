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

// maxRateKeys bounds how many keys of one namespace (the part of a key
// before its first colon, such as "login" or "chat") the rate limiter
// tracks, so that a flood of distinct keys cannot grow memory without
// limit: past it, keys whose events have left the window are dropped, and
// then other keys of the same namespace. A flood of one kind of key (new
// chats from many addresses) therefore never makes the limiter forget
// another kind (a locked-out email's failed sign-ins).
const maxRateKeys = 100_000

// rateSweepEvery is how often the rate limiter looks for keys to forget
// while it tracks fewer than maxRateKeys.
const rateSweepEvery = time.Minute

// rates holds the rate limiter's events. Keys are kept as their SHA-256,
// so a long key costs no more memory than a short one.
type rates struct {
	mu      sync.Mutex
	keys    map[[sha256.Size]byte]*rateKey
	perNS   map[string]int // keys tracked per namespace
	maxKeys int            // per namespace
	swept   time.Time
}

// rateKey is one key's events, oldest first, when it may be forgotten and
// its namespace.
type rateKey struct {
	hits    []time.Time
	expires time.Time
	ns      string
}

// rateNamespace is the part of key before its first colon ("" without one).
func rateNamespace(key string) string {
	ns, _, _ := strings.Cut(key, ":")
	if ns == key {
		return ""
	}
	return ns
}

// forget drops the key h; r.mu is held.
func (r *rates) forget(h [sha256.Size]byte) {
	if e, ok := r.keys[h]; ok {
		delete(r.keys, h)
		r.perNS[e.ns]--
	}
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
	r.forget(h)
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
		r.forget(h)
	case op == ratewindow.Check || (op == ratewindow.Hit && !d.Allowed):
		// Nothing recorded: the key's expiry stays as it was.
		cur.hits = kept
	case cur != nil:
		cur.hits, cur.expires = kept, ratewindow.Expires(kept, l.Window, clock)
	default:
		ns := rateNamespace(l.Key)
		r.sweep(clock, ns)
		r.keys[h] = &rateKey{hits: kept, expires: ratewindow.Expires(kept, l.Window, clock), ns: ns}
		r.perNS[ns]++
	}
	return d, nil
}

// sweep makes room for a new key of namespace ns: at most once per
// rateSweepEvery, or when ns has maxKeys keys, it forgets every expired
// key; if ns is still full it forgets other keys of ns, down to nine
// tenths of maxKeys, rather than grow. Keys of other namespaces are never
// forgotten early. r.mu must be held.
func (r *rates) sweep(clock time.Time, ns string) {
	if clock.Sub(r.swept) < rateSweepEvery && r.perNS[ns] < r.maxKeys {
		return
	}
	r.swept = clock
	for k, e := range r.keys {
		if !clock.Before(e.expires) {
			r.forget(k)
		}
	}
	if r.perNS[ns] < r.maxKeys {
		return
	}
	for k, e := range r.keys {
		if r.perNS[ns] < r.maxKeys*9/10 {
			break
		}
		if e.ns == ns {
			r.forget(k)
		}
	}
}
