package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
	"github.com/icclabs/commandcenter/storage/memory"
)

// monitorEnv is a deskEnv with the monitor set up, served on a real
// listener (the checks and the customer directory call the mocks over
// HTTP) and the demo integrations seeded with an hour's interval, so that
// only CheckNow runs checks within a test.
type monitorEnv struct {
	*deskEnv
	url string
	srv *httptest.Server
	// ids maps the demo integrations' names to their ids.
	ids map[string]string
}

func newMonitorEnv(t *testing.T) *monitorEnv {
	t.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	s := newServer(b, logger)
	s.bcryptCost = bcrypt.MinCost
	clock := &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	s.loginLimiter = newRateLimiter(loginFailures, loginWindow, clock.Now)
	s.publicLimiter = newRateLimiter(publicTicketsPerWindow, publicTicketWindow, clock.Now)
	require.NoError(t, s.setupMonitor(t.Context(), monitorOptions{}))
	require.NoError(t, s.setupDesk(t.Context(), deskOptions{Classifier: keywordClassifier{}}))
	ts := httptest.NewServer(s.handler())
	t.Cleanup(ts.Close)
	t.Cleanup(func() { runShutdownHooks(t, s) })

	e := &monitorEnv{deskEnv: &deskEnv{t: t, s: s, h: s.handler(), backend: b, logs: logs, clock: clock}, url: ts.URL, srv: ts, ids: map[string]string{}}
	e.admin = e.createAgent("admin@test.example", testAdminPassword, icc.RoleAdmin, []string{"technical", "billing", "sensitive"}, 10)
	e.agent = e.createAgent("agent@test.example", testAgentPassword, icc.RoleAgent, []string{"technical", "billing", "sensitive"}, 10)
	require.NoError(t, s.seedMonitorDemo(t.Context(), ts.URL, time.Hour))
	s.crm.setBase(ts.URL)
	ins, err := b.ListIntegrations(t.Context(), icc.IntegrationFilter{})
	require.NoError(t, err)
	for _, in := range ins {
		e.ids[in.Name] = in.ID
	}
	require.Len(t, e.ids, 3)
	return e
}

// runShutdownHooks runs the server's shutdown hooks, as serve does.
func runShutdownHooks(t *testing.T, s *server) {
	t.Helper()
	s.mu.Lock()
	hooks := append([]func(context.Context) error(nil), s.shutdowns...)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, h := range hooks {
		assert.NoError(t, h(ctx))
	}
}

// checkNow runs an integration's check through the API.
func (e *monitorEnv) checkNow(c *client, id string) checkNowBody {
	e.t.Helper()
	w := c.do("POST", "/api/integrations/"+id+"/check", nil)
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	return decode[checkNowBody](e.t, w)
}

// setMode switches a mock system through the API.
func (e *monitorEnv) setMode(c *client, system string, mode mockMode) {
	e.t.Helper()
	w := c.do("POST", "/api/mocks/"+system+"/mode", map[string]any{"mode": mode})
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(e.t, mode, decode[mockState](e.t, w).Mode)
}

// activeAlerts lists an integration's unresolved alerts through the API.
func (e *monitorEnv) activeAlerts(c *client, id string) []alertView {
	e.t.Helper()
	w := c.do("GET", "/api/alerts?state=active&integration="+id, nil)
	require.Equal(e.t, http.StatusOK, w.Code, w.Body.String())
	return decode[alertsPage](e.t, w).Items
}

func monitorRouteCases(integration, maintenance, alert string) []routeCase {
	return []routeCase{
		{"GET", "/api/integrations", false},
		{"POST", "/api/integrations", true},
		{"GET", "/api/integrations/" + integration, false},
		{"PATCH", "/api/integrations/" + integration, true},
		{"DELETE", "/api/integrations/" + integration, true},
		{"POST", "/api/integrations/" + integration + "/check", false},
		{"GET", "/api/integrations/" + integration + "/results", false},
		{"GET", "/api/integrations/" + integration + "/stats", false},
		{"GET", "/api/logs", false},
		{"GET", "/api/maintenance", false},
		{"POST", "/api/maintenance", false},
		{"GET", "/api/maintenance/" + maintenance, false},
		{"DELETE", "/api/maintenance/" + maintenance, false},
		{"POST", "/api/maintenance/" + maintenance + "/cancel", false},
		{"GET", "/api/alerts", false},
		{"GET", "/api/alerts/" + alert, false},
		{"POST", "/api/alerts/" + alert + "/ack", false},
		{"GET", "/api/incidents", false},
		{"GET", "/api/mocks", false},
		{"POST", "/api/mocks/erp/mode", false},
	}
}

func TestMonitorRoutesNeedSession(t *testing.T) {
	e := newMonitorEnv(t)
	for _, rc := range monitorRouteCases(e.ids[demoERPName], "m1", "a1") {
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			var body any
			if rc.method == "POST" || rc.method == "PATCH" {
				body = map[string]any{}
			}
			requireError(t, e.anon().do(rc.method, rc.path, body), 401, "unauthorized", "")
		})
	}
}

func TestMonitorRoutesRoles(t *testing.T) {
	e := newMonitorEnv(t)
	agent, admin := e.asAgent(), e.asAdmin()
	for _, rc := range monitorRouteCases("no-such-id", "m1", "a1") {
		if !rc.admin {
			continue
		}
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			var body any
			if rc.method != "DELETE" {
				body = map[string]any{}
			}
			requireError(t, agent.do(rc.method, rc.path, body), 403, "forbidden", "")
			// An admin gets past the role check, to validation or lookup.
			w := admin.do(rc.method, rc.path, body)
			assert.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusNotFound}, w.Code, w.Body.String())
		})
	}
}

func TestIntegrationCRUD(t *testing.T) {
	e := newMonitorEnv(t)
	admin, agent := e.asAdmin(), e.asAgent()
	spec := map[string]any{"type": "http", "url": e.url + "/mock/crm/customers/CUST-1001",
		"conditions": []string{"status == 200", `json.tier == "enterprise"`}, "interval": "1h", "timeout": "2s"}

	w := admin.do("POST", "/api/integrations", map[string]any{"name": "Lena lookup", "kind": "crm", "check": spec,
		"alert_rules": []map[string]any{{"type": "consecutive_failures"}}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	in := decode[*icc.Integration](t, w)
	assert.Equal(t, "/api/integrations/"+in.ID, w.Header().Get("Location"))
	assert.Equal(t, icc.StatusUnknown, in.Status)
	assert.True(t, in.Enabled, "enabled by default")
	require.Len(t, in.AlertRules, 1)
	assert.Equal(t, 3, in.AlertRules[0].Failures, "rule defaults filled")
	assert.Contains(t, e.s.monitor.Scheduled(), in.ID, "its check is scheduled at once")

	// Bad input names the field.
	bad := func(field string, body map[string]any) {
		t.Helper()
		requireError(t, admin.do("POST", "/api/integrations", body), 422, "invalid", field)
	}
	bad("check.conditions", map[string]any{"name": "Bad", "check": map[string]any{"type": "http", "url": e.url, "conditions": []string{"status === 200"}}})
	bad("check.url", map[string]any{"name": "Bad", "check": map[string]any{"type": "http", "url": "ftp://x"}})
	bad("check.func", map[string]any{"name": "Bad", "check": map[string]any{"type": "func", "func": "nope"}})
	bad("name", map[string]any{"check": spec})
	bad("alert_rules.type", map[string]any{"name": "Bad", "alert_rules": []map[string]any{{"type": "vibes"}}})
	// A field the rule's type does not use would be ignored: refused.
	bad("alert_rules.window", map[string]any{"name": "Bad", "alert_rules": []map[string]any{{"type": "latency", "latency": "500ms", "window": "5m"}}})
	bad("alert_rules.failures", map[string]any{"name": "Bad", "alert_rules": []map[string]any{{"type": "success_rate", "success_rate": 0.9, "failures": 3}}})
	requireError(t, admin.do("POST", "/api/integrations", `{"name":"X","colour":"red"}`), 400, "invalid", "")
	bad("check.method", map[string]any{"name": "Bad", "check": map[string]any{"type": "http", "url": e.url, "method": "GET /x HTTP/1.1\r\nX:"}})
	bad("check.headers", map[string]any{"name": "Bad", "check": map[string]any{"type": "http", "url": e.url, "headers": map[string]string{"X-Key": "a\r\nX-Injected: 1"}}})
	w = admin.do("POST", "/api/integrations", map[string]any{"name": "lena LOOKUP"})
	requireError(t, w, 409, "conflict", "name")
	assert.Equal(t, `the name "lena LOOKUP" is taken by another integration (names are compared ignoring case)`, readErrorBody(t, w.Body.Bytes()).Message)
	// A spec that can never succeed is 422 whether or not the name is
	// taken: the body is checked before the store is asked.
	for _, addr := range []string{"localhost:", "localhost:-1", "localhost:0", "localhost:65536", "localhost"} {
		bad("check.address", map[string]any{"name": "Bad", "check": map[string]any{"type": "tcp", "address": addr}})
		bad("check.address", map[string]any{"name": "Lena lookup", "check": map[string]any{"type": "tcp", "address": addr}})
	}
	bad("check.method", map[string]any{"name": "Lena lookup", "check": map[string]any{"type": "http", "url": e.url, "method": "GE T"}})

	// Reads for any agent.
	w = agent.do("GET", "/api/integrations/"+in.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "Lena lookup", decode[*icc.Integration](t, w).Name)
	w = agent.do("GET", "/api/integrations?kind=crm", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decode[itemsBody[*icc.Integration]](t, w).Items, 2)
	requireError(t, agent.do("GET", "/api/integrations?status=sad", nil), 422, "invalid", "status")
	requireError(t, agent.do("GET", "/api/integrations/nope", nil), 404, "not_found", "")

	// Update with the current version; a stale one is 409.
	w = admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "description": "Lena's record", "enabled": false})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	up := decode[*icc.Integration](t, w)
	assert.Equal(t, "Lena's record", up.Description)
	// The edit, then the monitor's one update of the status reason; the
	// answer shows both.
	assert.Equal(t, "no checks yet", in.StatusReason)
	assert.Equal(t, "disabled", up.StatusReason)
	assert.Equal(t, in.Version+2, up.Version)
	assert.NotContains(t, e.s.monitor.Scheduled(), in.ID, "a disabled integration is not checked")
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "name": "Late"}), 409, "conflict", "")
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"name": "No version"}), 422, "invalid", "version")
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID,
		map[string]any{"version": up.Version, "check": map[string]any{"type": "http", "url": e.url, "conditions": []string{"latency < soon"}}}), 422, "invalid", "check.conditions")
	requireError(t, admin.do("PATCH", "/api/integrations/nope", map[string]any{"version": 1}), 404, "not_found", "")
	w = admin.do("POST", "/api/integrations", map[string]any{"name": "Ledger", "check": map[string]any{"type": "none"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": up.Version, "name": "LEDGER"}), 409, "conflict", "name")
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID,
		map[string]any{"version": up.Version, "name": "LEDGER", "check": map[string]any{"type": "tcp", "address": "ledger:"}}), 422, "invalid", "check.address")

	// Delete.
	w = admin.do("DELETE", "/api/integrations/"+in.ID, nil)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	requireError(t, agent.do("GET", "/api/integrations/"+in.ID, nil), 404, "not_found", "")
	requireError(t, admin.do("DELETE", "/api/integrations/"+in.ID, nil), 404, "not_found", "")
}

func TestCheckNowResultsAndStats(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	crm := e.ids[demoCRMName]

	got := e.checkNow(c, crm)
	assert.True(t, got.Result.OK, "healthy mock: %+v", got.Result)
	assert.Equal(t, 200, got.Result.StatusCode)
	assert.Equal(t, icc.StatusOperational, got.Integration.Status)
	requireError(t, c.do("POST", "/api/integrations/nope/check", nil), 404, "not_found", "")

	// Results: newest first, paginated by cursor.
	w := c.do("GET", "/api/integrations/"+crm+"/results?limit=2", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page := decode[icc.Page[icc.CheckResult]](t, w)
	require.Len(t, page.Items, 2)
	assert.Equal(t, got.Result.ID, page.Items[0].ID, "the check just made comes first")
	require.NotEmpty(t, page.Next, "the seeded history has more")
	w = c.do("GET", "/api/integrations/"+crm+"/results?limit=2&cursor="+page.Next, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	next := decode[icc.Page[icc.CheckResult]](t, w)
	require.Len(t, next.Items, 2)
	assert.True(t, next.Items[0].CheckedAt.Before(page.Items[1].CheckedAt))
	w = c.do("GET", "/api/integrations/"+crm+"/results?ok=false&limit=500", nil)
	require.Equal(t, http.StatusOK, w.Code)
	failed := decode[icc.Page[icc.CheckResult]](t, w).Items
	require.NotEmpty(t, failed, "the seeded outage failed")
	for _, r := range failed {
		assert.False(t, r.OK)
	}
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/results?cursor=zzz", nil), 422, "invalid", "cursor")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/results?ok=maybe", nil), 422, "invalid", "ok")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/results?from=yesterday", nil), 422, "invalid", "from")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/results?limit=0", nil), 422, "invalid", "limit")
	requireError(t, c.do("GET", "/api/integrations/nope/results", nil), 404, "not_found", "")

	// Stats over the seeded days.
	for _, win := range []string{"1h", "24h", "7d", "30d"} {
		w = c.do("GET", "/api/integrations/"+crm+"/stats?window="+win, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	w = c.do("GET", "/api/integrations/"+crm+"/stats?window=7d", nil)
	st := decode[windowStats](t, w)
	assert.Equal(t, "7d", st.Window, "as documented, not 168h0m0s")
	assert.Greater(t, st.Checks, 800, "three days every five minutes")
	assert.Less(t, st.Uptime, 1.0, "the seeded outage counts")
	assert.Greater(t, st.Uptime, 0.9)
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/stats?window=1y", nil), 422, "invalid", "window")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/stats?window=90d", nil), 422, "invalid", "window")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/stats?window=1ns", nil), 422, "invalid", "window")
	requireError(t, c.do("GET", "/api/integrations/"+crm+"/stats?window=500ms", nil), 422, "invalid", "window")
	requireError(t, c.do("GET", "/api/integrations/nope/stats", nil), 404, "not_found", "")
}

func TestLogsSearch(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	crm := e.ids[demoCRMName]

	// A ticket's customer lookup goes to the mock CRM and is logged.
	since := time.Now().UTC().Format(time.RFC3339Nano)
	newTicket(t, c, "Where is my invoice", "I cannot find it")
	w := c.do("POST", "/api/tickets", map[string]any{"subject": "Refund", "body": "Please refund me", "customer_email": "kim@woodgrove.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	cust, err := e.backend.GetCustomerByEmail(t.Context(), "kim@woodgrove.example")
	require.NoError(t, err)
	assert.Equal(t, "Woodgrove Bank", cust.Account, "enriched from the mock CRM")
	assert.Equal(t, "Kim Andersen", cust.Name)
	require.NoError(t, e.s.recorder.Flush(t.Context()))

	w = c.do("GET", "/api/logs?integration="+crm+"&q=customers&from="+url.QueryEscape(since), nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	logs := decode[icc.Page[icc.IntegrationLog]](t, w).Items
	require.Len(t, logs, 2, "one lookup per ticket: %s", w.Body.String())
	assert.Equal(t, 200, logs[0].StatusCode, "kim is known")
	assert.Equal(t, 404, logs[1].StatusCode, "the other customer is not")
	assert.Equal(t, icc.LevelWarn, logs[1].Level)
	assert.Equal(t, "/mock/crm/customers", logs[0].Endpoint)
	assert.NotContains(t, logs[0].URL, "kim", "the query (the email) is not logged")

	// Filters.
	w = c.do("GET", "/api/logs?level=error&limit=500", nil)
	require.Equal(t, http.StatusOK, w.Code)
	for _, l := range decode[icc.Page[icc.IntegrationLog]](t, w).Items {
		assert.Equal(t, icc.LevelError, l.Level)
	}
	w = c.do("GET", "/api/logs?status_min=500&status_max=599&limit=500", nil)
	require.Equal(t, http.StatusOK, w.Code)
	errs := decode[icc.Page[icc.IntegrationLog]](t, w).Items
	require.NotEmpty(t, errs, "the seeded history has server errors")
	for _, l := range errs {
		assert.GreaterOrEqual(t, l.StatusCode, 500)
	}
	w = c.do("GET", "/api/logs?limit=10", nil)
	require.Equal(t, http.StatusOK, w.Code)
	first := decode[icc.Page[icc.IntegrationLog]](t, w)
	require.Len(t, first.Items, 10)
	w = c.do("GET", "/api/logs?limit=10&cursor="+url.QueryEscape(first.Next), nil)
	require.Equal(t, http.StatusOK, w.Code)
	second := decode[icc.Page[icc.IntegrationLog]](t, w)
	require.Len(t, second.Items, 10)
	assert.NotEqual(t, first.Items[9].ID, second.Items[0].ID)

	requireError(t, c.do("GET", "/api/logs?level=loud", nil), 422, "invalid", "level")
	requireError(t, c.do("GET", "/api/logs?status_min=abc", nil), 422, "invalid", "status_min")
	requireError(t, c.do("GET", "/api/logs?status_min=500&status_max=400", nil), 422, "invalid", "status_max")
	requireError(t, c.do("GET", "/api/logs?from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z", nil), 422, "invalid", "to")
	requireError(t, c.do("GET", "/api/logs?to=tomorrow", nil), 422, "invalid", "to")
}

func TestMaintenanceRoutes(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]

	// Omitted times: the next full hour, for an hour.
	w := c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "title": "ERP upgrade"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	mw := decode[*icc.MaintenanceWindow](t, w)
	assert.Equal(t, "/api/maintenance/"+mw.ID, w.Header().Get("Location"))
	assert.Equal(t, 0, mw.StartsAt.Minute())
	assert.True(t, mw.StartsAt.After(time.Now()))
	assert.Equal(t, time.Hour, mw.EndsAt.Sub(mw.StartsAt))
	assert.Equal(t, e.agent.ID, mw.CreatedBy)

	now := time.Now().UTC()
	bad := func(field string, body map[string]any) {
		t.Helper()
		requireError(t, c.do("POST", "/api/maintenance", body), 422, "invalid", field)
	}
	bad("ends_at", map[string]any{"integration_id": erp, "starts_at": now.Add(2 * time.Hour), "ends_at": now.Add(time.Hour)})
	bad("starts_at", map[string]any{"integration_id": erp, "starts_at": now.Add(-time.Hour), "ends_at": now.Add(time.Hour)})
	bad("ends_at", map[string]any{"integration_id": erp, "starts_at": now.Add(time.Hour), "ends_at": now.Add(9 * 24 * time.Hour)})
	bad("recurrence", map[string]any{"integration_id": erp, "recurrence": "daily"})
	bad("integration_id", map[string]any{"title": "Nothing"})
	bad("integration_id", map[string]any{"integration_id": "nope"})

	// A time that is not RFC 3339: 422 naming the field, without Go's
	// layout in the message.
	for _, field := range []string{"starts_at", "ends_at"} {
		w := c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, field: "tomorrow"})
		requireError(t, w, 422, "invalid", field)
		assert.Equal(t, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z", readErrorBody(t, w.Body.Bytes()).Message)
	}
	requireError(t, c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "starts_at": 5}), 400, "invalid", "")

	// Too long: the limit in words.
	w = c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "starts_at": now, "ends_at": now.Add(8 * 24 * time.Hour)})
	requireError(t, w, 422, "invalid", "ends_at")
	assert.Equal(t, "a window may last at most 7 days", readErrorBody(t, w.Body.Bytes()).Message)

	// Only ends_at: from now until then; an end in the past says why.
	w = c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "ends_at": now.Add(30 * time.Minute)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	soon := decode[*icc.MaintenanceWindow](t, w)
	assert.WithinDuration(t, time.Now(), soon.StartsAt, time.Minute, "starts now")
	assert.WithinDuration(t, now.Add(30*time.Minute), soon.EndsAt, time.Millisecond)
	w = c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "ends_at": now.Add(-time.Minute)})
	requireError(t, w, 422, "invalid", "ends_at")
	assert.Contains(t, readErrorBody(t, w.Body.Bytes()).Message, "without starts_at the window starts now")

	w = c.do("GET", "/api/maintenance/"+mw.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "ERP upgrade", decode[*icc.MaintenanceWindow](t, w).Title)
	requireError(t, c.do("GET", "/api/maintenance/nope", nil), 404, "not_found", "")

	listed := func(query string) []string {
		t.Helper()
		w := c.do("GET", "/api/maintenance"+query, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var ids []string
		for _, m := range decode[icc.Page[*icc.MaintenanceWindow]](t, w).Items {
			ids = append(ids, m.ID)
		}
		return ids
	}
	assert.Contains(t, listed("?integration="+erp), mw.ID)

	// Cancel with DELETE; again with POST .../cancel returns it unchanged.
	w = c.do("DELETE", "/api/maintenance/"+mw.ID, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	canceled := decode[*icc.MaintenanceWindow](t, w)
	require.NotNil(t, canceled.CanceledAt)
	w = c.do("POST", "/api/maintenance/"+mw.ID+"/cancel", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.True(t, canceled.CanceledAt.Equal(*decode[*icc.MaintenanceWindow](t, w).CanceledAt))
	assert.NotContains(t, listed(""), mw.ID, "cancelled windows are hidden by default")
	assert.Contains(t, listed("?all=true"), mw.ID)
	requireError(t, c.do("GET", "/api/maintenance?all=perhaps", nil), 422, "invalid", "all")
	requireError(t, c.do("DELETE", "/api/maintenance/nope", nil), 404, "not_found", "")
	requireError(t, c.do("POST", "/api/maintenance/nope/cancel", nil), 404, "not_found", "")
}

// TestMaintenanceStatusesMatchDocument checks the statuses the
// maintenance routes answer against those openapi.json lists for them:
// an unknown integration is a 422 naming integration_id (not a 404), and
// cancelling is idempotent on both routes (200 again, never 409).
func TestMaintenanceStatusesMatchDocument(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	doc := loadOpenAPI(t)
	statuses := func(method, path string) []string {
		t.Helper()
		op, ok := doc.Paths[path][method]
		require.True(t, ok, "%s %s is documented", method, path)
		return mapKeys(op["responses"].(map[string]any))
	}

	w := c.do("POST", "/api/maintenance", map[string]any{"integration_id": icc.NewID()})
	requireError(t, w, http.StatusUnprocessableEntity, icc.EINVALID, "integration_id")
	assert.Contains(t, statuses("post", "/api/maintenance"), "422")
	assert.NotContains(t, statuses("post", "/api/maintenance"), "404", "an unknown integration in the body is a 422")

	for _, cancel := range []struct{ method, route, doc string }{
		{"DELETE", "/api/maintenance/%s", "/api/maintenance/{id}"},
		{"POST", "/api/maintenance/%s/cancel", "/api/maintenance/{id}/cancel"},
	} {
		w := c.do("POST", "/api/maintenance", map[string]any{"integration_id": e.ids[demoERPName]})
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		mw := decode[*icc.MaintenanceWindow](t, w)
		path := fmt.Sprintf(cancel.route, mw.ID)
		w = c.do(cancel.method, path, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		first := decode[*icc.MaintenanceWindow](t, w)
		require.NotNil(t, first.CanceledAt)
		w = c.do(cancel.method, path, nil)
		require.Equal(t, http.StatusOK, w.Code, "%s %s again: %s", cancel.method, path, w.Body.String())
		again := decode[*icc.MaintenanceWindow](t, w)
		require.NotNil(t, again.CanceledAt)
		assert.True(t, first.CanceledAt.Equal(*again.CanceledAt), "cancelled once")

		documented := statuses(strings.ToLower(cancel.method), cancel.doc)
		assert.ElementsMatch(t, []string{"200", "401", "404"}, documented, "%s %s", cancel.method, cancel.doc)
	}
}

func TestAlertRoutesBadInput(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	requireError(t, c.do("GET", "/api/alerts?state=angry", nil), 422, "invalid", "state")
	requireError(t, c.do("GET", "/api/alerts/nope", nil), 404, "not_found", "")
	requireError(t, c.do("POST", "/api/alerts/nope/ack", nil), 404, "not_found", "")

	// The seeded ERP outage left a resolved alert, which cannot be
	// acknowledged.
	w := c.do("GET", "/api/alerts?state=resolved&integration="+e.ids[demoERPName], nil)
	require.Equal(t, http.StatusOK, w.Code)
	resolved := decode[alertsPage](t, w).Items
	require.Len(t, resolved, 1)
	requireError(t, c.do("POST", "/api/alerts/"+resolved[0].ID+"/ack", nil), 409, "conflict", "")
	w = c.do("GET", "/api/alerts/"+resolved[0].ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, icc.AlertResolved, decode[alertView](t, w).State)
}

// TestERPDownAlertMaintenanceRecovery is the scenario of the issue, all
// through the REST API: the mock ERP goes down, its integration goes down
// and an alert fires; maintenance silences it; the ERP comes back and the
// integration recovers.
func TestERPDownAlertMaintenanceRecovery(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]

	got := e.checkNow(c, erp)
	require.True(t, got.Result.OK, "%+v", got.Result)
	assert.Equal(t, icc.StatusOperational, got.Integration.Status)
	assert.Empty(t, e.activeAlerts(c, erp))

	// Down: degraded after one failure, down and alerting after three.
	e.setMode(c, mockERP, modeDown)
	got = e.checkNow(c, erp)
	assert.False(t, got.Result.OK)
	assert.Equal(t, 503, got.Result.StatusCode)
	assert.Equal(t, icc.StatusDegraded, got.Integration.Status)
	e.checkNow(c, erp)
	assert.Empty(t, e.activeAlerts(c, erp), "two failures do not fire")
	got = e.checkNow(c, erp)
	assert.Equal(t, icc.StatusDown, got.Integration.Status)
	alerts := e.activeAlerts(c, erp)
	require.Len(t, alerts, 1)
	alert := alerts[0]
	assert.Equal(t, icc.AlertFiring, alert.State)
	assert.Equal(t, icc.RuleConsecutiveFailures, alert.Rule)
	assert.Contains(t, alert.Summary, "status is 503")
	assert.False(t, alert.Silenced)

	w := c.do("GET", "/api/incidents", nil)
	require.Equal(t, http.StatusOK, w.Code)
	inc := decode[itemsBody[icc.Incident]](t, w).Items
	require.NotEmpty(t, inc)
	assert.Equal(t, erp, inc[0].IntegrationID)
	assert.Equal(t, icc.StatusDown, inc[0].Status)

	// The agent on call acknowledges it; again is harmless.
	w = c.do("POST", "/api/alerts/"+alert.ID+"/ack", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	acked := decode[*icc.Alert](t, w)
	assert.Equal(t, icc.AlertAcknowledged, acked.State)
	assert.Equal(t, e.agent.ID, acked.AcknowledgedBy)
	w = c.do("POST", "/api/alerts/"+alert.ID+"/ack", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	// Maintenance from now: status maintenance, the alert silenced, and
	// further failures do not count on it.
	now := time.Now().UTC()
	w = c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "title": "ERP upgrade",
		"starts_at": now.Add(-time.Second), "ends_at": now.Add(time.Hour)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	mw := decode[*icc.MaintenanceWindow](t, w)
	assert.Equal(t, icc.StatusMaintenance, e.checkNow(c, erp).Integration.Status)
	assert.Equal(t, icc.StatusMaintenance, e.checkNow(c, erp).Integration.Status)
	alerts = e.activeAlerts(c, erp)
	require.Len(t, alerts, 1)
	assert.True(t, alerts[0].Silenced)
	assert.Equal(t, alert.Count, alerts[0].Count, "suppressed: not counted during maintenance")
	w = c.do("GET", "/api/incidents", nil)
	require.Equal(t, http.StatusOK, w.Code)
	for _, i := range decode[itemsBody[icc.Incident]](t, w).Items {
		assert.NotEqual(t, erp, i.IntegrationID, "maintenance is not an incident")
	}

	// Back to healthy: two good checks resolve the alert; once the window
	// is cancelled the integration is operational again.
	e.setMode(c, mockERP, modeHealthy)
	e.checkNow(c, erp)
	e.checkNow(c, erp)
	assert.Empty(t, e.activeAlerts(c, erp))
	w = c.do("GET", "/api/alerts/"+alert.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	final := decode[alertView](t, w)
	assert.Equal(t, icc.AlertResolved, final.State)
	assert.NotNil(t, final.ResolvedAt)
	w = c.do("POST", "/api/maintenance/"+mw.ID+"/cancel", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got = e.checkNow(c, erp)
	assert.True(t, got.Result.OK)
	assert.Equal(t, icc.StatusDegraded, got.Integration.Status, "recent failures still count")
	// Operational once the failures leave the last ten checks.
	for i := 0; i < 10 && got.Integration.Status != icc.StatusOperational; i++ {
		got = e.checkNow(c, erp)
	}
	assert.Equal(t, icc.StatusOperational, got.Integration.Status)
	w = c.do("GET", "/api/incidents", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, decode[itemsBody[icc.Incident]](t, w).Items)
}

// TestIntegrationStatusReason: the API says why an integration has its
// status, and a client cannot set the reason.
func TestIntegrationStatusReason(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]
	get := func() map[string]any {
		t.Helper()
		w := c.do("GET", "/api/integrations/"+erp, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		return decode[map[string]any](t, w)
	}

	e.checkNow(c, erp)
	got := get()
	assert.Equal(t, "operational", got["status"])
	assert.Equal(t, "", got["status_reason"], "present, empty when operational")

	e.setMode(c, mockERP, modeDown)
	e.checkNow(c, erp)
	got = get()
	assert.Equal(t, "degraded", got["status"])
	require.IsType(t, "", got["status_reason"])
	reason := got["status_reason"].(string)
	assert.True(t, strings.HasPrefix(reason, "the last check failed: "), reason)
	assert.Contains(t, reason, "503")
	e.checkNow(c, erp)
	e.checkNow(c, erp)
	got = get()
	assert.Equal(t, "down", got["status"])
	assert.Contains(t, got["status_reason"], "3 checks failed in a row (last: ")

	version := int64(got["version"].(float64))
	requireError(t, e.asAdmin().do("PATCH", "/api/integrations/"+erp, map[string]any{"version": version, "status_reason": "fine"}), 400, "invalid", "")
	assert.Contains(t, get()["status_reason"], "3 checks failed in a row")
}

func TestMockModes(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	hc := &http.Client{Timeout: 5 * time.Second}
	status := func(path string) int {
		t.Helper()
		resp, err := hc.Get(e.url + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	w := c.do("GET", "/api/mocks", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []mockState{{System: "crm", Mode: modeHealthy}, {System: "erp", Mode: modeHealthy}},
		decode[mocksBody](t, w).Items)

	requireError(t, c.do("POST", "/api/mocks/erp/mode", map[string]any{"mode": "on fire"}), 422, "invalid", "mode")
	requireError(t, c.do("POST", "/api/mocks/hr/mode", map[string]any{"mode": "down"}), 404, "not_found", "")
	requireError(t, c.do("POST", "/api/mocks/erp/mode", "not json"), 400, "invalid", "")

	// Flaky fails every other request, starting with the next.
	e.setMode(c, mockCRM, modeFlaky)
	assert.Equal(t, []int{500, 200, 500, 200}, []int{
		status("/mock/crm/health"), status("/mock/crm/health"), status("/mock/crm/customers"), status("/mock/crm/health")})
	assert.Equal(t, 200, status("/mock/erp/health"), "the other system is unaffected")

	// Down answers 503 everywhere.
	e.setMode(c, mockCRM, modeDown)
	assert.Equal(t, 503, status("/mock/crm/customers/CUST-1001"))

	// Slow passes the checks' conditions but makes the integration degraded.
	e.setMode(c, mockCRM, modeSlow)
	got := e.checkNow(c, e.ids[demoCRMName])
	assert.True(t, got.Result.OK, "%+v", got.Result)
	assert.GreaterOrEqual(t, got.Result.Latency.Std(), defaultSlowDelay)
	assert.Equal(t, icc.StatusDegraded, got.Integration.Status)

	e.setMode(c, mockCRM, modeHealthy)
	assert.Equal(t, icc.StatusOperational, e.checkNow(c, e.ids[demoCRMName]).Integration.Status)
	w = c.do("GET", "/api/mocks", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Positive(t, decode[mocksBody](t, w).Items[0].Requests)
}

func TestMockData(t *testing.T) {
	e := newMonitorEnv(t)
	hc := &http.Client{Timeout: 5 * time.Second}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := hc.Get(e.url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/mock/crm/customers?email=" + url.QueryEscape(" Lena@Northwind.example"))
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `"account":"Northwind Traders"`)
	code, _ = get("/mock/crm/customers?email=nobody@example.com")
	assert.Equal(t, 404, code)
	code, body = get("/mock/crm/customers/CUST-1001")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `"tier":"enterprise"`)
	code, body = get("/mock/erp/orders?account=Contoso")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `"count":`)
	assert.NotContains(t, body, "Northwind")
	code, body = get("/mock/erp/invoices?status=open")
	assert.Equal(t, 200, code)
	assert.NotContains(t, body, `"status":"paid"`)
	code, _ = get("/mock/erp/invoices/INV-20001")
	assert.Equal(t, 200, code)
	code, _ = get("/mock/erp/orders/SO-99999")
	assert.Equal(t, 404, code)

	c1, o1, i1 := mockData()
	c2, o2, i2 := mockData()
	assert.Equal(t, c1, c2)
	assert.Equal(t, o1, o2)
	assert.Equal(t, i1, i2)
	assert.Len(t, o1, len(i1), "an invoice per order")
}

func TestSeedMonitorDemoIdempotent(t *testing.T) {
	e := newMonitorEnv(t)
	ctx := t.Context()
	count := func() (results, logs int) {
		for _, id := range e.ids {
			f := icc.CheckResultFilter{IntegrationID: id, Limit: icc.MaxLimit}
			for {
				p, err := e.backend.ListCheckResults(ctx, f)
				require.NoError(t, err)
				results += len(p.Items)
				if p.Next == "" {
					break
				}
				f.Cursor = p.Next
			}
		}
		lf := icc.LogFilter{Limit: icc.MaxLimit}
		for {
			p, err := e.backend.SearchIntegrationLogs(ctx, lf)
			require.NoError(t, err)
			logs += len(p.Items)
			if p.Next == "" {
				break
			}
			lf.Cursor = p.Next
		}
		return results, logs
	}
	r1, l1 := count()
	assert.Greater(t, r1, 3*800, "three days of checks for each")
	assert.Greater(t, l1, 3*1000)

	// Again at another address: nothing is added, the checks follow.
	require.NoError(t, e.s.seedMonitorDemo(ctx, "http://127.0.0.1:1", time.Hour))
	r2, l2 := count()
	assert.Equal(t, r1, r2)
	assert.Equal(t, l1, l2)
	ins, err := e.backend.ListIntegrations(ctx, icc.IntegrationFilter{})
	require.NoError(t, err)
	require.Len(t, ins, 3)
	for _, in := range ins {
		assert.True(t, strings.HasPrefix(in.Check.URL, "http://127.0.0.1:1/mock/"), in.Check.URL)
	}
}

func TestCRMDirectory(t *testing.T) {
	e := newMonitorEnv(t)
	ctx := t.Context()
	d := newCRMDirectory(e.backend, e.s.recorder)
	_, err := d.LookupCustomer(ctx, "lena@northwind.example")
	assert.Equal(t, icc.ENOTFOUND, icc.ErrorCode(err), "nothing before the server serves")

	d.setBase(e.url)
	info, err := d.LookupCustomer(ctx, "lena@northwind.example")
	require.NoError(t, err)
	assert.Equal(t, icc.CustomerInfo{Name: "Lena Fischer", Tier: "enterprise", Account: "Northwind Traders"}, info)
	_, err = d.LookupCustomer(ctx, "stranger@example.com")
	assert.Equal(t, icc.ENOTFOUND, icc.ErrorCode(err))

	e.s.mocks.systems[mockCRM].setMode(modeDown)
	_, err = d.LookupCustomer(ctx, "lena@northwind.example")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "status 503")
	require.NoError(t, e.s.recorder.Flush(ctx))
	p, err := e.backend.SearchIntegrationLogs(ctx, icc.LogFilter{IntegrationID: e.ids[demoCRMName], Limit: 3})
	require.NoError(t, err)
	require.Len(t, p.Items, 3)
	assert.Equal(t, []int{503, 404, 200}, []int{p.Items[0].StatusCode, p.Items[1].StatusCode, p.Items[2].StatusCode})

	// Without the CRM integration the lookups still work, unlogged.
	e.s.mocks.systems[mockCRM].setMode(modeHealthy)
	require.NoError(t, e.backend.DeleteIntegration(ctx, e.ids[demoCRMName]))
	_, err = d.LookupCustomer(ctx, "lena@northwind.example")
	require.NoError(t, err)
	require.NoError(t, e.s.recorder.Flush(ctx))
	assert.Zero(t, e.s.recorder.Dropped())
}

func TestSelfURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"[::1]:9000":     "http://[::1]:9000",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		require.NoError(t, err)
		assert.Equal(t, want, selfURL(tcp), addr)
	}
}

// TestRunMonitorDemoFlow is the by-hand check as a test: the program
// starts with the demo integrations, the ERP is switched down through the
// API, its integration goes down and alerts, maintenance silences it, and
// a new ticket's CRM lookup shows in the logs.
func TestRunMonitorDemoFlow(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0"}, nil)
	m := r.waitFor(t, demoLine)
	require.NotNil(t, m, "stdout: %s", r.stdout.String())
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, r.url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}
	status, body := call("POST", "/api/auth/login", `{"email":"`+m[1]+`","password":"`+m[2]+`"}`)
	require.Equal(t, http.StatusOK, status, string(body))

	status, body = call("GET", "/api/integrations", "")
	require.Equal(t, http.StatusOK, status, string(body))
	var list itemsBody[*icc.Integration]
	require.NoError(t, json.Unmarshal(body, &list))
	ids := map[string]string{}
	for _, in := range list.Items {
		ids[in.Name] = in.ID
		assert.True(t, strings.HasPrefix(in.Check.URL, r.url+"/mock/"), in.Check.URL)
	}
	require.Len(t, ids, 3)
	erp := ids[demoERPName]

	status, body = call("POST", "/api/mocks/erp/mode", `{"mode":"down"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	var check checkNowBody
	for range 3 {
		status, body = call("POST", "/api/integrations/"+erp+"/check", "")
		require.Equal(t, http.StatusOK, status, string(body))
		require.NoError(t, json.Unmarshal(body, &check))
	}
	assert.Equal(t, icc.StatusDown, check.Integration.Status)
	status, body = call("GET", "/api/alerts?state=active&integration="+erp, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `"state":"firing"`)

	now := time.Now().UTC()
	status, body = call("POST", "/api/maintenance", fmt.Sprintf(`{"integration_id":%q,"starts_at":%q,"ends_at":%q}`,
		erp, now.Format(time.RFC3339Nano), now.Add(time.Hour).Format(time.RFC3339Nano)))
	require.Equal(t, http.StatusCreated, status, string(body))
	status, body = call("POST", "/api/integrations/"+erp+"/check", "")
	require.Equal(t, http.StatusOK, status, string(body))
	require.NoError(t, json.Unmarshal(body, &check))
	assert.Equal(t, icc.StatusMaintenance, check.Integration.Status)
	status, body = call("GET", "/api/alerts?state=active&integration="+erp, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `"silenced":true`)
	status, _ = call("POST", "/api/mocks/erp/mode", `{"mode":"healthy"}`)
	require.Equal(t, http.StatusOK, status)

	status, body = call("POST", "/api/tickets", `{"subject":"Order missing","body":"Where is my order?","customer_email":"raj@contoso.example"}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	// The recorder writes within its flush interval (1s); poll for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body = call("GET", "/api/logs?integration="+ids[demoCRMName]+"&from="+url.QueryEscape(now.Format(time.RFC3339Nano)), "")
		require.Equal(t, http.StatusOK, status, string(body))
		if strings.Contains(string(body), `"endpoint":"/mock/crm/customers"`) {
			break
		}
		require.True(t, time.Now().Before(deadline), "no CRM lookup logged: %s", body)
		select {
		case <-time.After(50 * time.Millisecond):
		case <-t.Context().Done():
		}
	}
	require.NoError(t, r.wait(t))
	logs := r.stderr.String()
	assert.Contains(t, logs, "monitor started")
	assert.Contains(t, logs, "shutdown complete")
	assert.NotContains(t, logs, "integration logs dropped")
}

// TestRunMonitorDemoPostgres starts the program twice with demo data on
// PostgreSQL: the demo integrations are seeded once.
func TestRunMonitorDemoPostgres(t *testing.T) {
	dbURL := isolatedDatabaseURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "ICC_DEMO": "true"}
	for range 2 {
		r := startRun(t, []string{"-addr", "127.0.0.1:0"}, env)
		require.NoError(t, r.wait(t))
		assert.Contains(t, r.stderr.String(), "monitor started")
	}
	backend, err := storage.Open(t.Context(), dbURL)
	require.NoError(t, err)
	defer backend.Close()
	ins, err := backend.ListIntegrations(t.Context(), icc.IntegrationFilter{})
	require.NoError(t, err)
	n := 0
	for _, in := range ins {
		switch in.Name {
		case demoCRMName, demoERPName, demoBillingName:
			n++
			p, err := backend.ListAlerts(t.Context(), icc.AlertFilter{IntegrationID: in.ID, State: ptrTo(icc.AlertResolved), Limit: 10})
			require.NoError(t, err)
			assert.LessOrEqual(t, len(p.Items), 1, "the past outage's alert is seeded once")
		}
	}
	assert.Equal(t, 3, n)
}

// isolatedDatabaseURL returns the test database's URL with a fresh schema
// as its search_path, so that demo data stays out of the shared schema;
// the schema is dropped when the test ends.
func isolatedDatabaseURL(t *testing.T) string {
	t.Helper()
	base := testDatabaseURL(t)
	name := "icc_srv_" + icc.NewID()[16:]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name
}

// TestPatchAnswersWhatIsStored: disabling an integration makes its status
// unknown, which the monitor stores with a new version; the answer shows
// that version, so a follow-up PATCH with it is not a 409.
func TestPatchAnswersWhatIsStored(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()
	ctx := t.Context()
	in, err := e.backend.GetIntegration(ctx, e.ids["Mock CRM"])
	require.NoError(t, err)
	in.Status = icc.StatusOperational
	require.NoError(t, e.backend.UpdateIntegration(ctx, in))

	w := admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "enabled": false})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[*icc.Integration](t, w)
	stored, err := e.backend.GetIntegration(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, icc.StatusUnknown, stored.Status)
	assert.Equal(t, stored.Status, got.Status)
	assert.Equal(t, stored.Version, got.Version)
	w = admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": got.Version, "description": "paused"})
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}
