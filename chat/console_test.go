package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

// convertEnv is a hub with a desk and a conversation of a known customer.
type convertEnv struct {
	*env
	st   *memory.Store
	cust *icc.Customer
	conv *icc.Conversation
}

func newConvertEnv(t *testing.T) *convertEnv {
	t.Helper()
	st := newMemory(t)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	e := newEnv(t, fast(Config{Store: st, Bus: st, Tickets: desk}))
	cust := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, st.CreateCustomer(context.Background(), cust))
	conv, _, err := e.hub.StartConversation(context.Background(), cust.ID, "Refund")
	require.NoError(t, err)
	return &convertEnv{env: e, st: st, cust: cust, conv: conv}
}

// say stores n customer messages "<prefix> <i>.", each padded to size
// bytes or more, in one batch.
func (e *convertEnv) say(t *testing.T, prefix string, n, size int) {
	t.Helper()
	msgs := make([]icc.NewMessage, n)
	for i := range msgs {
		body := fmt.Sprintf("%s %d.", prefix, i+1)
		body += strings.Repeat("x", max(0, size-len(body)))
		msgs[i] = icc.NewMessage{ConversationID: e.conv.ID, ClientID: fmt.Sprint(prefix, i), SenderType: icc.SenderCustomer, SenderID: e.cust.ID, Body: body}
	}
	_, err := e.st.AppendMessages(context.Background(), msgs)
	require.NoError(t, err)
}

// TestConvertToTicketRefusesLongNote: a note longer than a ticket body is
// refused naming the body, and nothing is created or linked.
func TestConvertToTicketRefusesLongNote(t *testing.T) {
	e := newConvertEnv(t)
	e.say(t, "hello", 1, 0)
	_, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{Body: strings.Repeat("n", icc.MaxBodyLen+1), CustomerEmail: "bob.work@example.com"})
	require.ErrorIs(t, err, icc.ErrInvalid)
	assert.Equal(t, "body", icc.ErrorField(err))

	// A note that fits alone but not with the contact line is refused too.
	_, err = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{Body: strings.Repeat("n", icc.MaxBodyLen-5), CustomerEmail: "bob.work@example.com"})
	require.ErrorIs(t, err, icc.ErrInvalid)
	assert.Equal(t, "body", icc.ErrorField(err))

	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Empty(t, got.TicketID)
	p, err := e.st.ListTickets(context.Background(), icc.TicketFilter{})
	require.NoError(t, err)
	assert.Empty(t, p.Items)
}

// TestConvertToTicketShortensTranscript: when note, contact line and
// transcript exceed a ticket body, the note and the contact line are kept
// whole and the transcript keeps its most recent messages, saying how many
// earlier ones were left out.
func TestConvertToTicketShortensTranscript(t *testing.T) {
	e := newConvertEnv(t)
	e.say(t, "msg", 20, 4000)
	note := strings.Repeat("n", 50_000)
	tk, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{Body: note, CustomerEmail: "bob.work@example.com"})
	require.NoError(t, err)

	assert.LessOrEqual(t, len(tk.Body), icc.MaxBodyLen)
	head := note + "\nContact email: bob.work@example.com\n\n"
	require.True(t, strings.HasPrefix(tk.Body, head), "the note and the contact line are whole")
	transcript := strings.TrimPrefix(tk.Body, head)
	lines := strings.Split(strings.TrimSuffix(transcript, "\n"), "\n")
	require.Greater(t, len(lines), 1)
	kept := len(lines) - 1
	assert.Equal(t, fmt.Sprintf("[%d earlier messages left out to fit the ticket]", 20-kept), lines[0])
	for i, l := range lines[1:] {
		assert.Contains(t, l, fmt.Sprintf(": msg %d.", 20-kept+1+i), "the most recent messages, in order")
	}
	assert.Equal(t, e.cust.ID, tk.CustomerID, "the contact address does not change the customer")

	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Equal(t, tk.ID, got.TicketID)
}

// TestConvertToTicketLongConversation: a transcript longer than a ticket
// body keeps its most recent messages, read across pages.
func TestConvertToTicketLongConversation(t *testing.T) {
	e := newConvertEnv(t)
	n := 2 * icc.MaxLimit
	e.say(t, "m", n, 20)
	tk, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.NoError(t, err)

	assert.LessOrEqual(t, len(tk.Body), icc.MaxBodyLen)
	assert.Greater(t, len(tk.Body), icc.MaxBodyLen-400, "the transcript fills the body")
	lines := strings.Split(tk.Body, "\n")
	kept := len(lines) - 1
	require.Greater(t, kept, icc.MaxLimit, "more than a page")
	assert.Equal(t, fmt.Sprintf("[%d earlier messages left out to fit the ticket]", n-kept), lines[0])
	assert.Contains(t, lines[1], fmt.Sprintf(": m %d.", n-kept+1))
	assert.Contains(t, lines[len(lines)-1], fmt.Sprintf(": m %d.", n), "the last message is kept")
}

// TestConvertToTicketWholeTranscript: a transcript that fits is kept whole,
// without a notice.
func TestConvertToTicketWholeTranscript(t *testing.T) {
	e := newConvertEnv(t)
	e.say(t, "m", 3, 0)
	tk, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{Body: "Wants a refund."})
	require.NoError(t, err)
	lines := strings.Split(tk.Body, "\n")
	require.Len(t, lines, 5, tk.Body)
	assert.Equal(t, "Wants a refund.", lines[0])
	assert.Empty(t, lines[1])
	for i, l := range lines[2:] {
		assert.Contains(t, l, fmt.Sprintf(": m %d.", i+1))
	}
	assert.NotContains(t, tk.Body, "left out")
}

// racingDesk is a desk under which another writer turns the conversation
// into a ticket while a ticket is being created.
type racingDesk struct {
	TicketCreator
	st *memory.Store
}

func (d racingDesk) CreateTicket(ctx context.Context, in icc.NewTicket) (*icc.Ticket, error) {
	t, err := d.TicketCreator.CreateTicket(ctx, in)
	if err != nil {
		return nil, err
	}
	c, err := d.st.GetConversation(ctx, in.ConversationID)
	if err != nil {
		return nil, err
	}
	c.TicketID = "other-ticket"
	return t, d.st.UpdateConversation(ctx, c)
}

// TestConvertToTicketKeepsFirstLink: a conversation converted meanwhile
// keeps its ticket; the late conversion is ECONFLICT.
func TestConvertToTicketKeepsFirstLink(t *testing.T) {
	st := newMemory(t)
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	e := newEnv(t, fast(Config{Store: st, Bus: st, Tickets: racingDesk{desk, st}}))
	cust := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, st.CreateCustomer(context.Background(), cust))
	conv, _, err := e.hub.StartConversation(context.Background(), cust.ID, "Refund")
	require.NoError(t, err)

	_, err = e.hub.ConvertToTicket(context.Background(), conv.ID, icc.NewTicket{})
	assert.ErrorIs(t, err, icc.ErrConflict)
	got, err := st.GetConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	assert.Equal(t, "other-ticket", got.TicketID)
}

// TestConvertToTicketConcurrently: conversions of one conversation racing
// each other (two agents, two instances) make one ticket; the others are
// ECONFLICT and leave no ticket behind.
func TestConvertToTicketConcurrently(t *testing.T) {
	e := newConvertEnv(t)
	e.say(t, "hello", 1, 0)
	errs := make([]error, 6)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			assert.ErrorIs(t, err, icc.ErrConflict)
		}
	}
	assert.Equal(t, 1, won)
	page, err := e.st.ListTickets(context.Background(), icc.TicketFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "no orphan tickets")
	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Equal(t, page.Items[0].ID, got.TicketID)
	assert.Equal(t, e.conv.ID, page.Items[0].ConversationID)
}

// flakyLinkStore refuses the next links of a conversation to a ticket
// (UpdateConversation with a ticket id): with a database blip
// (EUNAVAILABLE), or, with hang set, by holding them until their context
// ends.
type flakyLinkStore struct {
	icc.ConversationStore
	mu    sync.Mutex
	fails int
	hang  bool
}

func (s *flakyLinkStore) UpdateConversation(ctx context.Context, c *icc.Conversation) error {
	s.mu.Lock()
	fail := c.TicketID != "" && s.fails > 0
	if fail {
		s.fails--
	}
	hang := s.hang
	s.mu.Unlock()
	switch {
	case fail && hang:
		<-ctx.Done()
		return ctx.Err()
	case fail:
		return icc.Unavailable(nil, "database blip")
	}
	return s.ConversationStore.UpdateConversation(ctx, c)
}

// cancelAfterCreate is a desk whose caller's context ends right after the
// ticket is stored, as when the agent's HTTP request is abandoned (or
// Shutdown's deadline passes) between creating the ticket and linking it.
type cancelAfterCreate struct {
	*icc.Desk
	cancel context.CancelFunc
}

func (d cancelAfterCreate) CreateTicket(ctx context.Context, in icc.NewTicket) (*icc.Ticket, error) {
	t, err := d.Desk.CreateTicket(ctx, in)
	d.cancel()
	return t, err
}

// creatorOnly hides every method of a TicketCreator but CreateTicket, as a
// host's own ticket system may.
type creatorOnly struct{ TicketCreator }

// interruptEnv is newConvertEnv on a store whose links to tickets fail
// as flaky says, with tickets(desk) as Config.Tickets.
func interruptEnv(t *testing.T, flaky *flakyLinkStore, tickets func(*icc.Desk) TicketCreator, cfg Config) *convertEnv {
	t.Helper()
	st := newMemory(t)
	flaky.ConversationStore = st
	desk, err := icc.NewDesk(icc.DeskConfig{Store: st})
	require.NoError(t, err)
	cfg.Store, cfg.Bus, cfg.Tickets = flaky, st, tickets(desk)
	e := newEnv(t, fast(cfg))
	cust := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, st.CreateCustomer(context.Background(), cust))
	conv, _, err := e.hub.StartConversation(context.Background(), cust.ID, "Refund")
	require.NoError(t, err)
	return &convertEnv{env: e, st: st, cust: cust, conv: conv}
}

// ticketNotes returns the conversation's "now ticket #N" system messages.
func (e *convertEnv) ticketNotes(t *testing.T) []icc.Message {
	t.Helper()
	msgs, err := e.st.ListMessages(context.Background(), e.conv.ID, 0, icc.MaxLimit)
	require.NoError(t, err)
	var out []icc.Message
	for _, m := range msgs {
		if m.ClientID == clientTicket {
			out = append(out, m)
		}
	}
	return out
}

// requireConvertedOnce asserts that the conversation is linked to its one
// ticket and that the customer was told so once.
func (e *convertEnv) requireConvertedOnce(t *testing.T) *icc.Ticket {
	t.Helper()
	page, err := e.st.ListTickets(context.Background(), icc.TicketFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "one ticket")
	tk := page.Items[0]
	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Equal(t, tk.ID, got.TicketID, "the conversation names its ticket")
	notes := e.ticketNotes(t)
	require.Len(t, notes, 1, "the customer is told once")
	assert.Equal(t, icc.SenderSystem, notes[0].SenderType)
	assert.Contains(t, notes[0].Body, fmt.Sprintf("ticket #%d;", tk.Number))
	return tk
}

// TestConvertToTicketSurvivesCancel: a caller whose context ends once the
// ticket is stored does not leave the ticket unlinked: the conversion
// completes, and a later one is ECONFLICT without a second message.
func TestConvertToTicketSurvivesCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := interruptEnv(t, &flakyLinkStore{}, func(d *icc.Desk) TicketCreator { return cancelAfterCreate{d, cancel} }, Config{})
	e.say(t, "hello", 1, 0)

	tk, err := e.hub.ConvertToTicket(ctx, e.conv.ID, icc.NewTicket{})
	require.NoError(t, err)
	require.Error(t, ctx.Err(), "the caller's context ended before the link")
	assert.Equal(t, tk.ID, e.requireConvertedOnce(t).ID)

	_, err = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrConflict)
	e.requireConvertedOnce(t)
}

// TestConvertToTicketLinkBounded: a link that hangs, under a caller that
// left, ends after Config.StoreTimeout, not with the caller's context,
// returning the ticket; the next conversion completes it and is ECONFLICT.
func TestConvertToTicketLinkBounded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	flaky := &flakyLinkStore{fails: 1, hang: true}
	e := interruptEnv(t, flaky, func(d *icc.Desk) TicketCreator { return cancelAfterCreate{d, cancel} },
		Config{StoreTimeout: 200 * time.Millisecond})
	e.say(t, "hello", 1, 0)

	tk, err := e.hub.ConvertToTicket(ctx, e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, context.DeadlineExceeded, "bounded by the store timeout")
	assert.NotErrorIs(t, err, context.Canceled, "not ended by the caller")
	require.NotNil(t, tk, "the stored ticket is returned with the error")
	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Empty(t, got.TicketID)
	assert.Empty(t, e.ticketNotes(t))

	_, err = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrConflict)
	assert.Equal(t, tk.ID, e.requireConvertedOnce(t).ID)
}

// TestConvertToTicketFinishesInterrupted: when the link fails after the
// ticket was stored (a database blip), the next conversion finds the
// ticket, links the conversation and tells the customer, and answers
// ECONFLICT: the ticket was made by the first call. Later ones change
// nothing.
func TestConvertToTicketFinishesInterrupted(t *testing.T) {
	e := interruptEnv(t, &flakyLinkStore{fails: 1}, func(d *icc.Desk) TicketCreator { return d }, Config{})
	e.say(t, "hello", 1, 0)

	tk, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrUnavailable)
	require.NotNil(t, tk)
	assert.Empty(t, e.ticketNotes(t))

	for range 2 {
		_, err = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
		require.ErrorIs(t, err, icc.ErrConflict)
		assert.Equal(t, icc.ECONFLICT, icc.ErrorCode(err))
		assert.Equal(t, tk.ID, e.requireConvertedOnce(t).ID)
	}
}

// TestConvertToTicketInterruptedWithoutFinder: a Config.Tickets that
// cannot find a conversation's ticket keeps the earlier behaviour: the
// conversation stays unlinked and every conversion is ECONFLICT.
func TestConvertToTicketInterruptedWithoutFinder(t *testing.T) {
	e := interruptEnv(t, &flakyLinkStore{fails: 1}, func(d *icc.Desk) TicketCreator { return creatorOnly{d} }, Config{})
	_, err := e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrUnavailable)

	_, err = e.hub.ConvertToTicket(context.Background(), e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrConflict)
	assert.Equal(t, "conversation_id", icc.ErrorField(err))
	got, err := e.st.GetConversation(context.Background(), e.conv.ID)
	require.NoError(t, err)
	assert.Empty(t, got.TicketID)
	assert.Empty(t, e.ticketNotes(t))
}

// TestOfflineFinishesInterruptedConversion: when the assistant's
// conversion of a conversation whose customer's address is known fails
// after the ticket was stored, the customer's next message links the
// conversation to that ticket and tells the customer, once, instead of
// failing on every message.
func TestOfflineFinishesInterruptedConversion(t *testing.T) {
	contact := func(context.Context, icc.SenderType, string) (Contact, error) {
		return Contact{Name: "Bob", Email: "bob@example.com"}, nil
	}
	e := interruptEnv(t, &flakyLinkStore{fails: 1}, func(d *icc.Desk) TicketCreator { return d },
		Config{AgentsOnline: noAgents, Contact: contact, ClassifyWorkers: 1})
	c, tok, err := e.hub.StartConversation(context.Background(), e.cust.ID, "Printer")
	require.NoError(t, err)
	e.conv = c
	cust := e.customer(e.conv, tok)
	cust.subscribe(e.conv.ID, 0)
	cust.expect(TypeSubscribed)

	isNote := func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderSystem }
	cust.message(e.conv.ID, "c1", "my printer is on fire")
	assert.Equal(t, fmt.Sprintf(textOfflineKnown, "bob@example.com"), cust.until(isNote).msg(t).Body)
	cust.message(e.conv.ID, "c2", "still on fire") // converts; the link fails
	cust.message(e.conv.ID, "c3", "hello?")        // finishes the conversion
	note := cust.until(isNote).msg(t)
	assert.Equal(t, clientTicket, note.ClientID)

	tk := e.requireConvertedOnce(t) // the interrupted conversion's: no second ticket
	assert.Contains(t, tk.Body, "still on fire")
	assert.Equal(t, fmt.Sprintf("This conversation is now ticket #%d; we will answer by email.", tk.Number), note.Body)
}

// TestConvertToTicketTellsCustomerOnRetry: a conversion whose link was
// stored but whose system message was not (the hub was stopping) is told
// to the customer by the next attempt, which still answers 409.
func TestConvertToTicketTellsCustomerOnRetry(t *testing.T) {
	e := newConvertEnv(t)
	e.say(t, "hello", 1, 0)
	ctx := context.Background()
	desk, err := icc.NewDesk(icc.DeskConfig{Store: e.st})
	require.NoError(t, err)
	tk, err := desk.CreateTicket(ctx, icc.NewTicket{Subject: "Refund", CustomerID: e.cust.ID, ConversationID: e.conv.ID})
	require.NoError(t, err)
	conv, err := e.st.GetConversation(ctx, e.conv.ID)
	require.NoError(t, err)
	conv.TicketID = tk.ID
	require.NoError(t, e.st.UpdateConversation(ctx, conv)) // linked, never told

	_, err = e.hub.ConvertToTicket(ctx, e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrConflict)
	_, err = e.hub.ConvertToTicket(ctx, e.conv.ID, icc.NewTicket{})
	require.ErrorIs(t, err, icc.ErrConflict)
	msgs, err := e.st.ListMessages(ctx, e.conv.ID, 0, 100)
	require.NoError(t, err)
	told := 0
	for _, m := range msgs {
		if m.SenderType == icc.SenderSystem && strings.Contains(m.Body, fmt.Sprintf("ticket #%d", tk.Number)) {
			told++
		}
	}
	assert.Equal(t, 1, told, "told once")
}
