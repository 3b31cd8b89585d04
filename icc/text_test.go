package icc_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

func TestCheckText(t *testing.T) {
	require.NoError(t, icc.CheckText("f", ""))
	require.NoError(t, icc.CheckText("f", "Grüße, 日本 🎉\t\n"))
	err := icc.CheckText("subject", "a\x00b")
	require.ErrorIs(t, err, icc.ErrInvalid)
	assert.Equal(t, "subject", icc.ErrorField(err))
	assert.Equal(t, "must not contain NUL bytes", icc.ErrorMessage(err))
	err = icc.CheckText("body", "a\xffb")
	require.ErrorIs(t, err, icc.ErrInvalid)
	assert.Equal(t, "body", icc.ErrorField(err))
	assert.Equal(t, "must be valid UTF-8", icc.ErrorMessage(err))
	// CleanText makes any text pass.
	for in, want := range map[string]string{"ok": "ok", "a\x00b": "ab", "bad \xff\x00 body": "bad  body", "Grüße": "Grüße"} {
		got := icc.CleanText(in)
		assert.Equal(t, want, got, "%q", in)
		assert.NoError(t, icc.CheckText("f", got))
	}
}

// TestValidateRejectsUnstorableText checks that every Validate of a stored
// type or filter rejects text PostgreSQL cannot hold, naming the field.
func TestValidateRejectsUnstorableText(t *testing.T) {
	now := time.Now()
	for _, bad := range []string{"a\x00b", "\x00", "a\xffb"} {
		cases := []struct {
			name  string
			v     interface{ Validate() error }
			field string
		}{
			{"ticket subject", &icc.Ticket{Subject: bad, CustomerID: "c"}, "subject"},
			{"ticket body", &icc.Ticket{Subject: "x", Body: bad, CustomerID: "c"}, "body"},
			{"ticket customer", &icc.Ticket{Subject: "x", CustomerID: bad}, "customer_id"},
			{"ticket queue", &icc.Ticket{Subject: "x", CustomerID: "c", Queue: bad}, "queue"},
			{"ticket tag", &icc.Ticket{Subject: "x", CustomerID: "c", Tags: []string{bad}}, "tags"},
			{"ticket reply", &icc.Ticket{Subject: "x", CustomerID: "c", Classification: &icc.Classification{SuggestedReply: bad}}, "classification.suggested_reply"},
			{"ticket rating comment", &icc.Ticket{Subject: "x", CustomerID: "c", Satisfaction: &icc.Satisfaction{Rating: 3, Comment: bad}}, "comment"},
			{"event body", &icc.TicketEvent{Type: icc.EventNote, Body: bad}, "body"},
			{"event to", &icc.TicketEvent{Type: icc.EventAssigned, To: bad}, "to"},
			{"event data", &icc.TicketEvent{Type: icc.EventNote, Data: json.RawMessage(`{"a":"` + strings.ReplaceAll(bad, "\x00", "") + `x"}`)}, "data"},
			{"assignment agent", &icc.Assignment{TicketID: "t", AgentID: bad}, "agent_id"},
			{"ticket filter text", &icc.TicketFilter{Text: bad}, "text"},
			{"ticket filter queue", &icc.TicketFilter{Queue: &bad}, "queue"},
			{"customer name", &icc.Customer{Email: "a@example.com", Name: bad}, "name"},
			{"customer account", &icc.Customer{Email: "a@example.com", Account: bad}, "account"},
			{"customer email", &icc.Customer{Email: bad + "@example.com"}, "email"},
			{"customer filter", &icc.CustomerFilter{Text: bad}, "text"},
			{"agent name", &icc.Agent{Email: "a@example.com", Name: bad}, "name"},
			{"agent skill", &icc.Agent{Email: "a@example.com", Name: "A", Skills: []string{bad}}, "skills"},
			{"agent filter", &icc.AgentFilter{Skill: bad}, "skill"},
			{"conversation subject", &icc.Conversation{CustomerID: "c", Subject: bad}, "subject"},
			{"message body", &icc.NewMessage{ConversationID: "c", SenderType: icc.SenderCustomer, Body: bad}, "body"},
			{"message client id", &icc.NewMessage{ConversationID: "c", SenderType: icc.SenderCustomer, Body: "hi", ClientID: bad}, "client_id"},
			{"integration name", &icc.Integration{Name: bad}, "name"},
			{"integration description", &icc.Integration{Name: "CRM", Description: bad}, "description"},
			{"integration header", &icc.Integration{Name: "CRM", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://x.example.com", Headers: map[string]string{"X": bad}}}, "check.headers"},
			{"integration condition", &icc.Integration{Name: "CRM", Check: icc.CheckSpec{Type: icc.CheckHTTP, URL: "https://x.example.com", Conditions: []string{bad}}}, "check.conditions"},
			{"integration filter", &icc.IntegrationFilter{Kind: (*icc.IntegrationKind)(&bad)}, "kind"},
			{"check result error", &icc.CheckResult{IntegrationID: "i", CheckedAt: now, Error: bad}, "error"},
			{"check result filter", &icc.CheckResultFilter{IntegrationID: bad}, "integration_id"},
			{"log message", &icc.IntegrationLog{IntegrationID: "i", At: now, Message: bad}, "message"},
			{"log url", &icc.IntegrationLog{IntegrationID: "i", At: now, URL: bad}, "url"},
			{"log filter text", &icc.LogFilter{Text: bad}, "text"},
			{"maintenance title", &icc.MaintenanceWindow{IntegrationID: "i", Title: bad, StartsAt: now, EndsAt: now.Add(time.Hour)}, "title"},
			{"alert summary", &icc.Alert{IntegrationID: "i", DedupKey: "k", FiredAt: now, Summary: bad}, "summary"},
			{"analytics queue", &icc.TicketAnalyticsQuery{From: now, To: now.Add(time.Hour), Queue: &bad}, "queue"},
			{"stats integration", &icc.IntegrationStatsQuery{IntegrationID: bad, From: now, To: now.Add(time.Hour)}, "integration_id"},
		}
		for _, c := range cases {
			if c.name == "event data" && !strings.Contains(bad, "\xff") {
				continue // JSON cannot carry a raw NUL; json.Valid rejects it anyway
			}
			t.Run(fmt.Sprintf("%s %q", c.name, bad), func(t *testing.T) {
				err := c.v.Validate()
				require.ErrorIs(t, err, icc.ErrInvalid)
				assert.Equal(t, c.field, icc.ErrorField(err))
			})
		}
	}
}

func TestTicketTags(t *testing.T) {
	valid := func(tags ...string) []string {
		t.Helper()
		tk := icc.Ticket{Subject: "x", CustomerID: "c", Tags: tags}
		require.NoError(t, tk.Validate(), "%q", tags)
		return tk.Tags
	}
	assert.Equal(t, []string{}, valid())
	in := []string{" vip", "incident:Mock ERP", "vip ", "Ärger", "a b"}
	assert.Equal(t, []string{"vip", "incident:Mock ERP", "Ärger", "a b"}, valid(in...))
	assert.Equal(t, " vip", in[0], "the caller's slice is not changed")
	valid(strings.Repeat("ü", icc.MaxTagLen))
	valid("incident:" + strings.Repeat("n", 100)) // the longest integration name

	many := make([]string, icc.MaxTags)
	for i := range many {
		many[i] = fmt.Sprint("t", i)
	}
	assert.Equal(t, many, valid(append(slices.Clone(many), many...)...), "duplicates count once")

	for _, tags := range [][]string{
		{""}, {" \t "}, {"a\tb"}, {"a\nb"}, {"a\u0085b"}, {"a\x00b"}, {"\xff"},
		{strings.Repeat("x", icc.MaxTagLen+1)},
		{"incident:" + strings.Repeat("n", 101)},
		append(slices.Clone(many), "one more"),
	} {
		tk := icc.Ticket{Subject: "x", CustomerID: "c", Tags: tags}
		err := tk.Validate()
		require.ErrorIs(t, err, icc.ErrInvalid, "%q", tags)
		assert.Equal(t, "tags", icc.ErrorField(err), "%q", tags)
	}
	// 100,000 tags fail fast.
	huge := make([]string, 100_000)
	for i := range huge {
		huge[i] = fmt.Sprint(i)
	}
	tk := icc.Ticket{Subject: "x", CustomerID: "c", Tags: huge}
	assert.Equal(t, "tags", icc.ErrorField(tk.Validate()))
}

func TestIntegrationNameControlCharacters(t *testing.T) {
	in := icc.Integration{Name: "Mock\nERP"}
	assert.Equal(t, "name", icc.ErrorField(in.Validate()))
	in = icc.Integration{Name: strings.Repeat("n", 100)}
	require.NoError(t, in.Validate())
}

func TestDeskRejectsUnstorableText(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	for field, in := range map[string]icc.NewTicket{
		"subject":        {Subject: "a\x00b", CustomerEmail: "a@example.com"},
		"body":           {Subject: "Hi", Body: "a\x00b", CustomerEmail: "a@example.com"},
		"tags":           {Subject: "Hi", CustomerEmail: "a@example.com", Tags: []string{"a\x00b"}},
		"customer_email": {Subject: "Hi", CustomerEmail: "a\x00b@example.com"},
		"customer_name":  {Subject: "Hi", CustomerEmail: "a@example.com", CustomerName: "a\x00b"},
		"customer_id":    {Subject: "Hi", CustomerID: "a\x00b"},
	} {
		_, err := e.desk.CreateTicket(e.ctx, in)
		require.ErrorIs(t, err, icc.ErrInvalid, field)
		assert.Equal(t, field, icc.ErrorField(err))
	}
	p, err := e.store.ListCustomers(e.ctx, icc.CustomerFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items)

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Hi", CustomerEmail: "a@example.com"})
	require.NoError(t, err)
	for _, internal := range []bool{false, true} {
		_, err = e.desk.Reply(e.ctx, tk.ID, "a\x00b", internal, icc.Actor{Type: icc.ActorAgent, ID: "ag"})
		require.ErrorIs(t, err, icc.ErrInvalid)
		assert.Equal(t, "body", icc.ErrorField(err))
	}
	_, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusResolved)}, icc.Actor{Type: icc.ActorAgent})
	require.NoError(t, err)
	_, err = e.desk.Rate(e.ctx, tk.ID, 5, "a\x00b", icc.Actor{Type: icc.ActorCustomer})
	require.ErrorIs(t, err, icc.ErrInvalid)
	assert.Equal(t, "comment", icc.ErrorField(err))
	assert.NotContains(t, eventTypes(t, e.store, tk.ID), icc.EventReply)
	assert.NotContains(t, eventTypes(t, e.store, tk.ID), icc.EventNote)
}

// TestDeskIncidentTagsKeepTicketsValid checks that linking incidents never
// makes a new ticket invalid: an incident tag is added only while there is
// room, and a long integration name makes a valid tag.
func TestDeskIncidentTagsKeepTicketsValid(t *testing.T) {
	long := icc.Incident{IntegrationID: "int-long", Name: "Mock " + strings.Repeat("x", 95), Kind: icc.KindERP, Status: icc.StatusDown}
	e := newDeskEnv(t, icc.DeskConfig{Incidents: incidentSource{incidents: []icc.Incident{long}}})

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "ERP down", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"incident:" + long.Name}, tk.Tags)

	full := make([]string, icc.MaxTags)
	for i := range full {
		full[i] = fmt.Sprint("t", i)
	}
	tk, err = e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "ERP down", CustomerEmail: "c@example.com", Tags: full})
	require.NoError(t, err)
	assert.Equal(t, full, tk.Tags, "no room for the incident tag")
	assert.Contains(t, eventTypes(t, e.store, tk.ID), icc.EventIncidentLinked, "the incident is linked all the same")
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour:      "7 days",
		24 * time.Hour:          "1 day",
		36 * time.Hour:          "36 hours",
		time.Hour:               "1 hour",
		5 * time.Minute:         "5 minutes",
		90 * time.Second:        "90 seconds",
		1500 * time.Millisecond: "1.5s",
	} {
		assert.Equal(t, want, icc.HumanDuration(d), d.String())
	}
}
