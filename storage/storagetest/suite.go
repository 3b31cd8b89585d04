package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// Harness opens backends for the suite.
type Harness struct {
	// New returns a fresh, empty backend for one test, closed by t.Cleanup.
	New func(t *testing.T) icc.Backend
	// Peer returns a second backend sharing b's data (another connection
	// to the same database) or nil when the backend is in-process only
	// (then bus/lease cross-instance tests use b itself).
	Peer func(t *testing.T, b icc.Backend) icc.Backend
}

// Run runs the whole conformance suite against the backends h opens. Each
// subtest opens its own backend and most run in parallel.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.New, "storagetest: Harness.New is required")
	s := &suite{h: h}
	area(t, "Customers", s.customers)
	area(t, "Agents", s.agents)
	area(t, "Tickets", s.tickets)
	area(t, "Assign", s.assign)
	area(t, "Conversations", s.conversations)
	area(t, "Triages", s.triages)
	area(t, "Messages", s.messages)
	area(t, "Integrations", s.integrations)
	area(t, "Checks", s.checks)
	area(t, "Logs", s.logs)
	area(t, "Maintenance", s.maintenance)
	area(t, "Alerts", s.alerts)
	area(t, "Pagination", s.pagination)
	area(t, "Times", s.times)
	area(t, "Analytics", s.analytics)
	area(t, "Store", s.store)
	area(t, "Bus", s.bus)
	area(t, "Leaser", s.leaser)
	area(t, "RateLimiter", s.rateLimiter)
}

// area runs one area of the suite in parallel with the others.
func area(t *testing.T, name string, f func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		f(t)
	})
}

// suite carries the harness to the tests.
type suite struct {
	h Harness
}

// open returns a fresh backend for t.
func (s *suite) open(t *testing.T) icc.Backend {
	t.Helper()
	b := s.h.New(t)
	require.NotNil(t, b, "Harness.New returned nil")
	return b
}

// peer returns a second backend sharing b's data, or b itself when the
// backend is in-process only.
func (s *suite) peer(t *testing.T, b icc.Backend) icc.Backend {
	t.Helper()
	if s.h.Peer == nil {
		return b
	}
	if p := s.h.Peer(t, b); p != nil {
		return p
	}
	return b
}

// ctx returns a context that ends with the test, with a generous deadline
// so that a hung backend fails instead of blocking the run.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// requireCode asserts that err is an *icc.Error with code (and, when field
// is not empty, that field).
func requireCode(t *testing.T, err error, code, field string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, icc.ErrorCode(err), "error %q: %v", err, fmt.Sprint(msgAndArgs...))
	require.True(t, errors.Is(err, &icc.Error{Code: code}), "errors.Is(%v, code %s)", err, code)
	if field != "" {
		require.Equal(t, field, icc.ErrorField(err), "error %q: %v", err, fmt.Sprint(msgAndArgs...))
	}
}

// requireUTC asserts that got is want as a store keeps it: UTC at
// microsecond precision.
func requireUTC(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	require.Equal(t, time.UTC, got.Location(), "%s: location", what)
	require.True(t, icc.Timestamp(want).Equal(got), "%s: want %s, got %s", what, icc.Timestamp(want), got)
	require.Equal(t, icc.Timestamp(want), got, "%s", what)
}

// requireStamped asserts that a store-assigned time is set, in UTC, at
// microsecond precision, and not far from now.
func requireStamped(t *testing.T, got time.Time, what string) {
	t.Helper()
	require.False(t, got.IsZero(), "%s is zero", what)
	require.Equal(t, time.UTC, got.Location(), "%s: location", what)
	require.Zero(t, got.Nanosecond()%1000, "%s: finer than a microsecond", what)
	require.WithinDuration(t, time.Now(), got, time.Hour, "%s is far from now", what)
}

// unique returns a random string starting with prefix, for emails, names,
// dedup keys and lease names, so that tests never collide even if a
// backend's "fresh" instances share tables.
func unique(prefix string) string { return prefix + icc.NewID()[12:] }

func ptr[T any](v T) *T { return &v }

// at returns a fixed time in the past plus n minutes, so tests that set
// creation times get an order that does not depend on the clock.
func at(n int) time.Time {
	return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
}

// localAndPeer runs f, in parallel, on two handles of one store: the same
// backend twice ("Local"), and the backend with a peer sharing its data
// ("Peer", another connection pool: as two processes see it).
func (s *suite) localAndPeer(t *testing.T, f func(t *testing.T, a, b icc.Backend)) {
	t.Parallel()
	t.Run("Local", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		f(t, st, st)
	})
	t.Run("Peer", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		f(t, st, s.peer(t, st))
	})
}
