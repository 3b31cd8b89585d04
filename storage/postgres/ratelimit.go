package postgres

import (
	"context"
	"crypto/sha256"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/internal/ratewindow"
)

// Expired rows of rate_limits are deleted by each Store after a write, at
// most rateSweepBatch rows at a time, at most once per rateSweepEvery —
// or at the next write when the last sweep deleted a full batch.
const (
	rateSweepEvery = time.Minute
	rateSweepBatch = 1000
)

// rateRow is a key's row of rate_limits as read under its lock, with the
// database's clock at that moment.
type rateRow struct {
	Hits []time.Time `bun:"hits,array"`
	Now  time.Time   `bun:"now"`
}

// HitRate records one event for l.Key when fewer than l.Limit events count
// in the window, and reports whether it did. See countRate.
func (s *Store) HitRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	return s.countRate(ctx, l, ratewindow.Hit)
}

// AddRate records one event for l.Key whatever the limit and reports
// whether one more would be allowed after it. See countRate.
func (s *Store) AddRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	return s.countRate(ctx, l, ratewindow.Add)
}

// CheckRate reports whether one more event for l.Key would be allowed now,
// without recording anything or taking a lock: one SELECT.
func (s *Store) CheckRate(ctx context.Context, l icc.RateLimit) (icc.RateDecision, error) {
	if err := l.Validate(); err != nil {
		return icc.RateDecision{}, err
	}
	var row rateRow
	err := s.db.NewRaw(`SELECT clock_timestamp() AS now,
    coalesce((SELECT hits FROM rate_limits WHERE key_hash = ?), '{}') AS hits`, rateKey(l.Key)).Scan(ctx, &row)
	if err != nil {
		return icc.RateDecision{}, dbErr(err, "check rate limit")
	}
	_, d := ratewindow.Apply(row.Hits, eventTime(l, row.Now), l, ratewindow.Check)
	return d, nil
}

// ResetRate forgets key's events.
func (s *Store) ResetRate(ctx context.Context, key string) error {
	if strings.TrimSpace(key) == "" {
		return icc.Invalid("key", "is required")
	}
	_, err := s.db.NewDelete().Table("rate_limits").Where("key_hash = ?", rateKey(key)).Exec(ctx)
	return dbErr(err, "reset rate limit")
}

// countRate does a HitRate or AddRate in one transaction: an upsert that
// creates the key's row when missing, locks it and returns its events and
// the database clock; the window arithmetic (ratewindow.Apply, shared with
// the memory backend); and an UPDATE of the events kept, unless the event
// was refused. The row lock serialises calls for one key from every
// process, so concurrent hits never exceed the limit. Events are timed by
// the database clock unless l.Now is set. Now and then it deletes expired
// rows (sweepRates).
func (s *Store) countRate(ctx context.Context, l icc.RateLimit, op ratewindow.Op) (icc.RateDecision, error) {
	if err := l.Validate(); err != nil {
		return icc.RateDecision{}, err
	}
	key := rateKey(l.Key)
	var d icc.RateDecision
	err := s.inTx(ctx, func(tx bun.Tx) error {
		var row rateRow
		// The no-op update on conflict locks an existing row and returns
		// its latest events, as a new row returns none.
		err := tx.NewRaw(`INSERT INTO rate_limits AS r (key_hash, hits, expires_at)
VALUES (?, '{}', clock_timestamp())
ON CONFLICT (key_hash) DO UPDATE SET expires_at = r.expires_at
RETURNING r.hits, clock_timestamp() AS now`, key).Scan(ctx, &row)
		if err != nil {
			return err
		}
		var kept []time.Time
		kept, d = ratewindow.Apply(row.Hits, eventTime(l, row.Now), l, op)
		if !d.Allowed && op == ratewindow.Hit {
			return nil // nothing recorded; the next write drops old events
		}
		_, err = tx.NewUpdate().Table("rate_limits").
			Set("hits = ?", pgdialect.Array(kept)).
			Set("expires_at = ?", ratewindow.Expires(kept, l.Window, icc.Timestamp(row.Now))).
			Where("key_hash = ?", key).Exec(ctx)
		return err
	})
	if err != nil {
		return icc.RateDecision{}, dbErr(err, "count rate limit")
	}
	s.sweepRates(ctx)
	return d, nil
}

// sweepRates deletes up to rateSweepBatch expired rows of rate_limits, by
// the database clock, when this Store has not done so for rateSweepEvery
// or its last sweep deleted a full batch.
// The expiry is checked again on each row it deletes, so a row written
// meanwhile is kept. A failure is logged, not returned: old rows only
// take space.
func (s *Store) sweepRates(ctx context.Context) {
	now := time.Now().UnixNano()
	next := s.rateSweepAt.Load()
	if now < next || !s.rateSweepAt.CompareAndSwap(next, now+int64(rateSweepEvery)) {
		return
	}
	res, err := s.db.NewRaw(`DELETE FROM rate_limits
WHERE expires_at <= clock_timestamp() AND key_hash IN (
    SELECT key_hash FROM rate_limits WHERE expires_at <= clock_timestamp() LIMIT ?)`, rateSweepBatch).Exec(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "postgres: delete expired rate limits", "err", err)
		}
		return
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		s.log.DebugContext(ctx, "postgres: deleted expired rate limits", "rows", n)
	}
	if n >= rateSweepBatch {
		// A full batch: more may be waiting, so the next write sweeps
		// again rather than a minute later, and clean-up keeps pace with
		// however many new keys arrive.
		s.rateSweepAt.Store(0)
	}
}

// rateKey is how rate_limits keeps a key: its SHA-256, so that keys of any
// length fit the index.
func rateKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// eventTime is the time of l's event: l.Now when set, else the database's.
func eventTime(l icc.RateLimit, db time.Time) time.Time {
	if !l.Now.IsZero() {
		return icc.Timestamp(l.Now)
	}
	return icc.Timestamp(db)
}
