package monitor

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// activeAlerts returns the integration's unresolved alerts.
func (e *env) activeAlerts(t *testing.T, id string) []*icc.Alert {
	t.Helper()
	p, err := e.store.ListAlerts(context.Background(), icc.AlertFilter{IntegrationID: id, Active: true, Limit: icc.MaxLimit})
	require.NoError(t, err)
	return p.Items
}

// upsert hands in to the monitor as the server does after a change, then
// unschedules its check, so that only the test's own checks run.
func (e *env) upsert(t *testing.T, in *icc.Integration) {
	t.Helper()
	require.NoError(t, e.mon.Upsert(context.Background(), in))
	e.mon.unschedule(context.Background(), in.ID)
}

// update stores a change to an integration, as an admin's PATCH does, and
// returns the stored integration.
func (e *env) update(t *testing.T, id string, change func(*icc.Integration)) *icc.Integration {
	t.Helper()
	in, err := e.store.GetIntegration(context.Background(), id)
	require.NoError(t, err)
	change(in)
	require.NoError(t, e.store.UpdateIntegration(context.Background(), in))
	return in
}

// firingEnv is an integration with a one-failure rule whose alert has
// fired, and the notices of its monitor (the firing one already taken).
func firingEnv(t *testing.T) (*env, *flapServer, *icc.Integration, noticeRecorder) {
	t.Helper()
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "billing", srv.URL, func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 1}}
	})
	srv.fail.Store(true)
	e.check(t, in.ID)
	require.Len(t, e.activeAlerts(t, in.ID), 1)
	require.Equal(t, NoticeFired, notices.next(t).Event)
	return e, srv, in, notices
}

// requireResolved checks that the next notice resolves the alert a, for
// reason, and that the store agrees.
func requireResolved(t *testing.T, e *env, notices noticeRecorder, a *icc.Alert, name, reason string) {
	t.Helper()
	n := notices.next(t)
	assert.Equal(t, NoticeResolved, n.Event)
	assert.Equal(t, a.ID, n.Alert.ID)
	assert.Equal(t, name, n.Integration)
	got, err := e.store.GetAlert(context.Background(), a.ID)
	require.NoError(t, err)
	assert.Equal(t, icc.AlertResolved, got.State)
	require.NotNil(t, got.ResolvedAt)
	assert.True(t, got.ResolvedAt.Equal(e.clock.Now()))
	assert.Equal(t, a.Summary+" (resolved: "+reason+")", got.Summary, "the summary says why")
}

func TestAlertOfRemovedRuleResolves(t *testing.T) {
	ctx := context.Background()
	t.Run("on upsert", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		in = e.update(t, in.ID, func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{} })
		e.upsert(t, in)
		assert.Empty(t, e.activeAlerts(t, in.ID))
		requireResolved(t, e, notices, a, "billing", "its rule was removed or changed")

		e.check(t, in.ID)
		assert.Empty(t, e.activeAlerts(t, in.ID), "no rule, no alert")
		notices.none(t)
	})
	t.Run("on the next check", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		// Another process changed the rule: a latency rule replaces it.
		e.update(t, in.ID, func(in *icc.Integration) {
			in.AlertRules = []icc.AlertRule{{Type: icc.RuleLatency, Latency: icc.Duration(time.Minute)}}
		})
		e.check(t, in.ID)
		assert.Empty(t, e.activeAlerts(t, in.ID))
		requireResolved(t, e, notices, a, "billing", "its rule was removed or changed")
	})
	t.Run("on sync", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		e.update(t, in.ID, func(in *icc.Integration) { in.AlertRules = nil })
		require.NoError(t, e.mon.Sync(ctx))
		requireResolved(t, e, notices, a, "billing", "its rule was removed or changed")
		require.NoError(t, e.mon.Sync(ctx))
		notices.none(t)
	})
}

func TestAlertsOfDisabledIntegrationResolve(t *testing.T) {
	ctx := context.Background()
	t.Run("on upsert", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		in = e.update(t, in.ID, func(in *icc.Integration) { in.Enabled = false })
		require.NoError(t, e.mon.Upsert(ctx, in))
		assert.Empty(t, e.mon.Scheduled())
		requireResolved(t, e, notices, a, "billing", "the integration was disabled")

		// Checking it by hand fires nothing: nothing would resolve it.
		e.check(t, in.ID)
		assert.Empty(t, e.activeAlerts(t, in.ID))
		notices.none(t)
	})
	t.Run("on sync", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		e.update(t, in.ID, func(in *icc.Integration) { in.Enabled = false })
		require.NoError(t, e.mon.Sync(ctx))
		requireResolved(t, e, notices, a, "billing", "the integration was disabled")
	})
	t.Run("check type none", func(t *testing.T) {
		e, _, in, notices := firingEnv(t)
		a := e.activeAlerts(t, in.ID)[0]
		e.update(t, in.ID, func(in *icc.Integration) { in.Check = icc.CheckSpec{Type: icc.CheckNone} })
		require.NoError(t, e.mon.Sync(ctx))
		requireResolved(t, e, notices, a, "billing", "the integration is no longer checked")
	})
}

func TestRemoveResolvesAlerts(t *testing.T) {
	e, _, in, notices := firingEnv(t)
	ctx := context.Background()
	a := e.activeAlerts(t, in.ID)[0]
	e.mon.Remove(ctx, in.ID) // as the server does before deleting it
	assert.Empty(t, e.mon.Scheduled())
	requireResolved(t, e, notices, a, "billing", "the integration was removed from monitoring")
	require.NoError(t, e.store.DeleteIntegration(ctx, in.ID))
	require.NoError(t, e.mon.Sync(ctx))
	notices.none(t)
}

func TestRuleSlots(t *testing.T) {
	in := &icc.Integration{ID: "i1", AlertRules: []icc.AlertRule{
		{Type: icc.RuleConsecutiveFailures, Failures: 3},
		{Type: icc.RuleLatency, Latency: icc.Duration(500 * time.Millisecond)},
		{Type: icc.RuleLatency, Latency: icc.Duration(time.Second), Failures: 5, Severity: icc.SeverityWarning},
		{Type: icc.RuleLatency, Latency: icc.Duration(500 * time.Millisecond), Severity: icc.SeverityInfo},
		{Type: icc.RuleSuccessRate, SuccessRate: 0.95},
		{Type: "bogus"},
	}}
	slots := ruleSlots(in)
	require.Len(t, slots, 6)
	keys := make([]string, len(slots))
	for i, s := range slots {
		keys[i] = s.key
	}
	assert.Equal(t, []string{
		"i1:consecutive_failures",
		"i1:latency:latency=500ms,checks=3",
		"i1:latency:latency=1s,checks=5",
		"i1:latency:latency=500ms,checks=3#2",
		"i1:success_rate",
		"",
	}, keys)
	assert.Equal(t, []string{"i1:consecutive_failures:failures=3"}, slots[0].aliases)
	assert.Equal(t, []string{"i1:latency"}, slots[1].aliases, "the first of a type answers to the plain key")
	assert.Equal(t, []string{"i1:latency", "i1:latency:2"}, slots[2].aliases, "later ones too (when they were alone), and to their position, as before")
	assert.Equal(t, icc.SeverityCritical, slots[1].rule.Severity, "rules are judged with defaults")
	assert.Error(t, slots[5].err)

	// Moving rules around keeps their keys.
	moved := &icc.Integration{ID: "i1", AlertRules: []icc.AlertRule{in.AlertRules[2], in.AlertRules[4], in.AlertRules[1], in.AlertRules[0]}}
	got := ruleSlots(moved)
	assert.Equal(t, slots[2].key, got[0].key)
	assert.Equal(t, slots[4].key, got[1].key)
	assert.Equal(t, slots[1].key, got[2].key)
	assert.Equal(t, slots[0].key, got[3].key)
}

func TestAlertsFollowReorderedRules(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	quick := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 1, Severity: icc.SeverityWarning}
	slow := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 2}
	in := e.addIntegration(t, "erp", srv.URL, func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{quick, slow} })

	srv.fail.Store(true)
	e.check(t, in.ID)
	e.check(t, in.ID)
	byKey := map[string]*icc.Alert{}
	for _, a := range e.activeAlerts(t, in.ID) {
		byKey[a.DedupKey] = a
	}
	require.Len(t, byKey, 2)
	quickKey, slowKey := in.ID+":consecutive_failures:failures=1", in.ID+":consecutive_failures:failures=2"
	require.Contains(t, byKey, quickKey)
	require.Contains(t, byKey, slowKey)
	assert.Equal(t, icc.SeverityWarning, byKey[quickKey].Severity)
	assert.Equal(t, NoticeFired, notices.next(t).Event)
	assert.Equal(t, NoticeFired, notices.next(t).Event)

	// Reordered: each rule keeps its alert.
	in = e.update(t, in.ID, func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{slow, quick} })
	e.upsert(t, in)
	e.check(t, in.ID)
	for _, a := range e.activeAlerts(t, in.ID) {
		assert.Equal(t, byKey[a.DedupKey].ID, a.ID)
		assert.Equal(t, byKey[a.DedupKey].Count+1, a.Count, "%s counts the breach", a.DedupKey)
	}
	assert.Len(t, e.activeAlerts(t, in.ID), 2)
	notices.none(t)

	// The quick rule goes: its alert resolves; the remaining rule, now
	// the only one of its type, keeps its alert.
	in = e.update(t, in.ID, func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{slow} })
	e.upsert(t, in)
	requireResolved(t, e, notices, byKey[quickKey], "erp", "its rule was removed or changed")
	e.check(t, in.ID)
	left := e.activeAlerts(t, in.ID)
	require.Len(t, left, 1)
	assert.Equal(t, byKey[slowKey].ID, left[0].ID)
	notices.none(t)

	// It resolves the usual way, and fires again under its plain key.
	srv.fail.Store(false)
	e.check(t, in.ID)
	e.check(t, in.ID)
	assert.Empty(t, e.activeAlerts(t, in.ID))
	assert.Equal(t, NoticeResolved, notices.next(t).Event)
	srv.fail.Store(true)
	e.check(t, in.ID)
	e.check(t, in.ID)
	n := notices.next(t)
	assert.Equal(t, NoticeFired, n.Event)
	assert.Equal(t, in.ID+":consecutive_failures", n.Alert.DedupKey)
}

// TestPlainKeyStaysWithItsRule: an alert fired under the plain key, by a
// rule that was alone of its type, stays with that rule when another rule
// of the type is put in front of it, and is not taken over by the other
// when it is removed: the other would resolve it by its own threshold
// while the problem goes on.
func TestPlainKeyStaysWithItsRule(t *testing.T) {
	strict := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 1, Severity: icc.SeverityCritical}
	lenient := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 5, Severity: icc.SeverityWarning}
	in := &icc.Integration{ID: "i1", AlertRules: []icc.AlertRule{strict}}
	a := &icc.Alert{IntegrationID: "i1", DedupKey: ruleSlots(in)[0].key, Severity: icc.SeverityCritical}
	require.Equal(t, "i1:consecutive_failures", a.DedupKey)

	in.AlertRules = []icc.AlertRule{lenient, strict}
	owned, orphans := claimAlerts(ruleSlots(in), []*icc.Alert{a})
	assert.Nil(t, owned[0], "the rule put in front does not take it")
	assert.Same(t, a, owned[1], "its own rule keeps it")
	assert.Empty(t, orphans)

	in.AlertRules = []icc.AlertRule{lenient}
	owned, orphans = claimAlerts(ruleSlots(in), []*icc.Alert{a})
	assert.Nil(t, owned[0], "left alone, the other rule does not take it")
	assert.Equal(t, []*icc.Alert{a}, orphans, "its rule is gone")
}

// TestAlertsWithPositionalKeys: alerts stored by earlier versions, keyed
// by rule position, stay with their rules and resolve as usual; one whose
// rule is gone resolves at the next check.
func TestAlertsWithPositionalKeys(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{
			{Type: icc.RuleConsecutiveFailures, Failures: 1},
			{Type: icc.RuleConsecutiveFailures, Failures: 3},
		}
	})
	ctx := context.Background()
	old := map[string]*icc.Alert{}
	for _, k := range []string{in.ID + ":consecutive_failures", in.ID + ":consecutive_failures:1", in.ID + ":latency"} {
		a := &icc.Alert{IntegrationID: in.ID, Rule: icc.RuleConsecutiveFailures, DedupKey: k, Severity: icc.SeverityCritical, Summary: "old", FiredAt: e.clock.Now()}
		require.NoError(t, e.store.CreateAlert(ctx, a))
		old[k] = a
	}

	srv.fail.Store(true)
	e.check(t, in.ID)
	requireResolved(t, e, notices, old[in.ID+":latency"], "crm", "its rule was removed or changed")
	active := e.activeAlerts(t, in.ID)
	require.Len(t, active, 2, "no new alert beside the old ones")
	for _, a := range active {
		assert.Equal(t, old[a.DedupKey].ID, a.ID)
	}
	got, err := e.store.GetAlert(ctx, old[in.ID+":consecutive_failures"].ID)
	require.NoError(t, err)
	assert.Equal(t, 2, got.Count, "the first rule's breach counts on its old alert")
	notices.none(t)

	srv.fail.Store(false)
	e.check(t, in.ID)
	e.check(t, in.ID)
	assert.Empty(t, e.activeAlerts(t, in.ID), "both resolve after two good checks")
	assert.Equal(t, NoticeResolved, notices.next(t).Event)
	assert.Equal(t, NoticeResolved, notices.next(t).Event)
}

// probeFunc is a Probe made of a function.
type probeFunc func(ctx context.Context) Result

func (f probeFunc) Check(ctx context.Context) Result { return f(ctx) }

func TestLatencyRuleNeedsSlowChecksInARow(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	in := e.addIntegration(t, "api", "http://api.invalid/health", func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleLatency, Latency: icc.Duration(500 * time.Millisecond)}}
	})
	ctx := context.Background()
	// check records a passing check that took ms milliseconds.
	check := func(ms int) {
		t.Helper()
		e.clock.Advance(time.Second)
		r := &runner{id: in.ID, spec: in.Check, probe: probeFunc(func(context.Context) Result {
			return Result{OK: true, Latency: time.Duration(ms) * time.Millisecond}
		})}
		_, err := e.mon.run(ctx, r)
		require.NoError(t, err)
	}

	for _, ms := range []int{900, 100, 900, 900} {
		check(ms)
	}
	assert.Empty(t, e.activeAlerts(t, in.ID), "slow checks with a fast one between do not fire")
	check(900)
	n := notices.next(t)
	assert.Equal(t, NoticeFired, n.Event)
	assert.Equal(t, "latency above 500ms for 3 checks in a row (latest 900ms)", n.Alert.Summary)

	check(100)
	check(900)
	check(100)
	require.Len(t, e.activeAlerts(t, in.ID), 1, "one fast check does not resolve")
	check(100)
	assert.Empty(t, e.activeAlerts(t, in.ID), "resolve_after (2) fast checks do")
	assert.Equal(t, NoticeResolved, notices.next(t).Event)
	notices.none(t)
}

// statusEvents subscribes to status changes and returns a function that
// waits for the next one and returns its status.
func statusEvents(t *testing.T, e *env) func() icc.IntegrationStatus {
	t.Helper()
	sub, err := e.store.Subscribe(context.Background(), icc.TopicIntegrations)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })
	return func() icc.IntegrationStatus {
		t.Helper()
		for {
			select {
			case ev := <-sub.Events():
				if ev.Type != EventStatus {
					continue
				}
				var d struct{ Status icc.IntegrationStatus }
				require.NoError(t, json.Unmarshal(ev.Data, &d))
				return d.Status
			case <-time.After(5 * time.Second):
				t.Fatal("no status event")
				return ""
			}
		}
	}
}

func (e *env) incidentIDs(t *testing.T) []string {
	t.Helper()
	inc, err := e.mon.ActiveIncidents(context.Background())
	require.NoError(t, err)
	var ids []string
	for _, i := range inc {
		ids = append(ids, i.IntegrationID)
	}
	return ids
}

// logsOnly stores an enabled integration checked by a function that only
// another instance registers, so this monitor runs no check for it (no
// check timer either), with n failed results recorded (down for n >= 3).
func (e *env) logsOnly(t *testing.T, name string, failures int) *icc.Integration {
	t.Helper()
	in := e.addIntegration(t, name, "", func(in *icc.Integration) {
		in.Check = icc.CheckSpec{Type: icc.CheckFunc, Func: "registered-elsewhere", Interval: icc.Duration(time.Hour), Timeout: icc.Duration(time.Second)}
	})
	for range failures {
		e.clock.Advance(time.Second)
		cr := icc.CheckResult{ID: icc.NewID(), IntegrationID: in.ID, Error: "refused", CheckedAt: e.clock.Now()}
		require.NoError(t, e.mon.record(context.Background(), in.Check, cr))
	}
	return in
}

func TestMaintenanceStatusFollowsWindows(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.logsOnly(t, "erp", 3)
	ctx := context.Background()
	require.Equal(t, icc.StatusDown, e.status(t, in.ID))
	require.Equal(t, []string{in.ID}, e.incidentIDs(t))
	next := statusEvents(t, e)

	// A window that starts now: maintenance at once, not at the next check.
	w, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: e.clock.Now()})
	require.NoError(t, err)
	assert.Equal(t, icc.StatusMaintenance, e.status(t, in.ID))
	assert.Equal(t, icc.StatusMaintenance, next())
	assert.Empty(t, e.incidentIDs(t), "under maintenance it is no incident")

	// Cancelled: back to what the results say, at once.
	e.clock.Advance(time.Minute)
	_, err = e.mon.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	got, err := e.store.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, icc.StatusDown, got.Status)
	assert.Equal(t, e.clock.Now(), *got.StatusChangedAt)
	assert.Equal(t, icc.StatusDown, next())
	assert.Equal(t, []string{in.ID}, e.incidentIDs(t))

	// A later window: a sync at its start and one at its end follow it,
	// with no check between (Run syncs then; so does any other instance
	// at its next sync).
	_, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID,
		StartsAt: e.clock.Now().Add(10 * time.Minute), EndsAt: e.clock.Now().Add(40 * time.Minute)})
	require.NoError(t, err)
	require.NoError(t, e.mon.Sync(ctx))
	assert.Equal(t, icc.StatusDown, e.status(t, in.ID), "not yet")
	e.clock.Advance(10 * time.Minute)
	other := e.newMonitor(t, Config{Store: e.store, Bus: e.store, Clock: e.clock, Instance: "other", Logger: testLogger(t)})
	require.NoError(t, other.Sync(ctx))
	assert.Equal(t, icc.StatusMaintenance, e.status(t, in.ID))
	assert.Equal(t, icc.StatusMaintenance, next())
	require.NoError(t, e.mon.Sync(ctx), "a second instance changes nothing more")
	e.clock.Advance(30 * time.Minute)
	require.NoError(t, e.mon.Sync(ctx))
	require.NoError(t, other.Sync(ctx))
	assert.Equal(t, icc.StatusDown, e.status(t, in.ID))
	assert.Equal(t, icc.StatusDown, next())
	assert.Len(t, e.results(t, in.ID), 3, "no check ran")

	// A window over an integration with no results: unknown after it.
	fresh := e.logsOnly(t, "crm", 0)
	_, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: fresh.ID, EndsAt: e.clock.Now().Add(time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, icc.StatusMaintenance, e.status(t, fresh.ID))
	assert.Equal(t, icc.StatusMaintenance, next())
	e.clock.Advance(time.Minute)
	require.NoError(t, e.mon.Sync(ctx))
	assert.Equal(t, icc.StatusUnknown, e.status(t, fresh.ID))
	assert.Equal(t, icc.StatusUnknown, next())
}

// pendingAt reports whether a timer is pending, due at at.
func (c *fakeClock) pendingAt(at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.timers, func(tm *fakeTimer) bool { return tm.at.Equal(at) })
}

// TestRunWakesForMaintenance: Run syncs when a window starts and ends,
// however long its sync interval.
func TestRunWakesForMaintenance(t *testing.T) {
	e := newEnv(t, Config{})
	e.mon = e.newMonitor(t, Config{Store: e.store, Bus: e.store, Clock: e.clock, SyncInterval: 6 * time.Hour, Logger: testLogger(t)})
	in := e.logsOnly(t, "billing", 3) // no check timers: only Run's
	ctx := context.Background()
	require.Equal(t, icc.StatusDown, e.status(t, in.ID))

	_, stop := e.run(t)
	defer stop()
	start := e.clock.Now()
	e.clock.waitFor(t, "the sync timer", func() bool { return e.clock.pendingAt(start.Add(6 * time.Hour)) })

	startsAt, endsAt := start.Add(10*time.Minute), start.Add(30*time.Minute)
	_, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: startsAt, EndsAt: endsAt})
	require.NoError(t, err)
	e.clock.waitFor(t, "a timer at the window's start", func() bool { return e.clock.pendingAt(startsAt) })
	e.clock.Advance(10 * time.Minute)
	e.clock.waitFor(t, "maintenance", func() bool { return e.status(t, in.ID) == icc.StatusMaintenance })
	e.clock.waitFor(t, "a timer at the window's end", func() bool { return e.clock.pendingAt(endsAt) })
	e.clock.Advance(20 * time.Minute)
	e.clock.waitFor(t, "down again", func() bool { return e.status(t, in.ID) == icc.StatusDown })
	e.clock.waitFor(t, "the sync timer again", func() bool { return e.clock.pendingAt(endsAt.Add(6 * time.Hour)) })
}

// TestMaintenanceAnnouncedToOtherMonitors: a window scheduled by one
// monitor is applied by another process's monitor at its start, without
// waiting for that monitor's periodic sync, and its cancellation too.
func TestMaintenanceAnnouncedToOtherMonitors(t *testing.T) {
	e := newEnv(t, Config{})
	e.mon = e.newMonitor(t, Config{Store: e.store, Bus: e.store, Clock: e.clock, SyncInterval: 6 * time.Hour, Logger: testLogger(t), Instance: "b"})
	other := e.newMonitor(t, Config{Store: e.store, Bus: e.store, Clock: e.clock, SyncInterval: 6 * time.Hour, Logger: testLogger(t), Instance: "a"})
	in := e.logsOnly(t, "billing", 3)
	ctx := context.Background()
	require.Equal(t, icc.StatusDown, e.status(t, in.ID))

	_, stop := e.run(t) // only e.mon runs
	defer stop()
	start := e.clock.Now()
	e.clock.waitFor(t, "the sync timer", func() bool { return e.clock.pendingAt(start.Add(6 * time.Hour)) })

	startsAt, endsAt := start.Add(10*time.Minute), start.Add(30*time.Minute)
	w, err := other.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: startsAt, EndsAt: endsAt})
	require.NoError(t, err)
	e.clock.waitFor(t, "the running monitor's timer at the window's start", func() bool { return e.clock.pendingAt(startsAt) })
	e.clock.Advance(10 * time.Minute)
	e.clock.waitFor(t, "maintenance", func() bool { return e.status(t, in.ID) == icc.StatusMaintenance })

	// Cancelled elsewhere: the other monitor settles the status itself;
	// the running one no longer waits for the window's end.
	_, err = other.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	e.clock.waitFor(t, "down again", func() bool { return e.status(t, in.ID) == icc.StatusDown })
	e.clock.waitFor(t, "no timer at the cancelled window's end", func() bool {
		return !e.clock.pendingAt(endsAt) && e.clock.pendingAt(e.clock.Now().Add(6*time.Hour))
	})
}

func TestNextChange(t *testing.T) {
	at := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC) // a Monday
	once := &icc.MaintenanceWindow{StartsAt: at, EndsAt: at.Add(time.Hour)}
	weekly := &icc.MaintenanceWindow{StartsAt: at, EndsAt: at.Add(time.Hour), Recurrence: icc.RecurWeekly}
	week := 7 * 24 * time.Hour
	cases := []struct {
		w    *icc.MaintenanceWindow
		now  time.Time
		want time.Time
	}{
		{once, at.Add(-time.Minute), at},
		{once, at, at.Add(time.Hour)},
		{once, at.Add(59 * time.Minute), at.Add(time.Hour)},
		{once, at.Add(time.Hour), time.Time{}},
		{weekly, at.Add(30 * time.Minute), at.Add(time.Hour)},
		{weekly, at.Add(time.Hour), at.Add(week)},
		{weekly, at.Add(2*week + 10*time.Minute), at.Add(2*week + time.Hour)},
		{weekly, at.Add(2*week - time.Second), at.Add(2 * week)},
	}
	for i, tc := range cases {
		assert.Equal(t, tc.want, nextChange(tc.w, tc.now), "case %d", i)
		if !tc.want.IsZero() {
			assert.NotEqual(t, tc.w.ActiveAt(tc.now), tc.w.ActiveAt(tc.want), "case %d: the window changes then", i)
			assert.Equal(t, tc.w.ActiveAt(tc.now), tc.w.ActiveAt(tc.want.Add(-time.Nanosecond)), "case %d: and not before", i)
		}
	}
	canceled := *once
	canceled.CanceledAt = &at
	assert.True(t, nextChange(&canceled, at.Add(-time.Hour)).IsZero())
}

// TestStaleCheckKeepsNewRulesAlert: a check that read the integration
// before an edit added a rule must not take the new rule's alert, fired
// meanwhile by another check, for an orphan.
func TestStaleCheckKeepsNewRulesAlert(t *testing.T) {
	ctx := context.Background()
	notices := make(noticeRecorder, 32)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	fails := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 5}
	slow := icc.AlertRule{Type: icc.RuleLatency, Latency: icc.Duration(500 * time.Millisecond), Failures: 1}
	in := e.addIntegration(t, "erp", "http://127.0.0.1:1", func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{fails} })
	result := func() icc.CheckResult {
		e.clock.Advance(time.Second)
		return icc.CheckResult{ID: icc.NewID(), IntegrationID: in.ID, OK: true, Latency: icc.Duration(time.Second), CheckedAt: e.clock.Now()}
	}
	// A scheduled check has stored its result, listed the active alerts
	// and read the integration.
	require.NoError(t, e.store.AddCheckResults(ctx, []icc.CheckResult{result()}))
	active, err := e.mon.activeAlerts(ctx, in.ID)
	require.NoError(t, err)
	stale, err := e.store.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	// Meanwhile the rules gain a latency rule and another check fires it.
	up := e.update(t, in.ID, func(in *icc.Integration) { in.AlertRules = []icc.AlertRule{fails, slow} })
	require.NoError(t, e.mon.record(ctx, up.Check, result()))
	assert.Equal(t, NoticeFired, notices.next(t).Event)
	// The first check goes on with what it read.
	recent, err := e.mon.recentResults(ctx, stale)
	require.NoError(t, err)
	require.NoError(t, e.mon.evaluateAlerts(ctx, stale, active, recent, false, e.clock.Now()))
	notices.none(t)
	assert.Len(t, e.activeAlerts(t, in.ID), 1, "the new rule's alert stays firing")
}

func TestRemoveEmptyIDDoesNothing(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 1}}
	})
	srv.fail.Store(true)
	e.check(t, in.ID)
	assert.Equal(t, NoticeFired, notices.next(t).Event)
	e.mon.Remove(context.Background(), "")
	notices.none(t)
	assert.Len(t, e.activeAlerts(t, in.ID), 1)
}

// TestStaleCheckAtWindowStart: a check that worked out its status just
// before a window began, and writes it just after the window's status was
// settled, works it out again instead of overwriting maintenance.
func TestStaleCheckAtWindowStart(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	srv.fail.Store(true)
	in := e.addIntegration(t, "billing", srv.URL, nil)
	e.check(t, in.ID)
	require.Equal(t, icc.StatusDegraded, e.status(t, in.ID))
	start := e.clock.Now().Add(time.Hour)
	_, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: start, EndsAt: start.Add(time.Hour)})
	require.NoError(t, err)

	// A good check one second before the start works out "operational".
	e.clock.Advance(time.Hour - time.Second)
	require.NoError(t, e.store.AddCheckResults(ctx, []icc.CheckResult{{ID: icc.NewID(), IntegrationID: in.ID, OK: true, CheckedAt: e.clock.Now()}}))
	stale, err := e.store.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	recent, err := e.mon.recentResults(ctx, stale)
	require.NoError(t, err)
	status := deriveStatus(recent, "", e.mon.cfg.Thresholds, stale.Check)
	require.Equal(t, icc.StatusOperational, status.status)

	// The window starts and is settled; then the check writes.
	e.clock.Advance(2 * time.Second)
	require.NoError(t, e.mon.Sync(ctx))
	require.Equal(t, icc.StatusMaintenance, e.status(t, in.ID))
	require.NoError(t, e.mon.setStatus(ctx, stale, status, e.clock.Now(), e.mon.statusFrom(recent, stale.Check, e.clock.Now())))
	assert.Equal(t, icc.StatusMaintenance, e.status(t, in.ID))
}

// TestUncheckedIsNoOutage: an integration that is down and then no longer
// checked (check type none, or disabled) goes back to unknown at once, so
// it is no incident that new tickets would be linked to.
func TestUncheckedIsNoOutage(t *testing.T) {
	for _, change := range []func(*icc.Integration){
		func(in *icc.Integration) { in.Check = icc.CheckSpec{Type: icc.CheckNone} },
		func(in *icc.Integration) { in.Enabled = false },
	} {
		e := newEnv(t, Config{})
		in := e.logsOnly(t, "erp", 3)
		require.Equal(t, icc.StatusDown, e.status(t, in.ID))
		require.Equal(t, []string{in.ID}, e.incidentIDs(t))
		up := e.update(t, in.ID, change)
		require.NoError(t, e.mon.Upsert(context.Background(), up))
		assert.Equal(t, icc.StatusUnknown, e.status(t, in.ID))
		assert.Empty(t, e.incidentIDs(t))
	}
}

// TestSeverityChangeIsARuleChange: a rule whose severity changes is a
// changed rule, whichever key its alert has: the old alert resolves.
func TestSeverityChangeIsARuleChange(t *testing.T) {
	warn2 := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 2, Severity: icc.SeverityWarning}
	crit3 := icc.AlertRule{Type: icc.RuleConsecutiveFailures, Failures: 3, Severity: icc.SeverityCritical}
	in := &icc.Integration{ID: "i1", AlertRules: []icc.AlertRule{warn2, crit3}}
	slots := ruleSlots(in)
	a := &icc.Alert{IntegrationID: "i1", DedupKey: slots[1].key, Severity: icc.SeverityCritical}

	warn3 := crit3
	warn3.Severity = icc.SeverityWarning
	in.AlertRules = []icc.AlertRule{warn3}
	owned, orphans := claimAlerts(ruleSlots(in), []*icc.Alert{a})
	assert.Nil(t, owned[0])
	assert.Equal(t, []*icc.Alert{a}, orphans)

	in.AlertRules = []icc.AlertRule{warn2, crit3}
	owned, orphans = claimAlerts(ruleSlots(in), []*icc.Alert{a})
	assert.Same(t, a, owned[1], "unchanged, the rule keeps it")
	assert.Empty(t, orphans)
}
