package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// flapServer answers 200 or 503 as the test says, counting requests.
type flapServer struct {
	*httptest.Server
	fail atomic.Bool
	hits atomic.Int64
}

func newFlapServer(t *testing.T) *flapServer {
	s := &flapServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// noticeRecorder is a Notifier that hands notices to the test.
type noticeRecorder chan AlertNotice

func (n noticeRecorder) Notify(_ context.Context, a AlertNotice) error {
	n <- a
	return nil
}

func (n noticeRecorder) next(t *testing.T) AlertNotice {
	t.Helper()
	select {
	case a := <-n:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no alert notice")
		return AlertNotice{}
	}
}

func (n noticeRecorder) none(t *testing.T) {
	t.Helper()
	select {
	case a := <-n:
		t.Fatalf("unexpected notice %s for %s", a.Event, a.Alert.DedupKey)
	default:
	}
}

// check runs one check now, one second after the previous, and returns it.
func (e *env) check(t *testing.T, id string) icc.CheckResult {
	t.Helper()
	e.clock.Advance(time.Second)
	r, err := e.mon.CheckNow(context.Background(), id)
	require.NoError(t, err)
	return r
}

func TestStatusFromResults(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, nil)
	assert.Equal(t, icc.StatusUnknown, e.status(t, in.ID))

	sub, err := e.store.Subscribe(context.Background(), icc.TopicIntegrations)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })

	steps := []struct {
		fail bool
		want icc.IntegrationStatus
	}{
		{false, icc.StatusOperational},
		{true, icc.StatusDegraded}, // one failure
		{true, icc.StatusDegraded},
		{true, icc.StatusDown}, // three in a row
		{true, icc.StatusDown},
		{false, icc.StatusDegraded}, // recovering: 4 of the last 10 failed
	}
	for i, s := range steps {
		srv.fail.Store(s.fail)
		r := e.check(t, in.ID)
		assert.Equal(t, !s.fail, r.OK, "step %d", i)
		assert.Equal(t, s.want, e.status(t, in.ID), "step %d", i)
	}
	got, err := e.store.GetIntegration(context.Background(), in.ID)
	require.NoError(t, err)
	require.NotNil(t, got.StatusChangedAt)
	assert.Equal(t, e.clock.Now(), *got.StatusChangedAt)

	// Status events: unknown->operational->degraded->down->degraded.
	var seen []string
	for range 4 {
		select {
		case ev := <-sub.Events():
			assert.Equal(t, EventStatus, ev.Type)
			assert.Equal(t, in.ID, ev.ID)
			var d map[string]string
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			seen = append(seen, d["status"])
		case <-time.After(5 * time.Second):
			t.Fatal("missing status event")
		}
	}
	assert.Equal(t, []string{"operational", "degraded", "down", "degraded"}, seen)

	incidents, err := e.mon.ActiveIncidents(context.Background())
	require.NoError(t, err)
	require.Len(t, incidents, 1)
	assert.Equal(t, icc.Incident{IntegrationID: in.ID, Name: "crm", Kind: icc.KindCRM, Status: icc.StatusDegraded, Since: e.clock.Now()}, incidents[0])

	// Enough successes clear the degraded state.
	srv.fail.Store(false)
	for range 10 {
		e.check(t, in.ID)
	}
	assert.Equal(t, icc.StatusOperational, e.status(t, in.ID))
	incidents, err = e.mon.ActiveIncidents(context.Background())
	require.NoError(t, err)
	assert.Empty(t, incidents)
}

func TestDeriveStatus(t *testing.T) {
	th := Thresholds{}
	require.NoError(t, th.defaults())
	spec := icc.CheckSpec{Timeout: icc.Duration(time.Second)}
	res := func(oks ...bool) []icc.CheckResult { // newest first
		out := make([]icc.CheckResult, len(oks))
		for i, ok := range oks {
			out[i] = icc.CheckResult{OK: ok, Latency: icc.Duration(100 * time.Millisecond)}
		}
		return out
	}
	fail := func(rs []icc.CheckResult, errText string) []icc.CheckResult {
		rs[0].Error = errText
		return rs
	}
	slow := res(true)
	slow[0].Latency = icc.Duration(812 * time.Millisecond) // over half the 1s timeout
	// The user's case: every recent check passes, 2 of the last 10 failed.
	flapped := res(true, true, true, false, true, true, false, true, true, true, false)
	for _, c := range []struct {
		name   string
		recent []icc.CheckResult
		maint  string
		want   health
	}{
		{"none", nil, "", health{icc.StatusUnknown, "no checks yet"}},
		{"maintenance", res(false, false, false), "in a maintenance window until 15:00 UTC",
			health{icc.StatusMaintenance, "in a maintenance window until 15:00 UTC"}},
		{"passing", res(true, true, false, true), "", health{icc.StatusOperational, ""}},
		{"last failed", fail(res(false, true, true), "status 503"), "", health{icc.StatusDegraded, "the last check failed: status 503"}},
		{"two in a row", fail(res(false, false, true), "timed out"), "", health{icc.StatusDegraded, "2 checks failed in a row (last: timed out)"}},
		{"no error text", res(false, true), "", health{icc.StatusDegraded, "the last check failed: no error message"}},
		{"recent failures", res(true, false, true, false), "", health{icc.StatusDegraded, "2 of the last 10 checks failed"}},
		{"recent failures of 10", flapped, "", health{icc.StatusDegraded, "2 of the last 10 checks failed"}},
		{"down", fail(res(false, false, false, true), "connection refused"), "",
			health{icc.StatusDown, "3 checks failed in a row (last: connection refused)"}},
		{"down longer", fail(res(false, false, false, false, false), "connection refused"), "",
			health{icc.StatusDown, "3 checks failed in a row (last: connection refused)"}},
		{"slow", slow, "", health{icc.StatusDegraded, "the last check took longer than 500 ms"}},
	} {
		assert.Equal(t, c.want, deriveStatus(c.recent, c.maint, th, spec), c.name)
	}
	long := fail(res(false), strings.Repeat("é", 100))
	reason := deriveStatus(long, "", th, spec).reason
	assert.True(t, utf8.ValidString(reason))
	assert.Equal(t, "the last check failed: "+strings.Repeat("é", 60)+"…", reason)
}

func TestMaintenanceReason(t *testing.T) {
	now := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	assert.Equal(t, "in a maintenance window until 15:00 UTC", maintenanceReason(now.Add(6*time.Hour), now))
	assert.Equal(t, "in a maintenance window until Jan 8 01:30 UTC", maintenanceReason(now.Add(16*time.Hour+30*time.Minute), now))
	assert.Equal(t, "in a maintenance window until Jan 1 2031 09:00 UTC", maintenanceReason(now.AddDate(0, 0, 359), now))
	berlin := time.FixedZone("CET", 3600)
	assert.Equal(t, "in a maintenance window until 15:00 UTC", maintenanceReason(now.Add(6*time.Hour).In(berlin), now))
}

func TestAlertLifecycle(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "billing", srv.URL, func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 2, ResolveAfter: 2}}
	})
	ctx := context.Background()
	active := func() []*icc.Alert {
		p, err := e.store.ListAlerts(ctx, icc.AlertFilter{IntegrationID: in.ID, Active: true})
		require.NoError(t, err)
		return p.Items
	}

	srv.fail.Store(true)
	e.check(t, in.ID)
	assert.Empty(t, active(), "one failure is below the rule")
	e.check(t, in.ID)
	require.Len(t, active(), 1, "two failures in a row fire")
	n := notices.next(t)
	assert.Equal(t, NoticeFired, n.Event)
	assert.Equal(t, "billing", n.Integration)
	assert.Equal(t, in.ID+":consecutive_failures", n.Alert.DedupKey)
	assert.Equal(t, icc.SeverityCritical, n.Alert.Severity)

	e.check(t, in.ID)
	a := active()
	require.Len(t, a, 1, "the alert fires once")
	assert.Equal(t, 2, a[0].Count, "and counts further breaches")
	assert.Contains(t, a[0].Summary, "2 checks failed in a row")

	acked, err := e.mon.Acknowledge(ctx, a[0].ID, "agent-7")
	require.NoError(t, err)
	assert.Equal(t, icc.AlertAcknowledged, acked.State)
	assert.Equal(t, "agent-7", acked.AcknowledgedBy)
	assert.Equal(t, NoticeAcknowledged, notices.next(t).Event)
	_, err = e.mon.Acknowledge(ctx, a[0].ID, "")
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))

	// Flap protection: one success then a failure does not resolve.
	srv.fail.Store(false)
	e.check(t, in.ID)
	srv.fail.Store(true)
	e.check(t, in.ID)
	require.Len(t, active(), 1)
	srv.fail.Store(false)
	e.check(t, in.ID)
	require.Len(t, active(), 1, "one success is not enough")
	e.check(t, in.ID)
	assert.Empty(t, active(), "two successes in a row resolve")
	n = notices.next(t)
	assert.Equal(t, NoticeResolved, n.Event)
	assert.Equal(t, icc.AlertResolved, n.Alert.State)
	notices.none(t)

	got, err := e.store.GetAlert(ctx, a[0].ID)
	require.NoError(t, err)
	assert.Equal(t, icc.AlertResolved, got.State)
	assert.Equal(t, "agent-7", got.AcknowledgedBy)
	_, err = e.mon.Acknowledge(ctx, a[0].ID, "agent-7")
	assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err), "a resolved alert cannot be acknowledged")
}

func TestLatencyAndSuccessRateRules(t *testing.T) {
	ms := func(d ...time.Duration) []icc.CheckResult { // newest first
		out := make([]icc.CheckResult, len(d))
		for i, l := range d {
			out[i] = icc.CheckResult{OK: true, Latency: icc.Duration(l * time.Millisecond)}
		}
		return out
	}
	latency := icc.AlertRule{Type: icc.RuleLatency, Latency: icc.Duration(time.Second), ResolveAfter: 2}
	cases := []struct {
		name    string
		rule    icc.AlertRule
		recent  []icc.CheckResult
		breach  bool
		healthy bool
	}{
		{"one slow check is a blip", latency, ms(2000), false, false},
		{"two slow checks are not enough by default", latency, ms(2000, 2000, 1), false, false},
		{"three slow checks in a row fire by default", latency, ms(2000, 1500, 1001, 1), true, false},
		{"a fast check breaks the run", latency, ms(2000, 2000, 10, 2000), false, false},
		{"failures sets the run", icc.AlertRule{Type: icc.RuleLatency, Latency: icc.Duration(time.Second), Failures: 1, ResolveAfter: 2},
			ms(2000), true, false},
		{"resolve_after fast checks are healthy", latency, ms(1, 1000, 2000, 2000, 2000), false, true},
		{"fewer are not", latency, ms(1, 2000, 2000), false, false},
		{"rate below", icc.AlertRule{Type: icc.RuleSuccessRate, SuccessRate: 0.9, Window: icc.Duration(time.Hour), ResolveAfter: 1},
			[]icc.CheckResult{{OK: true}, {OK: false}, {OK: true}, {OK: true}}, true, false},
		{"rate above", icc.AlertRule{Type: icc.RuleSuccessRate, SuccessRate: 0.5, Window: icc.Duration(time.Hour), ResolveAfter: 1},
			[]icc.CheckResult{{OK: true}, {OK: false}, {OK: true}, {OK: true}}, false, true},
		{"too few samples", icc.AlertRule{Type: icc.RuleSuccessRate, SuccessRate: 0.9, Window: icc.Duration(time.Hour), ResolveAfter: 1},
			[]icc.CheckResult{{OK: false}, {OK: false}}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(tc.rule, tc.recent, tc.recent)
			assert.Equal(t, tc.breach, v.breached, "breached")
			assert.Equal(t, tc.healthy, v.healthy, "healthy")
			if tc.breach && tc.rule.Type == icc.RuleLatency {
				assert.Contains(t, v.summary, "latency above 1s for")
			}
		})
	}
}

func TestMaintenanceSuppressesAlerts(t *testing.T) {
	notices := make(noticeRecorder, 16)
	e := newEnv(t, Config{Notifiers: []Notifier{notices}})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "erp", srv.URL, func(in *icc.Integration) {
		in.AlertRules = []icc.AlertRule{{Type: icc.RuleConsecutiveFailures, Failures: 1}}
	})
	ctx := context.Background()

	w, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: e.clock.Now(), CreatedBy: "agent-1"})
	require.NoError(t, err)
	assert.Equal(t, time.Hour, w.EndsAt.Sub(w.StartsAt), "one hour by default")

	srv.fail.Store(true)
	for range 4 {
		r := e.check(t, in.ID)
		assert.False(t, r.OK)
	}
	assert.Len(t, e.results(t, in.ID), 4, "probes still run and are recorded")
	assert.Equal(t, icc.StatusMaintenance, e.status(t, in.ID))
	p, err := e.store.ListAlerts(ctx, icc.AlertFilter{IntegrationID: in.ID})
	require.NoError(t, err)
	assert.Empty(t, p.Items, "no alert during maintenance")
	notices.none(t)

	_, err = e.mon.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	e.check(t, in.ID)
	assert.Equal(t, icc.StatusDown, e.status(t, in.ID))
	assert.Equal(t, NoticeFired, notices.next(t).Event, "alerts resume after the window")
}

func TestScheduleMaintenanceValidation(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.addIntegration(t, "crm", "http://crm.invalid/health", nil)
	ctx := context.Background()
	now := e.clock.Now() // 09:00 sharp
	e.clock.Advance(17 * time.Minute)

	w, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID})
	require.NoError(t, err)
	assert.True(t, w.StartsAt.Equal(now.Add(time.Hour)), "next full hour, got %s", w.StartsAt)
	assert.True(t, w.EndsAt.Equal(now.Add(2*time.Hour)))
	assert.Equal(t, "Scheduled maintenance", w.Title)

	bad := []struct {
		w     icc.MaintenanceWindow
		field string
	}{
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(-time.Hour)}, "starts_at"},
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(2 * time.Hour), EndsAt: now.Add(time.Hour)}, "ends_at"},
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(time.Hour), EndsAt: now.Add(9 * 24 * time.Hour)}, "ends_at"},
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(time.Hour), EndsAt: now.Add(8 * 24 * time.Hour), Recurrence: icc.RecurWeekly}, "ends_at"},
		{icc.MaintenanceWindow{IntegrationID: in.ID, Recurrence: "daily"}, "recurrence"},
		{icc.MaintenanceWindow{}, "integration_id"},
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.AddDate(6, 0, 0)}, "ends_at"},                            // beyond the horizon
		{icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)}, "ends_at"}, // the default end is in year 10000
	}
	for i, tc := range bad {
		_, err := e.mon.ScheduleMaintenance(ctx, tc.w)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), "case %d: %v", i, err)
		assert.Equal(t, tc.field, icc.ErrorField(err), "case %d", i)
	}
	_, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: "nope"})
	assert.Equal(t, icc.ENOTFOUND, icc.ErrorCode(err))

	weekly, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, Recurrence: icc.RecurWeekly})
	require.NoError(t, err)
	assert.True(t, weekly.ActiveAt(now.Add(7*24*time.Hour+90*time.Minute)))

	c1, err := e.mon.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	require.NotNil(t, c1.CanceledAt)
	c2, err := e.mon.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, c1.CanceledAt, c2.CanceledAt, "cancelling twice changes nothing")
}

func TestWebhookRetries(t *testing.T) {
	var hits atomic.Int64
	got := make(chan AlertNotice, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit := hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer t0k" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if hit <= 2 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		var n AlertNotice
		assert.NoError(t, json.NewDecoder(r.Body).Decode(&n))
		got <- n
	}))
	t.Cleanup(srv.Close)

	wh, err := NewWebhook(WebhookConfig{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer t0k"}, Backoff: time.Millisecond})
	require.NoError(t, err)
	notice := AlertNotice{Event: NoticeFired, Integration: "crm", Alert: icc.Alert{ID: "a1", DedupKey: "i1:latency", Summary: "slow"}}
	require.NoError(t, wh.Notify(context.Background(), notice))
	assert.EqualValues(t, 3, hits.Load(), "failed twice, then delivered")
	n := <-got
	assert.Equal(t, "a1", n.Alert.ID)
	assert.Equal(t, NoticeFired, n.Event)

	// Bounded: gives up after Attempts; a 4xx is not retried.
	hits.Store(-100)
	wh, err = NewWebhook(WebhookConfig{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer t0k"}, Attempts: 2, Backoff: time.Millisecond})
	require.NoError(t, err)
	err = wh.Notify(context.Background(), notice)
	assert.ErrorContains(t, err, "attempt 2 of 2")
	assert.EqualValues(t, -98, hits.Load())

	wh, err = NewWebhook(WebhookConfig{URL: srv.URL, Backoff: time.Millisecond})
	require.NoError(t, err)
	hits.Store(-100)
	assert.ErrorContains(t, wh.Notify(context.Background(), notice), "attempt 1 of 4: status 401", "401 is not retried")
	assert.EqualValues(t, -99, hits.Load())

	_, err = NewWebhook(WebhookConfig{URL: "ftp://x"})
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{})
	assert.Equal(t, "store", icc.ErrorField(err))
	e := newEnv(t, Config{})
	_, err = New(Config{Store: e.store, Concurrency: -1})
	assert.Equal(t, "concurrency", icc.ErrorField(err))
	_, err = New(Config{Store: e.store, Thresholds: Thresholds{DegradedFailures: 20}})
	assert.Equal(t, "thresholds.degraded_failures", icc.ErrorField(err))
}

func TestStats(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "api", srv.URL, nil)
	ctx := context.Background()
	for i := range 10 {
		srv.fail.Store(i%5 == 4) // 2 of 10 fail
		e.check(t, in.ID)
	}
	now := e.clock.Now()
	require.NoError(t, e.store.AddIntegrationLogs(ctx, []icc.IntegrationLog{
		{IntegrationID: in.ID, Method: "GET", StatusCode: 200, At: now},
		{IntegrationID: in.ID, Method: "GET", StatusCode: 404, At: now},
		{IntegrationID: in.ID, Method: "GET", StatusCode: 502, At: now},
		{IntegrationID: in.ID, Method: "GET", Error: "dial tcp: refused", At: now},
		{IntegrationID: in.ID, Method: "GET", StatusCode: 200, At: now.Add(-2 * time.Hour)}, // outside
	}))
	st, err := e.mon.Stats(ctx, in.ID, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, icc.Duration(time.Hour), st.Window)
	assert.Equal(t, in.ID, st.IntegrationID)
	assert.Equal(t, 10, st.Checks)
	assert.Equal(t, 8, st.ChecksOK)
	assert.InDelta(t, 0.8, st.Uptime, 1e-9)
	assert.Positive(t, st.CheckLatency.P50)
	assert.LessOrEqual(t, st.CheckLatency.P50, st.CheckLatency.P95)
	assert.LessOrEqual(t, st.CheckLatency.P95, st.CheckLatency.P99)
	assert.Equal(t, 4, st.Calls)
	assert.Equal(t, 1, st.CallsOK, "a 404 is not a success")
	assert.InDelta(t, 0.25, st.SuccessRate, 1e-9)
	assert.Equal(t, icc.ErrorBreakdown{Status4xx: 1, Status5xx: 1, Transport: 1}, st.Errors)

	// Longer windows reach the older call.
	for _, w := range []time.Duration{WindowDay, WindowWeek, WindowMonth} {
		st, err := e.mon.Stats(ctx, in.ID, w)
		require.NoError(t, err)
		assert.Equal(t, 5, st.Calls, "window %s", w)
		assert.Equal(t, now.Add(-w), st.From)
	}

	_, err = e.mon.Stats(ctx, icc.NewID(), time.Hour)
	assert.Equal(t, icc.ENOTFOUND, icc.ErrorCode(err))
	_, err = e.mon.Stats(ctx, in.ID, 0)
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
	_, err = e.mon.Stats(ctx, in.ID, MaxWindow+time.Second)
	assert.Equal(t, "window", icc.ErrorField(err))
}

func TestParseWindow(t *testing.T) {
	for s, want := range map[string]time.Duration{"1h": WindowHour, "24h": WindowDay, "7d": WindowWeek, "30d": WindowMonth, "90m": 90 * time.Minute, "31d": MaxWindow} {
		got, err := ParseWindow(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "0", "-1h", "0d", "32d", "1.5d", "week", "745h"} {
		_, err := ParseWindow(s)
		assert.Equal(t, "window", icc.ErrorField(err), "%q", s)
	}
}

func TestCheckNowAfterClose(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, nil)
	require.NoError(t, e.mon.Close(context.Background()))
	_, err := e.mon.CheckNow(context.Background(), in.ID)
	require.ErrorIs(t, err, icc.ErrUnavailable)
	assert.Empty(t, e.results(t, in.ID), "a closed monitor records nothing")
}

// TestCheckNowAnswersAsStored: the result CheckNow returns is the one a
// later listing returns, times included (stores keep microseconds).
func TestCheckNowAnswersAsStored(t *testing.T) {
	e := newEnv(t, Config{})
	srv := newFlapServer(t)
	in := e.addIntegration(t, "crm", srv.URL, nil)
	e.clock.Advance(123456789 * time.Nanosecond)
	got, err := e.mon.CheckNow(context.Background(), in.ID)
	require.NoError(t, err)
	stored := e.results(t, in.ID)
	require.Len(t, stored, 1)
	assert.Equal(t, stored[0], got)
}
