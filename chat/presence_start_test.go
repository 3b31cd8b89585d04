package chat

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// TestNewHubLearnsPresenceAtOnce: a hub that starts while an agent is
// connected to another hub sees the agent online at once, not after the
// other hub's next periodic announcement (an hour away here).
func TestNewHubLearnsPresenceAtOnce(t *testing.T) {
	st := newMemory(t)
	testNewHubLearnsPresence(t, st, func() icc.Backend { return st })
}

// TestNewHubLearnsPresenceAtOncePostgres: the same with two hubs, each with
// its own connection pool and LISTEN/NOTIFY bus, on one PostgreSQL schema.
func TestNewHubLearnsPresenceAtOncePostgres(t *testing.T) {
	schema := newSchema(t)
	testNewHubLearnsPresence(t, openPostgres(t, schema), func() icc.Backend { return openPostgres(t, schema) })
}

// testNewHubLearnsPresence connects an agent to a hub on a, then starts a
// hub on the backend that b opens, and checks that it sees the agent
// online within a short deadline.
func testNewHubLearnsPresence(t *testing.T, a icc.Backend, b func() icc.Backend) {
	hubA := newHub(t, Config{Store: a, Bus: a, Instance: "A", PresenceInterval: time.Hour})
	srvA := httptest.NewServer(hubA)
	t.Cleanup(srvA.Close)
	dial(t, wsURL(srvA, url.Values{"agent": {"a1"}}))
	require.Equal(t, 1, hubA.AgentsOnline())

	sb := b()
	hubB := newHub(t, Config{Store: sb, Bus: sb, Instance: "B", PresenceInterval: time.Hour})
	require.Eventually(t, func() bool { return hubB.AgentsOnline() == 1 }, 2*time.Second, time.Millisecond,
		"hub B does not see the agent connected to hub A")

	// B's clients are told too.
	srvB := httptest.NewServer(hubB)
	t.Cleanup(srvB.Close)
	conv, tok, err := hubB.StartConversation(context.Background(), "cust-1", "hello")
	require.NoError(t, err)
	cust := dial(t, wsURL(srvB, url.Values{"conversation_id": {conv.ID}, "token": {tok}}))
	p := cust.expect(TypePresence)
	assert.Equal(t, "a1", p.AgentID)
	assert.Equal(t, "online", p.Status)
}

// TestPresenceAskedAfterMissedEvents: a hub whose bus subscription may have
// missed events (as after a lost connection) asks for presence again, and
// so learns an agent whose announcement it missed.
func TestPresenceAskedAfterMissedEvents(t *testing.T) {
	st := newMemory(t)
	hubA := newHub(t, Config{Store: st, Bus: st, Instance: "A", PresenceInterval: time.Hour})
	srvA := httptest.NewServer(hubA)
	t.Cleanup(srvA.Close)
	bus := &deafBus{lossyBus: lossyBus{Bus: st}, hear: make(chan struct{}), dropped: make(chan icc.Event, 100)}
	hubB := newHub(t, Config{Store: st, Bus: bus, Instance: "B", PresenceInterval: time.Hour})

	// B's subscription loses the agent's announcement.
	dial(t, wsURL(srvA, url.Values{"agent": {"a1"}}))
	for {
		e := waitCh(t, bus.dropped, "the lost announcement")
		if e.Type == evPresence && e.ID == "a1" {
			break
		}
	}
	assert.Zero(t, hubB.AgentsOnline())

	// The bus tells B that it may have missed events.
	close(bus.hear)
	bus.missed.Add(1)
	require.Eventually(t, func() bool { return hubB.AgentsOnline() == 1 }, wait, time.Millisecond,
		"hub B does not ask for presence after missing events")
}

// deafBus is a lossyBus whose subscriptions lose every event (passing it to
// dropped) until hear is closed.
type deafBus struct {
	lossyBus
	hear    chan struct{}
	dropped chan icc.Event
}

func (b *deafBus) Subscribe(ctx context.Context, topics ...string) (icc.Subscription, error) {
	s, err := b.lossyBus.Subscribe(ctx, topics...)
	if err != nil {
		return nil, err
	}
	d := &deafSub{Subscription: s, out: make(chan icc.Event), closed: make(chan struct{})}
	go d.forward(b) // ends when the subscription does
	return d, nil
}

// deafSub forwards its subscription's events while its bus hears.
type deafSub struct {
	icc.Subscription
	out    chan icc.Event
	closed chan struct{}
	once   sync.Once
}

func (s *deafSub) forward(b *deafBus) {
	defer close(s.out)
	for e := range s.Subscription.Events() {
		select {
		case <-b.hear:
		default:
			select {
			case b.dropped <- e:
			default:
			}
			continue
		}
		select {
		case s.out <- e:
		case <-s.closed:
			return
		}
	}
}

func (s *deafSub) Events() <-chan icc.Event { return s.out }

func (s *deafSub) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Subscription.Close()
}

// TestPresenceRequestsRateLimited: a burst of presence requests costs one
// announcement at once and one more when presenceAnswerGap has passed
// (for requests that arrived after the first announcement), not one each.
func TestPresenceRequestsRateLimited(t *testing.T) {
	st := newMemory(t)
	hubA := newHub(t, Config{Store: st, Bus: st, Instance: "A", PresenceInterval: time.Hour})
	srvA := httptest.NewServer(hubA)
	t.Cleanup(srvA.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := st.Subscribe(ctx, icc.TopicAgents)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	dial(t, wsURL(srvA, url.Values{"agent": {"a1"}}))
	announcement := func() time.Time {
		t.Helper()
		for {
			select {
			case e := <-sub.Events():
				if e.Origin == "A" && e.Type == evPresence && e.ID == "a1" {
					return time.Now()
				}
			case <-time.After(wait):
				t.Fatal("no announcement")
			}
		}
	}
	announcement() // the agent came online

	for i := range 20 {
		require.NoError(t, st.Publish(ctx, icc.Event{Topic: icc.TopicAgents, Type: evPresenceRequest, ID: fmt.Sprint("X", i), Origin: fmt.Sprint("X", i)}))
	}
	first := announcement()
	second := announcement()
	assert.GreaterOrEqual(t, second.Sub(first), presenceAnswerGap/2, "the second answer came too soon")
	select {
	case e := <-sub.Events():
		t.Fatalf("a third announcement: %+v", e)
	case <-time.After(presenceAnswerGap + presenceAnswerGap/2):
	}
}

// TestAnswerLimiter: requests are answered at once when the last
// announcement is a gap old, otherwise by one scheduled announcement.
func TestAnswerLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)
	l := answerLimiter{gap: time.Second}

	now, after := l.request(t0)
	assert.True(t, now, "the first request is answered at once")
	assert.Zero(t, after)
	l.announced(t0)

	now, after = l.request(t0.Add(100 * time.Millisecond))
	assert.False(t, now)
	assert.Equal(t, 900*time.Millisecond, after, "answered when the gap has passed")
	for i := range 10 {
		now, after = l.request(t0.Add(time.Duration(200+i) * time.Millisecond))
		assert.False(t, now)
		assert.Zero(t, after, "already scheduled")
	}
	l.announced(t0.Add(time.Second))

	now, _ = l.request(t0.Add(1500 * time.Millisecond))
	assert.False(t, now)
	now, _ = l.request(t0.Add(3 * time.Second))
	assert.False(t, now, "still scheduled: no announcement since")
	l.announced(t0.Add(3 * time.Second)) // e.g. the periodic one
	now, after = l.request(t0.Add(4 * time.Second))
	assert.True(t, now)
	assert.Zero(t, after)
}
