package icc

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// Topics group events. Chat uses one topic per conversation.
const (
	TopicTickets      = "tickets"
	TopicIntegrations = "integrations"
	TopicAlerts       = "alerts"
	TopicAgents       = "agents"
)

// ConversationTopic is the topic of one conversation's events.
func ConversationTopic(id string) string { return "conversation." + id }

// MaxEventSize bounds an encoded event, far below PostgreSQL's 8000-byte
// NOTIFY payload limit. Events say "look now"; receivers read records from
// the store.
const MaxEventSize = 4000

// Event is a small notification published on a Bus.
type Event struct {
	// Topic is what the event is about, e.g. "tickets" or "conversation.<id>".
	Topic string `json:"topic"`
	// Type names what happened, e.g. "ticket.created", "message", "typing".
	Type string `json:"type"`
	// ID is the id of the record concerned, if any.
	ID string `json:"id,omitempty"`
	// Seq is a sequence number, e.g. the newest message of a conversation;
	// a receiver that sees a gap reads what it missed from the store.
	Seq int64 `json:"seq,omitempty"`
	// Data is a small JSON value with extra detail.
	Data json.RawMessage `json:"data,omitempty"`
	// Origin identifies the process that published the event, so a
	// receiver can tell its own events from others'.
	Origin string    `json:"origin,omitempty"`
	At     time.Time `json:"at"`
}

// Validate checks that the event can be published.
func (e *Event) Validate() error {
	if e.Topic == "" || len(e.Topic) > 200 || !utf8.ValidString(e.Topic) || strings.ContainsAny(e.Topic, "* \n") {
		return Invalid("topic", "must be 1 to 200 characters without spaces or *")
	}
	if e.Type == "" {
		return Invalid("type", "is required")
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return Invalid("data", "must be valid JSON")
	}
	if b, _ := json.Marshal(e); len(b) > MaxEventSize {
		return Invalid("data", "event is larger than %d bytes", MaxEventSize)
	}
	return nil
}

// Bus publishes small events to every subscriber of their topic, in this
// process or, for a shared backend, in every process using the same
// database. Delivery is best effort and at most once: the store is the
// source of truth and the bus only says "look now". A publisher may
// coalesce events with the same topic, type and id, delivering the newest.
type Bus interface {
	// Publish sends an event to the subscribers of its topic.
	Publish(ctx context.Context, e Event) error
	// Subscribe returns a subscription to the events of the given topics. A
	// topic ending in ".*" matches every topic with that prefix, e.g.
	// "conversation.*". The subscription ends when ctx is done or it is
	// closed.
	Subscribe(ctx context.Context, topics ...string) (Subscription, error)
}

// Subscription is a stream of events from a Bus.
type Subscription interface {
	// Events delivers events in publication order per publisher. It is
	// closed when the subscription ends.
	Events() <-chan Event
	// Dropped counts events that may not have been delivered: events
	// dropped because the subscriber was too slow to receive them and, on a
	// bus shared between processes, one for each time the bus lost and
	// regained its connection (what others published meanwhile is lost).
	// A subscriber that sees it grow catches up from the store.
	Dropped() int64
	// Close ends the subscription.
	Close() error
}

// TopicMatches reports whether topic is matched by pattern, which is a topic
// or a prefix followed by ".*".
func TopicMatches(pattern, topic string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(topic, prefix)
	}
	return pattern == topic
}

// Leaser grants named leases with a time to live, so that one process of a
// cluster runs a job (a probe, the SLA watcher) at a time.
type Leaser interface {
	// Acquire takes the lease name for holder for ttl when it is free,
	// expired, or already held by holder (which renews it). It reports
	// whether holder now has the lease.
	Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// Release gives up holder's lease on name; releasing a lease one does
	// not hold is not an error.
	Release(ctx context.Context, name, holder string) error
}
