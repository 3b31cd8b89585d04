package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage"
)

// maintenanceCount is how many windows GET /api/maintenance?all=true
// lists; it fails the test unless the list answers 200.
func maintenanceCount(t *testing.T, c *client) int {
	t.Helper()
	w := c.do("GET", "/api/maintenance?all=true&limit=500", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	return len(decode[icc.Page[*icc.MaintenanceWindow]](t, w).Items)
}

func TestMaintenanceTimesBeyondRangeAreRefusedAndNotStored(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]
	before := maintenanceCount(t, c)
	now := time.Now().UTC()

	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		// The default one-hour end would fall in the year 10000.
		"start at the end of 9999": {map[string]any{"starts_at": "9999-12-31T23:30:00Z"}, "starts_at"},
		"end in 10000 in UTC": {map[string]any{"starts_at": "9999-12-31T20:30:00-05:00",
			"ends_at": "9999-12-31T22:30:00-05:00"}, "starts_at"},
		"year 0":                         {map[string]any{"starts_at": "0000-06-01T00:00:00Z"}, "starts_at"},
		"end beyond the horizon":         {map[string]any{"starts_at": now.AddDate(6, 0, 0), "ends_at": now.AddDate(6, 0, 0).Add(time.Hour)}, "ends_at"},
		"only an end, too far":           {map[string]any{"ends_at": now.AddDate(5, 0, 1)}, "ends_at"},
		"start whose hour ends too late": {map[string]any{"starts_at": now.AddDate(5, 0, 0).Add(-30 * time.Minute)}, "starts_at"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.body["integration_id"] = erp
			requireError(t, c.do("POST", "/api/maintenance", tc.body), http.StatusUnprocessableEntity, icc.EINVALID, tc.field)
			assert.Equal(t, before, maintenanceCount(t, c), "nothing is stored")
			w := c.do("GET", "/api/maintenance", nil)
			assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
		})
	}

	// Just inside the horizon is fine, and the list still answers.
	w := c.do("POST", "/api/maintenance", map[string]any{"integration_id": erp, "starts_at": now.AddDate(5, 0, -1)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	mw := decode[*icc.MaintenanceWindow](t, w)
	assert.Equal(t, before+1, maintenanceCount(t, c))
	w = c.do("DELETE", "/api/maintenance/"+mw.ID, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

func TestQueryTimesOutsideYearsOneTo9999AreRefused(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]
	late := "9999-12-31T20:00:00-05:00" // the year 10000 in UTC
	early := "0000-06-01T00:00:00Z"
	for path, field := range map[string]string{
		"/api/analytics/tickets?from=" + late + "&to=9999-12-31T23:00:00-05:00": "from",
		"/api/analytics/tickets?from=2025-01-01&to=" + late:                     "to",
		"/api/analytics/tickets?to=" + early:                                    "to",
		"/api/logs?from=" + late:                                                "from",
		"/api/logs?to=" + early:                                                 "to",
		"/api/integrations/" + erp + "/results?from=" + early:                   "from",
		"/api/integrations/" + erp + "/results?to=" + late:                      "to",
		// Go's zero time: refused with a message, not read as "not given".
		"/api/analytics/tickets?from=0001-01-01&to=0001-01-02": "from",
	} {
		requireError(t, c.do("GET", path, nil), http.StatusUnprocessableEntity, icc.EINVALID, field)
	}
	w0 := c.do("GET", "/api/analytics/tickets?from=0001-01-01&to=0001-01-02", nil)
	assert.Contains(t, readErrorBody(t, w0.Body.Bytes()).Message, "later than 0001-01-01")
	// The last instant of 9999 in UTC is fine.
	w := c.do("GET", "/api/analytics/tickets?from=9999-12-30T00:00:00Z&to=9999-12-31T23:59:59Z", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

func TestQueryErrorsNameTheParameterSent(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	for path, field := range map[string]string{
		"/api/logs?q=%FF":                        "q",
		"/api/logs?integration=%00":              "integration",
		"/api/analytics/tickets?assignee=%00":    "assignee",
		"/api/analytics/tickets?from=2099-01-01": "from",
	} {
		requireError(t, c.do("GET", path, nil), http.StatusUnprocessableEntity, icc.EINVALID, field)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	w := c.do("GET", "/api/analytics/tickets?from="+future, nil)
	requireError(t, w, http.StatusUnprocessableEntity, icc.EINVALID, "from")
	assert.Contains(t, readErrorBody(t, w.Body.Bytes()).Message, "without to")
}

func TestLengthLimits(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()

	// Customers: account at most 200, on POST and PATCH.
	requireError(t, admin.do("POST", "/api/customers", map[string]string{"email": "long@example.com", "name": "L",
		"account": strings.Repeat("a", 201)}), 422, icc.EINVALID, "account")
	w := admin.do("GET", "/api/customers?text=long@example.com", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, decode[icc.Page[*icc.Customer]](t, w).Items, "nothing stored")
	w = admin.do("POST", "/api/customers", map[string]string{"email": "long@example.com", "name": "L", "account": strings.Repeat("a", 200)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	cust := decode[*icc.Customer](t, w)
	requireError(t, admin.do("PATCH", "/api/customers/"+cust.ID, map[string]string{"account": strings.Repeat("b", 1_000_000)}),
		422, icc.EINVALID, "account")

	// Agents: at most 20 skills.
	skills := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("skill-%d", i)
		}
		return out
	}
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "sk@example.com", "name": "Sk",
		"password": "long-enough-password", "skills": skills(21)}), 422, icc.EINVALID, "skills")
	w = admin.do("POST", "/api/agents", map[string]any{"email": "sk@example.com", "name": "Sk", "password": "long-enough-password", "skills": skills(20)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	ag := decode[agentWithLoad](t, w)
	requireError(t, admin.do("PATCH", "/api/agents/"+ag.ID, map[string]any{"version": ag.Version, "skills": skills(10_000)}),
		422, icc.EINVALID, "skills")
	// An agent stored with more skills before the limit existed can still
	// sign in and change what does not touch them.
	e.createAgent("many@example.com", "long-enough-password", icc.RoleAgent, skills(30), 5)
	many := e.login("many@example.com", "long-enough-password")
	w = many.do("PATCH", "/api/auth/me", map[string]string{"availability": "away"})
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())

	// Integrations: description, check URL and conditions.
	httpCheck := func(url string, conds ...string) map[string]any {
		return map[string]any{"type": "http", "url": url, "conditions": conds, "interval": "1h"}
	}
	conds := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "status == 200"
		}
		return out
	}
	for field, body := range map[string]map[string]any{
		"description":      {"name": "Long", "description": strings.Repeat("d", 2001)},
		"check.url":        {"name": "Long", "check": httpCheck(e.url + "/" + strings.Repeat("u", 2048))},
		"check.conditions": {"name": "Long", "check": httpCheck(e.url, conds(51)...)},
	} {
		requireError(t, admin.do("POST", "/api/integrations", body), 422, icc.EINVALID, field)
	}
	requireError(t, admin.do("POST", "/api/integrations", map[string]any{"name": "Long",
		"check": httpCheck(e.url, "latency < "+strings.Repeat("9", 1000)+"ms")}), 422, icc.EINVALID, "check.conditions")
	w = admin.do("GET", "/api/integrations", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Len(t, decode[itemsBody[*icc.Integration]](t, w).Items, 3, "nothing stored")

	w = admin.do("POST", "/api/integrations", map[string]any{"name": "Long", "description": strings.Repeat("d", 2000),
		"check": httpCheck(e.url+"/mock/crm/health", conds(50)...)})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	in := decode[*icc.Integration](t, w)
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version,
		"description": strings.Repeat("d", 100_000)}), 422, icc.EINVALID, "description")
}

// TestIntegrationStoredBeyondLimitsStillWorks: an integration stored
// before the limits (written to the store directly, as Validate allows)
// loads, is checked and changes status, and a PATCH that changes nothing
// answers it unchanged.
func TestIntegrationStoredBeyondLimitsStillWorks(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()
	conds := make([]string, 60)
	for i := range conds {
		conds[i] = "status == 200"
	}
	in := &icc.Integration{Name: "Legacy", Description: strings.Repeat("d", 5000), Enabled: true,
		Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: e.url + "/mock/crm/health", Conditions: conds,
			Interval: icc.Duration(time.Hour)}}
	require.NoError(t, e.backend.CreateIntegration(context.Background(), in))

	w := admin.do("GET", "/api/integrations/"+in.ID, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := e.checkNow(admin, in.ID)
	assert.True(t, got.Result.OK, "%+v", got.Result)
	assert.Equal(t, icc.StatusOperational, got.Integration.Status)

	w = admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": got.Integration.Version})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, got.Integration.Version, decode[*icc.Integration](t, w).Version)
	// A change is a write: the limits apply.
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": got.Integration.Version, "enabled": false}),
		422, icc.EINVALID, "description")
}

func TestPatchIntegrationEmptyKindIsRefused(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()
	w := admin.do("POST", "/api/integrations", map[string]any{"name": "Ledger", "kind": "erp"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	in := decode[*icc.Integration](t, w)

	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "kind": ""}),
		422, icc.EINVALID, "kind")
	w = admin.do("GET", "/api/integrations/"+in.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	got := decode[*icc.Integration](t, w)
	assert.Equal(t, icc.KindERP, got.Kind)
	assert.Equal(t, in.Version, got.Version)

	// A POST without a kind still gets the default.
	w = admin.do("POST", "/api/integrations", map[string]any{"name": "Plain"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, icc.KindAPI, decode[*icc.Integration](t, w).Kind)
}

func TestIntegrationDurationErrorsNameTheField(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()
	tcp := func(key string, v any) map[string]any {
		return map[string]any{"type": "tcp", "address": "db.example.com:5432", key: v}
	}
	for _, v := range []any{"abc", "9999999999h", 30, 30.5, true, map[string]any{}, ""} {
		for _, key := range []string{"interval", "timeout"} {
			w := admin.do("POST", "/api/integrations", map[string]any{"name": "Dur", "check": tcp(key, v)})
			requireError(t, w, http.StatusUnprocessableEntity, icc.EINVALID, "check."+key)
			msg := readErrorBody(t, w.Body.Bytes()).Message
			assert.Contains(t, msg, `"30s"`, "%v: the message says the format", v)
			assert.NotContains(t, msg, "time:", "%v: no Go error text", v)
		}
	}
	for key, rule := range map[string]map[string]any{
		"alert_rules.latency": {"type": "latency", "latency": "soon"},
		"alert_rules.window":  {"type": "success_rate", "success_rate": 0.9, "window": 900},
	} {
		requireError(t, admin.do("POST", "/api/integrations", map[string]any{"name": "Dur", "alert_rules": []any{rule}}),
			http.StatusUnprocessableEntity, icc.EINVALID, key)
	}
	// Unknown fields inside a check are still refused.
	requireError(t, admin.do("POST", "/api/integrations", map[string]any{"name": "Dur",
		"check": map[string]any{"type": "none", "colour": "red"}}), http.StatusBadRequest, icc.EINVALID, "")

	// Valid durations are read, on POST and PATCH.
	w := admin.do("POST", "/api/integrations", map[string]any{"name": "Dur", "check": map[string]any{"type": "tcp",
		"address": "db.example.com:5432", "interval": "1m30s", "timeout": "5s"},
		"alert_rules": []any{map[string]any{"type": "latency", "latency": "250ms"}}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	in := decode[*icc.Integration](t, w)
	assert.Equal(t, 90*time.Second, in.Check.Interval.Std())
	assert.Equal(t, 5*time.Second, in.Check.Timeout.Std())
	assert.Equal(t, 250*time.Millisecond, in.AlertRules[0].Latency.Std())
	requireError(t, admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "check": tcp("interval", "abc")}),
		http.StatusUnprocessableEntity, icc.EINVALID, "check.interval")
	w = admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "check": tcp("interval", "2h")})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 2*time.Hour, decode[*icc.Integration](t, w).Check.Interval.Std())
}

func TestNoOpPatchKeepsVersionAndUpdatedAt(t *testing.T) {
	e := newMonitorEnv(t)
	admin := e.asAdmin()
	w := admin.do("POST", "/api/integrations", map[string]any{"name": "Ledger", "kind": "erp", "description": "Books",
		"check":       map[string]any{"type": "tcp", "address": "db.example.com:5432", "interval": "1h"},
		"alert_rules": []any{map[string]any{"type": "consecutive_failures"}}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	in := decode[*icc.Integration](t, w)

	for name, body := range map[string]map[string]any{
		"empty": {"version": in.Version},
		"same values": {"version": in.Version, "name": " Ledger ", "kind": "erp", "description": "Books", "enabled": true,
			"check":       map[string]any{"type": "tcp", "address": "db.example.com:5432", "interval": "1h"},
			"alert_rules": []any{map[string]any{"type": "consecutive_failures"}}},
	} {
		w := admin.do("PATCH", "/api/integrations/"+in.ID, body)
		require.Equal(t, http.StatusOK, w.Code, "%s: %s", name, w.Body.String())
		got := decode[*icc.Integration](t, w)
		assert.Equal(t, in.Version, got.Version, name)
		assert.True(t, in.UpdatedAt.Equal(got.UpdatedAt), name)
	}
	stored, err := e.backend.GetIntegration(context.Background(), in.ID)
	require.NoError(t, err)
	assert.Equal(t, in.Version, stored.Version)
	// A real change still bumps the version.
	w = admin.do("PATCH", "/api/integrations/"+in.ID, map[string]any{"version": in.Version, "description": "Ledgers"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, in.Version+1, decode[*icc.Integration](t, w).Version)

	// Customers: the same for updated_at.
	w = admin.do("POST", "/api/customers", map[string]string{"email": "noop@example.com", "name": "Noop", "tier": "pro"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	c := decode[*icc.Customer](t, w)
	for _, body := range []map[string]string{{}, {"name": "Noop", "tier": "pro"}} {
		w = admin.do("PATCH", "/api/customers/"+c.ID, body)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.True(t, c.UpdatedAt.Equal(decode[*icc.Customer](t, w).UpdatedAt), "%v", body)
	}
	stc, err := e.backend.GetCustomer(context.Background(), c.ID)
	require.NoError(t, err)
	assert.True(t, c.UpdatedAt.Equal(stc.UpdatedAt))
	w = admin.do("PATCH", "/api/customers/"+c.ID, map[string]string{"tier": "enterprise"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "enterprise", decode[*icc.Customer](t, w).Tier)

	// Agents: the same for the version.
	ag, err := e.backend.GetAgent(context.Background(), e.agent.ID)
	require.NoError(t, err)
	for _, body := range []map[string]any{{"version": ag.Version}, {"version": ag.Version, "name": ag.Name, "skills": ag.Skills, "capacity": ag.Capacity}} {
		w = admin.do("PATCH", "/api/agents/"+ag.ID, body)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, ag.Version, decode[agentWithLoad](t, w).Version, "%v", body)
	}
	w = admin.do("PATCH", "/api/agents/"+ag.ID, map[string]any{"version": ag.Version, "capacity": ag.Capacity + 1})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, ag.Version+1, decode[agentWithLoad](t, w).Version)
}

// TestRowsBeyondNewLimitsStillLoadPostgres: a customer and an agent
// stored before the limits on account and skills (written here in SQL)
// still load and list; the limits apply when they are written.
func TestRowsBeyondNewLimitsStillLoadPostgres(t *testing.T) {
	dbURL := isolatedDatabaseURL(t)
	ctx := t.Context()
	backend, err := storage.Open(ctx, dbURL)
	require.NoError(t, err)
	defer backend.Close()
	c := &icc.Customer{Email: "legacy@example.com", Name: "Legacy"}
	require.NoError(t, backend.CreateCustomer(ctx, c))
	a := &icc.Agent{Email: "legacy-agent@example.com", Name: "Legacy"}
	require.NoError(t, backend.CreateAgent(ctx, a))

	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	skills := make([]string, 3*icc.MaxSkills)
	for i := range skills {
		skills[i] = fmt.Sprintf("skill-%d", i)
	}
	_, err = conn.Exec(ctx, "UPDATE customers SET account = $1 WHERE id = $2", strings.Repeat("a", 5000), c.ID)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "UPDATE agents SET skills = $1 WHERE id = $2", skills, a.ID)
	require.NoError(t, err)

	gotC, err := backend.GetCustomer(ctx, c.ID)
	require.NoError(t, err)
	assert.Len(t, gotC.Account, 5000)
	customers, err := backend.ListCustomers(ctx, icc.CustomerFilter{})
	require.NoError(t, err)
	assert.Len(t, customers.Items, 1)
	gotA, err := backend.GetAgent(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, skills, gotA.Skills)
	agents, err := backend.ListAgents(ctx, icc.AgentFilter{})
	require.NoError(t, err)
	assert.Len(t, agents.Items, 1)

	// The account's length is checked on new input only
	// (icc.CheckAccountLimit): such a customer can still be written.
	gotC.Name = "Renamed"
	require.NoError(t, backend.UpdateCustomer(ctx, gotC))
	// The skill count is checked on new input only (icc.CheckSkillLimit):
	// such an agent can still be written.
	gotA.Availability = icc.AvailabilityAway
	require.NoError(t, backend.UpdateAgent(ctx, gotA))
}

// requireInvalidField checks that err is EINVALID naming field.
func requireInvalidField(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), err.Error())
	assert.Equal(t, field, icc.ErrorField(err), err.Error())
}
