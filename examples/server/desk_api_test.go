package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// deskRoutes lists every route setupDesk registers, with a path that
// exists once a ticket, customer and agent do (filled in by the test).
type routeCase struct {
	method, path string
	admin        bool // admin only
}

func deskRouteCases(ticket, customer, agent string) []routeCase {
	return []routeCase{
		{"GET", "/api/auth/me", false},
		{"PATCH", "/api/auth/me", false},
		{"GET", "/api/tickets", false},
		{"POST", "/api/tickets", false},
		{"GET", "/api/tickets/" + ticket, false},
		{"PATCH", "/api/tickets/" + ticket, false},
		{"POST", "/api/tickets/" + ticket + "/replies", false},
		{"POST", "/api/tickets/" + ticket + "/notes", false},
		{"GET", "/api/tickets/" + ticket + "/events", false},
		{"POST", "/api/tickets/" + ticket + "/rating", false},
		{"GET", "/api/customers", false},
		{"POST", "/api/customers", false},
		{"GET", "/api/customers/" + customer, false},
		{"PATCH", "/api/customers/" + customer, false},
		{"GET", "/api/agents", false},
		{"GET", "/api/agents/" + agent, false},
		{"POST", "/api/agents", true},
		{"PATCH", "/api/agents/" + agent, true},
		{"POST", "/api/classify", false},
	}
}

// newTicket creates a ticket through the API as c and returns it.
func newTicket(t *testing.T, c *client, subject, body string) *icc.Ticket {
	t.Helper()
	w := c.do("POST", "/api/tickets", map[string]any{"subject": subject, "body": body, "customer_email": "cust@test.example", "customer_name": "Cust"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return decode[*icc.Ticket](t, w)
}

func TestDeskRoutesNeedSession(t *testing.T) {
	e := newDeskEnv(t)
	tk := newTicket(t, e.asAgent(), "Printer on fire", "It is really on fire")
	for _, rc := range deskRouteCases(tk.ID, tk.CustomerID, e.agent.ID) {
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			var body any
			if rc.method != "GET" {
				body = map[string]any{}
			}
			requireError(t, e.anon().do(rc.method, rc.path, body), 401, "unauthorized", "")
		})
	}
}

func TestDeskRoutesRoles(t *testing.T) {
	e := newDeskEnv(t)
	agent := e.asAgent()
	tk := newTicket(t, agent, "Printer on fire", "It is really on fire")
	for _, rc := range deskRouteCases(tk.ID, tk.CustomerID, e.agent.ID) {
		if !rc.admin {
			continue
		}
		t.Run(rc.method+" "+rc.path, func(t *testing.T) {
			requireError(t, agent.do(rc.method, rc.path, map[string]any{}), 403, "forbidden", "")
			// An admin gets past the role check (to validation).
			w := e.asAdmin().do(rc.method, rc.path, map[string]any{})
			assert.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
		})
	}
}

func TestTicketLifecycle(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()

	w := c.do("POST", "/api/tickets", map[string]any{
		"subject": "Charged twice", "body": "My card was billed twice for the invoice, please refund.",
		"customer_email": "Payer@Test.Example", "customer_name": "Payer", "channel": "email",
	})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	assert.Equal(t, "/api/tickets/"+tk.ID, w.Header().Get("Location"))
	assert.Equal(t, icc.CategoryBilling, tk.Category)
	assert.Equal(t, "billing", tk.Queue)
	require.NotNil(t, tk.Classification)
	assert.Equal(t, keywordModel, tk.Classification.Model)
	assert.NotEmpty(t, tk.AssigneeID, "an online agent with the skill takes it")

	w = c.do("GET", "/api/tickets/"+tk.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, tk.Version, decode[*icc.Ticket](t, w).Version)

	// Update.
	w = c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "priority": "high", "status": "open"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	up := decode[*icc.Ticket](t, w)
	assert.Equal(t, icc.PriorityHigh, up.Priority)
	assert.Equal(t, icc.StatusOpen, up.Status)

	// The old version is stale now.
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "priority": "low"}), 409, "conflict", "")

	// Reply and note.
	w = c.do("POST", "/api/tickets/"+tk.ID+"/replies", map[string]string{"body": "Refund is on its way."})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.NotNil(t, decode[*icc.Ticket](t, w).FirstResponseAt)
	w = c.do("POST", "/api/tickets/"+tk.ID+"/notes", map[string]string{"body": "Checked with finance."})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	// Rating before resolution is refused: the ticket's state conflicts.
	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 5}), 409, "conflict", "")

	cur := decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+tk.ID, nil))
	w = c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": cur.Version, "status": "resolved"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.NotNil(t, decode[*icc.Ticket](t, w).ResolvedAt)

	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 6}), 422, "invalid", "rating")
	w = c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 4, "comment": "ok"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 4, decode[*icc.Ticket](t, w).Satisfaction.Rating)
	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 5}), 409, "conflict", "")

	// A closed ticket takes notes, not replies, until it is reopened.
	cur = decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+tk.ID, nil))
	w = c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": cur.Version, "status": "closed"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/replies", map[string]string{"body": "One more thing."}), 409, "conflict", "")
	w = c.do("POST", "/api/tickets/"+tk.ID+"/notes", map[string]string{"body": "Customer called back."})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	// The trail has it all, with the agent as actor.
	evs := decode[eventsBody](t, c.do("GET", "/api/tickets/"+tk.ID+"/events", nil)).Items
	var types []icc.TicketEventType
	for _, ev := range evs {
		types = append(types, ev.Type)
		if ev.Type == icc.EventReply || ev.Type == icc.EventNote || ev.Type == icc.EventRated {
			assert.Equal(t, e.agent.ID, ev.ActorID, ev.Type)
		}
	}
	for _, want := range []icc.TicketEventType{icc.EventCreated, icc.EventClassified, icc.EventRouted, icc.EventAssigned,
		icc.EventPriorityChanged, icc.EventStatusChanged, icc.EventReply, icc.EventNote, icc.EventRated} {
		assert.Contains(t, types, want)
	}
}

// TestTicketPriorityChangeMovesSLADue is the walkthrough's case: a low
// ticket made urgent is due on urgent's targets, counted from its creation.
func TestTicketPriorityChangeMovesSLADue(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	w := c.do("POST", "/api/tickets", map[string]any{"subject": "Question", "body": "When do you open?",
		"customer_email": "cust@test.example", "priority": "low"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	require.Equal(t, icc.PriorityLow, tk.Priority)
	require.Equal(t, 8*time.Hour, tk.FirstResponseDue.Sub(tk.CreatedAt))
	require.Equal(t, 72*time.Hour, tk.ResolutionDue.Sub(tk.CreatedAt))

	w = c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "priority": "urgent"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	up := decode[*icc.Ticket](t, w)
	assert.Equal(t, 15*time.Minute, up.FirstResponseDue.Sub(tk.CreatedAt))
	assert.Equal(t, 4*time.Hour, up.ResolutionDue.Sub(tk.CreatedAt))
	w = c.do("GET", "/api/tickets/"+tk.ID, nil)
	require.Equal(t, http.StatusOK, w.Code)
	got := decode[*icc.Ticket](t, w)
	assert.True(t, up.FirstResponseDue.Equal(*got.FirstResponseDue), "stored")
	assert.True(t, up.ResolutionDue.Equal(*got.ResolutionDue), "stored")
}

func TestTicketBadInput(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	tk := newTicket(t, c, "VPN keeps dropping", "The VPN disconnects every ten minutes.")

	requireError(t, c.do("POST", "/api/tickets", `{"subject":`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/tickets", `{"subject":"x","customer_email":"a@b.example","color":"red"}`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/tickets", map[string]any{"subject": "x"}), 422, "invalid", "customer_email")
	requireError(t, c.do("POST", "/api/tickets", map[string]any{"subject": " ", "customer_email": "a@b.example"}), 422, "invalid", "subject")
	requireError(t, c.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_email": "not-an-email"}), 422, "invalid", "customer_email")
	requireError(t, c.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_email": "a@b.example", "channel": "fax"}), 422, "invalid", "channel")
	requireError(t, c.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_id": "nope"}), 422, "invalid", "customer_id")
	// Nothing was half-written: the rejected customer emails do not exist.
	_, err := e.backend.GetCustomerByEmail(context.Background(), "a@b.example")
	assert.ErrorIs(t, err, icc.ErrNotFound)

	patch := func(body map[string]any) *icc.Ticket {
		t.Helper()
		w := c.do("PATCH", "/api/tickets/"+tk.ID, body)
		require.NotEqual(t, http.StatusOK, w.Code)
		return decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+tk.ID, nil))
	}
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, `{"version":"one"}`), 400, "invalid", "")
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"priority": "high"}), 422, "invalid", "version")
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "status": "new-ish"}), 422, "invalid", "status")
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "priority": "whenever"}), 422, "invalid", "priority")
	requireError(t, c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "category": "gossip"}), 422, "invalid", "category")

	// An impossible assignment rejects the whole update: the priority and
	// status in the same request are not stored.
	w := c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "priority": "urgent", "status": "pending", "assignee_id": "no-such-agent"})
	requireError(t, w, 422, "invalid", "assignee_id")
	other := e.admin.ID
	if tk.AssigneeID == other {
		other = e.agent.ID
	}
	after := patch(map[string]any{"version": tk.Version, "priority": "urgent", "status": "resolved", "assignee_id": other})
	assert.Equal(t, tk.Version, after.Version, "nothing was stored")
	assert.Equal(t, tk.Priority, after.Priority)
	assert.Equal(t, tk.Status, after.Status)

	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/replies", map[string]string{"body": "  "}), 422, "invalid", "body")
	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/notes", `"text"`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/tickets/"+tk.ID+"/rating", `{"rating":"great"}`), 400, "invalid", "")
}

func TestTicketFullAgentConflict(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAdmin()
	full := e.createAgent("full@test.example", "full-password", icc.RoleAgent, nil, 1)
	a := newTicket(t, c, "One", "first")
	b := newTicket(t, c, "Two", "second")
	w := c.do("PATCH", "/api/tickets/"+a.ID, map[string]any{"version": a.Version, "assignee_id": full.ID})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = c.do("PATCH", "/api/tickets/"+b.ID, map[string]any{"version": b.Version, "priority": "urgent", "assignee_id": full.ID})
	requireError(t, w, 409, "conflict", "")
	cur := decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+b.ID, nil))
	assert.Equal(t, b.Version, cur.Version, "the priority change was not stored either")
}

func TestTicketNotFound(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	for _, rc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/tickets/nope", nil},
		{"PATCH", "/api/tickets/nope", map[string]any{"version": 1, "priority": "low"}},
		{"POST", "/api/tickets/nope/replies", map[string]string{"body": "hi"}},
		{"POST", "/api/tickets/nope/notes", map[string]string{"body": "hi"}},
		{"GET", "/api/tickets/nope/events", nil},
		{"POST", "/api/tickets/nope/rating", map[string]any{"rating": 3}},
	} {
		requireError(t, c.do(rc.method, rc.path, rc.body), 404, "not_found", "")
	}
}

func TestTicketListFiltersAndPages(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	bill := newTicket(t, c, "Refund please", "I was charged twice on my invoice, refund the payment")
	tech := newTicket(t, c, "Server error", "The API returns HTTP 500 errors when I sync orders")
	gen := newTicket(t, c, "Opening hours", "When is your office open?")
	// Leave one unassigned and one assigned to the admin.
	w := c.do("PATCH", "/api/tickets/"+gen.ID, map[string]any{"version": gen.Version, "assignee_id": ""})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = c.do("PATCH", "/api/tickets/"+tech.ID, map[string]any{"version": tech.Version, "assignee_id": e.admin.ID, "priority": "urgent"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())

	list := func(query string) []string {
		t.Helper()
		w := c.do("GET", "/api/tickets?"+query, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var ids []string
		for _, tk := range decode[icc.Page[*icc.Ticket]](t, w).Items {
			ids = append(ids, tk.ID)
		}
		return ids
	}
	assert.Equal(t, []string{gen.ID, tech.ID, bill.ID}, list(""))
	assert.Equal(t, []string{bill.ID, tech.ID, gen.ID}, list("sort=oldest"))
	assert.Equal(t, []string{bill.ID}, list("category=billing"))
	assert.Equal(t, []string{tech.ID}, list("priority=urgent"))
	assert.Equal(t, []string{tech.ID}, list("queue=technical"))
	assert.Contains(t, list("assignee="+e.admin.ID), tech.ID)
	assert.NotContains(t, list("assignee="+e.admin.ID), gen.ID)
	assert.Equal(t, []string{gen.ID}, list("assignee=none"))
	assert.NotContains(t, list("assignee=me"), tech.ID)
	assert.Equal(t, []string{bill.ID}, list("text=REFUND+invoice"))
	assert.Equal(t, []string{gen.ID, tech.ID, bill.ID}, list("status=new&customer="+bill.CustomerID))
	assert.Empty(t, list("status=closed"))

	// Cursor pagination visits every ticket once.
	var seen []string
	cursor := ""
	for range 5 {
		w := c.do("GET", "/api/tickets?limit=1&cursor="+cursor, nil)
		require.Equal(t, http.StatusOK, w.Code)
		p := decode[icc.Page[*icc.Ticket]](t, w)
		for _, tk := range p.Items {
			seen = append(seen, tk.ID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	assert.Equal(t, []string{gen.ID, tech.ID, bill.ID}, seen)

	for q, field := range map[string]string{
		"status=lost": "status", "category=x": "category", "priority=asap": "priority",
		"sort=random": "sort", "limit=0": "limit", "limit=many": "limit", "cursor=bogus": "cursor",
	} {
		requireError(t, c.do("GET", "/api/tickets?"+q, nil), 422, "invalid", field)
	}
}

func TestResolveAssignsWaitingTicket(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	// Only one agent with room for one ticket is online.
	for _, a := range []*icc.Agent{e.admin, e.agent} {
		cur, err := e.backend.GetAgent(ctx, a.ID)
		require.NoError(t, err)
		cur.Availability = icc.AvailabilityOffline
		require.NoError(t, e.backend.UpdateAgent(ctx, cur))
	}
	solo := e.createAgent("solo@test.example", "solo-password", icc.RoleAgent, nil, 1)
	c := e.login(solo.Email, "solo-password")
	first := newTicket(t, c, "Opening hours", "When are you open?")
	second := newTicket(t, c, "Holiday hours", "Are you open on holidays?")
	require.Equal(t, solo.ID, first.AssigneeID)
	require.Empty(t, second.AssigneeID, "the agent is full")

	w := c.do("PATCH", "/api/tickets/"+first.ID, map[string]any{"version": first.Version, "status": "resolved"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+second.ID, nil))
	assert.Equal(t, solo.ID, got.AssigneeID, "resolving freed room for the waiting ticket")
}

func TestComingOnlineAssignsWaitingTickets(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	for _, a := range []*icc.Agent{e.admin, e.agent} {
		cur, err := e.backend.GetAgent(ctx, a.ID)
		require.NoError(t, err)
		cur.Availability = icc.AvailabilityAway
		require.NoError(t, e.backend.UpdateAgent(ctx, cur))
	}
	c := e.asAgent()
	tk := newTicket(t, c, "Opening hours", "When are you open?")
	require.Empty(t, tk.AssigneeID)
	w := c.do("PATCH", "/api/auth/me", map[string]string{"availability": "online"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	got := decode[*icc.Ticket](t, c.do("GET", "/api/tickets/"+tk.ID, nil))
	assert.Equal(t, e.agent.ID, got.AssigneeID)
}

// spyLearner records what it is taught.
type spyLearner struct {
	got chan classify.Example
}

func (s *spyLearner) Learn(ctx context.Context, ex classify.Example) error {
	s.got <- ex
	return nil
}

func TestCategoryCorrectionTeachesClassifier(t *testing.T) {
	e := newDeskEnvWith(t, deskOptions{}) // the real offline classifier
	require.NotNil(t, e.s.offline)
	assert.Same(t, e.s.offline, e.s.learner, "the offline classifier learns by default")
	spy := &spyLearner{got: make(chan classify.Example, 1)}
	e.s.learner = spy
	c := e.asAgent()
	tk := newTicket(t, c, "Strange charge", "There is a line on my statement I do not understand")
	to := icc.CategoryTechnical
	if tk.Category == to {
		to = icc.CategoryBilling
	}
	w := c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "category": to})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	select {
	case ex := <-spy.got:
		assert.Equal(t, to, ex.Category)
		assert.Contains(t, ex.Text, "Strange charge")
	default:
		t.Fatal("the correction was not passed to the classifier")
	}
}

func TestPublicTickets(t *testing.T) {
	e := newDeskEnv(t)
	c := e.anon()
	w := c.do("POST", "/api/public/tickets", map[string]string{"subject": "Cannot log in", "body": "My password reset mail never arrives", "customer_email": "widget@test.example", "customer_name": "Wendy"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	ans := decode[map[string]any](t, w)
	assert.ElementsMatch(t, []string{"id", "number", "status"}, keys(ans), "the public answer reveals little")
	tk, err := e.backend.GetTicket(context.Background(), ans["id"].(string))
	require.NoError(t, err)
	assert.Equal(t, icc.ChannelWeb, tk.Channel)

	requireError(t, c.do("POST", "/api/public/tickets", map[string]string{"subject": "x"}), 422, "invalid", "customer_email")
	requireError(t, c.do("POST", "/api/public/tickets", map[string]string{"subject": "x", "customer_email": "a@b.example", "priority": "urgent"}), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/public/tickets", `nope`), 400, "invalid", "")

	for range publicTicketsPerWindow - 1 {
		w := c.do("POST", "/api/public/tickets", map[string]string{"subject": "Spam", "customer_email": "widget@test.example"})
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	}
	w = c.do("POST", "/api/public/tickets", map[string]string{"subject": "Spam", "customer_email": "widget@test.example"})
	requireError(t, w, http.StatusTooManyRequests, "rate_limited", "")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	e.clock.Advance(publicTicketWindow)
	w = c.do("POST", "/api/public/tickets", map[string]string{"subject": "Later", "customer_email": "widget@test.example"})
	assert.Equal(t, http.StatusCreated, w.Code, w.Body.String())
}

// TestPublicTicketsRejectedDoNotCount: a submission the desk would refuse
// is refused before the rate limit, so it does not count against it.
func TestPublicTicketsRejectedDoNotCount(t *testing.T) {
	e := newDeskEnv(t)
	c := e.anon()
	for _, body := range []map[string]string{
		{"subject": "", "customer_email": "widget@test.example"},
		{"subject": "x", "customer_email": "not-an-email"},
		{"subject": "x", "customer_email": "widget@test.example", "customer_name": strings.Repeat("n", 201)},
		{"subject": "x", "customer_email": "widget@test.example", "body": strings.Repeat("b", icc.MaxBodyLen+1)},
	} {
		for range publicTicketsPerWindow {
			w := c.do("POST", "/api/public/tickets", body)
			require.Equal(t, http.StatusUnprocessableEntity, w.Code, w.Body.String())
		}
	}
	for range publicTicketsPerWindow {
		w := c.do("POST", "/api/public/tickets", map[string]string{"subject": "Valid", "customer_email": "widget@test.example"})
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	}
	w := c.do("POST", "/api/public/tickets", map[string]string{"subject": "One too many", "customer_email": "widget@test.example"})
	requireError(t, w, http.StatusTooManyRequests, "rate_limited", "")
}

// TestCreateTicketRefusesConversationID: a conversation becomes a ticket
// through its own route only, which links the two; POST /api/tickets
// refuses a conversation_id, real or not, and stores nothing.
func TestCreateTicketRefusesConversationID(t *testing.T) {
	e := newChatEnv(t)
	agent := e.asAgent()
	conv := e.start("a@test.example", "Refund please", "I was charged twice.")

	for _, id := range []string{"does-not-exist", conv.ID} {
		w := agent.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_email": "a@test.example", "conversation_id": id})
		requireError(t, w, 422, "invalid", "conversation_id")
		assert.Contains(t, readErrorBody(t, w.Body.Bytes()).Message, "/api/conversations/{id}/ticket")
	}
	p, err := e.backend.ListTickets(context.Background(), icc.TicketFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items)

	w := agent.do("POST", "/api/conversations/"+conv.ID+"/ticket", nil)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	got := decode[icc.Conversation](t, agent.do("GET", "/api/conversations/"+conv.ID, nil))
	assert.Equal(t, tk.ID, got.TicketID)
	assert.Equal(t, conv.ID, tk.ConversationID)
}

// TestCreateTicketCustomerMismatch: a customer_id with the email of
// another customer, or of nobody, is refused naming customer_email.
func TestCreateTicketCustomerMismatch(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	ann := newTicket(t, c, "First", "hello").CustomerID // cust@test.example
	w := c.do("POST", "/api/tickets", map[string]any{"subject": "Other", "customer_email": "other@test.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())

	for _, email := range []string{"other@test.example", "nobody@test.example"} {
		w := c.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_id": ann, "customer_email": email})
		requireError(t, w, 422, "invalid", "customer_email")
	}
	_, err := e.backend.GetCustomerByEmail(context.Background(), "nobody@test.example")
	assert.ErrorIs(t, err, icc.ErrNotFound)

	w = c.do("POST", "/api/tickets", map[string]any{"subject": "x", "customer_id": ann, "customer_email": "Cust@Test.Example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, ann, decode[*icc.Ticket](t, w).CustomerID)
}

// TestTicketListBadQueryNamesParameter: an invalid filter value is a 422
// naming the query parameter the client sent.
func TestTicketListBadQueryNamesParameter(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	requireError(t, c.do("GET", "/api/tickets?customer=%00", nil), 422, "invalid", "customer")
	requireError(t, c.do("GET", "/api/tickets?assignee=%FF", nil), 422, "invalid", "assignee")
	requireError(t, c.do("GET", "/api/tickets?queue=%00", nil), 422, "invalid", "queue")
	requireError(t, c.do("GET", "/api/tickets?text=%FF", nil), 422, "invalid", "text")
}

// TestRateTicketState: rating an active ticket is 409; a closed ticket
// takes a rating.
func TestRateTicketState(t *testing.T) {
	e := newDeskEnv(t)
	c := e.asAgent()
	tk := newTicket(t, c, "Question", "When are you open?")
	w := c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 5})
	requireError(t, w, 409, "conflict", "")
	assert.Contains(t, readErrorBody(t, w.Body.Bytes()).Message, "resolved or closed")

	w = c.do("PATCH", "/api/tickets/"+tk.ID, map[string]any{"version": tk.Version, "status": "closed"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = c.do("POST", "/api/tickets/"+tk.ID+"/rating", map[string]any{"rating": 2})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 2, decode[*icc.Ticket](t, w).Satisfaction.Rating)
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// spyLeaser records the SLA watcher's lease calls.
type spyLeaser struct {
	acquired chan string
	released chan string
}

func (l *spyLeaser) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	select {
	case l.acquired <- holder:
	default:
	}
	return true, nil
}

func (l *spyLeaser) Release(ctx context.Context, name, holder string) error {
	l.released <- holder
	return nil
}

func TestSLAWatcherRunsUntilShutdown(t *testing.T) {
	e := newDeskEnv(t)
	ctx := context.Background()
	l := &spyLeaser{acquired: make(chan string, 1), released: make(chan string, 1)}
	e.s.startSLAWatcher(t.Context(), l, time.Hour)
	holder := <-l.acquired // the first round runs at once

	// Shutdown hooks stop the watcher, which releases its lease.
	e.s.mu.Lock()
	hooks := e.s.shutdowns
	e.s.mu.Unlock()
	for _, h := range hooks {
		require.NoError(t, h(ctx))
	}
	select {
	case got := <-l.released:
		assert.Equal(t, holder, got)
	default:
		t.Fatal("the watcher did not release its lease before shutdown returned")
	}
}

func TestInstanceID(t *testing.T) {
	a, b := instanceID(), instanceID()
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^.+-\d+-[0-9a-f]{8}$`, a)
}
