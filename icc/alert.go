package icc

import (
	"strings"
	"time"
)

// Recurrence says whether a maintenance window repeats.
type Recurrence string

// Recurrences.
const (
	RecurNone   Recurrence = ""       // once
	RecurWeekly Recurrence = "weekly" // same weekday and time every week
)

// MaxMaintenance is the longest a maintenance window may last.
const MaxMaintenance = 7 * 24 * time.Hour

// MaintenanceHorizonYears is how far ahead a maintenance window may be
// scheduled: it must end at most this many years after it is scheduled
// (see MaintenanceHorizon).
const MaintenanceHorizonYears = 5

// MaintenanceHorizon returns the latest time at which a window scheduled
// at now may end: MaintenanceHorizonYears later. Validate cannot check it,
// since it depends on a clock; the service that schedules windows does.
func MaintenanceHorizon(now time.Time) time.Time {
	return now.AddDate(MaintenanceHorizonYears, 0, 0)
}

// MaintenanceWindow is a planned period when an integration may be down:
// its status shows maintenance and its alerts are suppressed.
type MaintenanceWindow struct {
	ID string `json:"id"`
	// IntegrationID is the integration under maintenance.
	IntegrationID string     `json:"integration_id"`
	Title         string     `json:"title"`
	StartsAt      time.Time  `json:"starts_at"`
	EndsAt        time.Time  `json:"ends_at"`
	Recurrence    Recurrence `json:"recurrence,omitempty"`
	// CreatedBy is the agent who scheduled it.
	CreatedBy string `json:"created_by,omitempty"`
	// CanceledAt is set when the window was cancelled.
	CanceledAt *time.Time `json:"canceled_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks the window: an integration, a title, times that can be
// written back (CheckTime), an end after the start and a length of at
// most MaxMaintenance; text must be valid UTF-8 without NUL bytes. Whether
// it lies in the past or beyond MaintenanceHorizon depends on a clock and
// is checked by the service that schedules it.
func (m *MaintenanceWindow) Validate() error {
	if m.IntegrationID == "" {
		return Invalid("integration_id", "is required")
	}
	if err := checkTexts("id", m.ID, "integration_id", m.IntegrationID, "title", m.Title, "created_by", m.CreatedBy,
		"recurrence", string(m.Recurrence)); err != nil {
		return err
	}
	m.Title = strings.TrimSpace(m.Title)
	if m.Title == "" {
		m.Title = "Scheduled maintenance"
	}
	if longerThan(m.Title, 200) {
		return Invalid("title", "must be at most 200 characters")
	}
	if m.StartsAt.IsZero() {
		return Invalid("starts_at", "is required")
	}
	if err := CheckTime("starts_at", m.StartsAt); err != nil {
		return err
	}
	if err := CheckTime("ends_at", m.EndsAt); err != nil {
		return err
	}
	if !m.EndsAt.After(m.StartsAt) {
		return Invalid("ends_at", "must be after starts_at")
	}
	if m.EndsAt.Sub(m.StartsAt) > MaxMaintenance {
		return Invalid("ends_at", "a window may last at most %s", MaxMaintenance)
	}
	switch m.Recurrence {
	case RecurNone, RecurWeekly:
	default:
		return Invalid("recurrence", "must be empty or weekly")
	}
	return nil
}

// ActiveAt reports whether the window covers t: it is not cancelled and t
// falls in [StartsAt, EndsAt), or, for a weekly window, in the same span a
// whole number of weeks later.
func (m *MaintenanceWindow) ActiveAt(t time.Time) bool {
	if m.CanceledAt != nil || t.Before(m.StartsAt) {
		return false
	}
	if m.Recurrence == RecurWeekly {
		const week = 7 * 24 * time.Hour
		off := t.Sub(m.StartsAt) % week
		return off < m.EndsAt.Sub(m.StartsAt)
	}
	return t.Before(m.EndsAt)
}

// MaintenanceFilter selects maintenance windows, ordered by start time.
type MaintenanceFilter struct {
	IntegrationID string
	// EndsAfter keeps windows that end after this time (or recur); use it
	// for "current and upcoming".
	EndsAfter time.Time
	// IncludeCanceled keeps cancelled windows too.
	IncludeCanceled bool
	Limit           int
	Cursor          string
}

// Validate checks that the filter's integration id is storable text.
func (f *MaintenanceFilter) Validate() error { return CheckText("integration", f.IntegrationID) }

// AlertState is where an alert is in its life.
type AlertState string

// Alert states.
const (
	AlertFiring       AlertState = "firing"
	AlertAcknowledged AlertState = "acknowledged" // firing, and an agent is on it
	AlertResolved     AlertState = "resolved"
)

// Valid reports whether s is a known state.
func (s AlertState) Valid() bool {
	return s == AlertFiring || s == AlertAcknowledged || s == AlertResolved
}

// Alert is raised when an integration breaks an alert rule.
type Alert struct {
	ID            string `json:"id"`
	IntegrationID string `json:"integration_id"`
	// Rule is the rule type that fired.
	Rule AlertRuleType `json:"rule"`
	// DedupKey identifies the condition; at most one unresolved alert
	// exists per key.
	DedupKey string     `json:"dedup_key"`
	State    AlertState `json:"state"`
	Severity Severity   `json:"severity"`
	Summary  string     `json:"summary"`
	// Count is how many times the condition was seen while the alert was active.
	Count          int        `json:"count"`
	FiredAt        time.Time  `json:"fired_at"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	Version        int64      `json:"version"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Validate checks the alert and fills defaults (state firing, severity
// critical, count 1). Text must be valid UTF-8 without NUL bytes.
func (a *Alert) Validate() error {
	if a.IntegrationID == "" {
		return Invalid("integration_id", "is required")
	}
	if a.DedupKey == "" {
		return Invalid("dedup_key", "is required")
	}
	if err := checkTexts("id", a.ID, "integration_id", a.IntegrationID, "rule", string(a.Rule), "dedup_key", a.DedupKey,
		"summary", a.Summary, "acknowledged_by", a.AcknowledgedBy); err != nil {
		return err
	}
	if a.State == "" {
		a.State = AlertFiring
	}
	if !a.State.Valid() {
		return Invalid("state", "must be firing, acknowledged or resolved")
	}
	if a.Severity == "" {
		a.Severity = SeverityCritical
	}
	if !a.Severity.Valid() {
		return Invalid("severity", "must be info, warning or critical")
	}
	if a.FiredAt.IsZero() {
		return Invalid("fired_at", "is required")
	}
	if a.Count == 0 {
		a.Count = 1
	}
	return nil
}

// AlertFilter selects alerts, newest first by FiredAt.
type AlertFilter struct {
	IntegrationID string
	State         *AlertState
	// Active keeps alerts that are not resolved.
	Active bool
	Limit  int
	Cursor string
}

// Validate checks the filter's state and that its integration id is
// storable text.
func (f *AlertFilter) Validate() error {
	if f.State != nil && !f.State.Valid() {
		return Invalid("state", "must be firing, acknowledged or resolved")
	}
	return CheckText("integration", f.IntegrationID)
}
