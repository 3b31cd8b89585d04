package storagetest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// rateWindow is short so that the tests on the backend's own clock see a
// window pass quickly; waits use require.Eventually, never a fixed sleep.
const rateWindow = time.Second

func (s *suite) rateLimiter(t *testing.T) {
	pairs := func(t *testing.T, f func(t *testing.T, a, b icc.RateLimiter)) {
		s.localAndPeer(t, func(t *testing.T, a, b icc.Backend) { f(t, a, b) })
	}
	do := func(t *testing.T, call func() (icc.RateDecision, error)) icc.RateDecision {
		t.Helper()
		d, err := call()
		require.NoError(t, err)
		return d
	}
	hit := func(t *testing.T, r icc.RateLimiter, l icc.RateLimit) icc.RateDecision {
		t.Helper()
		return do(t, func() (icc.RateDecision, error) { return r.HitRate(ctx(t), l) })
	}
	check := func(t *testing.T, r icc.RateLimiter, l icc.RateLimit) icc.RateDecision {
		t.Helper()
		return do(t, func() (icc.RateDecision, error) { return r.CheckRate(ctx(t), l) })
	}
	add := func(t *testing.T, r icc.RateLimiter, l icc.RateLimit) icc.RateDecision {
		t.Helper()
		return do(t, func() (icc.RateDecision, error) { return r.AddRate(ctx(t), l) })
	}
	allowed := icc.RateDecision{Allowed: true}

	t.Run("LimitReached", func(t *testing.T) {
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			l := icc.RateLimit{Key: unique("rate-"), Limit: 3, Window: time.Hour}
			start := time.Now()
			require.Equal(t, allowed, check(t, ra, l), "a new key")
			for i := range 3 {
				r := ra
				if i%2 == 1 {
					r = rb
				}
				require.Equal(t, allowed, hit(t, r, l), "hit %d", i+1)
			}
			for _, r := range []icc.RateLimiter{ra, rb} {
				d := hit(t, r, l)
				assert.False(t, d.Allowed, "past the limit, on every instance")
				assert.LessOrEqual(t, d.RetryAfter, l.Window)
				assert.Greater(t, d.RetryAfter, l.Window-time.Since(start)-time.Minute,
					"the first hit frees up about a window after it")
				assert.Equal(t, d.Allowed, check(t, r, l).Allowed)
			}
			other := l
			other.Key = unique("rate-")
			assert.Equal(t, allowed, hit(t, rb, other), "keys are independent")
		})
	})

	t.Run("WindowPasses", func(t *testing.T) {
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			l := icc.RateLimit{Key: unique("rate-"), Limit: 2, Window: rateWindow}
			require.True(t, hit(t, ra, l).Allowed)
			require.True(t, hit(t, rb, l).Allowed)
			d := hit(t, ra, l)
			if d.Allowed {
				// A slow machine let the window pass already; nothing to
				// learn from this run but that nothing failed.
				t.Skip("the window passed between two calls")
			}
			assert.Positive(t, d.RetryAfter)
			assert.LessOrEqual(t, d.RetryAfter, rateWindow)
			require.Eventually(t, func() bool { return hit(t, rb, l).Allowed },
				10*time.Second, 20*time.Millisecond, "allowed again once the window has passed")
		})
	})

	t.Run("SlidingWindow", func(t *testing.T) {
		// Times given by the caller: the exact arithmetic of the window.
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			key := unique("sliding-")
			at := func(d time.Duration) icc.RateLimit {
				return icc.RateLimit{Key: key, Limit: 3, Window: time.Minute, Now: t0.Add(d)}
			}
			require.Equal(t, allowed, hit(t, ra, at(0)))
			require.Equal(t, allowed, hit(t, rb, at(10*time.Second)))
			require.Equal(t, allowed, hit(t, ra, at(20*time.Second)))
			// Events at 0s, 10s and 20s: at 30s the first frees up at 60s.
			want := icc.RateDecision{RetryAfter: 30 * time.Second}
			assert.Equal(t, want, hit(t, rb, at(30*time.Second)))
			assert.Equal(t, want, check(t, ra, at(30*time.Second)))
			assert.Equal(t, icc.RateDecision{RetryAfter: time.Microsecond}, check(t, rb, at(time.Minute-time.Microsecond)))
			assert.Equal(t, allowed, check(t, ra, at(time.Minute)), "an event counts while younger than the window")
			require.Equal(t, allowed, hit(t, rb, at(time.Minute)))
			assert.Equal(t, icc.RateDecision{RetryAfter: 10 * time.Second}, check(t, ra, at(time.Minute)),
				"now the 10s event is the oldest that counts")
			assert.Equal(t, icc.RateDecision{RetryAfter: 10 * time.Second}, hit(t, ra, at(time.Minute)),
				"a refused hit is not recorded")
			assert.Equal(t, allowed, check(t, rb, at(time.Minute+10*time.Second)))
		})
	})

	t.Run("Add", func(t *testing.T) {
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			key := unique("add-")
			at := func(d time.Duration) icc.RateLimit {
				return icc.RateLimit{Key: key, Limit: 2, Window: time.Minute, Now: t0.Add(d)}
			}
			assert.Equal(t, allowed, add(t, ra, at(0)), "one more is allowed after the first")
			assert.Equal(t, icc.RateDecision{RetryAfter: 55 * time.Second}, add(t, rb, at(5*time.Second)),
				"the limit is reached: the first frees up at 60s")
			assert.Equal(t, icc.RateDecision{RetryAfter: 55 * time.Second}, add(t, ra, at(10*time.Second)),
				"counted past the limit: the 10s event replaces the 0s one, so the 5s one frees up at 65s")
			assert.Equal(t, icc.RateDecision{RetryAfter: 55 * time.Second}, check(t, rb, at(10*time.Second)))
			assert.Equal(t, icc.RateDecision{RetryAfter: 5 * time.Second}, check(t, rb, at(60*time.Second)),
				"still refused when the replaced event would have left the window")
			assert.Equal(t, allowed, check(t, ra, at(65*time.Second)))
		})
	})

	t.Run("Reset", func(t *testing.T) {
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			l := icc.RateLimit{Key: unique("reset-"), Limit: 1, Window: time.Hour}
			other := icc.RateLimit{Key: unique("reset-"), Limit: 1, Window: time.Hour}
			require.True(t, hit(t, ra, l).Allowed)
			require.True(t, hit(t, ra, other).Allowed)
			require.False(t, hit(t, rb, l).Allowed)
			require.NoError(t, rb.ResetRate(ctx(t), l.Key))
			assert.True(t, check(t, ra, l).Allowed, "forgotten on every instance")
			assert.True(t, hit(t, ra, l).Allowed)
			assert.False(t, check(t, ra, other).Allowed, "other keys keep their events")
			require.NoError(t, ra.ResetRate(ctx(t), unique("never-")), "resetting an unknown key is no error")
		})
	})

	t.Run("Concurrent", func(t *testing.T) {
		pairs(t, func(t *testing.T, ra, rb icc.RateLimiter) {
			l := icc.RateLimit{Key: unique("concurrent-"), Limit: 7, Window: time.Hour}
			var n atomic.Int32
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					r := ra
					if i%2 == 1 {
						r = rb
					}
					d, err := r.HitRate(ctx(t), l)
					if assert.NoError(t, err) && d.Allowed {
						n.Add(1)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(l.Limit), n.Load(), "exactly the limit is allowed")
			assert.False(t, check(t, rb, l).Allowed)

			// Counting failures concurrently loses none.
			f := icc.RateLimit{Key: unique("concurrent-"), Limit: 20, Window: time.Hour}
			for i := range f.Limit - 1 {
				wg.Go(func() {
					r := ra
					if i%2 == 1 {
						r = rb
					}
					_, err := r.AddRate(ctx(t), f)
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			assert.True(t, check(t, ra, f).Allowed, "limit − 1 events")
			add(t, rb, f)
			assert.False(t, check(t, ra, f).Allowed, "the limit")
		})
	})

	t.Run("LongKeys", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		long := unique("long-") + strings.Repeat("x", 10_000)
		a := icc.RateLimit{Key: long + "a", Limit: 1, Window: time.Hour}
		b := icc.RateLimit{Key: long + "b", Limit: 1, Window: time.Hour}
		require.True(t, hit(t, st, a).Allowed)
		assert.False(t, hit(t, st, a).Allowed)
		assert.True(t, hit(t, st, b).Allowed, "keys differing only at the end are independent")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		for _, tc := range []struct {
			l     icc.RateLimit
			field string
		}{
			{icc.RateLimit{Key: " ", Limit: 1, Window: time.Second}, "key"},
			{icc.RateLimit{Key: "k", Limit: 0, Window: time.Second}, "limit"},
			{icc.RateLimit{Key: "k", Limit: icc.MaxRateLimit + 1, Window: time.Second}, "limit"},
			{icc.RateLimit{Key: "k", Limit: 1}, "window"},
			{icc.RateLimit{Key: "k", Limit: 1, Window: -time.Second}, "window"},
		} {
			_, err := st.HitRate(ctx(t), tc.l)
			requireCode(t, err, icc.EINVALID, tc.field, "HitRate", tc.l)
			_, err = st.CheckRate(ctx(t), tc.l)
			requireCode(t, err, icc.EINVALID, tc.field, "CheckRate", tc.l)
			_, err = st.AddRate(ctx(t), tc.l)
			requireCode(t, err, icc.EINVALID, tc.field, "AddRate", tc.l)
		}
		requireCode(t, st.ResetRate(ctx(t), ""), icc.EINVALID, "key")
	})

	t.Run("UseAfterClose", func(t *testing.T) {
		t.Parallel()
		b := s.open(t)
		l := icc.RateLimit{Key: unique("closed-"), Limit: 1, Window: time.Minute}
		require.True(t, hit(t, b, l).Allowed)
		require.NoError(t, b.Close())
		_, err := b.HitRate(ctx(t), l)
		require.ErrorIs(t, err, icc.ErrUnavailable)
		_, err = b.CheckRate(ctx(t), l)
		require.ErrorIs(t, err, icc.ErrUnavailable)
		_, err = b.AddRate(ctx(t), l)
		require.ErrorIs(t, err, icc.ErrUnavailable)
		require.ErrorIs(t, b.ResetRate(ctx(t), l.Key), icc.ErrUnavailable)
	})
}
