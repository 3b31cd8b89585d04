package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// seedAnalytics stores three tickets on 2025-06-02 (two in the billing
// queue, one assigned to the env's agent) and one on 2025-06-03.
func seedAnalytics(t *testing.T, e *deskEnv) {
	t.Helper()
	ctx := context.Background()
	cust := &icc.Customer{Email: "analytics@example.com"}
	require.NoError(t, e.backend.CreateCustomer(ctx, cust))
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	for _, tk := range []*icc.Ticket{
		{Queue: "billing", Category: icc.CategoryBilling, Priority: icc.PriorityHigh, CreatedAt: day.Add(9 * time.Hour),
			FirstResponseAt: ptrTo(day.Add(9*time.Hour + 30*time.Minute)), Satisfaction: &icc.Satisfaction{Rating: 4, RatedAt: day.Add(12 * time.Hour)},
			Status: icc.StatusResolved, ResolvedAt: ptrTo(day.Add(11 * time.Hour)), AssigneeID: e.agent.ID},
		{Queue: "billing", Category: icc.CategoryBilling, CreatedAt: day.Add(10 * time.Hour)},
		{Queue: "technical", Category: icc.CategoryTechnical, CreatedAt: day.Add(23 * time.Hour)},
		{Queue: "technical", Category: icc.CategoryTechnical, CreatedAt: day.Add(25 * time.Hour)},
	} {
		tk.Subject, tk.CustomerID = "Help", cust.ID
		require.NoError(t, e.backend.CreateTicket(ctx, tk))
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestTicketAnalyticsAPI(t *testing.T) {
	e := newDeskEnv(t)
	seedAnalytics(t, e)
	c := e.asAgent()

	w := c.do("GET", "/api/analytics/tickets?from=2025-06-02&to=2025-06-03T00:00:00Z", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	a := decode[icc.TicketAnalytics](t, w)
	assert.Equal(t, 3, a.Total)
	assert.Equal(t, icc.BucketDay, a.Bucket)
	assert.Equal(t, []icc.VolumeBucket{{Start: time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), Count: 3}}, a.Volume)
	assert.Equal(t, 2, a.ByCategory[icc.CategoryBilling])
	assert.Equal(t, icc.DurationStats{Count: 1, Mean: icc.Duration(30 * time.Minute), Median: icc.Duration(30 * time.Minute), P90: icc.Duration(30 * time.Minute)}, a.FirstResponse)
	assert.Equal(t, icc.CSATFigures{Count: 1, Average: 4, Distribution: [5]int{0, 0, 0, 1, 0}}, a.CSAT)
	require.Len(t, a.Agents, 1)
	assert.Equal(t, e.agent.ID, a.Agents[0].AgentID)

	// Filters and hour buckets.
	w = c.do("GET", "/api/analytics/tickets?from=2025-06-02T08:00:00Z&to=2025-06-02T12:00:00Z&bucket=hour&queue=billing", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	a = decode[icc.TicketAnalytics](t, w)
	assert.Equal(t, 2, a.Total)
	counts := []int{}
	for _, v := range a.Volume {
		counts = append(counts, v.Count)
	}
	assert.Equal(t, []int{0, 1, 1, 0}, counts)

	for query, want := range map[string]int{
		"category=technical": 1, "priority=high": 1, "assignee=me": 1, "assignee=none": 2,
		"assignee=" + url.QueryEscape(e.agent.ID): 1, "queue=nowhere": 0,
	} {
		w = c.do("GET", "/api/analytics/tickets?from=2025-06-02&to=2025-06-03&"+query, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, want, decode[icc.TicketAnalytics](t, w).Total, query)
	}

	// Without a range: the last seven days, up to now.
	before := time.Now()
	w = c.do("GET", "/api/analytics/tickets", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	a = decode[icc.TicketAnalytics](t, w)
	assert.Zero(t, a.Total)
	assert.Equal(t, 7*24*time.Hour, a.To.Sub(a.From))
	assert.WithinDuration(t, before, a.To, time.Minute)
	assert.Contains(t, []int{7, 8}, len(a.Volume), "seven days from mid-day touch eight day buckets")

	// Only "to": the seven days before it.
	w = c.do("GET", "/api/analytics/tickets?to=2025-06-09", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	a = decode[icc.TicketAnalytics](t, w)
	assert.Equal(t, 4, a.Total)
	assert.Equal(t, time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), a.From)
}

func TestTicketAnalyticsAPIErrors(t *testing.T) {
	e := newDeskEnv(t)
	requireError(t, e.anon().do("GET", "/api/analytics/tickets", nil), http.StatusUnauthorized, icc.EUNAUTHORIZED, "")
	c := e.asAgent()
	for query, field := range map[string]string{
		"from=yesterday":                               "from",
		"from=2025-06-02&to=06/03/2025":                "to",
		"from=2025-06-03&to=2025-06-02":                "to",
		"from=2025-06-02&to=2025-06-03&bucket=week":    "bucket",
		"from=2025-01-01&to=2025-06-01&bucket=hour":    "bucket",
		"from=2025-06-02&to=2025-06-03&category=vibes": "category",
		"from=2025-06-02&to=2025-06-03&priority=asap":  "priority",
	} {
		requireError(t, c.do("GET", "/api/analytics/tickets?"+query, nil), http.StatusUnprocessableEntity, icc.EINVALID, field)
	}
}

func TestIntegrationAnalyticsAPI(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	crm := &icc.Integration{Name: "CRM", Kind: icc.KindCRM}
	erp := &icc.Integration{Name: "ERP", Kind: icc.KindERP}
	require.NoError(t, e.backend.CreateIntegration(ctx, erp))
	require.NoError(t, e.backend.CreateIntegration(ctx, crm))
	now := time.Now()
	require.NoError(t, e.backend.AddCheckResults(ctx, []icc.CheckResult{
		{IntegrationID: crm.ID, OK: true, Latency: icc.Duration(100 * time.Millisecond), CheckedAt: now.Add(-time.Minute)},
		{IntegrationID: crm.ID, OK: false, Latency: icc.Duration(300 * time.Millisecond), CheckedAt: now.Add(-2 * time.Minute)},
		{IntegrationID: crm.ID, OK: true, Latency: icc.Duration(100 * time.Millisecond), CheckedAt: now.Add(-3 * 24 * time.Hour)},
	}))
	require.NoError(t, e.backend.AddIntegrationLogs(ctx, []icc.IntegrationLog{
		{IntegrationID: crm.ID, Method: "GET", StatusCode: 200, Latency: icc.Duration(50 * time.Millisecond), At: now.Add(-time.Minute)},
		{IntegrationID: crm.ID, Method: "GET", StatusCode: 503, Latency: icc.Duration(70 * time.Millisecond), At: now.Add(-time.Minute)},
	}))
	c := e.asAgent()

	w := c.do("GET", "/api/analytics/integrations", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	body := decode[integrationAnalytics](t, w)
	assert.Equal(t, "24h", body.Window)
	require.Len(t, body.Integrations, 2)
	assert.Equal(t, "CRM", body.Integrations[0].Name, "ordered by name")
	st := body.Integrations[0].Stats
	assert.Equal(t, 2, st.Checks)
	assert.Equal(t, 1, st.ChecksOK)
	assert.Equal(t, 0.5, st.Uptime)
	assert.Equal(t, icc.LatencyPercentiles{P50: icc.Duration(200 * time.Millisecond), P95: icc.Duration(290 * time.Millisecond), P99: icc.Duration(298 * time.Millisecond)}, st.CheckLatency)
	assert.Equal(t, 2, st.Calls)
	assert.Equal(t, 1, st.CallsOK)
	assert.Equal(t, icc.ErrorBreakdown{Status5xx: 1}, st.Errors)
	assert.Equal(t, "ERP", body.Integrations[1].Name)
	assert.Zero(t, body.Integrations[1].Stats.Checks)

	w = c.do("GET", "/api/analytics/integrations?window=7d", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	body = decode[integrationAnalytics](t, w)
	assert.Equal(t, 3, body.Integrations[0].Stats.Checks)
	assert.Equal(t, 7*24*time.Hour, body.To.Sub(body.From)-time.Microsecond)
	assert.Equal(t, "7d", body.Window, "echoed as documented, not as 168h0m0s")

	// Any duration up to 31 days, echoed in the same short form.
	for given, echoed := range map[string]string{"1h": "1h", "2h": "2h", "90m": "90m", "168h": "7d", "30d": "30d", "31d": "31d"} {
		w = c.do("GET", "/api/analytics/integrations?window="+given, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, echoed, decode[integrationAnalytics](t, w).Window, given)
	}

	requireError(t, c.do("GET", "/api/analytics/integrations?window=forever", nil), http.StatusUnprocessableEntity, icc.EINVALID, "window")
	requireError(t, c.do("GET", "/api/analytics/integrations?window=60d", nil), http.StatusUnprocessableEntity, icc.EINVALID, "window")
	requireError(t, c.do("GET", "/api/analytics/integrations?window=745h", nil), http.StatusUnprocessableEntity, icc.EINVALID, "window")
	requireError(t, c.do("GET", "/api/analytics/integrations?window=-1h", nil), http.StatusUnprocessableEntity, icc.EINVALID, "window")
	// Windows are whole seconds, as they are documented and echoed.
	for _, v := range []string{"1ns", "500ms", "999ms", "0.5s", "1.5s", "1m0.5s", "1h1us", "0s", "0d"} {
		w := c.do("GET", "/api/analytics/integrations?window="+v, nil)
		requireError(t, w, http.StatusUnprocessableEntity, icc.EINVALID, "window")
		assert.NotContains(t, w.Body.String(), `"window":"`+v+`"`, "not echoed")
	}
	for given, echoed := range map[string]string{"1s": "1s", "1000ms": "1s", "1.5m": "90s", "0.5h": "30m"} {
		w = c.do("GET", "/api/analytics/integrations?window="+given, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, echoed, decode[integrationAnalytics](t, w).Window, given)
	}
	requireError(t, e.anon().do("GET", "/api/analytics/integrations", nil), http.StatusUnauthorized, icc.EUNAUTHORIZED, "")
}

func TestFormatWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 24 * time.Hour: "24h", 36 * time.Hour: "36h", 48 * time.Hour: "2d", 7 * 24 * time.Hour: "7d",
		30 * 24 * time.Hour: "30d", 90 * time.Minute: "90m", 45 * time.Second: "45s", time.Second: "1s",
	} {
		got := formatWindow(d)
		assert.Equal(t, want, got, d.String())
		back, err := queryWindow(url.Values{"window": {got}})
		require.NoError(t, err, got)
		assert.Equal(t, d, back, "the window parameter takes %q back", got)
	}
	// A finer duration, which the window parameter refuses, is written as
	// Go writes it.
	assert.Equal(t, "1.5s", formatWindow(1500*time.Millisecond))
}
