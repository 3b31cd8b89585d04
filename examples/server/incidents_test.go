package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/icc"
)

// TestIncidentAwareTriage: with the mock ERP down, a ticket that names the
// ERP is linked to the incident, and a chat customer who names it is told
// that the problem is known, although an agent is online.
func TestIncidentAwareTriage(t *testing.T) {
	e := newMonitorEnv(t)
	c := e.asAgent()
	erp := e.ids[demoERPName]
	e.setMode(c, mockERP, modeDown)
	for range 3 {
		e.checkNow(c, erp)
	}
	w := c.do("GET", "/api/integrations/"+erp, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	down := decode[*icc.Integration](t, w)
	require.Equal(t, icc.StatusDown, down.Status)
	require.NotNil(t, down.StatusChangedAt)

	// Ticket intake.
	w = c.do("POST", "/api/tickets", map[string]any{"subject": "Orders missing", "body": "Our ERP shows no orders since this morning.",
		"customer_email": "ops@shop.example", "tags": []string{"vip"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	assert.Equal(t, []string{"vip", "incident:" + demoERPName}, tk.Tags)
	w = c.do("GET", "/api/tickets/"+tk.ID+"/events", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var linked []icc.TicketEvent
	for _, ev := range decode[eventsBody](t, w).Items {
		if ev.Type == icc.EventIncidentLinked {
			linked = append(linked, ev)
		}
	}
	require.Len(t, linked, 1)
	assert.Equal(t, erp, linked[0].To)
	assert.JSONEq(t, `{"integration_id":"`+erp+`","name":"Mock ERP","kind":"erp","status":"down","since":"`+
		down.StatusChangedAt.Format(time.RFC3339Nano)+`"}`, string(linked[0].Data))

	w = c.do("POST", "/api/tickets", map[string]any{"subject": "Password reset", "body": "I cannot sign in.", "customer_email": "ops@shop.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Empty(t, decode[*icc.Ticket](t, w).Tags, "names no failing integration")

	// Chat, with an agent online.
	a, err := e.s.setupChat(t.Context(), chatOptions{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.hub.Close()) }) // before the server and the backend
	ce := &chatEnv{deskEnv: e.deskEnv, chat: a, srv: e.srv}
	agent := ce.agentWS(c)
	agent.until(func(f wsFrame) bool {
		return f.Type == chat.TypePresence && f.AgentID == e.agent.ID && f.Status == "online"
	})
	st := ce.start("buyer@shop.example", "Orders", "Is the erp broken? My order is not there.")
	cust := ce.customerWS(st)
	cust.subscribe(st.ID, 0)
	notice := cust.until(func(f wsFrame) bool {
		return f.Type == chat.TypeMessage && strings.HasPrefix(f.msg(t).ClientID, "notice:")
	}).msg(t)
	assert.Equal(t, icc.SenderSystem, notice.SenderType)
	assert.Equal(t, incidentNotice(icc.Incident{Name: demoERPName, Status: icc.StatusDown, Since: *down.StatusChangedAt}, notice.CreatedAt), notice.Body)
	assert.Contains(t, notice.Body, "We know Mock ERP is having problems right now (status: down since ")

	// The same incident has the same key, which the hub posts once per
	// conversation (see package chat's TestNotices).
	again := e.s.incidentNotices(t.Context(), nil, icc.Message{ConversationID: st.ID, Body: "ERP still broken", CreatedAt: notice.CreatedAt})
	require.Len(t, again, 1)
	assert.Equal(t, notice.ClientID, "notice:"+again[0].Key)
	assert.Empty(t, e.s.incidentNotices(t.Context(), nil, icc.Message{Body: "where is my parcel?"}))
}

func TestIncidentNoticeText(t *testing.T) {
	now := time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)
	inc := icc.Incident{Name: "Mock ERP", Status: icc.StatusDegraded, Since: time.Date(2026, 3, 2, 10, 42, 0, 0, time.UTC)}
	assert.Equal(t, "We know Mock ERP is having problems right now (status: degraded since 10:42 UTC); our team is on it.", incidentNotice(inc, now))
	inc.Since = inc.Since.Add(-24 * time.Hour)
	assert.Equal(t, "We know Mock ERP is having problems right now (status: degraded since Mar 1 10:42 UTC); our team is on it.", incidentNotice(inc, now))
	inc.Since = time.Time{}
	assert.Equal(t, "We know Mock ERP is having problems right now (status: degraded); our team is on it.", incidentNotice(inc, now))
}
