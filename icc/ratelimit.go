package icc

import (
	"context"
	"strings"
	"time"
)

// MaxRateLimit bounds RateLimit.Limit: a backend keeps the times of the
// last Limit events of each key.
const MaxRateLimit = 1000

// RateLimiter counts events per key against sliding-window limits, such as
// 5 failed sign-ins per email per minute, in the backend, so that every
// process sharing a store counts together.
//
// An event at time t counts against its key while now − t < Window. A
// backend keeps, per key, the times of the last Limit events (oldest
// first) and forgets keys whose events have all left the window; when
// Limit events count, one more is allowed at the oldest of them plus
// Window. A key should always be counted with the same Limit and Window;
// callers put what they count in the key ("login:ip:192.0.2.1") so that
// different limits never share one. Keys of any length are accepted.
//
// Each call is atomic: concurrent HitRate calls for a key, from any
// number of processes, never allow more than Limit events in a window.
type RateLimiter interface {
	// HitRate records one event for l.Key when fewer than l.Limit events
	// count in the window, and reports whether it did; a refused event is
	// not recorded, and its RetryAfter says when one would be allowed.
	HitRate(ctx context.Context, l RateLimit) (RateDecision, error)
	// CheckRate reports whether one more event would be allowed now,
	// without recording anything.
	CheckRate(ctx context.Context, l RateLimit) (RateDecision, error)
	// AddRate records one event for l.Key whatever the limit, such as a
	// failed sign-in, and reports whether one more would be allowed after
	// it. Past the limit, each event replaces the oldest kept one, so a
	// key that keeps failing stays refused.
	AddRate(ctx context.Context, l RateLimit) (RateDecision, error)
	// ResetRate forgets key's events, e.g. after a successful sign-in.
	// Resetting a key without events is not an error.
	ResetRate(ctx context.Context, key string) error
}

// RateLimit names a key and the limit its events are counted against:
// at most Limit events within any sliding window of length Window.
type RateLimit struct {
	// Key names what is counted, e.g. "login:email:ann@example.com".
	Key string
	// Limit is how many events the window allows: 1 to MaxRateLimit.
	Limit int
	// Window is the length of the sliding window: at least a microsecond,
	// the precision at which event times are kept.
	Window time.Duration
	// Now, when set, is the time of the event and of the decision; zero
	// means the backend's clock (the database's for PostgreSQL, so that
	// the processes' clocks do not matter). Tests set it to control time.
	// The backend still drops keys by its own clock, never sooner than
	// Window after their last event was recorded.
	Now time.Time
}

// Validate checks l, returning EINVALID naming the field at fault.
func (l RateLimit) Validate() error {
	switch {
	case strings.TrimSpace(l.Key) == "":
		return Invalid("key", "is required")
	case l.Limit < 1 || l.Limit > MaxRateLimit:
		return Invalid("limit", "must be from 1 to %d", MaxRateLimit)
	case l.Window < time.Microsecond:
		return Invalid("window", "must be at least a microsecond")
	}
	return nil
}

// RateDecision is a RateLimiter's answer about one key.
type RateDecision struct {
	// Allowed is, for HitRate, whether the event was allowed (and
	// recorded); for CheckRate and AddRate, whether one more event would
	// be allowed now.
	Allowed bool
	// RetryAfter is how long until one more event is allowed: zero when
	// Allowed, otherwise positive and at most the window.
	RetryAfter time.Duration
}
