package monitor

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// pgSchema returns the database URL of the PostgreSQL tests and a fresh
// schema in it, dropped with everything in it when the test ends, or skips
// the test when ICC_TEST_DATABASE_URL is unset.
func pgSchema(t *testing.T) (url, schema string) {
	t.Helper()
	url = os.Getenv("ICC_TEST_DATABASE_URL")
	if url == "" {
		t.Skip("set ICC_TEST_DATABASE_URL=postgres://... to run the PostgreSQL tests")
	}
	schema = "icc_monitor_" + icc.NewID()[16:]
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return url, schema
}

// openPGStore opens a postgres.Store on schema, as one process of a
// cluster would. It is closed when the test ends, after the monitors
// started later (cleanups run last-registered first).
func openPGStore(t *testing.T, url, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: url, Schema: schema, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// pgInstance is one monitor of a cluster, running on its own store.
type pgInstance struct {
	name string
	mon  *Monitor
	done chan error // Run's result
}

// startPGInstance starts a monitor named name on s, with s as its store,
// bus and leaser, and runs it until it is closed (at the latest when the
// test ends).
func startPGInstance(t *testing.T, s *postgres.Store, name string) *pgInstance {
	t.Helper()
	m, err := New(Config{Store: s, Bus: s, Leaser: s, Instance: name, Logger: testLogger(t)})
	require.NoError(t, err)
	p := &pgInstance{name: name, mon: m, done: make(chan error, 1)}
	go func() { p.done <- m.Run(context.Background()) }()
	t.Cleanup(func() { p.close(t) })
	return p
}

// close stops the monitor and checks that Run ended cleanly. Closing
// twice is harmless.
func (p *pgInstance) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.mon.Close(ctx))
	select {
	case err, ok := <-p.done:
		if ok {
			assert.NoError(t, err, "%s: Run", p.name)
			close(p.done)
		}
	case <-ctx.Done():
		t.Fatalf("%s: Run did not return after Close", p.name)
	}
}

// hitServer is a check target that reports the time of every request.
type hitServer struct {
	*httptest.Server
	hits chan time.Time
}

func newHitServer(t *testing.T) *hitServer {
	s := &hitServer{hits: make(chan time.Time, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.hits <- time.Now():
		default:
			t.Error("too many hits on the check target")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// next waits up to d for the next hit and returns its time.
func (s *hitServer) next(t *testing.T, d time.Duration, what string) time.Time {
	t.Helper()
	select {
	case at := <-s.hits:
		return at
	case <-time.After(d):
		t.Fatalf("no hit on the check target within %s: %s", d, what)
		return time.Time{}
	}
}

// until collects the hits that arrive before the deadline.
func (s *hitServer) until(deadline time.Time) []time.Time {
	tm := time.NewTimer(time.Until(deadline))
	defer tm.Stop()
	var got []time.Time
	for {
		select {
		case at := <-s.hits:
			got = append(got, at)
		case <-tm.C:
			for { // those sent before the deadline but not yet received
				select {
				case at := <-s.hits:
					if !at.After(deadline) {
						got = append(got, at)
					} else {
						// Put it back: it belongs to what comes next.
						s.hits <- at
						return got
					}
				default:
					return got
				}
			}
		}
	}
}

// TestPostgresTwoInstancesShareChecks runs two monitors, each on its own
// postgres.Store over one schema, as two processes of a cluster. The
// check's lease is judged by the database clock, so the test runs in real
// time with the shortest interval a check allows (1s): about 8 seconds.
//
// It proves that the check runs once per interval across the cluster and
// that the survivor takes over when the lease holder stops. Tolerances,
// for a loaded machine:
//   - Over N intervals after a first hit, the target sees N hits, give or
//     take one: when the lease passes from one instance to the other (it
//     may, if a renewal is late and the other's tick falls in the gap), the
//     phase shifts to the new holder's schedule and one interval may go
//     without a hit. Both instances probing would give about 2N.
//   - No two hits are less than half an interval apart. Two instances
//     probing on their own schedules always produce a pair of hits at most
//     half an interval apart; one holder produces one only when a run
//     starts more than half an interval late.
//   - After the holder closes (which releases its lease), the survivor
//     probes at its next tick, within one interval, plus 1s of slack (a
//     second interval of room covers a release that did not reach the
//     database).
func TestPostgresTwoInstancesShareChecks(t *testing.T) {
	url, schema := pgSchema(t)
	start := time.Now()
	s1 := openPGStore(t, url, schema)
	s2 := openPGStore(t, url, schema)
	srv := newHitServer(t)
	ctx := context.Background()
	const every = time.Second
	in := &icc.Integration{
		Name: "crm", Kind: icc.KindCRM, Enabled: true,
		Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: srv.URL, Conditions: []string{"status == 200"}, Interval: icc.Duration(every)},
	}
	require.NoError(t, s1.CreateIntegration(ctx, in))

	one := startPGInstance(t, s1, "one")
	two := startPGInstance(t, s2, "two")
	byName := map[string]*pgInstance{one.name: one, two.name: two}
	for _, p := range byName {
		require.Eventually(t, func() bool { return len(p.mon.Scheduled()) == 1 }, 5*time.Second, 10*time.Millisecond, "%s schedules the check", p.name)
	}

	// Steady state: once per interval across both instances.
	const n = 4
	t0 := srv.next(t, 2*every+time.Second, "first run")
	hits := append([]time.Time{t0}, srv.until(t0.Add(n*every+every/2))...)
	t.Logf("hits after the first: %v", gaps(hits))
	assert.GreaterOrEqual(t, len(hits)-1, n-1, "hits in %d intervals", n)
	assert.LessOrEqual(t, len(hits)-1, n+1, "hits in %d intervals", n)
	for i := 1; i < len(hits); i++ {
		assert.GreaterOrEqual(t, hits[i].Sub(hits[i-1]), every/2, "hits %d and %d: both instances ran the check", i-1, i)
	}

	// The holder stops; the survivor takes over.
	var holder string
	require.NoError(t, s1.DB().NewRaw("SELECT holder FROM leases WHERE name = ?", leaseName(in.ID)).Scan(ctx, &holder))
	stopped := byName[holder]
	require.NotNil(t, stopped, "lease holder %q", holder)
	survivor := one
	if stopped == one {
		survivor = two
	}
	stopped.close(t)
	closedAt := time.Now()
	total := len(hits) + len(srv.until(closedAt)) // hits before Close returned
	// After Close returns, only the survivor probes.
	a := srv.next(t, every+every+time.Second, "the survivor takes over")
	b := srv.next(t, every+time.Second, "the survivor keeps checking")
	t.Logf("%s stopped; %s probed %s later, then %s after that", stopped.name, survivor.name, a.Sub(closedAt), b.Sub(a))
	total += 2
	require.NoError(t, s2.DB().NewRaw("SELECT holder FROM leases WHERE name = ?", leaseName(in.ID)).Scan(ctx, &holder))
	assert.Equal(t, survivor.name, holder)

	// Every run was recorded through one store or the other: all but the
	// runs Close cut short (at most one per Close).
	survivor.close(t)
	total += len(srv.until(time.Now()))
	page, err := s2.ListCheckResults(ctx, icc.CheckResultFilter{IntegrationID: in.ID, Limit: icc.MaxLimit})
	require.NoError(t, err)
	assert.LessOrEqual(t, len(page.Items), total)
	assert.GreaterOrEqual(t, len(page.Items), total-2)
	got, err := s1.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, icc.StatusOperational, got.Status)
	t.Logf("%d hits, %d results, %s", total, len(page.Items), time.Since(start).Round(time.Millisecond))
}

// gaps returns the times between consecutive hits, for the log.
func gaps(hits []time.Time) []time.Duration {
	out := make([]time.Duration, 0, len(hits))
	for i := 1; i < len(hits); i++ {
		out = append(out, hits[i].Sub(hits[i-1]).Round(time.Millisecond))
	}
	return out
}

// TestPostgresStatusAndAlerts drives checks with CheckNow against a
// failing target on PostgreSQL: the status goes down, an alert is stored,
// and another process hears both on the bus; a recovered target resolves
// the alert.
func TestPostgresStatusAndAlerts(t *testing.T) {
	url, schema := pgSchema(t)
	s := openPGStore(t, url, schema)
	peer := openPGStore(t, url, schema)
	ctx := context.Background()
	var fail atomic.Bool
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	in := &icc.Integration{
		Name: "erp", Kind: icc.KindERP, Enabled: true,
		Check:      icc.CheckSpec{Type: icc.CheckHTTP, URL: srv.URL, Conditions: []string{"status == 200"}},
		AlertRules: []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 2}},
	}
	require.NoError(t, s.CreateIntegration(ctx, in))
	sub, err := peer.Subscribe(ctx, icc.TopicIntegrations, icc.TopicAlerts)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })

	notices := make(noticeRecorder, 16)
	m, err := New(Config{Store: s, Bus: s, Instance: "one", Notifiers: []Notifier{notices}, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, m.Close(cctx))
	})
	active := func() []*icc.Alert {
		p, err := s.ListAlerts(ctx, icc.AlertFilter{IntegrationID: in.ID, Active: true})
		require.NoError(t, err)
		return p.Items
	}
	status := func() icc.IntegrationStatus {
		got, err := peer.GetIntegration(ctx, in.ID)
		require.NoError(t, err)
		return got.Status
	}

	steps := []icc.IntegrationStatus{icc.StatusDegraded, icc.StatusDegraded, icc.StatusDown}
	for i, want := range steps {
		r, err := m.CheckNow(ctx, in.ID)
		require.NoError(t, err)
		assert.False(t, r.OK, "check %d", i+1)
		assert.Equal(t, http.StatusServiceUnavailable, r.StatusCode)
		assert.Equal(t, want, status(), "after check %d", i+1)
		if i == 0 {
			assert.Empty(t, active(), "one failure is below the rule")
		}
	}
	alerts := active()
	require.Len(t, alerts, 1, "two failures in a row fire")
	assert.Equal(t, in.ID+":consecutive_failures", alerts[0].DedupKey)
	assert.Equal(t, icc.SeverityCritical, alerts[0].Severity)
	assert.Equal(t, 2, alerts[0].Count, "the third failure counts on the same alert")
	assert.Equal(t, NoticeFired, notices.next(t).Event)

	// The peer process hears the status changes and the alert on the bus.
	statuses, fired := 0, false // unknown -> degraded -> down
	for statuses < 2 || !fired {
		select {
		case e := <-sub.Events():
			switch e.Type {
			case EventStatus:
				assert.Equal(t, in.ID, e.ID)
				statuses++
			case "alert." + NoticeFired:
				assert.Equal(t, alerts[0].ID, e.ID)
				fired = true
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("bus events: %d status changes, alert fired %t", statuses, fired)
		}
	}

	fail.Store(false)
	for range 2 {
		r, err := m.CheckNow(ctx, in.ID)
		require.NoError(t, err)
		assert.True(t, r.OK)
	}
	assert.Empty(t, active(), "two successes in a row resolve")
	assert.Equal(t, NoticeResolved, notices.next(t).Event)
	got, err := s.GetAlert(ctx, alerts[0].ID)
	require.NoError(t, err)
	assert.Equal(t, icc.AlertResolved, got.State)
	require.NotNil(t, got.ResolvedAt)
	p, err := peer.ListCheckResults(ctx, icc.CheckResultFilter{IntegrationID: in.ID, Limit: icc.MaxLimit})
	require.NoError(t, err)
	assert.Len(t, p.Items, 5)
}

// TestPostgresSettlesAlertsAndMaintenance runs two monitors, each on its
// own postgres.Store over one schema, as two processes of a cluster: a
// maintenance window scheduled on one sets the status at once and its
// cancellation on the other restores it from the results; an alert whose
// rule is removed, or whose integration is disabled, resolves with a
// notice and a bus event, whichever instance learns of the change.
func TestPostgresSettlesAlertsAndMaintenance(t *testing.T) {
	url, schema := pgSchema(t)
	s := openPGStore(t, url, schema)
	peer := openPGStore(t, url, schema)
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	rule := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 1}
	in := &icc.Integration{
		Name: "erp", Kind: icc.KindERP, Enabled: true,
		Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: srv.URL, Conditions: []string{"status == 200"},
			Interval: icc.Duration(24 * time.Hour), Timeout: icc.Duration(5 * time.Second)},
		AlertRules: []icc.AlertRule{rule},
	}
	require.NoError(t, s.CreateIntegration(ctx, in))
	sub, err := peer.Subscribe(ctx, icc.TopicIntegrations, icc.TopicAlerts)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })

	start := func(store *postgres.Store, name string, notices noticeRecorder) *Monitor {
		m, err := New(Config{Store: store, Bus: store, Instance: name, Notifiers: []Notifier{notices}, Logger: testLogger(t)})
		require.NoError(t, err)
		t.Cleanup(func() {
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			assert.NoError(t, m.Close(cctx))
		})
		return m
	}
	notices1, notices2 := make(noticeRecorder, 16), make(noticeRecorder, 16)
	one, two := start(s, "one", notices1), start(peer, "two", notices2)
	status := func() icc.IntegrationStatus {
		got, err := peer.GetIntegration(ctx, in.ID)
		require.NoError(t, err)
		return got.Status
	}
	active := func() []*icc.Alert {
		p, err := peer.ListAlerts(ctx, icc.AlertFilter{IntegrationID: in.ID, Active: true})
		require.NoError(t, err)
		return p.Items
	}
	// event waits for the next bus event of type typ.
	event := func(typ string) icc.Event {
		t.Helper()
		for {
			select {
			case e := <-sub.Events():
				if e.Type == typ {
					return e
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %s event", typ)
			}
		}
	}
	update := func(change func(*icc.Integration)) *icc.Integration {
		t.Helper()
		cur, err := peer.GetIntegration(ctx, in.ID)
		require.NoError(t, err)
		change(cur)
		require.NoError(t, peer.UpdateIntegration(ctx, cur))
		return cur
	}

	_, err = one.CheckNow(ctx, in.ID)
	require.NoError(t, err)
	require.Len(t, active(), 1)
	assert.Equal(t, NoticeFired, notices1.next(t).Event)
	assert.Equal(t, icc.StatusDegraded, status())
	event("alert." + NoticeFired) // after the status event, unknown -> degraded

	// Maintenance from now, on instance one; cancelled on instance two.
	w, err := one.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, EndsAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, icc.StatusMaintenance, status())
	_, err = two.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, icc.StatusDegraded, status(), "derived again from the results")
	// Both changes are announced, by two stores whose publishers keep no
	// order between them.
	var announced []string
	for range 2 {
		var d struct{ Status string }
		require.NoError(t, json.Unmarshal(event(EventStatus).Data, &d))
		announced = append(announced, d.Status)
	}
	assert.ElementsMatch(t, []string{"maintenance", "degraded"}, announced)

	// The rule is removed; instance one hears of it (the server upserts).
	require.NoError(t, one.Upsert(ctx, update(func(in *icc.Integration) { in.AlertRules = nil })))
	assert.Empty(t, active())
	n := notices1.next(t)
	assert.Equal(t, NoticeResolved, n.Event)
	assert.Contains(t, n.Alert.Summary, "(resolved: its rule was removed or changed)")
	event("alert." + NoticeResolved)

	// The rule is back and fires; the integration is disabled, and
	// instance two notices at its sync.
	update(func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{rule} })
	_, err = two.CheckNow(ctx, in.ID)
	require.NoError(t, err)
	require.Len(t, active(), 1)
	assert.Equal(t, NoticeFired, notices2.next(t).Event)
	update(func(in *icc.Integration) { in.Enabled = false })
	require.NoError(t, two.Sync(ctx))
	assert.Empty(t, active())
	n = notices2.next(t)
	assert.Equal(t, NoticeResolved, n.Event)
	assert.Contains(t, n.Alert.Summary, "(resolved: the integration was disabled)")
	require.NoError(t, one.Sync(ctx))
	notices1.none(t)
}
