package monitor

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// tick advances the clock one interval and waits until want checks are
// waiting again, i.e. every due run has finished.
func (e *env) tick(t *testing.T, d time.Duration, want int) {
	t.Helper()
	e.clock.Advance(d)
	e.clock.waitTimers(t, want)
}

func TestSchedulerAddUpdateRemove(t *testing.T) {
	e := newEnv(t, Config{})
	a, b := newFlapServer(t), newFlapServer(t)
	in := e.addIntegration(t, "crm", a.URL, nil)
	ctx := context.Background()
	const every = 10 * time.Second

	require.NoError(t, e.mon.Upsert(ctx, in))
	e.clock.waitTimers(t, 1)
	assert.Equal(t, []string{in.ID}, e.mon.Scheduled())
	for i := 1; i <= 3; i++ {
		e.tick(t, every, 1)
		assert.EqualValues(t, i, a.hits.Load(), "one run per interval")
	}
	assert.Len(t, e.results(t, in.ID), 3)
	assert.Equal(t, icc.StatusOperational, e.status(t, in.ID))

	// Upserting an unchanged check keeps its schedule.
	require.NoError(t, e.mon.Upsert(ctx, in))
	e.tick(t, every, 1)
	assert.EqualValues(t, 4, a.hits.Load())

	// Changing the check replaces it at once, without restart.
	in.Check.URL = b.URL
	in.Check.Interval = icc.Duration(20 * time.Second)
	require.NoError(t, e.mon.Upsert(ctx, in))
	e.clock.waitTimers(t, 1)
	e.tick(t, 20*time.Second, 1)
	e.tick(t, 20*time.Second, 1)
	assert.EqualValues(t, 4, a.hits.Load())
	assert.EqualValues(t, 2, b.hits.Load())

	// A bad condition is refused and leaves the running check alone.
	bad := *in
	bad.Check.Conditions = []string{"status === 200"}
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(e.mon.Upsert(ctx, &bad)))
	assert.Equal(t, []string{in.ID}, e.mon.Scheduled())

	e.mon.Remove(ctx, in.ID)
	e.clock.waitTimers(t, 0)
	e.clock.Advance(time.Minute)
	assert.Empty(t, e.mon.Scheduled())
	assert.EqualValues(t, 2, b.hits.Load())
}

func TestSchedulerSync(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	ctx := context.Background()
	one := e.addIntegration(t, "one", srv.URL, nil)
	two := e.addIntegration(t, "two", srv.URL, nil)
	e.addIntegration(t, "off", srv.URL, func(in *icc.Integration) { in.Enabled = false })
	e.addIntegration(t, "logs-only", srv.URL, func(in *icc.Integration) { in.Check = icc.CheckSpec{Type: icc.CheckNone} })

	require.NoError(t, e.mon.Sync(ctx))
	got := e.mon.Scheduled()
	slices.Sort(got)
	want := []string{one.ID, two.ID}
	slices.Sort(want)
	assert.Equal(t, want, got)
	e.clock.waitTimers(t, 2)

	require.NoError(t, e.store.DeleteIntegration(ctx, two.ID))
	require.NoError(t, e.mon.Sync(ctx))
	assert.Equal(t, []string{one.ID}, e.mon.Scheduled())
	e.clock.waitTimers(t, 1)
}

func TestSchedulerConcurrencyBound(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	var cur, peak atomic.Int64
	slow := func(ctx context.Context) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	e := newEnv(t, Config{Concurrency: 2, Funcs: map[string]CheckFunc{"slow": slow}})
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		in := e.addIntegration(t, name, "", func(in *icc.Integration) {
			in.Check = icc.CheckSpec{Type: icc.CheckFunc, Func: "slow", Interval: icc.Duration(10 * time.Second)}
		})
		require.NoError(t, e.mon.Upsert(ctx, in))
	}
	e.clock.waitTimers(t, 5)
	e.clock.Advance(10 * time.Second)
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("checks did not start")
		}
	}
	close(release)
	e.clock.waitTimers(t, 5) // all five ran and wait for their next run
	assert.Len(t, started, 3)
	assert.EqualValues(t, 2, peak.Load(), "never more than Concurrency probes at once")
}

func TestTwoInstancesShareLeases(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, nil)
	ctx := context.Background()
	const every = 10 * time.Second

	// Two monitors, as two processes sharing one backend and its leaser.
	m1 := e.newMonitor(t, Config{Store: e.store, Leaser: e.store, Clock: e.clock, Instance: "one", Logger: testLogger(t)})
	m2 := e.newMonitor(t, Config{Store: e.store, Leaser: e.store, Clock: e.clock, Instance: "two", Logger: testLogger(t)})
	require.NoError(t, m1.Upsert(ctx, in))
	require.NoError(t, m2.Upsert(ctx, in))
	e.clock.waitTimers(t, 2)
	for i := 1; i <= 5; i++ {
		e.tick(t, every, 2)
		assert.EqualValues(t, i, srv.hits.Load(), "interval %d: the check ran once across both", i)
	}
	assert.Len(t, e.results(t, in.ID), 5)

	// When one instance stops, the other takes over.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	require.NoError(t, m1.Close(cctx))
	require.NoError(t, m2.Close(cctx))
	m3 := e.newMonitor(t, Config{Store: e.store, Leaser: e.store, Clock: e.clock, Instance: "three", Logger: testLogger(t)})
	require.NoError(t, m3.Upsert(ctx, in))
	e.clock.waitTimers(t, 1)
	e.tick(t, every, 1)
	assert.EqualValues(t, 6, srv.hits.Load())
}

func TestLeaseExpiresWhenHolderDies(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, nil)
	ctx := context.Background()
	// A dead instance holds the lease: it never renews or releases it.
	ok, err := e.store.Acquire(ctx, leaseName(in.ID), "dead", 10*time.Second)
	require.NoError(t, err)
	require.True(t, ok)

	m := e.newMonitor(t, Config{Store: e.store, Leaser: e.store, Clock: e.clock, Instance: "alive", Logger: testLogger(t)})
	require.NoError(t, m.Upsert(ctx, in))
	e.clock.waitTimers(t, 1)
	e.tick(t, 9*time.Second, 1)
	assert.Zero(t, srv.hits.Load(), "the lease is still held")
	e.tick(t, 10*time.Second, 1)
	assert.EqualValues(t, 1, srv.hits.Load(), "the expired lease was taken over")
}

// run starts e.mon.Run; stop ends it and checks that it returned.
func (e *env) run(t *testing.T) (ctx context.Context, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.mon.Run(ctx) }()
	return ctx, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return")
		}
	}
}

func TestRunResyncsOnBusEvents(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	first := e.addIntegration(t, "one", srv.URL, nil)
	ctx, stop := e.run(t)
	e.clock.waitTimers(t, 2) // the sync timer and the check
	assert.Equal(t, []string{first.ID}, e.mon.Scheduled())

	// Another process adds an integration and says so on the bus.
	second := e.addIntegration(t, "two", srv.URL, nil)
	require.NoError(t, e.store.Publish(ctx, icc.Event{Topic: icc.TopicIntegrations, Type: "integration.created", ID: second.ID, At: e.clock.Now()}))
	e.clock.waitFor(t, "two checks", func() bool { return len(e.mon.Scheduled()) == 2 })
	// Run has finished that sync once its next sync timer is armed again
	// beside the two check timers; only then does advancing the clock reach it.
	e.clock.waitTimers(t, 3)

	// And the periodic sync notices a deletion.
	require.NoError(t, e.store.DeleteIntegration(ctx, first.ID))
	e.clock.Advance(time.Minute)
	e.clock.waitFor(t, "one check", func() bool { return len(e.mon.Scheduled()) == 1 })
	assert.Equal(t, []string{second.ID}, e.mon.Scheduled())

	stop()
}

// leakyBus is a bus whose subscriptions can be told they missed events, as
// a shared bus's are after it loses its connection.
type leakyBus struct {
	icc.Bus
	missed atomic.Int64
}

func (b *leakyBus) Subscribe(ctx context.Context, topics ...string) (icc.Subscription, error) {
	sub, err := b.Bus.Subscribe(ctx, topics...)
	if err != nil {
		return nil, err
	}
	return leakySub{sub, &b.missed}, nil
}

type leakySub struct {
	icc.Subscription
	missed *atomic.Int64
}

func (s leakySub) Dropped() int64 { return s.Subscription.Dropped() + s.missed.Load() }

func TestRunResyncsAfterMissedEvents(t *testing.T) {
	e := newEnv(t, Config{})
	bus := &leakyBus{Bus: e.store}
	e.mon = e.newMonitor(t, Config{Store: e.store, Clock: e.clock, Bus: bus, Logger: testLogger(t)})
	srv := newFlapServer(t)
	first := e.addIntegration(t, "one", srv.URL, nil)
	ctx, stop := e.run(t)
	e.clock.waitTimers(t, 2) // the sync timer and the check
	assert.Equal(t, []string{first.ID}, e.mon.Scheduled())

	// Another process adds an integration while this one's bus connection
	// is down: the announcement is lost, and the subscription says so.
	second := e.addIntegration(t, "two", srv.URL, nil)
	bus.missed.Add(1)
	// The next event, even a status one that needs no sync by itself, makes
	// the monitor catch up from the store without waiting for the interval.
	require.NoError(t, e.store.Publish(ctx, icc.Event{Topic: icc.TopicIntegrations, Type: EventStatus, ID: first.ID, At: e.clock.Now()}))
	e.clock.waitFor(t, "two checks", func() bool { return len(e.mon.Scheduled()) == 2 })
	assert.ElementsMatch(t, []string{first.ID, second.ID}, e.mon.Scheduled())

	stop()
}
