// Package ratewindow is the sliding-window arithmetic of icc.RateLimiter,
// shared by the storage backends so that they decide alike: the memory
// backend applies it under its lock, the PostgreSQL backend to a row it
// has locked.
package ratewindow

import (
	"slices"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Op is what a call does with the event it asks about.
type Op int

// The operations of icc.RateLimiter.
const (
	Check Op = iota // CheckRate: record nothing
	Hit             // HitRate: record the event when allowed
	Add             // AddRate: record the event whatever the limit
)

// Apply does op at now on a key whose recorded events are hits (oldest
// first; not modified) under l, which Validate has checked. It returns the
// events to keep for the key (those still in the window, oldest first, at
// most l.Limit; empty when none counts) and the decision.
func Apply(hits []time.Time, now time.Time, l icc.RateLimit, op Op) ([]time.Time, icc.RateDecision) {
	kept := make([]time.Time, 0, len(hits)+1)
	for _, h := range hits {
		if now.Sub(h) < l.Window {
			kept = append(kept, h)
		}
	}
	slices.SortFunc(kept, time.Time.Compare)
	switch op {
	case Hit:
		if d := decide(kept, now, l); !d.Allowed {
			return kept, d
		}
		return record(kept, now, l.Limit), icc.RateDecision{Allowed: true}
	case Add:
		kept = record(kept, now, l.Limit)
	}
	return kept, decide(kept, now, l)
}

// decide reports whether one more event is allowed at now given the
// events that count.
func decide(kept []time.Time, now time.Time, l icc.RateLimit) icc.RateDecision {
	if len(kept) < l.Limit {
		return icc.RateDecision{Allowed: true}
	}
	// Every kept event is less than a window old, so the wait is positive;
	// an event in the future (another clock) makes it no longer than one
	// window.
	wait := kept[len(kept)-l.Limit].Add(l.Window).Sub(now)
	return icc.RateDecision{RetryAfter: min(wait, l.Window)}
}

// record inserts now in order and keeps the newest limit events.
func record(kept []time.Time, now time.Time, limit int) []time.Time {
	i := len(kept)
	for i > 0 && kept[i-1].After(now) {
		i--
	}
	kept = slices.Insert(kept, i, now)
	if len(kept) > limit {
		kept = kept[len(kept)-limit:]
	}
	return kept
}

// Expires returns when a key with the events kept (not empty) may be
// forgotten, judged by the backend's clock: once its newest event has left
// the window, and never sooner than window after clock, the backend's time
// of the write. The second rule keeps events that a caller timed with its
// own clock (icc.RateLimit.Now) for at least a window.
func Expires(kept []time.Time, window time.Duration, clock time.Time) time.Time {
	newest := kept[len(kept)-1].Add(window)
	if after := clock.Add(window); after.After(newest) {
		return after
	}
	return newest
}
