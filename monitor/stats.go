package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// Typical statistics windows.
const (
	WindowHour  = time.Hour
	WindowDay   = 24 * time.Hour
	WindowWeek  = 7 * 24 * time.Hour
	WindowMonth = 30 * 24 * time.Hour
)

// MaxWindow is the longest window Stats accepts.
const MaxWindow = 31 * 24 * time.Hour

// ParseWindow reads a statistics window: a Go duration such as "1h" or
// "90m", or a whole number of days such as "7d" or "30d". It must be
// positive and at most MaxWindow; otherwise the error is EINVALID on field
// "window".
func ParseWindow(s string) (time.Duration, error) {
	d, err := icc.ParseDuration(s)
	if err != nil {
		return 0, icc.Invalid("window", "%q is not a duration such as 1h, 24h, 7d or 30d", s)
	}
	if d <= 0 || d > MaxWindow {
		return 0, icc.Invalid("window", "must be positive and at most 31 days")
	}
	return d, nil
}

// Stats summarises an integration over a window ending now: the store's
// icc.IntegrationStats (uptime, check latency percentiles, call success
// rate and latency percentiles, errors by kind) with the window it covers.
type Stats struct {
	// Window is the length of the range [From, To) of the figures.
	Window icc.Duration `json:"window"`
	icc.IntegrationStats
}

// Stats computes an integration's statistics over the window ending now
// (WindowHour, WindowDay, WindowWeek and WindowMonth are typical; at most
// MaxWindow). The store computes them (PostgreSQL in SQL); the range is
// [now-window, now] — To is just after now, so a check made at this very
// instant counts. An unknown integration is ENOTFOUND.
func (m *Monitor) Stats(ctx context.Context, integrationID string, window time.Duration) (*Stats, error) {
	if window <= 0 || window > MaxWindow {
		return nil, icc.Invalid("window", "must be positive and at most 31 days")
	}
	now := icc.Timestamp(m.clock.Now())
	st, err := m.store.IntegrationStats(ctx, icc.IntegrationStatsQuery{
		IntegrationID: integrationID, From: now.Add(-window), To: now.Add(time.Microsecond)})
	if err != nil {
		return nil, fmt.Errorf("integration stats: %w", err)
	}
	return &Stats{Window: icc.Duration(window), IntegrationStats: *st}, nil
}
