package chat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

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
