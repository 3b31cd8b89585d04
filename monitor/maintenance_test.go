package monitor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// TestScheduleMaintenanceDefaults: which window omitted times make, and
// the messages of the windows refused.
func TestScheduleMaintenanceDefaults(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.addIntegration(t, "erp", "http://erp.invalid/health", nil)
	ctx := context.Background()
	e.clock.Advance(17 * time.Minute) // 09:17
	now := e.clock.Now()

	// Only ends_at: from now until then.
	w, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, EndsAt: now.Add(30 * time.Minute)})
	require.NoError(t, err)
	assert.True(t, w.StartsAt.Equal(now), "starts now, got %s", w.StartsAt)
	assert.True(t, w.EndsAt.Equal(now.Add(30*time.Minute)))
	assert.True(t, w.ActiveAt(now))

	// Only starts_at: one hour from it.
	w, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(2 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, time.Hour, w.EndsAt.Sub(w.StartsAt))

	// Neither: the next full hour, for one hour.
	w, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID})
	require.NoError(t, err)
	assert.True(t, w.StartsAt.Equal(now.Truncate(time.Hour).Add(time.Hour)), "got %s", w.StartsAt)

	for _, tc := range []struct {
		name       string
		w          icc.MaintenanceWindow
		field, msg string
	}{
		{"only an end, in the past", icc.MaintenanceWindow{EndsAt: now.Add(-time.Minute)}, "ends_at",
			"must be in the future (without starts_at the window starts now)"},
		{"only an end, now", icc.MaintenanceWindow{EndsAt: now}, "ends_at",
			"must be in the future (without starts_at the window starts now)"},
		{"end before start", icc.MaintenanceWindow{StartsAt: now.Add(time.Hour), EndsAt: now.Add(30 * time.Minute)}, "ends_at",
			"must be after starts_at"},
		{"too long", icc.MaintenanceWindow{StartsAt: now, EndsAt: now.Add(8 * 24 * time.Hour)}, "ends_at",
			"a window may last at most 7 days"},
		{"start in the past", icc.MaintenanceWindow{StartsAt: now.Add(-time.Hour)}, "starts_at",
			"must not be in the past (at most 5 minutes ago)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.w.IntegrationID = in.ID
			_, err := e.mon.ScheduleMaintenance(ctx, tc.w)
			require.Error(t, err)
			assert.Equal(t, icc.EINVALID, icc.ErrorCode(err))
			assert.Equal(t, tc.field, icc.ErrorField(err))
			assert.Equal(t, tc.msg, icc.ErrorMessage(err))
		})
	}

	// Exactly the longest window is fine.
	_, err = e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now, EndsAt: now.Add(icc.MaxMaintenance)})
	require.NoError(t, err)
}

func TestInMaintenanceAndSilenced(t *testing.T) {
	e := newEnv(t, Config{})
	in := e.addIntegration(t, "erp", "http://erp.invalid/health", nil)
	other := e.addIntegration(t, "crm", "http://crm.invalid/health", nil)
	ctx := context.Background()
	now := e.clock.Now()
	_, err := e.mon.ScheduleMaintenance(ctx, icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: now.Add(10 * time.Minute), EndsAt: now.Add(40 * time.Minute)})
	require.NoError(t, err)

	firing := &icc.Alert{IntegrationID: in.ID, State: icc.AlertFiring}
	resolved := &icc.Alert{IntegrationID: in.ID, State: icc.AlertResolved}
	state := func(a *icc.Alert) (bool, bool) {
		t.Helper()
		on, err := e.mon.InMaintenance(ctx, a.IntegrationID)
		require.NoError(t, err)
		s, err := e.mon.Silenced(ctx, a)
		require.NoError(t, err)
		return on, s
	}
	on, silenced := state(firing)
	assert.False(t, on, "the window has not begun")
	assert.False(t, silenced)

	e.clock.Advance(15 * time.Minute)
	on, silenced = state(firing)
	assert.True(t, on)
	assert.True(t, silenced)
	_, silenced = state(resolved)
	assert.False(t, silenced, "a resolved alert is not silenced")
	on, _ = state(&icc.Alert{IntegrationID: other.ID, State: icc.AlertFiring})
	assert.False(t, on, "the window covers only its integration")

	e.clock.Advance(30 * time.Minute)
	on, _ = state(firing)
	assert.False(t, on, "the window is over")
}
