package storagetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// newCustomer stores a customer with a unique email.
func newCustomer(t *testing.T, st icc.Store, mods ...func(*icc.Customer)) *icc.Customer {
	t.Helper()
	c := &icc.Customer{Email: unique("c") + "@example.com", Name: "Customer"}
	for _, m := range mods {
		m(c)
	}
	require.NoError(t, st.CreateCustomer(ctx(t), c))
	return c
}

// newAgent stores an agent with a unique email.
func newAgent(t *testing.T, st icc.Store, mods ...func(*icc.Agent)) *icc.Agent {
	t.Helper()
	a := &icc.Agent{Email: unique("a") + "@example.com", Name: "Agent"}
	for _, m := range mods {
		m(a)
	}
	require.NoError(t, st.CreateAgent(ctx(t), a))
	return a
}

// newTicket stores a ticket of customer.
func newTicket(t *testing.T, st icc.Store, customerID string, mods ...func(*icc.Ticket)) *icc.Ticket {
	t.Helper()
	tk := &icc.Ticket{Subject: "Help", Body: "Something broke", CustomerID: customerID}
	for _, m := range mods {
		m(tk)
	}
	require.NoError(t, st.CreateTicket(ctx(t), tk))
	return tk
}

// newConversation stores a conversation with a new customer.
func newConversation(t *testing.T, st icc.Store, mods ...func(*icc.Conversation)) *icc.Conversation {
	t.Helper()
	c := &icc.Conversation{CustomerID: newCustomer(t, st).ID, Subject: "Chat"}
	for _, m := range mods {
		m(c)
	}
	require.NoError(t, st.CreateConversation(ctx(t), c))
	return c
}

// newIntegration stores an integration with a unique name.
func newIntegration(t *testing.T, st icc.Store, mods ...func(*icc.Integration)) *icc.Integration {
	t.Helper()
	in := &icc.Integration{Name: unique("integration-"), Kind: icc.KindCRM}
	for _, m := range mods {
		m(in)
	}
	require.NoError(t, st.CreateIntegration(ctx(t), in))
	return in
}

// ids returns the ids of items.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func customerID(c *icc.Customer) string             { return c.ID }
func agentID(a *icc.Agent) string                   { return a.ID }
func ticketID(t *icc.Ticket) string                 { return t.ID }
func conversationID(c *icc.Conversation) string     { return c.ID }
func integrationID(in *icc.Integration) string      { return in.ID }
func resultID(r icc.CheckResult) string             { return r.ID }
func logID(l icc.IntegrationLog) string             { return l.ID }
func maintenanceID(m *icc.MaintenanceWindow) string { return m.ID }
func alertID(a *icc.Alert) string                   { return a.ID }

// reversed returns a reversed copy of s.
func reversed[T any](s []T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
