package memory

import (
	"context"

	"github.com/icclabs/commandcenter/icc"
)

// CreateMaintenance stores a new maintenance window of an existing
// integration.
func (s *Store) CreateMaintenance(ctx context.Context, m *icc.MaintenanceWindow) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integrations[m.IntegrationID]; !ok {
		return icc.NotFound("integration", m.IntegrationID)
	}
	if err := claimID(s.maintenance, "maintenance window", &m.ID); err != nil {
		return err
	}
	now := s.stamp()
	m.CreatedAt = orNow(m.CreatedAt, now)
	m.UpdatedAt = orNow(m.UpdatedAt, now)
	normMaintenance(m)
	s.maintenance[m.ID] = copyMaintenance(m)
	return nil
}

// GetMaintenance returns the maintenance window with the given id.
func (s *Store) GetMaintenance(ctx context.Context, id string) (*icc.MaintenanceWindow, error) {
	return getCopy(ctx, s, s.maintenance, "maintenance window", id, copyMaintenance)
}

// UpdateMaintenance replaces title, times, recurrence and cancellation and
// stamps m.UpdatedAt; the other fields of m are set to the stored values.
func (s *Store) UpdateMaintenance(ctx context.Context, m *icc.MaintenanceWindow) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.maintenance[m.ID]
	if !ok {
		return icc.NotFound("maintenance window", m.ID)
	}
	n := copyMaintenance(old)
	n.Title = m.Title
	n.StartsAt = m.StartsAt
	n.EndsAt = m.EndsAt
	n.Recurrence = m.Recurrence
	n.CanceledAt = copyTime(m.CanceledAt)
	if err := n.Validate(); err != nil {
		return err
	}
	normMaintenance(n)
	n.UpdatedAt = s.stamp()
	s.maintenance[n.ID] = n
	*m = *copyMaintenance(n)
	return nil
}

// ListMaintenance returns the windows that match f, ordered by start time.
func (s *Store) ListMaintenance(ctx context.Context, f icc.MaintenanceFilter) (icc.Page[*icc.MaintenanceWindow], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.MaintenanceWindow]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.MaintenanceWindow]{}, err
	}
	after := icc.Timestamp(f.EndsAfter)
	keep := func(m *icc.MaintenanceWindow) bool {
		return !((f.IntegrationID != "" && m.IntegrationID != f.IntegrationID) ||
			(!f.IncludeCanceled && m.CanceledAt != nil) ||
			(!after.IsZero() && m.Recurrence == icc.RecurNone && !m.EndsAt.After(after)))
	}
	return pageOf(s, s.maintenance, keep, func(m *icc.MaintenanceWindow) key { return key{m.StartsAt, m.ID} }, false, f.Cursor, f.Limit, copyMaintenance)
}

// CreateAlert stores a new alert of an existing integration; another
// unresolved alert with the same DedupKey is ECONFLICT.
func (s *Store) CreateAlert(ctx context.Context, a *icc.Alert) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.integrations[a.IntegrationID]; !ok {
		return icc.NotFound("integration", a.IntegrationID)
	}
	if a.State != icc.AlertResolved {
		if _, ok := s.openAlerts[a.DedupKey]; ok {
			return icc.AlertKeyTaken(a.DedupKey, nil)
		}
	}
	if err := claimID(s.alerts, "alert", &a.ID); err != nil {
		return err
	}
	a.UpdatedAt = orNow(a.UpdatedAt, s.stamp())
	if a.Version == 0 {
		a.Version = 1
	}
	normAlert(a)
	s.alerts[a.ID] = copyAlert(a)
	if a.State != icc.AlertResolved {
		s.openAlerts[a.DedupKey] = a.ID
	}
	return nil
}

// GetAlert returns the alert with the given id.
func (s *Store) GetAlert(ctx context.Context, id string) (*icc.Alert, error) {
	return getCopy(ctx, s, s.alerts, "alert", id, copyAlert)
}

// UpdateAlert replaces state, count, summary, acknowledgement and
// resolution when a.Version is current, then increments a.Version and
// stamps a.UpdatedAt; the other fields of a are set to the stored values.
func (s *Store) UpdateAlert(ctx context.Context, a *icc.Alert) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.alerts[a.ID]
	if !ok {
		return icc.NotFound("alert", a.ID)
	}
	if err := stale("alert", a.ID, old.Version, a.Version); err != nil {
		return err
	}
	if a.State != icc.AlertResolved && old.State == icc.AlertResolved {
		if _, ok := s.openAlerts[old.DedupKey]; ok {
			return icc.AlertKeyTaken(old.DedupKey, nil)
		}
	}
	n := copyAlert(old)
	n.State = a.State
	n.Count = a.Count
	n.Summary = a.Summary
	n.AcknowledgedBy = a.AcknowledgedBy
	n.AcknowledgedAt = copyTime(a.AcknowledgedAt)
	n.ResolvedAt = copyTime(a.ResolvedAt)
	n.Version++
	n.UpdatedAt = s.stamp()
	normAlert(n)
	s.alerts[n.ID] = n
	if n.State == icc.AlertResolved {
		if s.openAlerts[n.DedupKey] == n.ID {
			delete(s.openAlerts, n.DedupKey)
		}
	} else {
		s.openAlerts[n.DedupKey] = n.ID
	}
	*a = *copyAlert(n)
	return nil
}

// ListAlerts returns the alerts that match f, newest first by FiredAt.
func (s *Store) ListAlerts(ctx context.Context, f icc.AlertFilter) (icc.Page[*icc.Alert], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.Alert]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Alert]{}, err
	}
	keep := func(a *icc.Alert) bool {
		return !((f.IntegrationID != "" && a.IntegrationID != f.IntegrationID) ||
			(f.State != nil && a.State != *f.State) ||
			(f.Active && a.State == icc.AlertResolved))
	}
	return pageOf(s, s.alerts, keep, func(a *icc.Alert) key { return key{a.FiredAt, a.ID} }, true, f.Cursor, f.Limit, copyAlert)
}

func normMaintenance(m *icc.MaintenanceWindow) {
	m.StartsAt = icc.Timestamp(m.StartsAt)
	m.EndsAt = icc.Timestamp(m.EndsAt)
	m.CanceledAt = icc.TimestampPtr(m.CanceledAt)
}

func copyMaintenance(m *icc.MaintenanceWindow) *icc.MaintenanceWindow {
	v := *m
	v.CanceledAt = copyTime(m.CanceledAt)
	return &v
}

func normAlert(a *icc.Alert) {
	a.FiredAt = icc.Timestamp(a.FiredAt)
	a.AcknowledgedAt = icc.TimestampPtr(a.AcknowledgedAt)
	a.ResolvedAt = icc.TimestampPtr(a.ResolvedAt)
}

func copyAlert(a *icc.Alert) *icc.Alert {
	v := *a
	v.AcknowledgedAt = copyTime(a.AcknowledgedAt)
	v.ResolvedAt = copyTime(a.ResolvedAt)
	return &v
}
