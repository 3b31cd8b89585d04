// Package memory is the in-memory icc.Backend: every icc store, an event
// bus for one process, a leaser and a rate limiter, safe for concurrent use
// and kept for as long as the process runs.
//
// It is the default wherever no database URL is configured, and what tests
// of the other packages run against: it passes the same conformance suite
// (storage/storagetest) as the PostgreSQL backend, so code written against
// it behaves the same on PostgreSQL.
//
// Values are copied on the way in and out, so a caller never shares memory
// with the store. Times are kept as icc.Timestamp makes them (UTC,
// microseconds). Lists are paginated by key with icc.Cursor; text search
// follows icc.MatchTerms.
//
// The bus delivers events to the subscribers of this process only. Each
// subscription buffers DefaultBuffer events (see WithBuffer); when a
// subscriber falls that far behind, newer events are dropped for it and
// counted by its Dropped method, since the store, not the bus, is the
// source of truth. Close ends every subscription.
//
// The rate limiter (icc.RateLimiter) counts for this process only. It
// keeps at most 100,000 keys, as SHA-256 hashes: keys whose events have
// left the window are forgotten at most a minute later, and past the cap
// arbitrary keys are dropped rather than memory grown.
//
// WithClock replaces time.Now for timestamps, lease expiry and rate
// limits.
package memory
