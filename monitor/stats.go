package monitor

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// statsRowLimit bounds how many results or logs Stats reads for one
// integration; beyond it the figures cover the newest rows only
// (Stats.Partial).
const statsRowLimit = 200_000

// Stats summarises an integration over a window.
type Stats struct {
	IntegrationID string        `json:"integration_id"`
	Window        time.Duration `json:"window"`
	From          time.Time     `json:"from"`
	To            time.Time     `json:"to"`
	// Checks, and of them passed checks; Uptime is Passed/Checks (0–1).
	Checks int     `json:"checks"`
	Passed int     `json:"passed"`
	Uptime float64 `json:"uptime"`
	// Check latency percentiles.
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
	P99 time.Duration `json:"p99"`
	// Calls logged through a Recorder, and of them the calls without an
	// error or 5xx answer; SuccessRate is Succeeded/Calls (0–1).
	Calls       int     `json:"calls"`
	Succeeded   int     `json:"succeeded"`
	SuccessRate float64 `json:"success_rate"`
	// Errors counts failed calls by kind: "5xx", "4xx" or "transport".
	Errors map[string]int `json:"errors"`
	// Partial reports that the window held more rows than were read.
	Partial bool `json:"partial,omitempty"`
}

// Stats computes an integration's statistics over the window ending now
// (1h, 24h, 7d or 30d are typical; at most 31 days). This first version
// reads the rows and computes in Go; a later version moves the work into
// the store, so PostgreSQL computes it in SQL.
func (m *Monitor) Stats(ctx context.Context, integrationID string, window time.Duration) (*Stats, error) {
	if window <= 0 || window > 31*24*time.Hour {
		return nil, icc.Invalid("window", "must be positive and at most 31 days")
	}
	if _, err := m.store.GetIntegration(ctx, integrationID); err != nil {
		return nil, err
	}
	to := m.clock.Now()
	st := &Stats{IntegrationID: integrationID, Window: window, From: to.Add(-window), To: to, Errors: map[string]int{}}
	var lat []time.Duration
	rf := icc.CheckResultFilter{IntegrationID: integrationID, From: st.From, Limit: icc.MaxLimit}
	for {
		page, err := m.store.ListCheckResults(ctx, rf)
		if err != nil {
			return nil, fmt.Errorf("list check results: %w", err)
		}
		for _, r := range page.Items {
			st.Checks++
			if r.OK {
				st.Passed++
			}
			lat = append(lat, r.Latency.Std())
		}
		if page.Next == "" {
			break
		}
		if st.Checks >= statsRowLimit {
			st.Partial = true
			break
		}
		rf.Cursor = page.Next
	}
	lf := icc.LogFilter{IntegrationID: integrationID, From: st.From, Limit: icc.MaxLimit}
	for {
		page, err := m.store.SearchIntegrationLogs(ctx, lf)
		if err != nil {
			return nil, fmt.Errorf("search integration logs: %w", err)
		}
		for _, l := range page.Items {
			st.Calls++
			switch {
			case l.StatusCode >= 500:
				st.Errors["5xx"]++
			case l.StatusCode >= 400:
				st.Errors["4xx"]++
			case l.Error != "":
				st.Errors["transport"]++
			}
			if l.Error == "" && l.StatusCode < 500 {
				st.Succeeded++
			}
		}
		if page.Next == "" {
			break
		}
		if st.Calls >= statsRowLimit {
			st.Partial = true
			break
		}
		lf.Cursor = page.Next
	}
	if st.Checks > 0 {
		st.Uptime = float64(st.Passed) / float64(st.Checks)
	}
	if st.Calls > 0 {
		st.SuccessRate = float64(st.Succeeded) / float64(st.Calls)
	}
	slices.Sort(lat)
	st.P50, st.P95, st.P99 = percentile(lat, 0.50), percentile(lat, 0.95), percentile(lat, 0.99)
	return st, nil
}

// percentile returns the nearest-rank percentile of sorted values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
