package memory

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// testClock is a settable clock for WithClock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func rateKeys(s *Store) int {
	s.rates.mu.Lock()
	defer s.rates.mu.Unlock()
	return len(s.rates.keys)
}

func TestRateLimiterForgetsOldKeys(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := New(WithClock(clock.Now))
	ctx := context.Background()
	hit := func(key string, l icc.RateLimit) {
		t.Helper()
		l.Key = key
		_, err := s.HitRate(ctx, l)
		require.NoError(t, err)
	}
	minute := icc.RateLimit{Limit: 5, Window: time.Minute}
	for _, k := range []string{"a", "b", "c"} {
		hit(k, minute)
	}
	// Timed by the caller a year ago: kept for a window of the store's
	// clock all the same.
	hit("caller-clock", icc.RateLimit{Limit: 5, Window: time.Minute, Now: clock.Now().AddDate(-1, 0, 0)})
	hit("hour", icc.RateLimit{Limit: 5, Window: time.Hour})
	require.Equal(t, 5, rateKeys(s))

	clock.Advance(rateSweepEvery)
	hit("d", minute) // a new key sweeps
	assert.Equal(t, 2, rateKeys(s), "a, b, c and caller-clock have expired; hour and d are kept")

	// A key whose events have all left the window goes on its next check.
	clock.Advance(time.Hour)
	d, err := s.CheckRate(ctx, icc.RateLimit{Key: "hour", Limit: 5, Window: time.Hour})
	require.NoError(t, err)
	assert.True(t, d.Allowed)
	assert.Equal(t, 1, rateKeys(s))
}

func TestRateLimiterKeyCap(t *testing.T) {
	s := New()
	s.rates.maxKeys = 10
	ctx := context.Background()
	for i := range 35 {
		_, err := s.AddRate(ctx, icc.RateLimit{Key: fmt.Sprint("k", i), Limit: 5, Window: time.Hour})
		require.NoError(t, err)
		require.LessOrEqual(t, rateKeys(s), 10, "after %d keys", i+1)
	}
}

// TestRateLimiterKeyCapPerNamespace: a flood of one namespace's keys never
// makes the limiter forget another namespace's keys (a locked-out email
// stays locked out however many addresses start chats).
func TestRateLimiterKeyCapPerNamespace(t *testing.T) {
	s := New()
	s.rates.maxKeys = 10
	ctx := context.Background()
	lock := icc.RateLimit{Key: "login:email:victim@example.com", Limit: 1, Window: time.Hour}
	_, err := s.AddRate(ctx, lock)
	require.NoError(t, err)
	for i := range 100 {
		_, err := s.AddRate(ctx, icc.RateLimit{Key: fmt.Sprint("chat:ip:", i), Limit: 5, Window: time.Hour})
		require.NoError(t, err)
	}
	d, err := s.CheckRate(ctx, lock)
	require.NoError(t, err)
	assert.False(t, d.Allowed, "still locked out")
	assert.LessOrEqual(t, rateKeys(s), 11)
}
