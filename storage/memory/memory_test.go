package memory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
	"github.com/icclabs/commandcenter/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, storagetest.Harness{
		New: func(t *testing.T) icc.Backend {
			s := memory.New()
			t.Cleanup(func() { s.Close() })
			return s
		},
	})
}

func TestBusDropsForSlowSubscribers(t *testing.T) {
	ctx := context.Background()
	s := memory.New(memory.WithBuffer(4))
	defer s.Close()
	slow, err := s.Subscribe(ctx, "tickets")
	require.NoError(t, err)
	defer slow.Close()
	for i := range 10 {
		require.NoError(t, s.Publish(ctx, icc.Event{Topic: "tickets", Type: "n", Seq: int64(i)}))
	}
	assert.Equal(t, int64(6), slow.Dropped())
	// The buffered events are the oldest four, in order.
	for i := range 4 {
		e := <-slow.Events()
		assert.Equal(t, int64(i), e.Seq)
	}
	// Once drained, the subscriber receives again.
	require.NoError(t, s.Publish(ctx, icc.Event{Topic: "tickets", Type: "n", Seq: 99}))
	e := <-slow.Events()
	assert.Equal(t, int64(99), e.Seq)
	assert.Equal(t, int64(6), slow.Dropped())
}

func TestCloseEndsSubscriptionsAndPing(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	require.NoError(t, s.Ping(ctx))
	sub, err := s.Subscribe(ctx, "conversation.*")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, open := <-sub.Events()
	assert.False(t, open, "Close ends subscriptions")
	assert.NoError(t, sub.Close())
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(s.Ping(ctx)))
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(s.Publish(ctx, icc.Event{Topic: "t", Type: "x"})))
	_, err = s.Subscribe(ctx, "t")
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(err))
	assert.NoError(t, s.Close(), "Close is idempotent")
}

func TestNoGoroutineLeaks(t *testing.T) {
	// Goroutines running before the test (other tests', the runtime's) are
	// not this test's concern.
	ignore := goleak.IgnoreCurrent()
	s := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	var subs []icc.Subscription
	for i := range 100 {
		c := context.Background()
		if i%2 == 0 {
			c = ctx
		}
		sub, err := s.Subscribe(c, fmt.Sprint("topic.", i))
		require.NoError(t, err)
		subs = append(subs, sub)
	}
	cancel()
	for _, sub := range subs[:50] {
		require.NoError(t, sub.Close())
	}
	require.NoError(t, s.Close())
	for _, sub := range subs {
		_, open := <-sub.Events()
		assert.False(t, open)
	}
	// VerifyNone retries for a while, so watchers that are ending pass.
	goleak.VerifyNone(t, ignore)
}

func TestLeaseWithClock(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memory.New(memory.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	defer s.Close()
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	ok, err := s.Acquire(ctx, "probe", "a", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	advance(59 * time.Second)
	ok, _ = s.Acquire(ctx, "probe", "b", time.Minute)
	assert.False(t, ok)
	advance(time.Second)
	ok, _ = s.Acquire(ctx, "probe", "b", time.Minute)
	assert.True(t, ok, "expired at exactly the ttl")

	// The clock stamps records too.
	c := &icc.Customer{Email: "x@example.com"}
	require.NoError(t, s.CreateCustomer(ctx, c))
	assert.Equal(t, now, c.CreatedAt)
}

func TestCancelledContext(t *testing.T) {
	s := memory.New()
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.GetTicket(ctx, "x")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.AppendMessages(ctx, []icc.NewMessage{{ConversationID: "c", SenderType: icc.SenderAgent, Body: "x"}})
	assert.ErrorIs(t, err, context.Canceled)
}

func BenchmarkAppendMessages(b *testing.B) {
	for _, size := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			ctx := context.Background()
			s := memory.New()
			defer s.Close()
			convs := make([]string, 16)
			for i := range convs {
				c := &icc.Conversation{CustomerID: "bench"}
				require.NoError(b, s.CreateConversation(ctx, c))
				convs[i] = c.ID
			}
			batch := make([]icc.NewMessage, size)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := range batch {
					n++
					batch[i] = icc.NewMessage{ConversationID: convs[n%len(convs)], ClientID: fmt.Sprint(n),
						SenderType: icc.SenderCustomer, Body: "hello there"}
				}
				if _, err := s.AppendMessages(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
