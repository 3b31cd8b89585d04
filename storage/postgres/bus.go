package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/icclabs/commandcenter/icc"
)

// Bus tuning. They are constants rather than Config fields to keep the
// exported surface small; they suit a chat server's traffic.
const (
	// flushInterval is how long the flusher gathers published events before
	// it sends them with one notifying statement.
	flushInterval = 3 * time.Millisecond
	// maxPending bounds the events waiting for the flusher; beyond it new
	// events are not sent to other processes (local subscribers still get
	// them) and a warning is logged.
	maxPending = 10000
	// notifyChunk is the most events sent by one statement.
	notifyChunk = 1000
	// subscriberBuffer is the channel capacity of each subscription.
	subscriberBuffer = 256
	// idleCheck is how long the listener waits for a notification before it
	// pings its connection, so that a silently dead connection is noticed.
	idleCheck = 30 * time.Second
	// Reconnect backoff of the listener.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// envelope is what travels in a NOTIFY payload: the event's own JSON plus
// the id of the sending Store, so that a store can recognise (and skip) the
// echo of what it published itself however the publisher set Event.Origin.
type envelope struct {
	icc.Event
	Sender string `json:"sender"`
}

// bus is the LISTEN/NOTIFY event bus of a Store.
//
// Publishing: Publish hands the event at once to the subscribers of this
// Store (no round trip through the database, no dependence on it being
// reachable) and queues it for the other processes. A flusher goroutine
// wakes when something is queued, waits flushInterval for more, coalesces
// events with the same topic, type and id to the newest, and sends them all
// with one statement, SELECT pg_notify(channel, x) FROM unnest(payloads):
// one notifying commit per flush, never inside a caller's write transaction.
//
// Receiving: a listener goroutine owns one connection outside the pool,
// LISTENs on the store's channel and loops on WaitForNotification, handing
// each event from another Store to the local subscribers. When its
// connection breaks it reconnects with backoff and LISTENs again; events
// published meanwhile by other processes are lost, as the Bus contract
// allows (the store is the source of truth), and each subscription's
// Dropped count grows by one so its owner knows to catch up.
type bus struct {
	s      *Store
	ctx    context.Context // ends the goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	closed  bool
	pending []*queued
	index   map[coalesceKey]int // position in pending of each key
	wake    chan struct{}

	subMu      sync.RWMutex
	subs       map[*subscription]struct{}
	subsClosed bool // no new subscriptions

	notified  atomic.Int64 // events sent to the database
	overflows atomic.Int64 // events not sent because the queue was full
}

type coalesceKey struct{ topic, typ, id string }

type queued struct {
	key     coalesceKey
	payload string
}

// startBus connects the listener (so that once Open returns, events from
// other processes reach this Store's subscribers) and starts the goroutines.
func startBus(ctx context.Context, s *Store) (*bus, error) {
	b := &bus{
		s:     s,
		index: map[coalesceKey]int{},
		wake:  make(chan struct{}, 1),
		subs:  map[*subscription]struct{}{},
	}
	conn, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	b.ctx, b.cancel = context.WithCancel(context.WithoutCancel(ctx))
	b.wg.Add(2)
	go b.listen(conn)
	go b.flusher()
	return b, nil
}

// listenerName is the application_name of the listener's connection; it
// identifies the connection in pg_stat_activity.
func (b *bus) listenerName() string { return "icc-listener-" + b.s.origin }

// connect opens the listener's connection and LISTENs on the channel.
func (b *bus) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := b.s.connCfg.Copy()
	cfg.RuntimeParams["application_name"] = b.listenerName()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, icc.Unavailable(err, "postgres: bus: cannot connect the listener")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.s.channel}.Sanitize()); err != nil {
		_ = conn.Close(ctx)
		return nil, icc.Unavailable(err, "postgres: bus: LISTEN failed")
	}
	return conn, nil
}

// listen receives notifications until the bus closes, reconnecting whenever
// the connection is lost.
func (b *bus) listen(conn *pgx.Conn) {
	defer b.wg.Done()
	log := b.s.log
	backoff := minBackoff
	for {
		if conn != nil {
			err := b.receive(conn)
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = conn.Close(closeCtx)
			cancel()
			conn = nil
			if b.ctx.Err() != nil {
				return
			}
			log.Warn("postgres: bus listener lost its connection; reconnecting", "channel", b.s.channel, "err", err)
		}
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(backoff/2 + rand.N(backoff/2)): // jitter: instances do not reconnect in step
		}
		c, err := b.connect(b.ctx)
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			backoff = min(2*backoff, maxBackoff)
			log.Warn("postgres: bus listener cannot reconnect; retrying", "channel", b.s.channel, "retry_in", backoff, "err", err)
			continue
		}
		log.Info("postgres: bus listener reconnected", "channel", b.s.channel)
		conn, backoff = c, minBackoff
		b.missed()
	}
}

// receive hands notifications to the subscribers until the connection fails
// or the bus closes. When nothing arrives for idleCheck it pings the
// connection, so that a connection that died silently is replaced.
func (b *bus) receive(conn *pgx.Conn) error {
	for {
		ctx, cancel := context.WithTimeout(b.ctx, idleCheck)
		n, err := conn.WaitForNotification(ctx)
		cancel()
		if err != nil {
			if b.ctx.Err() != nil {
				return b.ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed() {
				pingCtx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
				err = conn.Ping(pingCtx)
				cancel()
				if err == nil {
					continue
				}
			}
			return err
		}
		var env envelope
		if err := json.Unmarshal([]byte(n.Payload), &env); err != nil || env.Topic == "" {
			b.s.log.Warn("postgres: bus ignored a malformed notification", "channel", n.Channel, "err", err)
			continue
		}
		if env.Sender == b.s.origin {
			continue // published here; local subscribers already have it
		}
		b.deliver(env.Event)
	}
}

// flusher sends queued events to the database until the bus closes, then
// sends what is left.
func (b *bus) flusher() {
	defer b.wg.Done()
	for {
		stop := false
		select {
		case <-b.ctx.Done():
			stop = true
		case <-b.wake:
			select {
			case <-b.ctx.Done():
				stop = true
			case <-time.After(flushInterval):
			}
		}
		// Not b.ctx: what is queued when the bus closes is still sent.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b.flush(ctx)
		cancel()
		if stop {
			return
		}
	}
}

// flush sends every queued event with one statement per notifyChunk events.
func (b *bus) flush(ctx context.Context) {
	b.mu.Lock()
	pending := b.pending
	b.pending, b.index = nil, map[coalesceKey]int{}
	b.mu.Unlock()

	payloads := make([]string, 0, len(pending))
	for _, q := range pending {
		if q != nil { // nil: replaced by a newer event with the same key
			payloads = append(payloads, q.payload)
		}
	}
	for len(payloads) > 0 {
		chunk := payloads[:min(len(payloads), notifyChunk)]
		payloads = payloads[len(chunk):]
		_, err := b.s.db.NewRaw("SELECT pg_notify(?, x) FROM unnest(?::text[]) AS x",
			b.s.channel, pgdialect.Array(chunk)).Exec(ctx)
		if err != nil {
			b.s.log.Warn("postgres: bus could not notify; events not sent to other processes",
				"channel", b.s.channel, "events", len(chunk)+len(payloads), "err", err)
			return
		}
		b.notified.Add(int64(len(chunk)))
	}
}

// publish delivers e to local subscribers and queues it for the others.
func (b *bus) publish(e icc.Event, sender string) error {
	payload, err := json.Marshal(envelope{Event: e, Sender: sender})
	if err != nil {
		return fmt.Errorf("postgres: bus: encode event: %w", err)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return icc.Errorf(icc.EUNAVAILABLE, "postgres: the bus is closed")
	}
	key := coalesceKey{e.Topic, e.Type, e.ID}
	if i, ok := b.index[key]; ok {
		b.pending[i] = nil
	} else if len(b.index) >= maxPending {
		b.mu.Unlock()
		if n := b.overflows.Add(1); n == 1 || n%1000 == 0 {
			b.s.log.Warn("postgres: bus queue full; events not sent to other processes", "overflows", n)
		}
		b.deliver(e)
		return nil
	}
	b.index[key] = len(b.pending)
	b.pending = append(b.pending, &queued{key: key, payload: string(payload)})
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	b.deliver(e)
	return nil
}

// deliver hands e to every local subscription matching its topic, dropping
// (and counting) it for those whose buffer is full.
func (b *bus) deliver(e icc.Event) {
	b.subMu.RLock()
	defer b.subMu.RUnlock()
	for sub := range b.subs {
		if !sub.matches(e.Topic) {
			continue
		}
		ev := e
		ev.Data = slices.Clone(e.Data) // each subscriber owns its copy
		select {
		case sub.ch <- ev:
		default:
			sub.dropped.Add(1)
		}
	}
}

// missed counts one possibly missed event on every subscription, after the
// listener was reconnected: what other processes published while it was
// away is lost, and Dropped growing tells subscribers to catch up from
// the store.
func (b *bus) missed() {
	b.subMu.RLock()
	defer b.subMu.RUnlock()
	for sub := range b.subs {
		sub.dropped.Add(1)
	}
}

func (b *bus) subscribe(ctx context.Context, patterns []string) (*subscription, error) {
	sub := &subscription{b: b, patterns: patterns, ch: make(chan icc.Event, subscriberBuffer)}
	b.subMu.Lock()
	if b.subsClosed {
		b.subMu.Unlock()
		return nil, icc.Errorf(icc.EUNAVAILABLE, "postgres: the bus is closed")
	}
	b.subs[sub] = struct{}{}
	b.subMu.Unlock()
	sub.setStop(context.AfterFunc(ctx, func() { _ = sub.Close() }))
	return sub, nil
}

// close stops accepting events, ends the goroutines (sending what is queued)
// and every subscription, and waits for the goroutines.
func (b *bus) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
	b.subMu.Lock()
	b.subsClosed = true
	subs := make([]*subscription, 0, len(b.subs))
	for sub := range b.subs {
		subs = append(subs, sub)
	}
	b.subMu.Unlock()
	for _, sub := range subs {
		_ = sub.Close()
	}
}

// subscription is an icc.Subscription of the PostgreSQL bus.
type subscription struct {
	b        *bus
	patterns []string
	ch       chan icc.Event
	dropped  atomic.Int64
	once     sync.Once

	mu     sync.Mutex // guards stop and closed: ctx may end, and Close run, before subscribe sets stop
	stop   func() bool
	closed bool
}

// setStop keeps the function that stops the subscription's context
// watcher, or calls it when the subscription is already closed.
func (sub *subscription) setStop(stop func() bool) {
	sub.mu.Lock()
	closed := sub.closed
	if !closed {
		sub.stop = stop
	}
	sub.mu.Unlock()
	if closed {
		stop()
	}
}

func (sub *subscription) matches(topic string) bool {
	for _, p := range sub.patterns {
		if icc.TopicMatches(p, topic) {
			return true
		}
	}
	return false
}

// Events delivers the subscription's events; it is closed when the
// subscription ends.
func (sub *subscription) Events() <-chan icc.Event { return sub.ch }

// Dropped counts events not delivered because the buffer was full.
func (sub *subscription) Dropped() int64 { return sub.dropped.Load() }

// Close ends the subscription. It is safe to call more than once.
func (sub *subscription) Close() error {
	sub.once.Do(func() {
		sub.b.subMu.Lock()
		delete(sub.b.subs, sub)
		close(sub.ch) // under the lock, so deliver never sends on a closed channel
		sub.b.subMu.Unlock()
		sub.mu.Lock()
		sub.closed = true
		stop := sub.stop
		sub.mu.Unlock()
		if stop != nil {
			stop()
		}
	})
	return nil
}

// Publish sends an event to the subscribers of its topic in this process at
// once and, within a few milliseconds, to those of every other Store on the
// same database and schema. It never waits for the database: events are
// queued and sent by a background flusher, coalescing events with the same
// topic, type and id to the newest. It fills At and Origin (this Store's id)
// when they are empty and keeps At in UTC at microsecond precision.
func (s *Store) Publish(ctx context.Context, e icc.Event) error {
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = icc.Timestamp(e.At)
	if e.Origin == "" {
		e.Origin = s.origin
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.bus.publish(e, s.origin)
}

// Subscribe returns a subscription to the events of the given topics, which
// may end in "*" to match a prefix (e.g. "conversation.*"). It ends when ctx
// is done, when it is closed or when the Store closes.
func (s *Store) Subscribe(ctx context.Context, topics ...string) (icc.Subscription, error) {
	if len(topics) == 0 {
		return nil, icc.Invalid("topics", "at least one topic is required")
	}
	patterns := make([]string, len(topics))
	for i, t := range topics {
		base := strings.TrimSuffix(t, "*")
		if (base == "" && t != "*") || len(t) > 200 || strings.ContainsAny(base, "* \n\t") {
			return nil, icc.Invalid("topics", "topic %q must be a topic or a prefix ending in *", t)
		}
		patterns[i] = t
	}
	sub, err := s.bus.subscribe(ctx, patterns)
	if err != nil {
		return nil, err
	}
	return sub, nil
}
