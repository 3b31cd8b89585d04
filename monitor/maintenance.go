package monitor

import (
	"context"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// maintenanceGrace is how far in the past a new window may start, to
// allow for the time it took to fill in the form.
const maintenanceGrace = 5 * time.Minute

// ScheduleMaintenance validates and stores a maintenance window for an
// existing integration. Omitted times are filled in: with neither StartsAt
// nor EndsAt the window is the next full hour; with only EndsAt it starts
// now (EndsAt must then be in the future); with only StartsAt it lasts one
// hour. The window must not start more than five minutes in the past, must
// end after it starts and may last at most icc.MaxMaintenance (less than a
// week when it recurs weekly, so repetitions do not overlap). Bad input is
// icc.EINVALID naming the field, with durations written for people ("7
// days"); an unknown integration is icc.ENOTFOUND. A window that covers
// the integration now makes its status maintenance at once (announced like
// any status change), and Run makes it so when a later window starts and
// derives the status again from the latest results when it ends.
func (m *Monitor) ScheduleMaintenance(ctx context.Context, w icc.MaintenanceWindow) (*icc.MaintenanceWindow, error) {
	if w.IntegrationID == "" {
		return nil, icc.Invalid("integration_id", "is required")
	}
	if _, err := m.store.GetIntegration(ctx, w.IntegrationID); err != nil {
		return nil, err
	}
	now := m.clock.Now()
	switch {
	case w.StartsAt.IsZero() && w.EndsAt.IsZero():
		w.StartsAt = now.Truncate(time.Hour).Add(time.Hour)
		w.EndsAt = w.StartsAt.Add(time.Hour)
	case w.StartsAt.IsZero():
		if !w.EndsAt.After(now) {
			return nil, icc.Invalid("ends_at", "must be in the future (without starts_at the window starts now)")
		}
		w.StartsAt = now
	case w.EndsAt.IsZero():
		w.EndsAt = w.StartsAt.Add(time.Hour)
	}
	if w.StartsAt.Before(now.Add(-maintenanceGrace)) {
		return nil, icc.Invalid("starts_at", "must not be in the past (at most %s ago)", icc.HumanDuration(maintenanceGrace))
	}
	if !w.EndsAt.After(w.StartsAt) {
		return nil, icc.Invalid("ends_at", "must be after starts_at")
	}
	if w.EndsAt.After(icc.MaintenanceHorizon(now)) {
		return nil, icc.Invalid("ends_at", "a window must end within %d years from now", icc.MaintenanceHorizonYears)
	}
	if w.EndsAt.Sub(w.StartsAt) > icc.MaxMaintenance {
		return nil, icc.Invalid("ends_at", "a window may last at most %s", icc.HumanDuration(icc.MaxMaintenance))
	}
	if w.Recurrence == icc.RecurWeekly && w.EndsAt.Sub(w.StartsAt) >= 7*24*time.Hour {
		return nil, icc.Invalid("ends_at", "a weekly window must last less than a week")
	}
	w.ID, w.CanceledAt = "", nil
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if err := m.store.CreateMaintenance(ctx, &w); err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "maintenance scheduled", "maintenance", w.ID, "integration", w.IntegrationID,
		"starts_at", w.StartsAt, "ends_at", w.EndsAt, "recurrence", w.Recurrence)
	if w.ActiveAt(m.clock.Now()) {
		m.settleAfterMaintenance(ctx, w.IntegrationID)
	}
	m.poke()
	m.announceMaintenance(ctx, &w)
	return &w, nil
}

// CancelMaintenance cancels a maintenance window; cancelling it again
// returns it unchanged. When no other window covers the integration, a
// maintenance status is derived again from the latest results at once,
// as a check would, and announced when it changes.
func (m *Monitor) CancelMaintenance(ctx context.Context, id string) (*icc.MaintenanceWindow, error) {
	w, err := m.store.GetMaintenance(ctx, id)
	if err != nil {
		return nil, err
	}
	if w.CanceledAt != nil {
		return w, nil
	}
	now := m.clock.Now()
	w.CanceledAt = &now
	if err := m.store.UpdateMaintenance(ctx, w); err != nil {
		return nil, err
	}
	m.log.InfoContext(ctx, "maintenance cancelled", "maintenance", w.ID, "integration", w.IntegrationID)
	m.settleAfterMaintenance(ctx, w.IntegrationID)
	m.poke()
	m.announceMaintenance(ctx, w)
	return w, nil
}

// EventMaintenance is the type of the event a Monitor with a Bus publishes
// on icc.TopicIntegrations when it schedules or cancels a maintenance
// window: the ID is the integration's, the data the window. The monitors
// of other processes sync when they receive it, so they learn the window's
// start and end at once, even if this process stops before the window
// begins.
const EventMaintenance = "integration.maintenance"

// announceMaintenance publishes EventMaintenance for w.
func (m *Monitor) announceMaintenance(ctx context.Context, w *icc.MaintenanceWindow) {
	m.publish(context.WithoutCancel(ctx), icc.Event{Topic: icc.TopicIntegrations, Type: EventMaintenance, ID: w.IntegrationID}, w)
}

// settleAfterMaintenance brings the integration's status in line with its
// windows after one was scheduled or cancelled. The window is stored
// either way, so a failure is logged and left to Run's next sync.
func (m *Monitor) settleAfterMaintenance(ctx context.Context, id string) {
	if err := m.refreshStatus(ctx, id); err != nil {
		m.log.WarnContext(ctx, "status not updated after a maintenance change; the next sync retries", "integration", id, "err", err)
	}
}
