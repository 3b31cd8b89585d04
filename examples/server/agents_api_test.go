package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestAgentsAdmin(t *testing.T) {
	e := newDeskEnv(t)
	admin := e.asAdmin()

	w := admin.do("POST", "/api/agents", map[string]any{"email": "New@Test.Example", "name": "Newbie", "password": "newbie-password", "skills": []string{"billing"}, "capacity": 3})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.NotContains(t, w.Body.String(), "newbie-password")
	assert.NotContains(t, w.Body.String(), "$2a$", "no hash in responses")
	nb := decode[agentWithLoad](t, w)
	assert.Equal(t, "new@test.example", nb.Email)
	assert.Equal(t, icc.RoleAgent, nb.Role)
	assert.Equal(t, icc.AvailabilityOffline, nb.Availability)
	newbie := e.login("new@test.example", "newbie-password")

	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "new@test.example", "name": "Again", "password": "long-enough"}), 409, "conflict", "email")
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "x@test.example", "name": "X", "password": "short"}), 422, "invalid", "password")
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "x@test.example", "name": "X"}), 422, "invalid", "password")
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "x@test.example", "name": "X", "password": "long-enough", "role": "boss"}), 422, "invalid", "role")
	requireError(t, admin.do("POST", "/api/agents", map[string]any{"email": "x@test.example", "password": "long-enough"}), 422, "invalid", "name")
	requireError(t, admin.do("POST", "/api/agents", `{"email":"x@test.example","capacity":"lots"}`), 400, "invalid", "")
	requireError(t, newbie.do("POST", "/api/agents", map[string]any{"email": "y@test.example", "name": "Y", "password": "long-enough"}), 403, "forbidden", "")

	// Update: version required and checked.
	requireError(t, admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"capacity": 4}), 422, "invalid", "version")
	requireError(t, admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version + 1, "capacity": 4}), 409, "conflict", "")
	requireError(t, admin.do("PATCH", "/api/agents/nope", map[string]any{"version": 1, "capacity": 4}), 404, "not_found", "")
	requireError(t, admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version, "capacity": 0}), 422, "invalid", "capacity")
	requireError(t, admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version, "availability": "gone"}), 422, "invalid", "availability")
	requireError(t, admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version, "password": "tiny"}), 422, "invalid", "password")
	requireError(t, newbie.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version, "role": "admin"}), 403, "forbidden", "")

	w = admin.do("PATCH", "/api/agents/"+nb.ID, map[string]any{"version": nb.Version, "capacity": 4, "skills": []string{"billing", "de"}, "role": "admin", "password": "changed-password"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	up := decode[agentWithLoad](t, w)
	assert.Equal(t, 4, up.Capacity)
	assert.Equal(t, []string{"billing", "de"}, up.Skills)
	assert.Equal(t, icc.RoleAdmin, up.Role)
	assert.Equal(t, nb.Version+1, up.Version)
	requireError(t, e.anon().do("POST", "/api/auth/login", map[string]string{"email": "new@test.example", "password": "newbie-password"}), 401, "unauthorized", "")
	e.login("new@test.example", "changed-password")

	// An admin cannot demote themselves.
	me := decode[agentBody](t, admin.do("GET", "/api/auth/me", nil)).Agent
	requireError(t, admin.do("PATCH", "/api/agents/"+me.ID, map[string]any{"version": me.Version, "role": "agent"}), 422, "invalid", "role")
}

func TestAgentsList(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	newTicket(t, c, "VPN down", "The VPN is down for everyone")

	w := c.do("GET", "/api/agents", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	p := decode[agentPage](t, w)
	require.Len(t, p.Items, 2)
	total := 0
	for _, a := range p.Items {
		total += a.Load
	}
	assert.Equal(t, 1, total, "loads count active tickets")

	w = c.do("GET", "/api/agents?role=admin", nil)
	require.Equal(t, http.StatusOK, w.Code)
	p = decode[agentPage](t, w)
	require.Len(t, p.Items, 1)
	assert.Equal(t, e.admin.ID, p.Items[0].ID)
	w = c.do("GET", "/api/agents?limit=1", nil)
	assert.NotEmpty(t, decode[agentPage](t, w).Next)
	assert.Len(t, decode[agentPage](t, c.do("GET", "/api/agents?skill=nonexistent", nil)).Items, 0)
	requireError(t, c.do("GET", "/api/agents?role=king", nil), 422, "invalid", "role")
	requireError(t, c.do("GET", "/api/agents?availability=maybe", nil), 422, "invalid", "availability")

	w = c.do("GET", "/api/agents/"+e.admin.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, e.admin.Email, decode[agentWithLoad](t, w).Email)
	requireError(t, c.do("GET", "/api/agents/nope", nil), 404, "not_found", "")
}

func TestAgentComingOnlineByAdminAssigns(t *testing.T) {
	e := newDeskEnv(t)
	admin := e.asAdmin()
	w := admin.do("POST", "/api/agents", map[string]any{"email": "late@test.example", "name": "Late", "password": "late-password", "capacity": 50})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	late := decode[agentWithLoad](t, w)
	for _, a := range []*icc.Agent{e.admin, e.agent} {
		cur := decode[agentWithLoad](t, admin.do("GET", "/api/agents/"+a.ID, nil))
		w := admin.do("PATCH", "/api/agents/"+a.ID, map[string]any{"version": cur.Version, "availability": "offline"})
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	tk := newTicket(t, admin, "Opening hours", "When are you open?")
	require.Empty(t, tk.AssigneeID)
	w = admin.do("PATCH", "/api/agents/"+late.ID, map[string]any{"version": late.Version, "availability": "online"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, decode[agentWithLoad](t, w).Load)
	got := decode[*icc.Ticket](t, admin.do("GET", "/api/tickets/"+tk.ID, nil))
	assert.Equal(t, late.ID, got.AssigneeID)
}
