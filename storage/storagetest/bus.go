package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// warmupType marks the events the bus tests publish until a subscription
// is seen to receive; the contract does not promise that a subscription on
// another instance is listening the moment Subscribe returns.
const warmupType = "storagetest.warmup"

// waitTimeout bounds every wait for an event.
const waitTimeout = 10 * time.Second

// warmUp publishes warm-up events on topic through pub until sub receives
// one.
func warmUp(t *testing.T, pub icc.Bus, sub icc.Subscription, topic string) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitTimeout)
	n := 0
	for {
		n++
		require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: warmupType, ID: fmt.Sprint(n)}))
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended during warm-up")
			if e.Type == warmupType {
				return
			}
			t.Fatalf("unexpected event during warm-up: %+v", e)
		case <-tick.C:
		case <-deadline:
			t.Fatalf("subscription received nothing on %q within %s", topic, waitTimeout)
		}
	}
}

// next returns the next event of sub that is not a warm-up event.
func next(t *testing.T, sub icc.Subscription) icc.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case e, ok := <-sub.Events():
			require.True(t, ok, "subscription ended")
			if e.Type != warmupType {
				return e
			}
		case <-deadline:
			t.Fatalf("no event within %s", waitTimeout)
		}
	}
}

// requireEnds waits until sub's channel is closed.
func requireEnds(t *testing.T, sub icc.Subscription) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("subscription did not end within %s", waitTimeout)
		}
	}
}

func (s *suite) bus(t *testing.T) {
	// pairs runs f with a publisher and a subscriber side: the same
	// backend, and a peer sharing its data.
	pairs := s.localAndPeer

	t.Run("Order", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			topic := icc.ConversationTopic(icc.NewID())
			sub, err := subB.Subscribe(ctx(t), topic)
			require.NoError(t, err)
			defer sub.Close()
			warmUp(t, pub, sub, topic)
			const n = 50
			for i := range n {
				require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: "message", ID: fmt.Sprintf("m%d", i),
					Seq: int64(i + 1), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Origin: "node-a"}))
			}
			for i := range n {
				e := next(t, sub)
				require.Equal(t, fmt.Sprintf("m%d", i), e.ID, "events arrive in publication order")
				assert.Equal(t, topic, e.Topic)
				assert.Equal(t, "message", e.Type)
				assert.Equal(t, int64(i+1), e.Seq)
				assert.Equal(t, "node-a", e.Origin)
				assert.JSONEq(t, fmt.Sprintf(`{"n":%d}`, i), string(e.Data))
			}
			assert.Zero(t, sub.Dropped())
		})
	})

	t.Run("Topics", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			tag := icc.NewID()[20:]
			alerts := "alerts." + tag
			sub, err := subB.Subscribe(ctx(t), "conversation.*", alerts)
			require.NoError(t, err)
			defer sub.Close()
			warmUp(t, pub, sub, alerts)
			for _, topic := range []string{
				icc.TopicTickets,             // not subscribed
				"conversation" + tag,         // no dot: not matched by conversation.*
				"conversation." + tag,        // matched
				alerts + "x",                 // a longer topic is not the subscribed one
				alerts,                       // subscribed
				"conversation." + tag + ".x", // matched by the prefix
				"other.conversation." + tag,  // not matched
			} {
				require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: "t", ID: topic}))
			}
			require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: alerts, Type: "end", ID: "end"}))
			var got []string
			for {
				e := next(t, sub)
				if e.Type == "end" {
					break
				}
				got = append(got, e.Topic)
			}
			assert.Equal(t, []string{"conversation." + tag, alerts, "conversation." + tag + ".x"}, got)
		})
	})

	t.Run("Fanout", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			topic := "tickets." + icc.NewID()
			subs := make([]icc.Subscription, 3)
			for i := range subs {
				sub, err := subB.Subscribe(ctx(t), topic)
				require.NoError(t, err)
				defer sub.Close()
				subs[i] = sub
				warmUp(t, pub, sub, topic)
			}
			local, err := pub.Subscribe(ctx(t), topic)
			require.NoError(t, err)
			defer local.Close()
			warmUp(t, pub, local, topic)
			require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: "ticket.created", ID: "t1"}))
			for _, sub := range append(subs, local) {
				e := next(t, sub)
				assert.Equal(t, "t1", e.ID)
			}
		})
	})

	t.Run("Close", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			topic := "close." + icc.NewID()
			sub, err := subB.Subscribe(ctx(t), topic)
			require.NoError(t, err)
			warmUp(t, pub, sub, topic)
			require.NoError(t, sub.Close())
			requireEnds(t, sub)
			_ = sub.Close() // a second Close must not panic
			// Publishing after a subscriber left still works.
			require.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: "after"}))
		})
	})

	t.Run("ContextEnds", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			topic := "ctx." + icc.NewID()
			c, cancel := context.WithCancel(ctx(t))
			sub, err := subB.Subscribe(c, topic)
			require.NoError(t, err)
			defer sub.Close()
			warmUp(t, pub, sub, topic)
			cancel()
			requireEnds(t, sub)
		})
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		b := s.open(t)
		for _, c := range []struct {
			e     icc.Event
			field string
		}{
			{icc.Event{Type: "x"}, "topic"},
			{icc.Event{Topic: "a b", Type: "x"}, "topic"},
			{icc.Event{Topic: "conversation.*", Type: "x"}, "topic"},
			{icc.Event{Topic: strings.Repeat("t", 201), Type: "x"}, "topic"},
			{icc.Event{Topic: "tickets"}, "type"},
			{icc.Event{Topic: "tickets", Type: "x", Data: json.RawMessage("{")}, "data"},
			{icc.Event{Topic: "tickets", Type: "x", Data: json.RawMessage(`"` + strings.Repeat("x", icc.MaxEventSize) + `"`)}, "data"},
		} {
			requireCode(t, b.Publish(ctx(t), c.e), icc.EINVALID, c.field, fmt.Sprintf("%+v", c.e))
		}
	})

	t.Run("ConcurrentPublishers", func(t *testing.T) {
		pairs(t, func(t *testing.T, pub, subB icc.Backend) {
			topic := "many." + icc.NewID()
			sub, err := subB.Subscribe(ctx(t), topic)
			require.NoError(t, err)
			defer sub.Close()
			warmUp(t, pub, sub, topic)
			const publishers, each = 5, 20
			var wg sync.WaitGroup
			for p := range publishers {
				wg.Go(func() {
					for i := range each {
						assert.NoError(t, pub.Publish(ctx(t), icc.Event{Topic: topic, Type: "n", ID: fmt.Sprintf("%d-%d", p, i), Seq: int64(i)}))
					}
				})
			}
			wg.Wait()
			// Every event arrives (the subscriber's buffer holds them all),
			// and each publisher's events in its order.
			last := map[string]int64{}
			for range publishers * each {
				e := next(t, sub)
				p, _, _ := strings.Cut(e.ID, "-")
				if prev, ok := last[p]; ok {
					assert.Greater(t, e.Seq, prev, "publisher %s out of order", p)
				}
				last[p] = e.Seq
			}
			assert.Len(t, last, publishers)
		})
	})
}
