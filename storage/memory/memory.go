package memory

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

var _ icc.Backend = (*Store)(nil)

// DefaultBuffer is how many events a subscription holds for a subscriber
// that has not received them yet; further events are dropped and counted.
const DefaultBuffer = 256

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now instead of time.Now,
// for timestamps, lease expiry and rate limits. Tests use it to control
// time.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithBuffer sets the number of events each subscription buffers (default
// DefaultBuffer).
func WithBuffer(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.buffer = n
		}
	}
}

// Store is an in-memory icc.Backend: every store, a bus for one process, a
// leaser and a rate limiter. It is safe for concurrent use. Values are
// copied on the way in and out, so callers never share memory with the
// store.
type Store struct {
	now    func() time.Time
	buffer int

	mu     sync.RWMutex
	closed atomic.Bool

	customers     map[string]*icc.Customer
	customerEmail map[string]string // normalized email -> id
	agents        map[string]*icc.Agent
	agentEmail    map[string]string
	tickets       map[string]*icc.Ticket
	ticketEvents  map[string][]icc.TicketEvent
	lastNumber    int64
	conversations map[string]*conversation
	integrations  map[string]*icc.Integration
	integrationBy map[string]string               // lower-cased name -> id
	results       map[string][]icc.CheckResult    // integration id -> results
	logs          map[string][]icc.IntegrationLog // integration id -> logs
	maintenance   map[string]*icc.MaintenanceWindow
	alerts        map[string]*icc.Alert
	openAlerts    map[string]string // dedup key -> id of the unresolved alert

	bus   bus
	lease leases
	rates rates
}

// conversation is a chat with its messages and read marks.
type conversation struct {
	c        *icc.Conversation
	messages []icc.Message // messages[i].Seq == i+1
	byClient map[string]int64
	marks    map[string]icc.ReadMark
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{
		now:           time.Now,
		buffer:        DefaultBuffer,
		customers:     map[string]*icc.Customer{},
		customerEmail: map[string]string{},
		agents:        map[string]*icc.Agent{},
		agentEmail:    map[string]string{},
		tickets:       map[string]*icc.Ticket{},
		ticketEvents:  map[string][]icc.TicketEvent{},
		conversations: map[string]*conversation{},
		integrations:  map[string]*icc.Integration{},
		integrationBy: map[string]string{},
		results:       map[string][]icc.CheckResult{},
		logs:          map[string][]icc.IntegrationLog{},
		maintenance:   map[string]*icc.MaintenanceWindow{},
		alerts:        map[string]*icc.Alert{},
		openAlerts:    map[string]string{},
	}
	for _, o := range opts {
		o(s)
	}
	s.bus.subs = map[*subscription]struct{}{}
	s.lease.held = map[string]lease{}
	s.rates.keys = map[[sha256.Size]byte]*rateKey{}
	s.rates.perNS = map[string]int{}
	s.rates.maxKeys = maxRateKeys
	return s
}

// Ping reports EUNAVAILABLE once the store is closed, nil before.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return icc.Unavailable(err, "store: ping")
	}
	if s.closed.Load() {
		return icc.Unavailable(nil, "memory store is closed")
	}
	return nil
}

// Close ends every subscription; after it every call, Ping included,
// reports EUNAVAILABLE, as the PostgreSQL store's do once its pool is
// closed. Close may be called more than once.
func (s *Store) Close() error {
	s.closed.Store(true)
	s.bus.closeAll()
	return nil
}

// stamp returns the current time as the store keeps it.
func (s *Store) stamp() time.Time { return icc.Timestamp(s.now()) }

// orNow returns t normalised, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return icc.Timestamp(t)
}

// check returns ctx's error as EUNAVAILABLE, so that a cancelled caller
// gets a coded error, and EUNAVAILABLE once the store is closed, as a
// database would.
func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return icc.Unavailable(err, "request cancelled")
	}
	if s.closed.Load() {
		return icc.Unavailable(nil, "memory store is closed")
	}
	return nil
}

// getCopy returns a copy, made by cp, of the value of kind stored in m
// under id.
func getCopy[T any](ctx context.Context, s *Store, m map[string]*T, kind, id string, cp func(*T) *T) (*T, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := m[id]
	if !ok {
		return nil, icc.NotFound(kind, id)
	}
	return cp(v), nil
}

// claimID gives *id a new id when it is empty and reports ECONFLICT when m
// already holds a value of kind under it. The caller holds s.mu.
func claimID[V any](m map[string]V, kind string, id *string) error {
	if *id == "" {
		*id = icc.NewID()
	}
	if _, ok := m[*id]; ok {
		return icc.Errorf(icc.ECONFLICT, "%s %q exists", kind, *id)
	}
	return nil
}

// stale reports ECONFLICT when the stored version of kind id is not the
// caller's.
func stale(kind, id string, stored, given int64) error {
	if stored != given {
		return icc.Errorf(icc.ECONFLICT, "%s %q was changed meanwhile (version %d, not %d)", kind, id, stored, given)
	}
	return nil
}

// pageOf collects, under the read lock, the values of m that keep accepts
// and returns one page of them; see paginate.
func pageOf[T any](s *Store, m map[string]*T, keep func(*T) bool, keyOf func(*T) key, desc bool, cursor string, limit int, clone func(*T) *T) (icc.Page[*T], error) {
	s.mu.RLock()
	var items []*T
	for _, v := range m {
		if keep(v) {
			items = append(items, v)
		}
	}
	s.mu.RUnlock()
	return paginate(items, keyOf, desc, cursor, limit, clone)
}
