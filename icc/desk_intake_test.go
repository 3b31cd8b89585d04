package icc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// customerCount is how many customers the store has.
func (e *deskEnv) customerCount(t *testing.T) int {
	t.Helper()
	p, err := e.store.ListCustomers(e.ctx, icc.CustomerFilter{Limit: icc.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

// ticketCount is how many tickets the store has.
func (e *deskEnv) ticketCount(t *testing.T) int {
	t.Helper()
	p, err := e.store.ListTickets(e.ctx, icc.TicketFilter{Limit: icc.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

// TestDeskCreateChecksConversation: a ticket names only a conversation of
// its customer that has no ticket yet; anything else writes nothing.
func TestDeskCreateChecksConversation(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := &icc.Customer{Email: "ann@example.com"}
	bob := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, e.store.CreateCustomer(e.ctx, ann))
	require.NoError(t, e.store.CreateCustomer(e.ctx, bob))
	conv := &icc.Conversation{CustomerID: ann.ID, Subject: "Refund"}
	require.NoError(t, e.store.CreateConversation(e.ctx, conv))

	for _, tt := range []struct {
		name  string
		in    icc.NewTicket
		field string
	}{
		{"unknown conversation", icc.NewTicket{Subject: "x", CustomerEmail: "a@x.example", ConversationID: "does-not-exist"}, "conversation_id"},
		{"another customer's, by email", icc.NewTicket{Subject: "x", CustomerEmail: "new@x.example", ConversationID: conv.ID}, "customer_email"},
		{"another customer's, by existing email", icc.NewTicket{Subject: "x", CustomerEmail: "BOB@example.com", ConversationID: conv.ID}, "customer_email"},
		{"another customer's, by id", icc.NewTicket{Subject: "x", CustomerID: bob.ID, ConversationID: conv.ID}, "customer_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.desk.CreateTicket(e.ctx, tt.in)
			require.ErrorIs(t, err, icc.ErrInvalid)
			assert.Equal(t, tt.field, icc.ErrorField(err))
		})
	}
	assert.Equal(t, 2, e.customerCount(t), "no customer was created")
	assert.Zero(t, e.ticketCount(t))

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Refund", CustomerEmail: " Ann@Example.com ", ConversationID: conv.ID})
	require.NoError(t, err)
	assert.Equal(t, conv.ID, tk.ConversationID)
	assert.Equal(t, ann.ID, tk.CustomerID)

	// Once the conversation is linked, it takes no other ticket.
	conv.TicketID = tk.ID
	require.NoError(t, e.store.UpdateConversation(e.ctx, conv))
	_, err = e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Again", CustomerID: ann.ID, ConversationID: conv.ID})
	assert.ErrorIs(t, err, icc.ErrConflict)
	assert.Equal(t, 1, e.ticketCount(t))
}

// TestDeskCreateCustomerIDAndEmailMustAgree: with both a customer id and
// an email, the email must be that customer's.
func TestDeskCreateCustomerIDAndEmailMustAgree(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := &icc.Customer{Email: "ann@example.com"}
	bob := &icc.Customer{Email: "bob@example.com"}
	require.NoError(t, e.store.CreateCustomer(e.ctx, ann))
	require.NoError(t, e.store.CreateCustomer(e.ctx, bob))

	for _, email := range []string{"bob@example.com", "someone@example.com"} {
		_, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "x", CustomerID: ann.ID, CustomerEmail: email})
		require.ErrorIs(t, err, icc.ErrInvalid, email)
		assert.Equal(t, "customer_email", icc.ErrorField(err), email)
	}
	assert.Equal(t, 2, e.customerCount(t))
	assert.Zero(t, e.ticketCount(t))

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "x", CustomerID: ann.ID, CustomerEmail: " ANN@example.com"})
	require.NoError(t, err)
	assert.Equal(t, ann.ID, tk.CustomerID)
}

// TestNewTicketValidate: Validate refuses what CreateTicket refuses
// without the store, naming the fields of NewTicket.
func TestNewTicketValidate(t *testing.T) {
	for _, tt := range []struct {
		in    icc.NewTicket
		field string
	}{
		{icc.NewTicket{Subject: "x"}, "customer_email"},
		{icc.NewTicket{CustomerEmail: "a@example.com"}, "subject"},
		{icc.NewTicket{Subject: "x", CustomerEmail: "not an email"}, "customer_email"},
		{icc.NewTicket{Subject: "x", CustomerEmail: "a@example.com", CustomerName: strings.Repeat("n", 201)}, "customer_name"},
		{icc.NewTicket{Subject: "x", CustomerEmail: "a@example.com", Body: strings.Repeat("b", icc.MaxBodyLen+1)}, "body"},
		{icc.NewTicket{Subject: "x", CustomerEmail: "a@example.com", Channel: "pigeon"}, "channel"},
		{icc.NewTicket{Subject: "x", CustomerID: "c1", CustomerEmail: "a\x00@example.com"}, "customer_email"},
		{icc.NewTicket{Subject: "x", CustomerID: "c1", ConversationID: "c\x00"}, "conversation_id"},
	} {
		err := tt.in.Validate()
		require.ErrorIs(t, err, icc.ErrInvalid, tt.field)
		assert.Equal(t, tt.field, icc.ErrorField(err))
	}
	assert.NoError(t, icc.NewTicket{Subject: "x", CustomerEmail: "a@example.com", CustomerName: "Ann"}.Validate())
	assert.NoError(t, icc.NewTicket{Subject: "x", CustomerID: "c1"}.Validate())
}

// TestDeskRateNeedsResolvedOrClosed: rating an active ticket is a
// conflict with its state; resolved and closed tickets take a rating.
func TestDeskRateNeedsResolvedOrClosed(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	by := icc.Actor{Type: icc.ActorAgent, ID: "a1"}
	customer := icc.Actor{Type: icc.ActorCustomer}
	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Question", CustomerEmail: "c@example.com"})
	require.NoError(t, err)

	_, err = e.desk.Rate(e.ctx, tk.ID, 5, "", customer)
	require.ErrorIs(t, err, icc.ErrConflict)
	assert.Contains(t, icc.ErrorMessage(err), "resolved or closed")
	_, err = e.desk.Rate(e.ctx, tk.ID, 9, "", customer)
	assert.Equal(t, "rating", icc.ErrorField(err), "a bad rating is still invalid")

	e.clock.Advance(time.Hour)
	closed := icc.StatusClosed
	tk, err = e.desk.UpdateTicket(e.ctx, tk.ID, icc.TicketUpdate{Version: tk.Version, Status: &closed}, by)
	require.NoError(t, err)
	tk, err = e.desk.Rate(e.ctx, tk.ID, 3, "slow", customer)
	require.NoError(t, err)
	assert.Equal(t, 3, tk.Satisfaction.Rating)
}

// TestDeskTicketOfConversation: the desk finds the ticket made from a
// conversation whether or not the conversation names it (a conversion
// interrupted before the link), and says ENOTFOUND when there is none.
func TestDeskTicketOfConversation(t *testing.T) {
	e := newDeskEnv(t, icc.DeskConfig{})
	ann := &icc.Customer{Email: "ann@example.com"}
	require.NoError(t, e.store.CreateCustomer(e.ctx, ann))
	conv := &icc.Conversation{CustomerID: ann.ID, Subject: "Refund"}
	require.NoError(t, e.store.CreateConversation(e.ctx, conv))
	other := &icc.Conversation{CustomerID: ann.ID, Subject: "Other"}
	require.NoError(t, e.store.CreateConversation(e.ctx, other))
	_, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Plain", CustomerID: ann.ID})
	require.NoError(t, err)

	_, err = e.desk.TicketOfConversation(e.ctx, conv.ID)
	require.ErrorIs(t, err, icc.ErrNotFound)

	tk, err := e.desk.CreateTicket(e.ctx, icc.NewTicket{Subject: "Refund", CustomerID: ann.ID, ConversationID: conv.ID})
	require.NoError(t, err)
	got, err := e.desk.TicketOfConversation(e.ctx, conv.ID)
	require.NoError(t, err)
	assert.Equal(t, tk.ID, got.ID)
	assert.Equal(t, tk.Number, got.Number)
	assert.Equal(t, conv.ID, got.ConversationID)

	_, err = e.desk.TicketOfConversation(e.ctx, other.ID)
	require.ErrorIs(t, err, icc.ErrNotFound)
	for _, bad := range []string{"", "c\x00", "a\xffb"} {
		_, err = e.desk.TicketOfConversation(e.ctx, bad)
		require.ErrorIs(t, err, icc.ErrInvalid, "%q", bad)
		assert.Equal(t, "conversation_id", icc.ErrorField(err))
	}
}
