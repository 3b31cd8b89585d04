package icc_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestIncidentMentioned(t *testing.T) {
	erp := icc.Incident{Name: "Mock ERP", Kind: icc.KindERP}
	crm := icc.Incident{Name: "Salesforce", Kind: icc.KindCRM}
	api := icc.Incident{Name: "Shipping API", Kind: icc.KindAPI}
	tiny := icc.Incident{Name: "HR", Kind: icc.KindOther}
	cases := []struct {
		inc  icc.Incident
		text string
		want bool
	}{
		{erp, "Orders are not showing up in the ERP", true},
		{erp, "erp?", true},
		{erp, "the mock-erp sync", true},
		{erp, "MOCK ERP is slow", true},
		{erp, "the enterprise portal is slow", false},
		{erp, "the mockery of it; serpent", false},
		{crm, "salesforce won't load", true},
		{crm, "my CRM's contacts are gone", true},
		{crm, "sales force", false},
		{api, "the shipping api returns 500", true},
		{api, "your API returns 500", false},
		{api, "shipping is late", false},
		{tiny, "please ask hr about it", false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.inc.Mentioned(c.text), "%q names %q", c.text, c.inc.Name)
	}
	got := icc.MatchIncidents("Billing and ERP both broken", []icc.Incident{crm, erp, {Name: "Stripe", Kind: icc.KindBilling}})
	require.Len(t, got, 2)
	assert.Equal(t, "Mock ERP", got[0].Name)
	assert.Equal(t, "Stripe", got[1].Name)
}

// incidentSource is a fake icc.IncidentSource.
type incidentSource struct {
	incidents []icc.Incident
	err       error
	// release, when not nil, makes it ignore its context and hang until
	// closed.
	release chan struct{}
}

func (s incidentSource) ActiveIncidents(context.Context) ([]icc.Incident, error) {
	if s.release != nil {
		<-s.release
	}
	return s.incidents, s.err
}

func TestDeskLinksTicketToIncident(t *testing.T) {
	since := time.Date(2026, 3, 2, 7, 42, 0, 0, time.UTC)
	erp := icc.Incident{IntegrationID: "int-erp", Name: "Mock ERP", Kind: icc.KindERP, Status: icc.StatusDown, Since: since}
	crm := icc.Incident{IntegrationID: "int-crm", Name: "Mock CRM", Kind: icc.KindCRM, Status: icc.StatusDegraded, Since: since}
	e := newDeskEnv(t, icc.DeskConfig{Incidents: incidentSource{incidents: []icc.Incident{erp, crm}}})
	sub, err := e.store.Subscribe(e.ctx, icc.TopicTickets)
	require.NoError(t, err)
	defer sub.Close()

	tags := []string{"vip"}
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Orders missing", Body: "Our erp shows no orders since this morning.",
		CustomerEmail: "c@example.com", Tags: tags})
	require.NoError(t, err)
	assert.Equal(t, []string{"vip", "incident:Mock ERP"}, tk.Tags)
	assert.Equal(t, []string{"vip"}, tags, "the caller's slice is not changed")
	stored, err := e.store.GetTicket(e.ctx, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, tk.Tags, stored.Tags)

	evs, err := e.store.ListTicketEvents(e.ctx, tk.ID)
	require.NoError(t, err)
	var linked []icc.TicketEvent
	for _, ev := range evs {
		if ev.Type == icc.EventIncidentLinked {
			linked = append(linked, ev)
		}
	}
	require.Len(t, linked, 1, "only the ERP is named")
	assert.Equal(t, "int-erp", linked[0].To)
	var data struct {
		IntegrationID string    `json:"integration_id"`
		Name          string    `json:"name"`
		Status        string    `json:"status"`
		Since         time.Time `json:"since"`
	}
	require.NoError(t, json.Unmarshal(linked[0].Data, &data))
	assert.Equal(t, "int-erp", data.IntegrationID)
	assert.Equal(t, "Mock ERP", data.Name)
	assert.Equal(t, "down", data.Status)
	assert.True(t, since.Equal(data.Since))
	select {
	case ev := <-sub.Events():
		assert.Equal(t, "ticket.created", ev.Type)
		assert.Equal(t, tk.ID, ev.ID)
	case <-time.After(5 * time.Second):
		t.Fatal("no ticket.created event")
	}

	// Both, by name and by kind.
	tk, err = e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Mock CRM and ERP", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"incident:Mock ERP", "incident:Mock CRM"}, tk.Tags)

	// Not named: nothing linked.
	tk, err = e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Password reset", Body: "I cannot sign in to the enterprise portal",
		CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	assert.Empty(t, tk.Tags)
	assert.NotContains(t, eventTypes(t, e.store, tk.ID), icc.EventIncidentLinked)
}

func TestDeskIncidentLookupNeverBlocksATicket(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	erp := icc.Incident{IntegrationID: "int-erp", Name: "Mock ERP", Kind: icc.KindERP, Status: icc.StatusDown}
	cases := map[string]icc.DeskConfig{
		"source fails": {Incidents: incidentSource{err: errors.New("database gone")}},
		"source hangs": {Incidents: incidentSource{incidents: []icc.Incident{erp}, release: release}, IncidentTimeout: 20 * time.Millisecond},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			e := newDeskEnv(t, cfg)
			tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "ERP down", Body: "nothing works", CustomerEmail: "c@example.com"})
			require.NoError(t, err)
			assert.Empty(t, tk.Tags)
			stored, err := e.store.GetTicket(e.ctx, tk.ID)
			require.NoError(t, err)
			assert.Equal(t, icc.CategoryGeneral, stored.Category)
			assert.Equal(t, []icc.TicketEventType{icc.EventCreated, icc.EventClassified, icc.EventRouted}, eventTypes(t, e.store, tk.ID))
		})
	}
	_, err := icc.NewDesk(icc.DeskConfig{Store: newDeskEnv(t, icc.DeskConfig{}).store, IncidentTimeout: -time.Second})
	assert.Equal(t, "timeout", icc.ErrorField(err))
}
