package icc_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keywordClassifier labels by keywords, so tests know the answer.
type keywordClassifier struct{}

func (keywordClassifier) Classify(_ context.Context, req classify.Request) (classify.Result, error) {
	text := strings.ToLower(req.Text())
	r := classify.Result{Category: classify.CategoryGeneral, Priority: classify.PriorityMedium, Sentiment: classify.SentimentNeutral,
		Intent: "other", Confidence: 0.8, Model: "keywords/test", SuggestedReply: "Thanks, we are on it."}
	switch {
	case strings.Contains(text, "lawyer"):
		r.Category, r.Priority, r.Escalate, r.Reasons = classify.CategorySensitive, classify.PriorityHigh, true, []classify.Reason{classify.ReasonLegalThreat}
	case strings.Contains(text, "invoice"), strings.Contains(text, "refund"):
		r.Category = classify.CategoryBilling
	case strings.Contains(text, "password"), strings.Contains(text, "error"):
		r.Category = classify.CategoryTechnical
	}
	if strings.Contains(text, "down") {
		r.Priority = classify.PriorityUrgent
	}
	return r, nil
}

type failingClassifier struct{ err error }

func (f failingClassifier) Classify(context.Context, classify.Request) (classify.Result, error) {
	return classify.Result{}, f.err
}

// hangingClassifier ignores its context and never answers until released.
type hangingClassifier struct{ release chan struct{} }

func (h hangingClassifier) Classify(context.Context, classify.Request) (classify.Result, error) {
	<-h.release
	return classify.Result{}, errors.New("released")
}

type directory struct {
	tiers map[string]string
	err   error
	hang  bool
}

func (d directory) LookupCustomer(ctx context.Context, email string) (icc.CustomerInfo, error) {
	if d.hang {
		<-ctx.Done()
		return icc.CustomerInfo{}, ctx.Err()
	}
	if d.err != nil {
		return icc.CustomerInfo{}, d.err
	}
	tier, ok := d.tiers[email]
	if !ok {
		return icc.CustomerInfo{}, icc.NotFound("customer", email)
	}
	return icc.CustomerInfo{Tier: tier, Account: "Acme"}, nil
}

type deskEnv struct {
	desk  *icc.Desk
	store *memory.Store
	clock *fakeClock
	ctx   context.Context
}

func newDeskEnv(t *testing.T, cfg icc.DeskConfig) *deskEnv {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	clock := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	cfg.Store, cfg.Clock, cfg.Bus = st, clock, st
	if cfg.Classifier == nil {
		cfg.Classifier = keywordClassifier{}
	}
	d, err := icc.NewDesk(cfg)
	require.NoError(t, err)
	return &deskEnv{desk: d, store: st, clock: clock, ctx: context.Background()}
}

func (e *deskEnv) agent(t *testing.T, name string, capacity int, skills ...string) *icc.Agent {
	t.Helper()
	a := &icc.Agent{Email: strings.ToLower(name) + "@support.example", Name: name, Capacity: capacity, Skills: skills, Availability: icc.AvailabilityOnline}
	require.NoError(t, e.store.CreateAgent(e.ctx, a))
	return a
}

func eventTypes(t *testing.T, s icc.Store, id string) []icc.TicketEventType {
	t.Helper()
	evs, err := s.ListTicketEvents(context.Background(), id)
	require.NoError(t, err)
	var out []icc.TicketEventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestDeskCreateClassifiesRoutesAssigns(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{Directory: directory{tiers: map[string]string{"vip@example.com": "enterprise"}}})
	ann := e.agent(t, "Ann", 2, "billing")

	sub, err := e.store.Subscribe(e.ctx, icc.TopicTickets)
	require.NoError(t, err)
	defer sub.Close()

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Invoice wrong", Body: "My invoice shows the wrong amount", CustomerEmail: "VIP@example.com", Channel: icc.ChannelEmail})
	require.NoError(t, err)
	assert.Equal(t, icc.CategoryBilling, tk.Category)
	assert.Equal(t, "billing", tk.Queue)
	assert.Equal(t, ann.ID, tk.AssigneeID)
	assert.Equal(t, "keywords/test", tk.Classification.Model)
	require.NotNil(t, tk.FirstResponseDue)
	assert.Equal(t, e.clock.Now().Add(4*time.Hour), *tk.FirstResponseDue)
	assert.Equal(t, []icc.TicketEventType{icc.EventCreated, icc.EventEnriched, icc.EventClassified, icc.EventRouted, icc.EventAssigned}, eventTypes(t, e.store, tk.ID))

	cust, err := e.store.GetCustomer(e.ctx, tk.CustomerID)
	require.NoError(t, err)
	assert.Equal(t, "vip@example.com", cust.Email)
	assert.Equal(t, "enterprise", cust.Tier)

	got := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for !got["ticket.created"] || !got["ticket.assigned"] {
		select {
		case ev := <-sub.Events():
			assert.Equal(t, tk.ID, ev.ID)
			got[ev.Type] = true
		case <-deadline:
			t.Fatalf("bus events missing, got %v", got)
		}
	}

	// The same email finds the same customer.
	tk2, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Refund", CustomerEmail: "vip@example.com"})
	require.NoError(t, err)
	assert.Equal(t, tk.CustomerID, tk2.CustomerID)
	assert.Greater(t, tk2.Number, tk.Number)
}

func TestDeskCreateRejectsBadInputWritingNothing(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	cases := map[string]icc.NewTicket{
		"subject":        {CustomerEmail: "a@example.com"},
		"customer_email": {Subject: "Hi"},
		"channel":        {Subject: "Hi", CustomerEmail: "a@example.com", Channel: "pigeon"},
	}
	for field, in := range cases {
		_, err := e.desk.CreateTicket(e.ctx, in)
		require.ErrorIs(t, err, icc.ErrInvalid, field)
		assert.Equal(t, field, icc.ErrorField(err))
	}
	_, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Hi", CustomerEmail: "not an email"})
	assert.Equal(t, "customer_email", icc.ErrorField(err))
	_, err = e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Hi", CustomerID: "nope"})
	assert.Equal(t, "customer_id", icc.ErrorField(err))

	p, err := e.store.ListCustomers(e.ctx, icc.CustomerFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items)
	tp, err := e.store.ListTickets(e.ctx, icc.TicketFilter{})
	require.NoError(t, err)
	assert.Empty(t, tp.Items)
}

func TestDeskNeverLosesATicket(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	cases := map[string]icc.DeskConfig{
		"classifier fails": {Classifier: failingClassifier{err: classify.ErrUnavailable}},
		"classifier hangs": {Classifier: hangingClassifier{release: release}, ClassifyTimeout: 20 * time.Millisecond},
		"directory fails":  {Directory: directory{err: errors.New("crm is down")}},
		"directory hangs":  {Directory: directory{hang: true}, DirectoryTimeout: 20 * time.Millisecond},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			e := newDeskEnv(t, cfg)
			e.agent(t, "Gus", 5)
			tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Where is my order", Body: "It has been a week", CustomerEmail: "c@example.com"})
			require.NoError(t, err)
			stored, err := e.store.GetTicket(e.ctx, tk.ID)
			require.NoError(t, err)
			assert.Equal(t, "general", stored.Queue, "routed by rules")
			assert.NotEmpty(t, stored.AssigneeID)
			types := eventTypes(t, e.store, tk.ID)
			if strings.HasPrefix(name, "classifier") {
				assert.Contains(t, types, icc.EventClassificationFailed)
				require.NotNil(t, stored.Classification)
				assert.NotEmpty(t, stored.Classification.Error)
			} else {
				assert.Contains(t, types, icc.EventEnrichmentFailed)
				assert.Contains(t, types, icc.EventClassified)
			}
		})
	}
}

func TestDeskSensitiveGoesToRestrictedQueueWithoutReply(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	e.agent(t, "Generalist", 5)
	sam := e.agent(t, "Sam", 5, "sensitive")
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "I will call my lawyer", CustomerEmail: "angry@example.com"})
	require.NoError(t, err)
	assert.Equal(t, icc.CategorySensitive, tk.Category)
	assert.Equal(t, "sensitive", tk.Queue)
	assert.True(t, tk.Escalated)
	assert.Empty(t, tk.Classification.SuggestedReply)
	assert.Equal(t, sam.ID, tk.AssigneeID)
	assert.Contains(t, eventTypes(t, e.store, tk.ID), icc.EventEscalated)
}

func TestDeskLifecycle(t *testing.T) {
	var corrections []icc.Correction
	e := newDeskEnv(t, icc.DeskConfig{OnCorrection: func(_ context.Context, c icc.Correction) { corrections = append(corrections, c) }})
	ann := e.agent(t, "Ann", 5)
	bob := e.agent(t, "Bob", 5)
	by := icc.Actor{Type: icc.ActorAgent, ID: ann.ID}

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", Body: "How do I change my address?", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	require.Equal(t, icc.StatusNew, tk.Status)

	e.clock.Advance(30 * time.Minute)
	tk, err = e.desk.Reply(e.ctx, tk.ID, "Settings > Address.", false, by)
	require.NoError(t, err)
	assert.Equal(t, icc.StatusOpen, tk.Status)
	require.NotNil(t, tk.FirstResponseAt)
	assert.Equal(t, e.clock.Now(), *tk.FirstResponseAt)
	first := *tk.FirstResponseAt

	e.clock.Advance(time.Minute)
	tk, err = e.desk.Reply(e.ctx, tk.ID, "customer seems new", true, by)
	require.NoError(t, err)
	assert.Equal(t, first, *tk.FirstResponseAt, "a note or second reply does not move the first response")

	// Illegal move, stale version, unknown values.
	_, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusNew)}, by)
	assert.Equal(t, "status", icc.ErrorField(err))
	_, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version - 1, Status: ptr(icc.StatusPending)}, by)
	assert.ErrorIs(t, err, icc.ErrConflict)
	_, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Priority: ptr(icc.Priority("asap"))}, by)
	assert.Equal(t, "priority", icc.ErrorField(err))
	_, err = e.desk.UpdateTicket(e.ctx, "missing", icc.TicketUpdate{Version: 1}, by)
	assert.ErrorIs(t, err, icc.ErrNotFound)

	// Rating before resolution is refused: the ticket's state conflicts.
	_, err = e.desk.Rate(e.ctx, tk.ID, 5, "", icc.Actor{Type: icc.ActorCustomer})
	assert.ErrorIs(t, err, icc.ErrConflict)
	assert.Empty(t, icc.ErrorField(err))

	// Category correction, reassignment, resolution.
	tk, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Category: ptr(icc.CategoryBilling), Priority: ptr(icc.PriorityHigh), AssigneeID: &bob.ID}, by)
	require.NoError(t, err)
	assert.Equal(t, icc.CategoryBilling, tk.Category)
	assert.Equal(t, bob.ID, tk.AssigneeID)
	require.Len(t, corrections, 1)
	assert.Equal(t, icc.CategoryGeneral, corrections[0].From)
	assert.Equal(t, icc.CategoryBilling, corrections[0].To)

	e.clock.Advance(time.Hour)
	tk, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusResolved)}, by)
	require.NoError(t, err)
	require.NotNil(t, tk.ResolvedAt)

	_, err = e.desk.Rate(e.ctx, tk.ID, 6, "", icc.Actor{Type: icc.ActorCustomer})
	assert.Equal(t, "rating", icc.ErrorField(err))
	tk, err = e.desk.Rate(e.ctx, tk.ID, 4, "quick", icc.Actor{Type: icc.ActorCustomer})
	require.NoError(t, err)
	assert.Equal(t, 4, tk.Satisfaction.Rating)
	_, err = e.desk.Rate(e.ctx, tk.ID, 5, "again", icc.Actor{Type: icc.ActorCustomer})
	assert.ErrorIs(t, err, icc.ErrConflict)

	// Reopen clears the resolution; close stamps it again.
	tk, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusOpen)}, by)
	require.NoError(t, err)
	assert.Nil(t, tk.ResolvedAt)
	tk, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusClosed)}, by)
	require.NoError(t, err)
	assert.NotNil(t, tk.ClosedAt)
	assert.NotNil(t, tk.ResolvedAt)

	types := eventTypes(t, e.store, tk.ID)
	for _, want := range []icc.TicketEventType{icc.EventReply, icc.EventNote, icc.EventCategoryChanged, icc.EventPriorityChanged, icc.EventAssigned, icc.EventStatusChanged, icc.EventRated} {
		assert.Contains(t, types, want)
	}
}

func TestDeskUpdateWithRefusedAssignmentWritesNothing(t *testing.T) {
	var corrections []icc.Correction
	e := newDeskEnv(t, icc.DeskConfig{OnCorrection: func(_ context.Context, c icc.Correction) { corrections = append(corrections, c) }})
	// Created before any agent exists, so it stays unassigned.
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", Body: "How do I change my address?", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	require.Empty(t, tk.AssigneeID)
	full := e.agent(t, "Full", 1)
	busy := &icc.Ticket{Subject: "Busy", CustomerID: tk.CustomerID, AssigneeID: full.ID}
	require.NoError(t, e.store.CreateTicket(e.ctx, busy))
	ann := e.agent(t, "Ann", 5)
	by := icc.Actor{Type: icc.ActorAgent, ID: ann.ID}
	trail := eventTypes(t, e.store, tk.ID)

	sub, err := e.store.Subscribe(e.ctx, icc.TopicTickets)
	require.NoError(t, err)
	defer sub.Close()

	u := icc.TicketUpdate{Version: tk.Version, Status: ptr(icc.StatusPending), Priority: ptr(icc.PriorityUrgent),
		Category: ptr(icc.CategoryBilling), AssigneeID: &full.ID}
	_, err = e.desk.UpdateTicket(e.ctx, tk.ID, u, by)
	require.ErrorIs(t, err, icc.ErrConflict, "the agent is at capacity")

	stored, err := e.store.GetTicket(e.ctx, tk.ID)
	require.NoError(t, err)
	assert.Equal(t, tk, stored, "status, priority, category and version are unchanged")
	assert.Equal(t, trail, eventTypes(t, e.store, tk.ID), "no event is recorded")
	assert.Empty(t, corrections, "a change that was not stored teaches the classifier nothing")

	// The same update to an agent with room is stored whole, as one new
	// version; its bus events are the first the subscriber sees, so the
	// refused update published none.
	u.AssigneeID = &ann.ID
	got, err := e.desk.UpdateTicket(e.ctx, tk.ID, u, by)
	require.NoError(t, err)
	assert.Equal(t, tk.Version+1, got.Version)
	assert.Equal(t, icc.StatusPending, got.Status)
	assert.Equal(t, icc.PriorityUrgent, got.Priority)
	assert.Equal(t, icc.CategoryBilling, got.Category)
	assert.Equal(t, ann.ID, got.AssigneeID)
	assert.Equal(t, append(trail, icc.EventStatusChanged, icc.EventPriorityChanged, icc.EventCategoryChanged, icc.EventAssigned),
		eventTypes(t, e.store, tk.ID))
	require.Len(t, corrections, 1)
	for _, typ := range []string{"ticket.updated", "ticket.assigned"} {
		select {
		case ev := <-sub.Events():
			assert.Equal(t, typ, ev.Type)
			assert.Equal(t, got.Version, ev.Seq)
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", typ)
		}
	}
}

func TestDeskSLABreachEscalatesOnce(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Site is down", Body: "error on login", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	require.Equal(t, icc.PriorityUrgent, tk.Priority)

	n, err := e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	e.clock.Advance(16 * time.Minute)
	n, err = e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "idempotent")

	got, err := e.store.GetTicket(e.ctx, tk.ID)
	require.NoError(t, err)
	assert.True(t, got.FirstResponseBreached)
	assert.False(t, got.ResolutionBreached)
	assert.True(t, got.Escalated)

	e.clock.Advance(4 * time.Hour)
	n, err = e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	got, err = e.store.GetTicket(e.ctx, tk.ID)
	require.NoError(t, err)
	assert.True(t, got.ResolutionBreached)
	types := eventTypes(t, e.store, tk.ID)
	count := 0
	for _, ty := range types {
		if ty == icc.EventSLABreached {
			count++
		}
	}
	assert.Equal(t, 2, count)
}

// TestRunSLAWatcherDefaults runs the watcher the way a single process
// would, with no lease and no interval: it checks at once (so the breach
// is recorded without waiting for a tick) and stops with its context.
func TestRunSLAWatcherDefaults(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Site is down", Body: "error on login", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	e.clock.Advance(16 * time.Minute)

	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.desk.RunSLAWatcher(ctx, nil, "", 0)
	}()
	require.Eventually(t, func() bool {
		got, err := e.store.GetTicket(e.ctx, tk.ID)
		return err == nil && got.FirstResponseBreached
	}, 5*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunSLAWatcher did not stop when its context ended")
	}
}

func TestDeskReplyRules(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	agent := e.agent(t, "Ana", 5)
	newT := func() *icc.Ticket {
		t.Helper()
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Where is my parcel", Body: "order 12", CustomerEmail: "c@example.com"})
		require.NoError(t, err)
		return tk
	}
	// newIn is a new ticket an agent moved to status st before any reply.
	newIn := func(st icc.TicketStatus) *icc.Ticket {
		t.Helper()
		tk := newT()
		tk, err := e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: &st}, icc.Actor{Type: icc.ActorAgent, ID: agent.ID})
		require.NoError(t, err)
		return tk
	}
	tk := newT()
	require.Equal(t, icc.StatusNew, tk.Status)

	// Who writes must be known; customers write no internal notes.
	for _, by := range []icc.Actor{{}, {Type: "martian"}} {
		_, err := e.desk.Reply(e.ctx, tk.ID, "hello", false, by)
		assert.ErrorIs(t, err, icc.ErrInvalid, by.Type)
	}
	_, err := e.desk.Reply(e.ctx, tk.ID, "psst", true, icc.Actor{Type: icc.ActorCustomer, ID: "c"})
	assert.ErrorIs(t, err, icc.ErrForbidden)

	// A customer's reply is no first response and leaves a new ticket new.
	got, err := e.desk.Reply(e.ctx, tk.ID, "any news?", false, icc.Actor{Type: icc.ActorCustomer, ID: "c"})
	require.NoError(t, err)
	assert.Nil(t, got.FirstResponseAt)
	assert.Equal(t, icc.StatusNew, got.Status)
	// The agent's is, and opens it.
	got, err = e.desk.Reply(e.ctx, tk.ID, "on it", false, icc.Actor{Type: icc.ActorAgent, ID: agent.ID})
	require.NoError(t, err)
	assert.NotNil(t, got.FirstResponseAt)
	assert.Equal(t, icc.StatusOpen, got.Status)

	// A ticket closed without an answer: notes yes, replies no, and no
	// first response after the close.
	tk = newIn(icc.StatusClosed)
	_, err = e.desk.Reply(e.ctx, tk.ID, "late answer", false, icc.Actor{Type: icc.ActorAgent, ID: agent.ID})
	assert.ErrorIs(t, err, icc.ErrConflict)
	got, err = e.desk.Reply(e.ctx, tk.ID, "closed as duplicate", true, icc.Actor{Type: icc.ActorAgent, ID: agent.ID})
	require.NoError(t, err)
	assert.Nil(t, got.FirstResponseAt)
	assert.Equal(t, icc.StatusClosed, got.Status)

	// A ticket resolved before the agent wrote: the reply is its first
	// response, so that reopening it later counts no missed response.
	tk = newIn(icc.StatusResolved)
	got, err = e.desk.Reply(e.ctx, tk.ID, "here is why", false, icc.Actor{Type: icc.ActorAgent, ID: agent.ID})
	require.NoError(t, err)
	assert.NotNil(t, got.FirstResponseAt)
	assert.Equal(t, icc.StatusResolved, got.Status)
}

func TestDeskAssignWaitingWhenAgentFreesUp(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := e.agent(t, "Ann", 1)
	var ids []string
	for i := range 3 {
		tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question " + string(rune('A'+i)), CustomerEmail: "c@example.com"})
		require.NoError(t, err)
		ids = append(ids, tk.ID)
		e.clock.Advance(time.Minute)
	}
	first, err := e.store.GetTicket(e.ctx, ids[0])
	require.NoError(t, err)
	assert.Equal(t, ann.ID, first.AssigneeID)
	for _, id := range ids[1:] {
		tk, err := e.store.GetTicket(e.ctx, id)
		require.NoError(t, err)
		assert.Empty(t, tk.AssigneeID, "waits in the queue")
	}

	// Ann resolves her ticket: the oldest waiting ticket is assigned next.
	_, err = e.desk.UpdateTicket(e.ctx, first.ID, icc.TicketUpdate{Version: first.Version, Status: ptr(icc.StatusResolved)}, icc.Actor{Type: icc.ActorAgent, ID: ann.ID})
	require.NoError(t, err)
	n, err := e.desk.AssignWaiting(e.ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	second, err := e.store.GetTicket(e.ctx, ids[1])
	require.NoError(t, err)
	assert.Equal(t, ann.ID, second.AssigneeID)
}

func ptr[T any](v T) *T { return &v }

func TestDeskConcurrentIntakeRespectsCapacity(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	agents := []*icc.Agent{e.agent(t, "Ann", 2), e.agent(t, "Bob", 3), e.agent(t, "Cid", 1)}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			_, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", Body: strings.Repeat("x", i), CustomerEmail: "c@example.com"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	loads, err := e.store.AgentLoads(e.ctx)
	require.NoError(t, err)
	total := 0
	for _, a := range agents {
		assert.LessOrEqual(t, loads[a.ID], a.Capacity, a.Name)
		total += loads[a.ID]
	}
	assert.Equal(t, 6, total, "every free slot is used")
}

func TestDeskSLAAtRiskOnceThenBreach(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{}) // SLAWarning 0.2: urgent is at risk 3 min before its first response, 48 min before its resolution
	sub, err := e.store.Subscribe(e.ctx, icc.TopicTickets)
	require.NoError(t, err)
	defer sub.Close()
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Site is down", Body: "error on login", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	require.Equal(t, icc.PriorityUrgent, tk.Priority)
	created := tk.CreatedAt
	count := func(typ icc.TicketEventType, to string) int {
		t.Helper()
		return e.count(t, tk.ID, typ, to)
	}
	check := func(at time.Duration, breaches int) {
		t.Helper()
		e.clock.Advance(created.Add(at).Sub(e.clock.Now()))
		n, err := e.desk.CheckSLA(e.ctx)
		require.NoError(t, err)
		assert.Equal(t, breaches, n, "breaches at +%s", at)
	}
	nextBusEvent := func() string {
		t.Helper()
		select {
		case ev := <-sub.Events():
			assert.Equal(t, tk.ID, ev.ID)
			return ev.Type
		case <-time.After(5 * time.Second):
			t.Fatal("no bus event")
		}
		return ""
	}
	require.Equal(t, "ticket.created", nextBusEvent())

	check(11*time.Minute, 0)
	assert.Zero(t, count(icc.EventSLAAtRisk, "first_response"), "4 minutes left is not at risk yet")
	check(12*time.Minute, 0)
	assert.Equal(t, 1, count(icc.EventSLAAtRisk, "first_response"), "3 minutes left")
	assert.Equal(t, "ticket.sla_at_risk", nextBusEvent())
	check(13*time.Minute, 0)
	// Another process (a new desk on the same store) knows it warned.
	other, err := icc.NewDesk(icc.DeskConfig{Store: e.store, Clock: e.clock, Bus: e.store})
	require.NoError(t, err)
	n, err := other.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, 1, count(icc.EventSLAAtRisk, "first_response"), "warned once")
	assert.Zero(t, count(icc.EventSLAAtRisk, "resolution"))

	check(15*time.Minute, 0) // at the due time the target is still met
	check(15*time.Minute+time.Second, 1)
	assert.Equal(t, "ticket.sla_breached", nextBusEvent(), "no second warning came first")
	assert.Equal(t, 1, count(icc.EventSLABreached, "first_response"))
	assert.Equal(t, 1, count(icc.EventSLAAtRisk, "first_response"))

	check(3*time.Hour+11*time.Minute, 0)
	assert.Zero(t, count(icc.EventSLAAtRisk, "resolution"), "49 minutes left")
	check(3*time.Hour+12*time.Minute, 0)
	check(3*time.Hour+30*time.Minute, 0)
	assert.Equal(t, 1, count(icc.EventSLAAtRisk, "resolution"))
	assert.Equal(t, "ticket.sla_at_risk", nextBusEvent())
	check(4*time.Hour, 0)
	check(4*time.Hour+time.Second, 1)
	assert.Equal(t, "ticket.sla_breached", nextBusEvent())
	check(5*time.Hour, 0)
	assert.Equal(t, 1, count(icc.EventSLAAtRisk, "resolution"))
	assert.Equal(t, 1, count(icc.EventSLABreached, "resolution"))
	select {
	case ev := <-sub.Events():
		t.Fatalf("unexpected bus event %s", ev.Type)
	default:
	}
}

func TestDeskSLAAtRiskSkipsAnsweredAndCanBeOff(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := e.agent(t, "Ann", 5)
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"}) // medium: 4 h / 24 h
	require.NoError(t, err)
	_, err = e.desk.Reply(e.ctx, tk.ID, "On it.", false, icc.Actor{Type: icc.ActorAgent, ID: ann.ID})
	require.NoError(t, err)
	e.clock.Advance(3*time.Hour + 30*time.Minute)
	_, err = e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.NotContains(t, eventTypes(t, e.store, tk.ID), icc.EventSLAAtRisk, "answered: the first response is not at risk")

	off := newDeskEnv(t, icc.DeskConfig{SLAWarning: -1})
	tk, err = off.desk.CreateTicket(off.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	off.clock.Advance(3*time.Hour + 59*time.Minute)
	_, err = off.desk.CheckSLA(off.ctx)
	require.NoError(t, err)
	assert.NotContains(t, eventTypes(t, off.store, tk.ID), icc.EventSLAAtRisk)

	_, err = icc.NewDesk(icc.DeskConfig{Store: e.store, SLAWarning: 1})
	assert.Equal(t, "sla_warning", icc.ErrorField(err))
}

func TestDeskSLAAtRiskCountsBusinessHours(t *testing.T) {
	policy := icc.DefaultSLAPolicy()
	policy.BusinessHours = &icc.BusinessHours{Location: time.UTC, Open: 9 * time.Hour, Close: 17 * time.Hour,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}}
	e := newDeskEnv(t, icc.DeskConfig{SLA: &policy})
	// Friday 16:00; medium: first response due after 4 business hours, on
	// Monday at 12:00, at risk in its last 48 business minutes.
	e.clock.Advance(4*24*time.Hour + 8*time.Hour)
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"})
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), *tk.FirstResponseDue)
	for _, step := range []time.Duration{
		2 * 24 * time.Hour,            // Sunday 16:00: 20 wall-clock hours left, 3 business hours
		19*time.Hour + 11*time.Minute, // Monday 11:11
	} {
		e.clock.Advance(step)
		_, err = e.desk.CheckSLA(e.ctx)
		require.NoError(t, err)
		assert.NotContains(t, eventTypes(t, e.store, tk.ID), icc.EventSLAAtRisk, "at %s", e.clock.Now().Format(time.RFC1123))
	}
	e.clock.Advance(time.Minute) // Monday 11:12
	_, err = e.desk.CheckSLA(e.ctx)
	require.NoError(t, err)
	assert.Contains(t, eventTypes(t, e.store, tk.ID), icc.EventSLAAtRisk)
}
