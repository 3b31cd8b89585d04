package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// fakeClassifier escalates threats, flags passwords sensitive and answers
// everything else with a greeting.
type fakeClassifier struct{}

func (fakeClassifier) Classify(_ context.Context, req classify.Request) (classify.Result, error) {
	r := classify.Result{Category: classify.CategoryGeneral, Priority: classify.PriorityLow, Sentiment: classify.SentimentNeutral, Confidence: 0.9, Model: "fake"}
	switch body := strings.ToLower(req.Body); {
	case strings.Contains(body, "lawyer"):
		r.Escalate, r.Reasons, r.Priority, r.Sentiment = true, []classify.Reason{classify.ReasonLegalThreat}, classify.PriorityUrgent, classify.SentimentNegative
		r.SuggestedReply = "We are sorry."
	case strings.Contains(body, "password"):
		r.Category = classify.CategorySensitive
		r.SuggestedReply = "never sent"
	default:
		r.Intent, r.SuggestedReply = "greeting", "Hello! How can I help?"
	}
	return r, nil
}

func noAgents(context.Context) int { return 0 }

func TestBotRepliesAndEscalation(t *testing.T) {
	escalations := make(chan Classification, 10)
	var botCalls sync.Map
	e := newEnv(t, fast(Config{
		Classifier:      fakeClassifier{},
		AgentsOnline:    noAgents,
		ClassifyWorkers: 1, // jobs run in order, which the test relies on
		OnEscalate: func(_ context.Context, _ *icc.Conversation, _ icc.Message, c Classification) {
			escalations <- c
		},
		BotReply: func(ctx context.Context, in BotInput) (string, bool) {
			botCalls.Store(in.Message.ID, true)
			return DefaultBotReply(ctx, in)
		},
	}))
	conv, tok := e.start("help")
	observer := e.agent("a1") // AgentsOnline says nobody is available
	observer.subscribe(conv.ID, 0)
	observer.expect(TypeSubscribed)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)

	cust.message(conv.ID, "c1", "hello there")
	cust.expect(TypeAck)
	assert.Equal(t, icc.SenderCustomer, cust.expect(TypeMessage).msg(t).SenderType)
	cls := observer.until(func(f frame) bool { return f.Type == TypeClassification })
	assert.Equal(t, "greeting", cls.Classification.Intent)
	assert.Equal(t, int64(1), cls.Seq)
	// The system message is stored and fanned out while the bot's typing
	// frame goes straight to the room, so the two may arrive either way
	// round; the typing frame always comes before the bot's message.
	// The bot withdraws its typing once its message is stored; that frame
	// too may come before or after the message.
	var offline, bot icc.Message
	typed, stopped := false, false
	for bot.ID == "" {
		f := cust.until(func(f frame) bool { return f.Type == TypeMessage || f.Type == TypeTyping })
		switch {
		case f.Type == TypeTyping:
			assert.Equal(t, "bot", f.SenderType)
			if f.Typing {
				typed = true
			} else {
				stopped = true
			}
		case f.msg(t).SenderType == icc.SenderSystem:
			offline = f.msg(t)
		default:
			bot = f.msg(t)
		}
	}
	if !stopped {
		f := cust.expect(TypeTyping)
		assert.False(t, f.Typing, "the bot's typing is withdrawn after its message")
	}
	assert.Equal(t, textOfflineHere, offline.Body, "no Tickets: no email is asked for")
	assert.True(t, typed, "no typing frame before the bot's message")
	assert.Equal(t, icc.SenderBot, bot.SenderType)
	assert.Equal(t, "Hello! How can I help?", bot.Body)
	assert.Less(t, offline.Seq, bot.Seq)

	// Escalation: a system message, OnEscalate once, no bot answer. No
	// agent is online, so none is promised: the team is told, and the
	// offline notice already said how the customer is answered.
	cust.message(conv.ID, "c2", "I will call my lawyer")
	cust.expect(TypeAck)
	cust.expect(TypeMessage)
	sys := cust.expect(TypeMessage).msg(t)
	assert.Equal(t, icc.SenderSystem, sys.SenderType)
	assert.Equal(t, textFlagged, sys.Body)
	got := waitCh(t, escalations, "OnEscalate")
	assert.True(t, got.Escalate)
	ev := observer.until(func(f frame) bool { return f.Type == TypeEvent && f.Event.Type == "conversation.escalated" })
	assert.Equal(t, conv.ID, ev.Event.ID)

	// Sensitive, after escalation: classified (without a suggested reply),
	// no second OnEscalate, no bot.
	cust.message(conv.ID, "c3", "my password is hunter2")
	cust.expect(TypeAck)
	third := cust.expect(TypeMessage).msg(t)
	cls = observer.until(func(f frame) bool { return f.Type == TypeClassification && f.Seq == third.Seq })
	assert.Equal(t, classify.CategorySensitive, cls.Classification.Category)
	assert.Empty(t, cls.Classification.SuggestedReply)
	cust.message(conv.ID, "c4", "hello again")
	cust.expect(TypeAck)
	fourth := cust.expect(TypeMessage).msg(t)

	e.drainAssist(t)

	_, called := botCalls.Load(fourth.ID)
	assert.False(t, called, "the bot was asked about an escalated conversation")
	assert.Empty(t, escalations)
	msgs, err := e.store.ListMessages(context.Background(), conv.ID, 0, 100)
	require.NoError(t, err)
	for _, m := range msgs {
		if m.Seq > bot.Seq {
			assert.NotEqual(t, icc.SenderBot, m.SenderType, "bot answered after escalation: %+v", m)
		}
	}
}

// TestEscalationWithAgentPresent: when an agent already answers the
// conversation, an escalation does not promise the customer that one will
// take over; the hand-over still happens once.
func TestEscalationWithAgentPresent(t *testing.T) {
	escalations := make(chan Classification, 10)
	e := newEnv(t, fast(Config{
		Classifier: fakeClassifier{},
		OnEscalate: func(_ context.Context, _ *icc.Conversation, _ icc.Message, c Classification) { escalations <- c },
	}))
	conv, tok := e.start("help")
	_, err := e.hub.Send(context.Background(), icc.NewMessage{ConversationID: conv.ID, SenderType: icc.SenderAgent, SenderID: "a1", Body: "Hi, Tom here"})
	require.NoError(t, err)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.until(func(f frame) bool { return f.Type == TypeSubscribed }) // after the replay of Tom's message
	cust.message(conv.ID, "c1", "this is going to my lawyer")
	sys := cust.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderSystem }).msg(t)
	assert.Equal(t, textFlagged, sys.Body)
	got := waitCh(t, escalations, "OnEscalate")
	assert.True(t, got.Escalate)
	assert.Empty(t, escalations)
}

// drainAssist waits until the hub's single classification worker has
// handled every message sent before: a message in a new conversation
// queues behind them, so once its bot reply is there, they were handled.
func (e *env) drainAssist(t *testing.T) {
	t.Helper()
	other, otherTok := e.start("other")
	c := e.customer(other, otherTok)
	c.subscribe(other.ID, 0)
	c.expect(TypeSubscribed)
	c.message(other.ID, "x", "hi")
	c.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderBot })
}

// offlineDeskEnv is a hub with no agent online whose conversations become
// tickets on a desk, with Jane's conversation started and her customer
// connection subscribed to it. cfg adds to that configuration.
func offlineDeskEnv(t *testing.T, cfg Config) (*env, *memory.Store, *icc.Conversation, *client) {
	t.Helper()
	st := newMemory(t)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	cfg.Store, cfg.Bus, cfg.Tickets, cfg.AgentsOnline = st, st, desk, noAgents
	e := newEnv(t, fast(cfg))
	cust := &icc.Customer{Email: "jane@example.com", Name: "Jane"}
	require.NoError(t, st.CreateCustomer(context.Background(), cust))
	conv, tok, err := e.hub.StartConversation(context.Background(), cust.ID, "Printer")
	require.NoError(t, err)
	c := e.customer(conv, tok)
	c.subscribe(conv.ID, 0)
	c.expect(TypeSubscribed)
	return e, st, conv, c
}

// leaveAddress plays the offline exchange of offlineDeskEnv's customer:
// a first message gets the offline notice asking for an address, and a
// message with one turns the conversation into a ticket, which a system
// message announces.
func leaveAddress(t *testing.T, conv *icc.Conversation, c *client) {
	t.Helper()
	c.message(conv.ID, "c1", "my printer is on fire")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	assert.Equal(t, textOffline, c.expect(TypeMessage).msg(t).Body)
	c.message(conv.ID, "c2", "reach me at jane.doe@example.com please")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	note := c.expect(TypeMessage).msg(t)
	assert.Equal(t, icc.SenderSystem, note.SenderType)
	assert.Contains(t, note.Body, "ticket #")
}

// TestOfflineModeTicket: with no agent online the customer is asked for an
// email address, and giving one turns the conversation into a ticket with
// its transcript.
func TestOfflineModeTicket(t *testing.T) {
	e, st, conv, c := offlineDeskEnv(t, Config{})
	leaveAddress(t, conv, c)

	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	require.NotEmpty(t, got.TicketID)
	ticket, err := st.GetTicket(context.Background(), got.TicketID)
	require.NoError(t, err)
	assert.Equal(t, conv.ID, ticket.ConversationID)
	assert.Equal(t, icc.ChannelChat, ticket.Channel)
	assert.Equal(t, "Printer", ticket.Subject)
	assert.Contains(t, ticket.Body, "my printer is on fire")
	assert.Contains(t, ticket.Body, "jane.doe@example.com")
	assert.Contains(t, ticket.Body, "customer "+conv.CustomerID)

	_, err = e.hub.ConvertToTicket(context.Background(), conv.ID, icc.NewTicket{})
	assert.ErrorIs(t, err, icc.ErrConflict)
}

// quietClassifier escalates threats like fakeClassifier and suggests no
// reply for anything else, so the bot stays silent.
type quietClassifier struct{}

func (quietClassifier) Classify(ctx context.Context, req classify.Request) (classify.Result, error) {
	r, err := fakeClassifier{}.Classify(ctx, req)
	if !r.Escalate {
		r.SuggestedReply, r.Confidence = "", 0.5
	}
	return r, err
}

// TestEscalationWithNobodyOnline: an escalating first message while no
// agent is online promises no agent; the customer gets the offline notice
// too, and leaving an address turns the escalated conversation into a
// ticket (an escalation used to stop the offline path: no ticket, ever).
func TestEscalationWithNobodyOnline(t *testing.T) {
	_, st, conv, c := offlineDeskEnv(t, Config{Classifier: quietClassifier{}, ClassifyWorkers: 1})
	c.message(conv.ID, "c1", "my lawyer will hear about this printer")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	assert.Equal(t, textFlagged, c.expect(TypeMessage).msg(t).Body)
	assert.Equal(t, textOffline, c.expect(TypeMessage).msg(t).Body)
	c.message(conv.ID, "c2", "write to jane.doe@example.com")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	note := c.expect(TypeMessage).msg(t)
	assert.Contains(t, note.Body, "ticket #")
	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.NotEmpty(t, got.TicketID)
}

// TestEscalationAfterTicket: an escalating message in a conversation that
// became a ticket tells the customer the team knows, without promising an
// agent here (the answer comes by email).
func TestEscalationAfterTicket(t *testing.T) {
	_, _, conv, c := offlineDeskEnv(t, Config{Classifier: quietClassifier{}, ClassifyWorkers: 1})
	leaveAddress(t, conv, c)

	c.message(conv.ID, "c3", "I will call my lawyer")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	assert.Equal(t, textFlagged, c.expect(TypeMessage).msg(t).Body)
}

// TestOfflineModeKnownEmail: when Config.Contact knows the customer's
// address, the offline notice says where the answer will go instead of
// asking, the next message turns the conversation into a ticket, and the
// transcript names the customer.
func TestOfflineModeKnownEmail(t *testing.T) {
	var st *memory.Store // set below; Contact runs only once messages flow
	contact := func(ctx context.Context, typ icc.SenderType, id string) (Contact, error) {
		if typ != icc.SenderCustomer {
			return Contact{}, nil
		}
		c, err := st.GetCustomer(ctx, id)
		if err != nil {
			return Contact{}, err
		}
		return Contact{Name: c.Name, Email: c.Email}, nil
	}
	_, store, conv, c := offlineDeskEnv(t, Config{Contact: contact})
	st = store
	c.message(conv.ID, "c1", "my printer is on fire")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	notice := c.expect(TypeMessage).msg(t)
	assert.Equal(t, fmt.Sprintf(textOfflineKnown, "jane@example.com"), notice.Body)
	c.message(conv.ID, "c2", "it is the model X200")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	note := c.expect(TypeMessage).msg(t)
	assert.Contains(t, note.Body, "ticket #")

	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	ticket, err := st.GetTicket(context.Background(), got.TicketID)
	require.NoError(t, err)
	assert.Equal(t, conv.CustomerID, ticket.CustomerID)
	assert.NotContains(t, ticket.Body, "Contact email:", "the customer's own address is not repeated")
	assert.Contains(t, ticket.Body, "customer Jane <jane@example.com>: my printer is on fire")
	assert.NotContains(t, ticket.Body, conv.CustomerID)
	assert.Contains(t, ticket.Body, "system: "+notice.Body)
}

// TestOfflineWithoutTickets: without Config.Tickets nothing can answer by
// email, so the offline notice neither asks for an address nor promises an
// email, even when Config.Contact knows the customer's; it says that an
// agent will answer here, and an address given later changes nothing.
func TestOfflineWithoutTickets(t *testing.T) {
	contact := func(context.Context, icc.SenderType, string) (Contact, error) {
		return Contact{Name: "Jane", Email: "jane@example.com"}, nil
	}
	e := newEnv(t, fast(Config{AgentsOnline: noAgents, Contact: contact, ClassifyWorkers: 1}))
	conv, tok := e.start("Printer")
	c := e.customer(conv, tok)
	c.subscribe(conv.ID, 0)
	c.expect(TypeSubscribed)
	c.message(conv.ID, "c1", "my printer is on fire")
	c.expect(TypeAck)
	c.expect(TypeMessage)
	notice := c.expect(TypeMessage).msg(t)
	assert.Equal(t, icc.SenderSystem, notice.SenderType)
	assert.Equal(t, textOfflineHere, notice.Body)
	assert.NotContains(t, strings.ToLower(notice.Body), "email")
	assert.Contains(t, notice.Body, "answer you here")

	c.message(conv.ID, "c2", "reach me at jane.doe@example.com please")
	c.expect(TypeAck)
	second := c.expect(TypeMessage).msg(t)
	// The one worker handles messages in order: once another
	// conversation's notice is there, the second message was handled.
	other, otherTok := e.start("other")
	oc := e.customer(other, otherTok)
	oc.subscribe(other.ID, 0)
	oc.expect(TypeSubscribed)
	oc.message(other.ID, "o1", "hello")
	oc.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderSystem })

	msgs, err := e.store.ListMessages(context.Background(), conv.ID, 0, 100)
	require.NoError(t, err)
	require.Len(t, msgs, 3, "no ticket note, no second notice: %+v", msgs)
	assert.Equal(t, second.ID, msgs[2].ID)
	got, err := e.store.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.Empty(t, got.TicketID)
}

// refundClassifier suggests the same canned reply for a refund question
// and a follow-up that only adds detail, as a keyword classifier does, and
// another one about invoices.
type refundClassifier struct{}

const (
	refundReply  = "You can ask for a refund from your order page within 30 days."
	invoiceReply = "Your invoices are under Billing in your account."
)

func (refundClassifier) Classify(_ context.Context, req classify.Request) (classify.Result, error) {
	r := classify.Result{Category: classify.CategoryBilling, Priority: classify.PriorityMedium, Sentiment: classify.SentimentNeutral,
		Confidence: 0.9, Intent: "refund", SuggestedReply: refundReply, Model: "fake"}
	if strings.Contains(strings.ToLower(req.Body), "invoice") {
		r.Intent, r.SuggestedReply = "invoice", invoiceReply
	}
	return r, nil
}

// TestBotDoesNotRepeat: with no agent online and no known address, the bot
// answers a question with the classifier's canned reply; a follow-up for
// which the classifier suggests the same reply gets no second copy (the
// typing indicator is withdrawn), while a new question gets its answer.
func TestBotDoesNotRepeat(t *testing.T) {
	_, st, conv, c := offlineDeskEnv(t, Config{Classifier: refundClassifier{}, ClassifyWorkers: 1})
	isBot := func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderBot }

	c.message(conv.ID, "c1", "How can I get a refund for my order?")
	assert.Equal(t, refundReply, c.until(isBot).msg(t).Body)

	c.message(conv.ID, "c2", "thanks, it was order 1234")
	withdrawn := c.until(func(f frame) bool { return f.Type == TypeTyping && !f.Typing })
	assert.Equal(t, string(icc.SenderBot), withdrawn.SenderType)

	c.message(conv.ID, "c3", "and where is my invoice?")
	assert.Equal(t, invoiceReply, c.until(isBot).msg(t).Body)

	msgs, err := st.ListMessages(context.Background(), conv.ID, 0, 100)
	require.NoError(t, err)
	var bodies []string
	for _, m := range msgs {
		if m.SenderType == icc.SenderBot {
			bodies = append(bodies, m.Body)
		}
	}
	assert.Equal(t, []string{refundReply, invoiceReply}, bodies)
	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.Empty(t, got.TicketID, "no address given: no ticket")
}

// TestConvertToTicket: an agent turns a conversation into a ticket.
func TestConvertToTicket(t *testing.T) {
	st := newMemory(t)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	e := newEnv(t, fast(Config{Store: st, Bus: st, Tickets: desk}))
	cust := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, st.CreateCustomer(context.Background(), cust))
	conv, _, err := e.hub.StartConversation(context.Background(), cust.ID, "")
	require.NoError(t, err)
	for _, body := range []string{"I was charged twice", "order 1234"} {
		_, err := e.hub.Send(context.Background(), icc.NewMessage{ConversationID: conv.ID, SenderType: icc.SenderCustomer, SenderID: cust.ID, Body: body})
		require.NoError(t, err)
	}
	ticket, err := e.hub.ConvertToTicket(context.Background(), conv.ID, icc.NewTicket{Tags: []string{"chat"}})
	require.NoError(t, err)
	assert.Equal(t, "Chat conversation", ticket.Subject)
	assert.Equal(t, cust.ID, ticket.CustomerID)
	assert.Contains(t, ticket.Body, "I was charged twice")
	assert.Contains(t, ticket.Body, "order 1234")
	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.Equal(t, ticket.ID, got.TicketID)
}

// TestNotices: the host's notices are posted once per key and conversation,
// in conversations handed to a human too, and bad ones are dropped.
func TestNotices(t *testing.T) {
	e := newEnv(t, fast(Config{
		Classifier:      fakeClassifier{},
		ClassifyWorkers: 1, // jobs run in order, which the test relies on
		Notices: func(_ context.Context, _ *icc.Conversation, m icc.Message) []Notice {
			if !strings.Contains(strings.ToLower(m.Body), "erp") {
				return nil
			}
			return []Notice{
				{Key: "erp", Body: "We know the ERP is down."},
				{Key: strings.Repeat("k", MaxNoticeKey+1), Body: "dropped: key too long"},
				{Key: "empty"},
			}
		},
	}))
	conv, tok := e.start("help")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)

	cust.message(conv.ID, "c1", "the ERP is broken")
	cust.expect(TypeAck)
	cust.expect(TypeMessage)
	notice := cust.expect(TypeMessage).msg(t)
	assert.Equal(t, icc.SenderSystem, notice.SenderType)
	assert.Equal(t, "We know the ERP is down.", notice.Body)
	assert.Equal(t, "notice:erp", notice.ClientID)
	cust.message(conv.ID, "c2", "erp still broken")
	cust.expect(TypeAck)
	cust.expect(TypeMessage)

	// Escalated: the escalation message, then the notice.
	other, otherTok := e.start("other")
	c2 := e.customer(other, otherTok)
	c2.subscribe(other.ID, 0)
	c2.expect(TypeSubscribed)
	c2.message(other.ID, "x", "my lawyer says the ERP lost my order")
	c2.expect(TypeAck)
	c2.expect(TypeMessage)
	assert.Equal(t, textEscalated, c2.expect(TypeMessage).msg(t).Body)
	assert.Equal(t, "We know the ERP is down.", c2.expect(TypeMessage).msg(t).Body)

	// The single worker handled c2 before x: one notice in the first
	// conversation.
	msgs, err := e.store.ListMessages(context.Background(), conv.ID, 0, 100)
	require.NoError(t, err)
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ClientID)
	}
	assert.Equal(t, []string{"c1", "notice:erp", "c2"}, ids)
}

// TestTriageStored: the classification of a customer message is stored
// with the conversation before its frame goes out, so an agent who opens
// the conversation later sees it; a sensitive message's has no suggested
// reply, as in the frame.
func TestTriageStored(t *testing.T) {
	e := newEnv(t, fast(Config{Classifier: fakeClassifier{}}))
	conv, tok := e.start("help")
	observer := e.agent("a1")
	observer.subscribe(conv.ID, 0)
	observer.expect(TypeSubscribed)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	stored := func() *icc.Conversation {
		t.Helper()
		c, err := e.store.GetConversation(context.Background(), conv.ID)
		require.NoError(t, err)
		return c
	}
	assert.Nil(t, stored().Triage, "nothing classified yet")

	cust.message(conv.ID, "c1", "hello there")
	first := cust.until(func(f frame) bool { return f.Type == TypeAck }).Seq
	f := observer.until(func(f frame) bool { return f.Type == TypeClassification && f.Seq == first })
	got := stored()
	require.NotNil(t, got.Triage, "stored before the frame was sent")
	tr := got.Triage
	assert.Equal(t, first, tr.Seq)
	assert.Equal(t, classify.CategoryGeneral, tr.Category)
	assert.Equal(t, classify.PriorityLow, tr.Priority)
	assert.Equal(t, "greeting", tr.Intent)
	assert.Equal(t, "fake", tr.Model)
	assert.Equal(t, f.Classification.SuggestedReply, tr.SuggestedReply)
	assert.Equal(t, "Hello! How can I help?", tr.SuggestedReply)
	assert.WithinDuration(t, time.Now(), tr.At, time.Minute)
	assert.Equal(t, conv.Version, got.Version, "a triage is not an update of the conversation")

	cust.message(conv.ID, "c2", "my password is hunter2")
	second := cust.until(func(f frame) bool { return f.Type == TypeAck }).Seq
	f = observer.until(func(f frame) bool { return f.Type == TypeClassification && f.Seq == second })
	assert.Empty(t, f.Classification.SuggestedReply)
	tr = stored().Triage
	require.NotNil(t, tr)
	assert.Equal(t, second, tr.Seq, "the newer message's triage replaces the older")
	assert.Equal(t, classify.CategorySensitive, tr.Category)
	assert.Empty(t, tr.SuggestedReply, "never a suggested reply for a sensitive message")
}

// noTriageStore fails every SetConversationTriage.
type noTriageStore struct {
	icc.ConversationStore
	calls atomic.Int32
}

func (s *noTriageStore) SetConversationTriage(context.Context, string, icc.Triage) error {
	s.calls.Add(1)
	return icc.Unavailable(nil, "triage store down")
}

// TestTriageStoreFails: when the triage cannot be stored, the agents still
// get the classification frame and the bot still answers.
func TestTriageStoreFails(t *testing.T) {
	st := newMemory(t)
	failing := &noTriageStore{ConversationStore: st}
	e := newEnv(t, fast(Config{Store: failing, Bus: st, Classifier: fakeClassifier{}, AgentsOnline: noAgents}))
	conv, tok := e.start("help")
	observer := e.agent("a1")
	observer.subscribe(conv.ID, 0)
	observer.expect(TypeSubscribed)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)

	cust.message(conv.ID, "c1", "hello there")
	seq := cust.expect(TypeAck).Seq
	f := observer.until(func(f frame) bool { return f.Type == TypeClassification })
	assert.Equal(t, seq, f.Seq)
	bot := cust.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderBot }).msg(t)
	assert.Equal(t, "Hello! How can I help?", bot.Body)
	assert.EqualValues(t, 1, failing.calls.Load())
	c, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.Nil(t, c.Triage)
}
