package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// TestRateLimitsSweep: a write deletes the expired rows of rate_limits,
// at most once per rateSweepEvery per Store, and keeps live rows, among
// them those whose events a caller timed long ago (icc.RateLimit.Now),
// for a window of the database clock.
func TestRateLimitsSweep(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	insert := func(key string, expiresIn string) {
		t.Helper()
		_, err := s.db.NewRaw(`INSERT INTO rate_limits (key_hash, hits, expires_at)
VALUES (?, ARRAY[clock_timestamp()], clock_timestamp() + ?::interval)`, rateKey(key), expiresIn).Exec(ctx)
		require.NoError(t, err)
	}
	exists := func(key string) bool {
		t.Helper()
		n, err := s.db.NewSelect().Table("rate_limits").Where("key_hash = ?", rateKey(key)).Count(ctx)
		require.NoError(t, err)
		return n == 1
	}
	insert("expired", "-1 second")
	insert("live", "1 hour")

	s.rateSweepAt.Store(0)
	past := icc.RateLimit{Key: "timed-long-ago", Limit: 1, Window: time.Minute, Now: time.Now().AddDate(-1, 0, 0)}
	d, err := s.HitRate(ctx, past)
	require.NoError(t, err)
	require.True(t, d.Allowed)
	assert.False(t, exists("expired"), "deleted by the sweep")
	assert.True(t, exists("live"))
	assert.True(t, exists(past.Key), "kept a window by the database clock")
	var expires time.Time
	require.NoError(t, s.db.NewSelect().Table("rate_limits").Column("expires_at").Where("key_hash = ?", rateKey(past.Key)).Scan(ctx, &expires))
	assert.WithinDuration(t, time.Now().Add(time.Minute), expires, 30*time.Second)

	insert("expired-later", "-1 second")
	_, err = s.HitRate(ctx, icc.RateLimit{Key: "another", Limit: 1, Window: time.Minute})
	require.NoError(t, err)
	assert.True(t, exists("expired-later"), "one sweep per minute per Store")

	// A backlog larger than a batch: each write deletes another batch
	// until it is gone, rather than one batch a minute.
	_, err = s.db.NewRaw(`INSERT INTO rate_limits (key_hash, hits, expires_at)
SELECT sha256(g::text::bytea), ARRAY[clock_timestamp()], clock_timestamp() - interval '1 second'
FROM generate_series(1, ?) AS g`, 2*rateSweepBatch+10).Exec(ctx)
	require.NoError(t, err)
	expired := func() int64 {
		t.Helper()
		n, err := s.db.NewSelect().Table("rate_limits").Where("expires_at <= clock_timestamp()").Count(ctx)
		require.NoError(t, err)
		return n
	}
	s.rateSweepAt.Store(0)
	for i := range 3 {
		_, err = s.HitRate(ctx, icc.RateLimit{Key: fmt.Sprint("backlog-", i), Limit: 1, Window: time.Minute})
		require.NoError(t, err)
	}
	assert.Zero(t, expired(), "three writes cleared three batches")
}
