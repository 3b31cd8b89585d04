package memory

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/icclabs/commandcenter/icc"
)

// bus is the in-process event bus: Publish hands each event to the
// buffered channel of every matching subscription without blocking.
type bus struct {
	mu     sync.RWMutex
	closed bool
	subs   map[*subscription]struct{}
}

// subscription is one subscriber's stream. Its channel is closed exactly
// once, under bus.mu, so Publish never sends on a closed channel.
type subscription struct {
	b       *bus
	topics  []string
	ch      chan icc.Event
	dropped atomic.Int64
	done    chan struct{} // closed when the subscription ends
	once    sync.Once
}

// Publish delivers e to every subscription of its topic in this process.
// A subscriber whose buffer is full misses the event, which is counted in
// its Dropped.
func (s *Store) Publish(ctx context.Context, e icc.Event) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = s.stamp()
	}
	e.At = icc.Timestamp(e.At)
	b := &s.bus
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return icc.Unavailable(nil, "memory bus is closed")
	}
	for sub := range b.subs {
		if !sub.matches(e.Topic) {
			continue
		}
		ev := e
		ev.Data = slices.Clone(e.Data)
		select {
		case sub.ch <- ev:
		default:
			sub.dropped.Add(1)
		}
	}
	return nil
}

// Subscribe returns a subscription to the events of topics; a topic ending
// in ".*" matches every topic with that prefix. The subscription ends when
// ctx is done, when it is closed, or when the store is closed.
func (s *Store) Subscribe(ctx context.Context, topics ...string) (icc.Subscription, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if len(topics) == 0 {
		return nil, icc.Invalid("topics", "at least one topic is required")
	}
	for _, t := range topics {
		if t == "" {
			return nil, icc.Invalid("topics", "a topic must not be empty")
		}
	}
	b := &s.bus
	sub := &subscription{
		b:      b,
		topics: slices.Clone(topics),
		ch:     make(chan icc.Event, s.buffer),
		done:   make(chan struct{}),
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, icc.Unavailable(nil, "memory bus is closed")
	}
	b.subs[sub] = struct{}{}
	b.mu.Unlock()
	// The watcher is owned by the subscription: it ends when ctx is done
	// or the subscription ends, whichever comes first.
	go func() {
		select {
		case <-ctx.Done():
			sub.Close()
		case <-sub.done:
		}
	}()
	return sub, nil
}

func (sub *subscription) matches(topic string) bool {
	for _, p := range sub.topics {
		if icc.TopicMatches(p, topic) {
			return true
		}
	}
	return false
}

// Events delivers the subscription's events; it is closed when the
// subscription ends.
func (sub *subscription) Events() <-chan icc.Event { return sub.ch }

// Dropped counts the events this subscriber missed because its buffer was
// full.
func (sub *subscription) Dropped() int64 { return sub.dropped.Load() }

// Close ends the subscription. It may be called more than once.
func (sub *subscription) Close() error {
	sub.b.mu.Lock()
	defer sub.b.mu.Unlock()
	sub.endLocked()
	return nil
}

// endLocked ends the subscription; the caller holds b.mu.
func (sub *subscription) endLocked() {
	sub.once.Do(func() {
		delete(sub.b.subs, sub)
		close(sub.ch)
		close(sub.done)
	})
}

// closeAll ends every subscription and refuses new ones.
func (b *bus) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for sub := range b.subs {
		sub.endLocked()
	}
}
