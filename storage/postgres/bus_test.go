package postgres

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// receive waits for the next event of sub.
func receive(t *testing.T, sub icc.Subscription) icc.Event {
	t.Helper()
	select {
	case e, ok := <-sub.Events():
		require.True(t, ok, "subscription ended")
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return icc.Event{}
}

// none asserts that sub receives nothing for a while.
func none(t *testing.T, sub icc.Subscription) {
	t.Helper()
	select {
	case e := <-sub.Events():
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestBusLocalAndPeer(t *testing.T) {
	t.Parallel()
	a := newStore(t)
	b := openStore(t, a.schema)
	other := newStore(t) // another schema: another channel
	ctx := context.Background()

	subA, err := a.Subscribe(ctx, "conversation.*")
	require.NoError(t, err)
	subB, err := b.Subscribe(ctx, "conversation.*", icc.TopicTickets)
	require.NoError(t, err)
	subOther, err := other.Subscribe(ctx, "conversation.*")
	require.NoError(t, err)

	require.NoError(t, a.Publish(ctx, icc.Event{Topic: icc.ConversationTopic("c1"), Type: "message", ID: "c1", Seq: 1}))
	e := receive(t, subA)
	assert.Equal(t, int64(1), e.Seq)
	assert.Equal(t, a.origin, e.Origin, "origin filled in")
	assert.False(t, e.At.IsZero())
	got := receive(t, subB)
	assert.Equal(t, e, got, "the peer receives the same event")

	require.NoError(t, b.Publish(ctx, icc.Event{Topic: icc.TopicTickets, Type: "ticket.created", ID: "t1", Origin: "node-b"}))
	got = receive(t, subB)
	assert.Equal(t, "node-b", got.Origin)
	none(t, subA)     // not subscribed to tickets, and no echo of its own
	none(t, subOther) // other schema
	none(t, subB)     // no echo of b's own event over NOTIFY

	_, err = a.Subscribe(ctx)
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
	_, err = a.Subscribe(ctx, "a b")
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(a.Publish(ctx, icc.Event{Topic: "x"})))
}

func TestBusOrderCoalescingAndDrops(t *testing.T) {
	t.Parallel()
	a := newStore(t)
	b := openStore(t, a.schema)
	ctx := context.Background()
	subB, err := b.Subscribe(ctx, "conversation.c1", "alerts")
	require.NoError(t, err)
	slow, err := a.Subscribe(ctx, "alerts")
	require.NoError(t, err)

	// Many updates of one key: the peer sees them in order, and the newest
	// surely; fewer notifications than events are sent.
	const n = 2000
	for i := 1; i <= n; i++ {
		require.NoError(t, a.Publish(ctx, icc.Event{Topic: "conversation.c1", Type: "message", ID: "c1", Seq: int64(i)}))
	}
	last := int64(0)
	for last < n {
		e := receive(t, subB)
		require.Greater(t, e.Seq, last, "in publication order")
		last = e.Seq
	}
	assert.Less(t, a.bus.notified.Load(), int64(n), "coalesced")

	// A subscriber that does not read loses what overflows its buffer.
	for i := range subscriberBuffer + 10 {
		require.NoError(t, a.Publish(ctx, icc.Event{Topic: icc.TopicAlerts, Type: "alert.fired", ID: "x", Seq: int64(i)}))
	}
	assert.EqualValues(t, 10, slow.Dropped())
	require.NoError(t, slow.Close())
	require.NoError(t, slow.Close())

	// Ending the context ends the subscription.
	cctx, cancel := context.WithCancel(ctx)
	sub, err := a.Subscribe(cctx, "x")
	require.NoError(t, err)
	cancel()
	require.Eventually(t, func() bool {
		_, ok := <-sub.Events()
		return !ok
	}, 5*time.Second, 10*time.Millisecond)
}

func TestBusCloseEndsSubscriptions(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s, err := Open(context.Background(), Config{URL: testURL(t), Schema: schema})
	require.NoError(t, err)
	sub, err := s.Subscribe(context.Background(), "x")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, ok := <-sub.Events()
	assert.False(t, ok)
	assert.Equal(t, icc.EUNAVAILABLE, icc.ErrorCode(s.Publish(context.Background(), icc.Event{Topic: "x", Type: "y"})))
}

// TestBusSubscribeWhileCancelled: a context that ends while Subscribe runs
// (a server stopping as its monitor starts) ends the subscription cleanly;
// under -race this once caught Close reading the context watcher's stop
// function while Subscribe was still setting it.
func TestBusSubscribeWhileCancelled(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s, err := Open(context.Background(), Config{URL: testURL(t), Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		go cancel()
		sub, err := s.Subscribe(ctx, "x")
		require.NoError(t, err)
		select {
		case _, ok := <-sub.Events():
			assert.False(t, ok)
		case <-time.After(5 * time.Second):
			t.Fatal("the subscription did not end with its context")
		}
		require.NoError(t, sub.Close())
	}
}

// publishUntilReceived publishes on pub until sub receives one of the
// events: the listener may still be reconnecting when the first ones go.
func publishUntilReceived(t *testing.T, pub *Store, sub icc.Subscription, topic string, timeout time.Duration) {
	t.Helper()
	seq := int64(0)
	require.Eventually(t, func() bool {
		seq++
		_ = pub.Publish(context.Background(), icc.Event{Topic: topic, Type: "ping", Seq: seq})
		select {
		case e := <-sub.Events():
			return e.Topic == topic
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}, timeout, time.Millisecond)
}

func TestBusReconnectsAfterListenerKilled(t *testing.T) {
	t.Parallel()
	a := newStore(t)
	b := openStore(t, a.schema)
	ctx := context.Background()
	sub, err := b.Subscribe(ctx, "reconnect")
	require.NoError(t, err)
	publishUntilReceived(t, a, sub, "reconnect", 10*time.Second)
	before := sub.Dropped()

	var killed []bool
	require.NoError(t, a.db.NewRaw("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
		b.bus.listenerName()).Scan(ctx, &killed))
	require.Equal(t, []bool{true}, killed, "the listener's backend was found and terminated")

	publishUntilReceived(t, a, sub, "reconnect", 20*time.Second)
	assert.Greater(t, sub.Dropped(), before, "the reconnect tells the subscriber it may have missed events")
	var n int
	require.NoError(t, a.db.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
		b.bus.listenerName()).Scan(ctx, &n))
	assert.Equal(t, 1, n, "one listener connection again")
}

// TestBusSurvivesServerRestart restarts the PostgreSQL server and checks that
// the bus listener reconnects by itself and the store works again. It
// restarts a shared server, so it runs only when asked to.
func TestBusSurvivesServerRestart(t *testing.T) {
	if os.Getenv("ICC_TEST_PG_RESTART") != "1" {
		t.Skip("set ICC_TEST_PG_RESTART=1 to restart the local PostgreSQL server (pg_ctlcluster) in this test; run it alone")
	}
	versions, _ := filepath.Glob("/etc/postgresql/*")
	if len(versions) != 1 {
		t.Skipf("need exactly one cluster version under /etc/postgresql, found %v", versions)
	}
	version := filepath.Base(versions[0])

	a := newStore(t)
	b := openStore(t, a.schema)
	ctx := context.Background()
	sub, err := b.Subscribe(ctx, "restart")
	require.NoError(t, err)
	publishUntilReceived(t, a, sub, "restart", 10*time.Second)

	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart").CombinedOutput()
	require.NoError(t, err, "pg_ctlcluster: %s", out)

	// Wait until the server accepts connections again.
	require.Eventually(t, func() bool {
		c, err := pgx.Connect(ctx, testURL(t))
		if err != nil {
			return false
		}
		_ = c.Close(ctx)
		return true
	}, 60*time.Second, 100*time.Millisecond)

	publishUntilReceived(t, a, sub, "restart", 30*time.Second)
	// The pool replaces its broken connections too.
	require.Eventually(t, func() bool { return a.Ping(ctx) == nil && b.Ping(ctx) == nil }, 30*time.Second, 100*time.Millisecond)
	c := &icc.Customer{Email: "after@example.com"}
	require.Eventually(t, func() bool { return a.CreateCustomer(ctx, c) == nil }, 30*time.Second, 100*time.Millisecond)
	_, err = b.GetCustomer(ctx, c.ID)
	require.NoError(t, err)
}
