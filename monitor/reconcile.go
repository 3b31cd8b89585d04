package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// This file keeps what no check result decides in line with the store:
// statuses at the edges of maintenance windows, and alerts whose rule or
// integration went away. Sync does it for every integration; Upsert,
// Remove, ScheduleMaintenance and CancelMaintenance for the one they
// change. Every step is idempotent (status and alert updates are
// versioned, and a resolved alert stays resolved), so the instances of a
// cluster may all do it: one of them wins each change and announces it.

// settleAlerts resolves the integration's unresolved alerts that nothing
// can resolve any more; see settleIntegrationAlerts.
func (m *Monitor) settleAlerts(ctx context.Context, id string) error {
	active, err := m.activeAlerts(ctx, id) // before the integration: see sync
	if err != nil || len(active) == 0 {
		return err
	}
	now := m.clock.Now()
	in, err := m.store.GetIntegration(ctx, id)
	if errors.Is(err, icc.ErrNotFound) {
		return m.resolveAll(ctx, active, "", reasonDeleted, now)
	}
	if err != nil {
		return fmt.Errorf("get integration: %w", err)
	}
	return m.settleIntegrationAlerts(ctx, in, active, now)
}

// settleAllAlerts is settleAlerts for every unresolved alert: active
// lists them (listed before all, the integrations).
func (m *Monitor) settleAllAlerts(ctx context.Context, all []*icc.Integration, active []*icc.Alert, now time.Time) error {
	byID := make(map[string]*icc.Integration, len(all))
	for _, in := range all {
		byID[in.ID] = in
	}
	groups := map[string][]*icc.Alert{}
	var order []string
	for _, a := range active {
		if groups[a.IntegrationID] == nil {
			order = append(order, a.IntegrationID)
		}
		groups[a.IntegrationID] = append(groups[a.IntegrationID], a)
	}
	var errs []error
	for _, id := range order {
		in := byID[id]
		if in == nil {
			errs = append(errs, m.resolveAll(ctx, groups[id], "", reasonDeleted, now))
			continue
		}
		errs = append(errs, m.settleIntegrationAlerts(ctx, in, groups[id], now))
	}
	return errors.Join(errs...)
}

// settleIntegrationAlerts resolves those of in's unresolved alerts that
// no check can resolve: all of them when in is disabled or not checked,
// else those that none of its rules claims (claimAlerts).
func (m *Monitor) settleIntegrationAlerts(ctx context.Context, in *icc.Integration, active []*icc.Alert, now time.Time) error {
	if reason := unwatched(in); reason != "" {
		return m.resolveAll(ctx, active, in.Name, reason, now)
	}
	_, orphans := claimAlerts(ruleSlots(in), active)
	return m.resolveAll(ctx, orphans, in.Name, reasonRuleGone, now)
}

// syncMaintenance brings the status of every integration of all in line
// with the maintenance windows at now (settleStatus) and returns when the
// next window starts or ends, or zero when none will.
func (m *Monitor) syncMaintenance(ctx context.Context, all []*icc.Integration, now time.Time) (next time.Time, err error) {
	windows, err := m.windowsAfter(ctx, now)
	if err != nil {
		return time.Time{}, err
	}
	covered := map[string]time.Time{} // integration id: end of its cover
	for _, w := range windows {
		if w.ActiveAt(now) {
			covered[w.IntegrationID] = latest(covered[w.IntegrationID], nextChange(w, now))
		}
		if t := nextChange(w, now); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	var errs []error
	for _, in := range all {
		maint := ""
		if until, ok := covered[in.ID]; ok {
			maint = maintenanceReason(until, now)
		}
		if err := m.settleStatus(ctx, in, maint, now); err != nil {
			errs = append(errs, fmt.Errorf("integration %s: %w", in.ID, err))
		}
	}
	return next, errors.Join(errs...)
}

// maxWindowPages bounds how many pages of maintenance windows a sync
// reads (500 windows each).
const maxWindowPages = 20

// windowsAfter lists the windows of every integration that are not
// cancelled and end after now or recur.
func (m *Monitor) windowsAfter(ctx context.Context, now time.Time) ([]*icc.MaintenanceWindow, error) {
	var out []*icc.MaintenanceWindow
	f := icc.MaintenanceFilter{EndsAfter: now, Limit: icc.MaxLimit}
	for page := 1; ; page++ {
		p, err := m.store.ListMaintenance(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list maintenance: %w", err)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out, nil
		}
		if page == maxWindowPages {
			m.log.WarnContext(ctx, "too many maintenance windows; later ones are ignored until the next sync", "read", len(out))
			return out, nil
		}
		f.Cursor = p.Next
	}
}

// nextChange returns the first time after now at which w starts or ends
// covering its integration (see icc.MaintenanceWindow.ActiveAt), or zero
// when it never will again.
func nextChange(w *icc.MaintenanceWindow, now time.Time) time.Time {
	if w.CanceledAt != nil {
		return time.Time{}
	}
	if now.Before(w.StartsAt) {
		return w.StartsAt
	}
	if w.Recurrence != icc.RecurWeekly {
		if now.Before(w.EndsAt) {
			return w.EndsAt
		}
		return time.Time{}
	}
	const week = 7 * 24 * time.Hour
	length := w.EndsAt.Sub(w.StartsAt)
	off := now.Sub(w.StartsAt) % week
	if off < length {
		return now.Add(length - off)
	}
	return now.Add(week - off)
}

// settleStatus makes in's status maintenance when a window covers it
// (maint is the window's reason, "" when none does); else unknown when in
// is disabled or not checked; else, when the status is still maintenance,
// derives it again from the latest results as a check would; else, when
// it is unknown (no check since in was created or checked again), says so
// in the reason. A change is stored, and a change of status announced, by
// setStatus.
func (m *Monitor) settleStatus(ctx context.Context, in *icc.Integration, maint string, now time.Time) error {
	if maint != "" {
		return m.setStatus(ctx, in, health{icc.StatusMaintenance, maint}, now, nil)
	}
	if v, ok := uncheckedVerdict(in); ok {
		// Disabled or not checked: no result speaks for it any more, so
		// it is no current outage (nor an incident tickets link to).
		return m.setStatus(ctx, in, v, now, nil)
	}
	switch in.Status {
	case icc.StatusUnknown:
		// The next check decides; a reason left from before (disabled)
		// no longer holds. After a concurrent write, what the other
		// writer stored stands unless the status is still unknown.
		return m.setStatus(ctx, in, health{icc.StatusUnknown, reasonNoChecks}, now,
			func(_ context.Context, in *icc.Integration) (health, error) {
				if in.Status != icc.StatusUnknown {
					return health{in.Status, in.StatusReason}, nil
				}
				return health{icc.StatusUnknown, reasonNoChecks}, nil
			})
	case icc.StatusMaintenance:
	default:
		return nil
	}
	recent, err := m.recentResults(ctx, in)
	if err != nil {
		return err
	}
	// After a concurrent write, the status another writer stored stands
	// unless it is still maintenance.
	rederive := func(_ context.Context, in *icc.Integration) (health, error) {
		if in.Status != icc.StatusMaintenance {
			return health{in.Status, in.StatusReason}, nil
		}
		return deriveStatus(recent, "", m.cfg.Thresholds, in.Check), nil
	}
	return m.setStatus(ctx, in, deriveStatus(recent, "", m.cfg.Thresholds, in.Check), now, rederive)
}

// refreshStatus is settleStatus for one integration now.
func (m *Monitor) refreshStatus(ctx context.Context, id string) error {
	in, err := m.store.GetIntegration(ctx, id)
	if err != nil {
		return fmt.Errorf("get integration: %w", err)
	}
	now := m.clock.Now()
	maint, err := m.maintenanceReason(ctx, id, now)
	if err != nil {
		return err
	}
	return m.settleStatus(ctx, in, maint, now)
}

// poke asks Run to sync now, so that it learns of a maintenance window's
// new edges; it never blocks.
func (m *Monitor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}
