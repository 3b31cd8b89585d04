// Package storagetest is the conformance suite of icc storage backends:
// one set of behaviour tests that storage/memory, storage/postgres and any
// other icc.Backend run, so that backends cannot drift apart.
//
// The tests assert the contract written in the doc comments of icc.Store,
// icc.Bus, icc.Leaser, icc.RateLimiter and the icc types, never the quirks
// of one backend: validation and defaults, coded errors (ENOTFOUND,
// EINVALID with the field, ECONFLICT), optimistic versions, keyset
// pagination, text search with the semantics of icc.MatchTerms, gap-free
// message sequence numbers under concurrency, idempotent client ids,
// atomic batches, AssignTicket's capacity rule, times in UTC at
// microsecond precision, copies in and out, bus delivery, leases,
// sliding-window rate limits under concurrency, and the exact figures of
// icc.AnalyticsStore over one fixed data set.
//
// A backend runs the suite from one test function:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, storagetest.Harness{
//			New: func(t *testing.T) icc.Backend {
//				b := memory.New()
//				t.Cleanup(func() { b.Close() })
//				return b
//			},
//		})
//	}
//
// New must return a fresh, empty backend for each call; most subtests call
// t.Parallel, so a database backend should give each test its own schema or
// database rather than truncating shared tables. Peer, when set, returns a
// second backend sharing the first one's data (another connection pool to
// the same database); the bus, lease and rate limit tests then check
// delivery, exclusion and shared counting across the two. In-process
// backends leave Peer nil.
//
// Subtests are grouped by area (Customers, Agents, Tickets, Assign,
// Conversations, Messages, Integrations, Checks, Logs, Maintenance, Alerts,
// Pagination, Times, Analytics, Store, Bus, Leaser, RateLimiter), so one
// area can be run alone with go test -run 'Conformance/Messages'.
package storagetest
