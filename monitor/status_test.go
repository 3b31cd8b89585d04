package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// statusLog collects the status events published on the integrations
// topic; drain returns those published so far (the memory bus delivers
// while Publish runs).
type statusLog struct {
	sub icc.Subscription
}

func newStatusLog(t *testing.T, e *env) *statusLog {
	t.Helper()
	sub, err := e.store.Subscribe(context.Background(), icc.TopicIntegrations)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })
	return &statusLog{sub: sub}
}

type statusEvent struct {
	Status icc.IntegrationStatus `json:"status"`
	Reason string                `json:"reason"`
}

func (l *statusLog) drain(t *testing.T) []statusEvent {
	t.Helper()
	var out []statusEvent
	for {
		select {
		case ev := <-l.sub.Events():
			if ev.Type != EventStatus {
				continue
			}
			var d statusEvent
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			out = append(out, d)
		default:
			return out
		}
	}
}

func (e *env) integration(t *testing.T, id string) *icc.Integration {
	t.Helper()
	in, err := e.store.GetIntegration(context.Background(), id)
	require.NoError(t, err)
	return in
}

// TestStatusReasonFollowsChecks walks an integration through the reasons
// its checks give, and checks that a change of reason alone is stored in
// one update without a status event or a new StatusChangedAt.
func TestStatusReasonFollowsChecks(t *testing.T) {
	var failing atomic.Bool
	e := newEnv(t, Config{Funcs: map[string]CheckFunc{"erp": func(context.Context) error {
		if failing.Load() {
			return errors.New("connection refused")
		}
		return nil
	}}})
	in := e.addIntegration(t, "Mock ERP", "", func(in *icc.Integration) {
		in.Check = icc.CheckSpec{Type: icc.CheckFunc, Func: "erp", Interval: icc.Duration(time.Hour), Timeout: icc.Duration(time.Minute)}
	})
	events := newStatusLog(t, e)

	e.upsert(t, in)
	got := e.integration(t, in.ID)
	assert.Equal(t, icc.StatusUnknown, got.Status)
	assert.Equal(t, "no checks yet", got.StatusReason)
	assert.Equal(t, int64(2), got.Version, "one update")
	assert.Nil(t, got.StatusChangedAt)
	assert.Empty(t, events.drain(t), "no status change")
	e.upsert(t, got)
	assert.Equal(t, int64(2), e.integration(t, in.ID).Version, "nothing to write")

	steps := []struct {
		fail   bool
		want   health
		events []statusEvent // published by the step
	}{
		{false, health{icc.StatusOperational, ""}, []statusEvent{{icc.StatusOperational, ""}}},
		{true, health{icc.StatusDegraded, "the last check failed: connection refused"},
			[]statusEvent{{icc.StatusDegraded, "the last check failed: connection refused"}}},
		{true, health{icc.StatusDegraded, "2 checks failed in a row (last: connection refused)"}, nil},
		{true, health{icc.StatusDown, "3 checks failed in a row (last: connection refused)"},
			[]statusEvent{{icc.StatusDown, "3 checks failed in a row (last: connection refused)"}}},
		{true, health{icc.StatusDown, "3 checks failed in a row (last: connection refused)"}, nil},
		{false, health{icc.StatusDegraded, "4 of the last 10 checks failed"},
			[]statusEvent{{icc.StatusDegraded, "4 of the last 10 checks failed"}}},
	}
	for i, s := range steps {
		failing.Store(s.fail)
		before := e.integration(t, in.ID)
		e.check(t, in.ID)
		got := e.integration(t, in.ID)
		assert.Equal(t, s.want, health{got.Status, got.StatusReason}, "step %d", i)
		assert.Equal(t, s.events, events.drain(t), "step %d", i)
		wantVersion := before.Version
		if before.Status != got.Status || before.StatusReason != got.StatusReason {
			wantVersion++
		}
		assert.Equal(t, wantVersion, got.Version, "step %d: at most one update", i)
		if s.events == nil {
			assert.Equal(t, before.StatusChangedAt, got.StatusChangedAt, "step %d: the status did not change", i)
		}
	}

	// The user's case: every recent check passes, yet the integration
	// stays degraded while 2 of the last 10 failed, and says so.
	for range 7 {
		e.check(t, in.ID)
	}
	got = e.integration(t, in.ID)
	assert.Equal(t, icc.StatusDegraded, got.Status)
	assert.Equal(t, "2 of the last 10 checks failed", got.StatusReason)
	assert.Empty(t, events.drain(t), "no status change while the reason changed")
	e.check(t, in.ID)
	got = e.integration(t, in.ID)
	assert.Equal(t, health{icc.StatusOperational, ""}, health{got.Status, got.StatusReason})
	assert.Equal(t, []statusEvent{{icc.StatusOperational, ""}}, events.drain(t))
}

func TestStatusReasonSlowCheck(t *testing.T) {
	e := newEnv(t, Config{Thresholds: Thresholds{DegradedLatency: 500 * time.Millisecond}})
	in := e.logsOnly(t, "erp", 0)
	e.clock.Advance(time.Second)
	cr := icc.CheckResult{ID: icc.NewID(), IntegrationID: in.ID, OK: true, Latency: icc.Duration(812 * time.Millisecond), CheckedAt: e.clock.Now()}
	require.NoError(t, e.mon.record(context.Background(), in.Check, cr))
	got := e.integration(t, in.ID)
	assert.Equal(t, icc.StatusDegraded, got.Status)
	assert.Equal(t, "the last check took longer than 500 ms", got.StatusReason)
}

func TestStatusReasonMaintenance(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, Config{})
	in := e.logsOnly(t, "erp", 3) // down; the clock is at 09:00:03 UTC
	w, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID,
		StartsAt: e.clock.Now(), EndsAt: time.Date(2030, 1, 7, 15, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	got := e.integration(t, in.ID)
	assert.Equal(t, icc.StatusMaintenance, got.Status)
	assert.Equal(t, "in a maintenance window until 15:00 UTC", got.StatusReason)

	// Checks during the window keep the reason.
	e.clock.Advance(time.Second)
	cr := icc.CheckResult{ID: icc.NewID(), IntegrationID: in.ID, Error: "refused", CheckedAt: e.clock.Now()}
	require.NoError(t, e.mon.record(ctx, in.Check, cr))
	assert.Equal(t, "in a maintenance window until 15:00 UTC", e.integration(t, in.ID).StatusReason)

	_, err = e.mon.CancelMaintenance(ctx, w.ID)
	require.NoError(t, err)
	got = e.integration(t, in.ID)
	assert.Equal(t, icc.StatusDown, got.Status)
	assert.Equal(t, "3 checks failed in a row (last: refused)", got.StatusReason)
}

func TestStatusReasonUnchecked(t *testing.T) {
	// Checked again, by HTTP: this monitor cannot run the function check.
	checked := func(in *icc.Integration) {
		in.Enabled = true
		in.Check = icc.CheckSpec{Type: icc.CheckHTTP, URL: "http://127.0.0.1:9/", Interval: icc.Duration(time.Hour)}
	}
	for _, c := range []struct {
		change func(*icc.Integration)
		reason string
	}{
		{func(in *icc.Integration) { in.Enabled = false }, "disabled"},
		{func(in *icc.Integration) { in.Check = icc.CheckSpec{Type: icc.CheckNone} }, "checks are off (type none)"},
	} {
		e := newEnv(t, Config{})
		in := e.logsOnly(t, "erp", 3)
		e.upsert(t, e.update(t, in.ID, c.change))
		got := e.integration(t, in.ID)
		assert.Equal(t, icc.StatusUnknown, got.Status)
		assert.Equal(t, c.reason, got.StatusReason)

		// Checked again: the old reason goes; the next check decides.
		e.upsert(t, e.update(t, in.ID, checked))
		got = e.integration(t, in.ID)
		assert.Equal(t, icc.StatusUnknown, got.Status)
		assert.Equal(t, "no checks yet", got.StatusReason)
	}
}
