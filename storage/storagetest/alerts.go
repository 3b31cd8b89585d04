package storagetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) maintenance(t *testing.T) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		ag := newAgent(t, st)
		start := time.Date(2026, 7, 1, 22, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
		m := &icc.MaintenanceWindow{IntegrationID: in.ID, Title: "  ", StartsAt: start, EndsAt: start.Add(2 * time.Hour),
			Recurrence: icc.RecurWeekly, CreatedBy: ag.ID}
		require.NoError(t, st.CreateMaintenance(ctx(t), m))
		require.NotEmpty(t, m.ID)
		assert.Equal(t, "Scheduled maintenance", m.Title)
		requireUTC(t, start, m.StartsAt, "starts_at written back")
		requireStamped(t, m.CreatedAt, "created_at")
		requireStamped(t, m.UpdatedAt, "updated_at")
		got, err := st.GetMaintenance(ctx(t), m.ID)
		require.NoError(t, err)
		assert.Equal(t, m, got)
		requireUTC(t, start, got.StartsAt, "starts_at")
		requireUTC(t, start.Add(2*time.Hour), got.EndsAt, "ends_at")
		_, err = st.GetMaintenance(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetMaintenance(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.GetAlert(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		requireCode(t, st.CreateMaintenance(ctx(t), &icc.MaintenanceWindow{StartsAt: at(0), EndsAt: at(1)}), icc.EINVALID, "integration_id")
		requireCode(t, st.CreateMaintenance(ctx(t), &icc.MaintenanceWindow{IntegrationID: in.ID, EndsAt: at(1)}), icc.EINVALID, "starts_at")
		requireCode(t, st.CreateMaintenance(ctx(t), &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(1), EndsAt: at(1)}), icc.EINVALID, "ends_at")
		requireCode(t, st.CreateMaintenance(ctx(t), &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(0), EndsAt: at(0).Add(icc.MaxMaintenance + time.Minute)}), icc.EINVALID, "ends_at")
		requireCode(t, st.CreateMaintenance(ctx(t), &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(0), EndsAt: at(1), Recurrence: "daily"}), icc.EINVALID, "recurrence")
		page, err := st.ListMaintenance(ctx(t), icc.MaintenanceFilter{IncludeCanceled: true})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
		_, err = st.ListMaintenance(ctx(t), icc.MaintenanceFilter{IntegrationID: "a\x00b"})
		requireCode(t, err, icc.EINVALID, "integration")

		m := &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(0), EndsAt: at(60)}
		require.NoError(t, st.CreateMaintenance(ctx(t), m))
		bad := *m
		bad.EndsAt = at(-1)
		requireCode(t, st.UpdateMaintenance(ctx(t), &bad), icc.EINVALID, "ends_at")
		got, err := st.GetMaintenance(ctx(t), m.ID)
		require.NoError(t, err)
		assert.Equal(t, m, got)
		missing := icc.MaintenanceWindow{ID: icc.NewID(), IntegrationID: in.ID, StartsAt: at(0), EndsAt: at(1)}
		requireCode(t, st.UpdateMaintenance(ctx(t), &missing), icc.ENOTFOUND, "")
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		m := &icc.MaintenanceWindow{IntegrationID: in.ID, Title: "DB upgrade", StartsAt: at(0), EndsAt: at(60), CreatedBy: "agent-1"}
		require.NoError(t, st.CreateMaintenance(ctx(t), m))
		canceled := time.Date(2026, 1, 1, 1, 1, 1, 1001, time.FixedZone("Q", 3600))
		upd := *m
		upd.Title = "DB upgrade, part 2"
		upd.StartsAt = at(30)
		upd.EndsAt = at(90)
		upd.Recurrence = icc.RecurWeekly
		upd.CanceledAt = &canceled
		require.NoError(t, st.UpdateMaintenance(ctx(t), &upd))
		got, err := st.GetMaintenance(ctx(t), m.ID)
		require.NoError(t, err)
		assert.Equal(t, "DB upgrade, part 2", got.Title)
		assert.Equal(t, at(30), got.StartsAt)
		assert.Equal(t, at(90), got.EndsAt)
		assert.Equal(t, icc.RecurWeekly, got.Recurrence)
		require.NotNil(t, got.CanceledAt)
		requireUTC(t, canceled, *got.CanceledAt, "canceled_at")
		assert.Equal(t, in.ID, got.IntegrationID)
		assert.Equal(t, "agent-1", got.CreatedBy)
		assert.Equal(t, m.CreatedAt, got.CreatedAt)
		requireStamped(t, got.UpdatedAt, "updated_at")

		// Un-cancelling clears the time.
		got.CanceledAt = nil
		require.NoError(t, st.UpdateMaintenance(ctx(t), got))
		again, err := st.GetMaintenance(ctx(t), m.ID)
		require.NoError(t, err)
		assert.Nil(t, again.CanceledAt)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		a, b := newIntegration(t, st), newIntegration(t, st)
		mk := func(in *icc.Integration, start, end int, mod func(*icc.MaintenanceWindow)) *icc.MaintenanceWindow {
			m := &icc.MaintenanceWindow{IntegrationID: in.ID, StartsAt: at(start), EndsAt: at(end)}
			if mod != nil {
				mod(m)
			}
			require.NoError(t, st.CreateMaintenance(ctx(t), m))
			return m
		}
		// Created out of start order on purpose.
		m2 := mk(a, 200, 260, nil)
		m0 := mk(a, 0, 60, nil)
		m1 := mk(b, 100, 160, nil)
		mw := mk(b, 10, 20, func(m *icc.MaintenanceWindow) { m.Recurrence = icc.RecurWeekly })
		mc := mk(a, 150, 170, func(m *icc.MaintenanceWindow) { m.CanceledAt = ptr(at(5)) })
		list := func(f icc.MaintenanceFilter) []string {
			t.Helper()
			page, err := st.ListMaintenance(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, maintenanceID)
		}
		assert.Equal(t, []string{m0.ID, mw.ID, m1.ID, m2.ID}, list(icc.MaintenanceFilter{}))
		assert.Equal(t, []string{m0.ID, mw.ID, m1.ID, mc.ID, m2.ID}, list(icc.MaintenanceFilter{IncludeCanceled: true}))
		assert.Equal(t, []string{m0.ID, m2.ID}, list(icc.MaintenanceFilter{IntegrationID: a.ID}))
		assert.Equal(t, []string{m0.ID, mc.ID, m2.ID}, list(icc.MaintenanceFilter{IntegrationID: a.ID, IncludeCanceled: true}))
		// Ends after: the weekly window is always kept; a window ending
		// exactly at the bound is not.
		assert.Equal(t, []string{mw.ID, m1.ID, m2.ID}, list(icc.MaintenanceFilter{EndsAfter: at(60)}))
		assert.Equal(t, []string{mw.ID, m2.ID}, list(icc.MaintenanceFilter{EndsAfter: at(160)}))
		assert.Equal(t, []string{mw.ID, mc.ID, m2.ID}, list(icc.MaintenanceFilter{EndsAfter: at(160), IncludeCanceled: true}))
		assert.Equal(t, []string{m2.ID}, list(icc.MaintenanceFilter{EndsAfter: at(160), IntegrationID: a.ID}))
		assert.Equal(t, []string{m0.ID, mw.ID}, list(icc.MaintenanceFilter{Limit: 2}))
	})
}

func (s *suite) alerts(t *testing.T) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		fired := time.Date(2026, 8, 9, 10, 11, 12, 131415161, time.FixedZone("J", 9*3600))
		a := &icc.Alert{IntegrationID: in.ID, Rule: icc.RuleConsecutiveFailures, DedupKey: "crm/down", Summary: "CRM down", FiredAt: fired}
		require.NoError(t, st.CreateAlert(ctx(t), a))
		require.NotEmpty(t, a.ID)
		assert.Equal(t, icc.AlertFiring, a.State)
		assert.Equal(t, icc.SeverityCritical, a.Severity)
		assert.Equal(t, 1, a.Count)
		assert.Equal(t, int64(1), a.Version)
		requireUTC(t, fired, a.FiredAt, "fired_at written back")
		requireStamped(t, a.UpdatedAt, "updated_at")
		got, err := st.GetAlert(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)
		_, err = st.GetAlert(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{DedupKey: "k", FiredAt: at(0)}), icc.EINVALID, "integration_id")
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, FiredAt: at(0)}), icc.EINVALID, "dedup_key")
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: "k"}), icc.EINVALID, "fired_at")
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: "k", FiredAt: at(0), State: "panicking"}), icc.EINVALID, "state")
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: "k", FiredAt: at(0), Severity: "meh"}), icc.EINVALID, "severity")
		a := &icc.Alert{IntegrationID: in.ID, DedupKey: "k", FiredAt: at(0)}
		require.NoError(t, st.CreateAlert(ctx(t), a))
		bad := *a
		bad.State = "gone"
		requireCode(t, st.UpdateAlert(ctx(t), &bad), icc.EINVALID, "state")
		missing := icc.Alert{ID: icc.NewID(), IntegrationID: in.ID, DedupKey: "x", FiredAt: at(0), Version: 1}
		requireCode(t, st.UpdateAlert(ctx(t), &missing), icc.ENOTFOUND, "")
		_, err := st.ListAlerts(ctx(t), icc.AlertFilter{IntegrationID: "a\x00b"})
		requireCode(t, err, icc.EINVALID, "integration")
	})

	t.Run("Dedup", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		key := unique("dedup-")
		a := &icc.Alert{IntegrationID: in.ID, DedupKey: key, FiredAt: at(0)}
		require.NoError(t, st.CreateAlert(ctx(t), a))
		err := st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: key, FiredAt: at(1)})
		requireCode(t, err, icc.ECONFLICT, "dedup_key")
		require.Equal(t, fmt.Sprintf("an unresolved alert with dedup key %q already exists", key), icc.ErrorMessage(err))
		other := &icc.Alert{IntegrationID: in.ID, DedupKey: unique("other-"), FiredAt: at(1)}
		require.NoError(t, st.CreateAlert(ctx(t), other), "another key is fine")

		// Acknowledged is still unresolved.
		a.State = icc.AlertAcknowledged
		a.AcknowledgedBy = "agent-7"
		a.AcknowledgedAt = ptr(at(2))
		require.NoError(t, st.UpdateAlert(ctx(t), a))
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: key, FiredAt: at(3)}), icc.ECONFLICT, "")

		a.State = icc.AlertResolved
		a.ResolvedAt = ptr(at(4))
		require.NoError(t, st.UpdateAlert(ctx(t), a))
		again := &icc.Alert{IntegrationID: in.ID, DedupKey: key, FiredAt: at(5)}
		require.NoError(t, st.CreateAlert(ctx(t), again), "a key is free again once its alert is resolved")
		requireCode(t, st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: key, FiredAt: at(6)}), icc.ECONFLICT, "")

		// Concurrent creators of one key: exactly one wins.
		key2 := unique("race-")
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				errs[i] = st.CreateAlert(ctx(t), &icc.Alert{IntegrationID: in.ID, DedupKey: key2, FiredAt: at(i)})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				requireCode(t, err, icc.ECONFLICT, "")
			}
		}
		assert.Equal(t, 1, won)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		in := newIntegration(t, st)
		a := &icc.Alert{IntegrationID: in.ID, Rule: icc.RuleLatency, DedupKey: unique("k-"), Severity: icc.SeverityWarning, Summary: "slow", FiredAt: at(0)}
		require.NoError(t, st.CreateAlert(ctx(t), a))
		stale := *a
		ackAt := time.Date(2026, 1, 1, 0, 0, 0, 555555555, time.FixedZone("K", 3600))
		a.State = icc.AlertAcknowledged
		a.Count = 4
		a.Summary = "still slow"
		a.AcknowledgedBy = "agent-1"
		a.AcknowledgedAt = &ackAt
		require.NoError(t, st.UpdateAlert(ctx(t), a))
		assert.Equal(t, int64(2), a.Version)
		requireStamped(t, a.UpdatedAt, "updated_at")
		got, err := st.GetAlert(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, icc.AlertAcknowledged, got.State)
		assert.Equal(t, 4, got.Count)
		assert.Equal(t, "still slow", got.Summary)
		assert.Equal(t, "agent-1", got.AcknowledgedBy)
		requireUTC(t, ackAt, *got.AcknowledgedAt, "acknowledged_at")
		assert.Nil(t, got.ResolvedAt)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, stale.DedupKey, got.DedupKey)
		assert.Equal(t, stale.IntegrationID, got.IntegrationID)
		assert.Equal(t, stale.Rule, got.Rule)
		assert.Equal(t, stale.FiredAt, got.FiredAt)

		stale.Summary = "stale"
		requireCode(t, st.UpdateAlert(ctx(t), &stale), icc.ECONFLICT, "")
		again, err := st.GetAlert(ctx(t), a.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		x, y := newIntegration(t, st), newIntegration(t, st)
		mk := func(in *icc.Integration, fired int, state icc.AlertState) *icc.Alert {
			a := &icc.Alert{IntegrationID: in.ID, DedupKey: unique("k-"), FiredAt: at(fired), State: state}
			require.NoError(t, st.CreateAlert(ctx(t), a))
			return a
		}
		// Created out of firing order on purpose.
		a2 := mk(x, 2, icc.AlertResolved)
		a0 := mk(x, 0, icc.AlertFiring)
		a3 := mk(y, 3, icc.AlertAcknowledged)
		a1 := mk(y, 1, icc.AlertFiring)
		list := func(f icc.AlertFilter) []string {
			t.Helper()
			page, err := st.ListAlerts(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, alertID)
		}
		assert.Equal(t, []string{a3.ID, a2.ID, a1.ID, a0.ID}, list(icc.AlertFilter{}))
		assert.Equal(t, []string{a2.ID, a0.ID}, list(icc.AlertFilter{IntegrationID: x.ID}))
		assert.Equal(t, []string{a1.ID, a0.ID}, list(icc.AlertFilter{State: ptr(icc.AlertFiring)}))
		assert.Equal(t, []string{a3.ID, a1.ID, a0.ID}, list(icc.AlertFilter{Active: true}))
		assert.Equal(t, []string{a3.ID, a1.ID}, list(icc.AlertFilter{Active: true, IntegrationID: y.ID}))
		assert.Equal(t, []string{a2.ID}, list(icc.AlertFilter{State: ptr(icc.AlertResolved), IntegrationID: x.ID}))
		assert.Equal(t, []string{a3.ID}, list(icc.AlertFilter{Limit: 1}))
	})
}
