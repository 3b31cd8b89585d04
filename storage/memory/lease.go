package memory

import (
	"context"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// leases holds the named leases of the store.
type leases struct {
	mu   sync.Mutex
	held map[string]lease
}

type lease struct {
	holder  string
	expires time.Time
}

// Acquire takes the lease name for holder for ttl when it is free, expired
// or already held by holder (which renews it), and reports whether holder
// now has it.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := s.check(ctx); err != nil {
		return false, err
	}
	switch {
	case name == "":
		return false, icc.Invalid("name", "is required")
	case holder == "":
		return false, icc.Invalid("holder", "is required")
	case ttl <= 0:
		return false, icc.Invalid("ttl", "must be positive")
	}
	now := s.now()
	l := &s.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, ok := l.held[name]
	if ok && cur.holder != holder && now.Before(cur.expires) {
		return false, nil
	}
	l.held[name] = lease{holder: holder, expires: now.Add(ttl)}
	return true, nil
}

// Release gives up holder's lease on name; it does nothing when holder does
// not hold it.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	l := &s.lease
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.held[name]; ok && cur.holder == holder {
		delete(l.held, name)
	}
	return nil
}
