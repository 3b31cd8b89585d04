package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// leaseTTL is short so expiry tests are quick; waits use
// require.Eventually, never a fixed sleep.
const leaseTTL = 300 * time.Millisecond

func (s *suite) leaser(t *testing.T) {
	pairs := func(t *testing.T, f func(t *testing.T, a, b icc.Leaser)) {
		s.localAndPeer(t, func(t *testing.T, a, b icc.Backend) { f(t, a, b) })
	}
	acquire := func(t *testing.T, l icc.Leaser, name, holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := l.Acquire(ctx(t), name, holder, ttl)
		require.NoError(t, err)
		return ok
	}

	t.Run("Exclusive", func(t *testing.T) {
		pairs(t, func(t *testing.T, la, lb icc.Leaser) {
			name := unique("lease-")
			require.True(t, acquire(t, la, name, "A", time.Minute))
			require.False(t, acquire(t, lb, name, "B", time.Minute), "held by A")
			require.True(t, acquire(t, la, name, "A", time.Minute), "the holder renews")
			require.True(t, acquire(t, lb, name, "A", time.Minute), "the holder renews from any instance")

			require.NoError(t, lb.Release(ctx(t), name, "B"), "releasing a lease one does not hold is no error")
			require.False(t, acquire(t, lb, name, "B", time.Minute), "a non-holder's release does nothing")
			require.NoError(t, lb.Release(ctx(t), unique("never-"), "B"))

			require.NoError(t, la.Release(ctx(t), name, "A"))
			require.True(t, acquire(t, lb, name, "B", time.Minute), "free after release")
			require.False(t, acquire(t, la, name, "A", time.Minute))

			other := unique("lease-")
			require.True(t, acquire(t, la, other, "A", time.Minute), "names are independent")
		})
	})

	t.Run("Expiry", func(t *testing.T) {
		pairs(t, func(t *testing.T, la, lb icc.Leaser) {
			name := unique("lease-")
			require.True(t, acquire(t, la, name, "A", leaseTTL))
			require.False(t, acquire(t, lb, name, "B", leaseTTL))
			require.Eventually(t, func() bool { return acquire(t, lb, name, "B", time.Minute) },
				10*time.Second, 20*time.Millisecond, "an expired lease can be taken")
			require.False(t, acquire(t, la, name, "A", time.Minute), "the old holder lost it")
		})
	})

	t.Run("RenewExtends", func(t *testing.T) {
		pairs(t, func(t *testing.T, la, lb icc.Leaser) {
			long, short := unique("long-"), unique("short-")
			require.True(t, acquire(t, la, long, "A", leaseTTL))
			require.True(t, acquire(t, la, long, "A", time.Hour), "renewed with a longer ttl")
			require.True(t, acquire(t, la, short, "A", leaseTTL))
			// Once the short lease has expired, the long one's first ttl has
			// too; the renewal must still hold it.
			require.Eventually(t, func() bool { return acquire(t, lb, short, "B", time.Minute) },
				10*time.Second, 20*time.Millisecond)
			require.False(t, acquire(t, lb, long, "B", time.Minute), "the renewal extended the lease")
		})
	})

	t.Run("Concurrent", func(t *testing.T) {
		pairs(t, func(t *testing.T, la, lb icc.Leaser) {
			name := unique("lease-")
			var wg sync.WaitGroup
			got := make([]bool, 20)
			for i := range got {
				wg.Go(func() {
					l := la
					if i%2 == 1 {
						l = lb
					}
					ok, err := l.Acquire(ctx(t), name, unique("holder-"), time.Minute)
					assert.NoError(t, err)
					got[i] = ok
				})
			}
			wg.Wait()
			n := 0
			for _, ok := range got {
				if ok {
					n++
				}
			}
			assert.Equal(t, 1, n, "exactly one holder")
		})
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		_, err := st.Acquire(ctx(t), "", "A", time.Minute)
		requireCode(t, err, icc.EINVALID, "")
		_, err = st.Acquire(ctx(t), "x", "", time.Minute)
		requireCode(t, err, icc.EINVALID, "")
		_, err = st.Acquire(ctx(t), "x", "A", 0)
		requireCode(t, err, icc.EINVALID, "")
	})
}
