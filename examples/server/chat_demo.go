package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/icclabs/commandcenter/icc"
)

// demoChatLine is one message of a demo conversation.
type demoChatLine struct {
	from icc.SenderType // customer or agent
	body string
}

// demoChat is a demo conversation: whose it is, who handles it, what was
// said, and how far the agent has read.
type demoChat struct {
	customer int    // index into demoCustomers
	agent    string // email of the assigned agent, "" for none
	subject  string
	lines    []demoChatLine
	read     int64 // the assigned agent's read mark
}

func demoChats() []demoChat {
	return []demoChat{
		{customer: 0, agent: "tom@example.com", subject: "Order sync stuck again", read: 2, lines: []demoChatLine{
			{icc.SenderCustomer, "Hi, our order sync to the ERP has been stuck for ten minutes."},
			{icc.SenderAgent, "Hi Lena, I am looking at it now. Do you see an error code?"},
			{icc.SenderCustomer, "Yes: HTTP 502 on /v2/orders/sync, every retry."},
		}},
		// Unassigned and with nobody online, so the hub tells the customer
		// and the bot may answer.
		{customer: 1, subject: "Where is my invoice?", lines: []demoChatLine{
			{icc.SenderCustomer, "Hello, where can I download last month's invoice?"},
		}},
	}
}

// seedDemo adds the demo conversations through the hub, so they are stored,
// classified and announced like real ones. It needs the demo customers and
// agents (server.seedDemo) and adds nothing when the first demo customer
// already has a conversation, so it may run at every start.
func (a *chatAPI) seedDemo(ctx context.Context) error {
	st := a.s.backend
	custs := demoCustomers()
	first, err := st.GetCustomerByEmail(ctx, custs[0].email)
	if errors.Is(err, icc.ErrNotFound) {
		a.s.logger.InfoContext(ctx, "no demo customers; demo conversations skipped")
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo chat: %w", err)
	}
	page, err := st.ListConversations(ctx, icc.ConversationFilter{CustomerID: &first.ID, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo chat: %w", err)
	}
	if len(page.Items) > 0 {
		a.s.logger.InfoContext(ctx, "demo conversations already present")
		return nil
	}

	chats := demoChats()
	for _, d := range chats {
		cust, err := st.GetCustomerByEmail(ctx, custs[d.customer].email)
		if err != nil {
			return fmt.Errorf("demo chat: customer %s: %w", custs[d.customer].email, err)
		}
		var agentID string
		if d.agent != "" {
			ag, err := st.GetAgentByEmail(ctx, d.agent)
			if err != nil {
				return fmt.Errorf("demo chat: agent %s: %w", d.agent, err)
			}
			agentID = ag.ID
		}
		c, _, err := a.hub.StartConversation(ctx, cust.ID, d.subject)
		if err != nil {
			return fmt.Errorf("demo chat %q: %w", d.subject, err)
		}
		// Assigned before anybody writes, so the bot stays out of it.
		if agentID != "" {
			if _, err := a.hub.Assign(ctx, c.ID, agentID); err != nil {
				return fmt.Errorf("demo chat %q: %w", d.subject, err)
			}
		}
		for i, l := range d.lines {
			m := icc.NewMessage{ConversationID: c.ID, ClientID: fmt.Sprintf("demo:%d", i), SenderType: l.from, SenderID: cust.ID, Body: l.body}
			if l.from == icc.SenderAgent {
				m.SenderID = agentID
			}
			if _, err := a.hub.Send(ctx, m); err != nil {
				return fmt.Errorf("demo chat %q: %w", d.subject, err)
			}
		}
		if agentID != "" && d.read > 0 {
			if _, err := st.SetReadMark(ctx, icc.ReadMark{ConversationID: c.ID, ParticipantID: agentID, Seq: d.read}); err != nil {
				return fmt.Errorf("demo chat %q: %w", d.subject, err)
			}
		}
	}
	a.s.logger.InfoContext(ctx, "demo conversations seeded", "conversations", len(chats))
	return nil
}
