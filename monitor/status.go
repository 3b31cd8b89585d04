package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/icclabs/commandcenter/icc"
)

// health is a derived status with its reason (icc.Integration.StatusReason).
type health struct {
	status icc.IntegrationStatus
	reason string
}

// Why a status is what it is when no check result says so.
const (
	reasonNoChecks  = "no checks yet"
	reasonOffline   = "disabled"
	reasonChecksOff = "checks are off (type none)"
)

// How a reason quotes a failed check (failure): at most maxReasonDetail
// bytes of its error, or reasonNoErrorMsg when it has neither error nor
// HTTP status.
const (
	maxReasonDetail  = 120
	reasonNoErrorMsg = "no error message"
)

// deriveStatus maps recent results (newest first) to a status and its
// reason; the package documentation states the rules. maint is the reason
// of a maintenance window that covers the integration now
// (maintenanceReason), "" when none does.
func deriveStatus(recent []icc.CheckResult, maint string, th Thresholds, spec icc.CheckSpec) health {
	if maint != "" {
		return health{icc.StatusMaintenance, maint}
	}
	if len(recent) == 0 {
		return health{icc.StatusUnknown, reasonNoChecks}
	}
	failedRun := 0
	for _, r := range recent {
		if r.OK {
			break
		}
		failedRun++
	}
	if failedRun >= th.DownAfter {
		// DownAfter, not the whole run: the reason, and so the stored
		// integration, stays as it is while an outage goes on.
		return health{icc.StatusDown, failedReason(recent[0], th.DownAfter)}
	}
	if failedRun > 0 {
		return health{icc.StatusDegraded, failedReason(recent[0], failedRun)}
	}
	window := recent[:min(len(recent), th.Recent)]
	failures := 0
	for _, r := range window {
		if !r.OK {
			failures++
		}
	}
	if failures >= th.DegradedFailures {
		// The window's size, not how many results it holds yet, and no
		// measured figures below: a reason that changed with every check
		// would be a store write, and a new version, every check.
		return health{icc.StatusDegraded, fmt.Sprintf("%d of the last %d checks failed", failures, th.Recent)}
	}
	slow := th.DegradedLatency
	if slow == 0 {
		slow = spec.Timeout.Std() / 2
	}
	if slow > 0 && recent[0].Latency.Std() > slow {
		return health{icc.StatusDegraded, fmt.Sprintf("the last check took longer than %d ms", slow.Milliseconds())}
	}
	return health{icc.StatusOperational, ""}
}

// failedReason is the reason for a status after run failed checks in a
// row, last the newest.
func failedReason(last icc.CheckResult, run int) string {
	if run == 1 {
		return "the last check failed: " + failure(last)
	}
	return fmt.Sprintf("%d checks failed in a row (last: %s)", run, failure(last))
}

// failure says in short why a failed check failed: its error, cut to
// maxReasonDetail bytes, or its HTTP status.
func failure(r icc.CheckResult) string {
	switch {
	case r.Error != "":
		s := r.Error
		if len(s) > maxReasonDetail {
			cut := maxReasonDetail
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut] + "…"
		}
		return icc.CleanText(s)
	case r.StatusCode != 0:
		return fmt.Sprintf("status %d", r.StatusCode)
	}
	return reasonNoErrorMsg
}

// uncheckedVerdict is the status of an integration that no check speaks
// for (unwatched): unknown, because it is disabled or not checked. ok is
// false for an integration that is checked.
func uncheckedVerdict(in *icc.Integration) (v health, ok bool) {
	switch {
	case !in.Enabled:
		return health{icc.StatusUnknown, reasonOffline}, true
	case in.Check.Type == icc.CheckNone:
		return health{icc.StatusUnknown, reasonChecksOff}, true
	}
	return health{}, false
}

// maintenanceReason is the status reason while a maintenance window
// covers an integration until the given time: the time in UTC, with the
// date when it is not today's.
func maintenanceReason(until, now time.Time) string {
	until, now = until.UTC(), now.UTC()
	layout := "15:04 UTC"
	if y, m, d := until.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		layout = "Jan 2 15:04 UTC"
		if y != now.Year() {
			layout = "Jan 2 2006 15:04 UTC"
		}
	}
	return "in a maintenance window until " + until.Format(layout)
}

// ActiveIncidents lists the enabled integrations that are down or
// degraded, down first, then longest-running first, so the help desk can
// link tickets to a known problem and the chat bot can say it is known.
// It makes a Monitor an icc.IncidentSource.
func (m *Monitor) ActiveIncidents(ctx context.Context) ([]icc.Incident, error) {
	enabled := true
	var out []icc.Incident
	for _, st := range []icc.IntegrationStatus{icc.StatusDown, icc.StatusDegraded} {
		ins, err := m.store.ListIntegrations(ctx, icc.IntegrationFilter{Status: &st, Enabled: &enabled})
		if err != nil {
			return nil, fmt.Errorf("listing %s integrations: %w", st, err)
		}
		for _, in := range ins {
			inc := icc.Incident{IntegrationID: in.ID, Name: in.Name, Kind: in.Kind, Status: in.Status}
			if in.StatusChangedAt != nil {
				inc.Since = *in.StatusChangedAt
			}
			out = append(out, inc)
		}
	}
	slices.SortStableFunc(out, func(a, b icc.Incident) int {
		if a.Status != b.Status {
			if a.Status == icc.StatusDown {
				return -1
			}
			return 1
		}
		return a.Since.Compare(b.Since)
	})
	return out, nil
}
