package monitor

import (
	"context"
	"fmt"
	"slices"

	"github.com/icclabs/commandcenter/icc"
)

// deriveStatus maps recent results (newest first) to a status; the package
// documentation states the rules.
func deriveStatus(recent []icc.CheckResult, maintenance bool, th Thresholds, spec icc.CheckSpec) icc.IntegrationStatus {
	if maintenance {
		return icc.StatusMaintenance
	}
	if len(recent) == 0 {
		return icc.StatusUnknown
	}
	failedRun := 0
	for _, r := range recent {
		if r.OK {
			break
		}
		failedRun++
	}
	if failedRun >= th.DownAfter {
		return icc.StatusDown
	}
	if failedRun > 0 {
		return icc.StatusDegraded
	}
	failures := 0
	for _, r := range recent[:min(len(recent), th.Recent)] {
		if !r.OK {
			failures++
		}
	}
	if failures >= th.DegradedFailures {
		return icc.StatusDegraded
	}
	slow := th.DegradedLatency
	if slow == 0 {
		slow = spec.Timeout.Std() / 2
	}
	if slow > 0 && recent[0].Latency.Std() > slow {
		return icc.StatusDegraded
	}
	return icc.StatusOperational
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
