package chat

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/icclabs/commandcenter/icc"
)

// tokenBytes is the entropy of a conversation token.
const tokenBytes = 32

// hashToken is what Conversation.TokenHash holds: the hex SHA-256 of the
// token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartConversation opens a conversation for a customer and returns it with
// the customer's secret token; only the token's hash is stored. The
// customer connects with it (see ServeHTTP and Authenticate), usually as
// the combined token CustomerToken(c.ID, secret).
func (h *Hub) StartConversation(ctx context.Context, customerID, subject string) (*icc.Conversation, string, error) {
	token := icc.NewToken(tokenBytes)
	c := &icc.Conversation{CustomerID: customerID, Subject: strings.TrimSpace(subject), TokenHash: hashToken(token)}
	if err := h.store.CreateConversation(ctx, c); err != nil {
		return nil, "", fmt.Errorf("chat: starting a conversation: %w", err)
	}
	h.dashboard("conversation.started", c.ID, map[string]any{"customer_id": c.CustomerID, "subject": truncate(c.Subject, 200)})
	return c, token, nil
}

// Authenticate returns the customer participant of a conversation when
// token is its token, compared in constant time. Any mismatch, including an
// unknown conversation, is EUNAUTHORIZED.
func (h *Hub) Authenticate(ctx context.Context, conversationID, token string) (Participant, error) {
	denied := icc.Errorf(icc.EUNAUTHORIZED, "invalid conversation token")
	if conversationID == "" || token == "" || len(conversationID) > maxIDLen {
		return Participant{}, denied
	}
	c, err := h.store.GetConversation(ctx, conversationID)
	if errors.Is(err, icc.ErrNotFound) {
		return Participant{}, denied
	}
	if err != nil {
		return Participant{}, fmt.Errorf("chat: authenticate: %w", err)
	}
	if c.TokenHash == "" || subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(c.TokenHash)) != 1 {
		return Participant{}, denied
	}
	return Participant{Role: RoleCustomer, ID: c.CustomerID, ConversationID: c.ID}, nil
}

// AuthenticateToken is Authenticate for a token in the combined form
// "<conversation id>.<secret>" (see CustomerToken), such as RequestToken
// returns. A token of another form is EUNAUTHORIZED.
func (h *Hub) AuthenticateToken(ctx context.Context, token string) (Participant, error) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok {
		return Participant{}, icc.Errorf(icc.EUNAUTHORIZED, "invalid conversation token")
	}
	return h.Authenticate(ctx, id, secret)
}

// Summary is a conversation in an agent's list, with how many of its
// messages the agent has not read.
type Summary struct {
	*icc.Conversation
	// LastRead is the agent's read mark.
	LastRead int64 `json:"last_read"`
	// Unread is LastSeq - LastRead.
	Unread int64 `json:"unread"`
}

// Conversations lists conversations (open ones unless f.Status says
// otherwise), newest first, with the unread counts of agentID.
func (h *Hub) Conversations(ctx context.Context, agentID string, f icc.ConversationFilter) (icc.Page[Summary], error) {
	if f.Status == nil {
		open := icc.ConversationOpen
		f.Status = &open
	}
	page, err := h.store.ListConversations(ctx, f)
	if err != nil {
		return icc.Page[Summary]{}, fmt.Errorf("chat: listing conversations: %w", err)
	}
	out := icc.Page[Summary]{Items: make([]Summary, 0, len(page.Items)), Next: page.Next}
	for _, c := range page.Items {
		s := Summary{Conversation: c}
		marks, err := h.store.ListReadMarks(ctx, c.ID)
		if err != nil {
			return icc.Page[Summary]{}, fmt.Errorf("chat: read marks of %s: %w", c.ID, err)
		}
		for _, m := range marks {
			if m.ParticipantID == agentID {
				s.LastRead = m.Seq
			}
		}
		s.Unread = max(0, c.LastSeq-s.LastRead)
		out.Items = append(out.Items, s)
	}
	return out, nil
}

// update applies change to the stored conversation, retrying when another
// writer got there first.
func (h *Hub) update(ctx context.Context, id string, change func(c *icc.Conversation) error) (*icc.Conversation, error) {
	for attempt := 0; ; attempt++ {
		c, err := h.store.GetConversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(c); err != nil {
			return nil, err
		}
		err = h.store.UpdateConversation(ctx, c)
		if err == nil {
			h.forget(id)
			h.publish(icc.Event{Topic: icc.ConversationTopic(id), Type: evConversation})
			return c, nil
		}
		if !errors.Is(err, icc.ErrConflict) || attempt == 4 {
			return nil, err
		}
	}
}

// Assign makes agentID the agent of the conversation ("" unassigns it) and
// tells the dashboards.
func (h *Hub) Assign(ctx context.Context, conversationID, agentID string) (*icc.Conversation, error) {
	c, err := h.update(ctx, conversationID, func(c *icc.Conversation) error {
		if c.Status != icc.ConversationOpen {
			return icc.Errorf(icc.ECONFLICT, "conversation %q is closed", c.ID)
		}
		c.AssigneeID = agentID
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: assign: %w", err)
	}
	h.dashboard("conversation.assigned", c.ID, map[string]any{"assignee_id": agentID})
	return c, nil
}

// CloseConversation closes a conversation: its participants get a system
// message and can no longer write; the dashboards get an event.
func (h *Hub) CloseConversation(ctx context.Context, conversationID string) (*icc.Conversation, error) {
	if _, err := h.Send(ctx, icc.NewMessage{ConversationID: conversationID, ClientID: clientClosed, SenderType: icc.SenderSystem, Body: textClosed}); err != nil {
		return nil, fmt.Errorf("chat: close: %w", err)
	}
	c, err := h.update(ctx, conversationID, func(c *icc.Conversation) error {
		c.Status = icc.ConversationClosed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: close: %w", err)
	}
	h.dashboard("conversation.closed", c.ID, nil)
	return c, nil
}

// ConvertToTicket opens a ticket from a conversation through
// Config.Tickets. in supplies what the conversation does not know (a note
// in Body, an email address to answer at, tags, a category); the subject
// defaults to the conversation's and the customer is its customer. The
// ticket's body is the note, a "Contact email:" line when in has an email
// address, and the transcript. When they exceed icc.MaxBodyLen the note
// and the contact line are kept whole and the transcript keeps its most
// recent messages, saying how many earlier ones were left out; a note
// that cannot fit is EINVALID naming "body". The conversation keeps the
// ticket's id and its participants get a system message, once.
//
// A conversation becomes a ticket once: a conversation that already has a
// ticket is ECONFLICT. Once the ticket is stored, the link and the message
// are written on a context that ctx's cancellation does not end, each step
// bounded by Config.StoreTimeout, so that a caller who goes away does not
// leave the ticket unlinked. Should they fail all the same (the store
// fails, the hub is shutting down), the error is returned with the
// ticket. A later conversion of that conversation then finds the ticket
// stored with its conversation id, when Config.Tickets is a TicketFinder,
// links the conversation to it and posts the message if that had not been
// done, and still answers ECONFLICT: the ticket was made by an earlier
// call, as when two agents convert at once and exactly one succeeds.
// Without a TicketFinder such a conversation stays unlinked and every
// conversion is ECONFLICT.
func (h *Hub) ConvertToTicket(ctx context.Context, conversationID string, in icc.NewTicket) (*icc.Ticket, error) {
	if h.cfg.Tickets == nil {
		return nil, icc.Errorf(icc.EUNAVAILABLE, "chat: no ticket desk is configured")
	}
	if len(in.Body) > icc.MaxBodyLen {
		return nil, icc.Invalid("body", "must be valid text of at most %d bytes", icc.MaxBodyLen)
	}
	c, err := h.store.GetConversation(ctx, conversationID)
	if err != nil {
		return nil, fmt.Errorf("chat: to ticket: %w", err)
	}
	if c.TicketID != "" {
		// Converted before; finish what that conversion may have left
		// undone (its system message), then answer 409.
		return nil, h.finishConversion(ctx, c.ID, icc.Errorf(icc.ECONFLICT, "conversation %q is already ticket %s", c.ID, c.TicketID))
	}
	head := strings.TrimSpace(in.Body)
	if in.CustomerEmail != "" {
		head = strings.TrimSpace(head + "\nContact email: " + in.CustomerEmail)
		if len(head) > icc.MaxBodyLen {
			return nil, icc.Invalid("body", "must be at most %d bytes with the contact email line", icc.MaxBodyLen-(len(head)-len(strings.TrimSpace(in.Body))))
		}
	}
	budget := icc.MaxBodyLen
	if head != "" {
		budget -= len(head) + len("\n\n")
	}
	transcript, err := h.transcript(ctx, c, budget)
	if err != nil {
		return nil, fmt.Errorf("chat: to ticket: %w", err)
	}
	in.Subject = cmp.Or(in.Subject, c.Subject, "Chat conversation")
	in.CustomerID = cmp.Or(in.CustomerID, c.CustomerID)
	in.CustomerEmail = "" // an address to answer at, noted in the body; the customer is the conversation's
	in.Body = strings.TrimSpace(head + "\n\n" + transcript)
	in.Channel = icc.ChannelChat
	in.ConversationID = c.ID
	t, err := h.cfg.Tickets.CreateTicket(ctx, in)
	if errors.Is(err, errConversationTaken) {
		return nil, h.finishConversion(ctx, c.ID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("chat: to ticket: %w", err)
	}
	if err := h.linkTicket(ctx, c.ID, t); err != nil {
		return t, fmt.Errorf("chat: to ticket: %w", err)
	}
	return t, nil
}

// errConversationTaken matches icc.ConversationTicketTaken: a ticket was
// made from the conversation already.
var errConversationTaken = &icc.Error{Code: icc.ECONFLICT, Field: "conversation_id"}

// errLinked stops Hub.update when the conversation names the ticket
// already.
var errLinked = errors.New("chat: the conversation names the ticket already")

// finishConversion completes an earlier conversion of a conversation
// whose ticket is stored (taken is the ticket creator's
// icc.ConversationTicketTaken): when Config.Tickets is a TicketFinder it
// links the conversation to that ticket and posts the system message,
// both once. It returns ECONFLICT when that worked or there is nothing to
// complete, and the error that stopped it otherwise.
func (h *Hub) finishConversion(ctx context.Context, conversationID string, taken error) error {
	f, ok := h.cfg.Tickets.(TicketFinder)
	if !ok {
		return fmt.Errorf("chat: to ticket: %w", taken)
	}
	sctx, cancel := h.storeCtx(ctx)
	t, err := f.TicketOfConversation(sctx, conversationID)
	cancel()
	if errors.Is(err, icc.ErrNotFound) { // gone, or its conversation id changed meanwhile
		return fmt.Errorf("chat: to ticket: %w", taken)
	}
	if err != nil {
		return fmt.Errorf("chat: to ticket: finding the ticket of conversation %s: %w", conversationID, err)
	}
	if err := h.linkTicket(ctx, conversationID, t); err != nil {
		return fmt.Errorf("chat: to ticket: completing the conversion: %w", err)
	}
	return icc.Errorf(icc.ECONFLICT, "conversation %q is already ticket %s", conversationID, t.ID)
}

// linkTicket finishes turning a conversation into ticket t, once t is
// stored: the conversation names t, its participants get the system
// message (its fixed client id makes it a no-op when posted before) and
// the dashboards get "conversation.ticket" when the message is new. It
// does not end with ctx, so that a caller who goes away after the ticket
// was stored does not leave it unlinked, but each step is bounded by
// Config.StoreTimeout. A conversation that names another ticket is
// ECONFLICT.
func (h *Hub) linkTicket(ctx context.Context, conversationID string, t *icc.Ticket) error {
	ctx = context.WithoutCancel(ctx) // keeps ctx's values, such as the assistant's mark
	lctx, cancel := h.storeCtx(ctx)
	_, err := h.update(lctx, conversationID, func(c *icc.Conversation) error {
		switch c.TicketID {
		case t.ID:
			return errLinked
		case "":
			c.TicketID = t.ID
			return nil
		default: // converted meanwhile by another writer
			return icc.Errorf(icc.ECONFLICT, "conversation %q is already ticket %s", c.ID, c.TicketID)
		}
	})
	cancel()
	if err != nil && !errors.Is(err, errLinked) {
		return fmt.Errorf("linking ticket %s: %w", t.ID, err)
	}
	body := fmt.Sprintf("This conversation is now ticket #%d; we will answer by email.", t.Number)
	sctx, cancel := h.storeCtx(ctx)
	a, err := h.Send(sctx, icc.NewMessage{ConversationID: conversationID, ClientID: clientTicket, SenderType: icc.SenderSystem, Body: body})
	cancel()
	if err != nil {
		return fmt.Errorf("telling the conversation it is ticket %s: %w", t.ID, err)
	}
	if !a.Duplicate {
		h.dashboard("conversation.ticket", conversationID, map[string]any{"ticket_id": t.ID, "number": t.Number})
	}
	return nil
}

// transcript renders the messages of conversation c, one per line and
// oldest first, naming the senders when Config.Contact knows them, in at
// most budget bytes: when they do not all fit it keeps the most recent
// messages that do, under a first line that says how many earlier ones
// were left out (and renders nothing when not even that line fits).
// Messages are read newest first, a page at a time, so that a long
// conversation is not read whole. Sequence numbers have no gaps (see
// icc.ConversationStore.AppendMessages), so message n has n-1 before it.
func (h *Hub) transcript(ctx context.Context, c *icc.Conversation, budget int) (string, error) {
	names := map[string]string{} // sender type and id -> how the transcript names them
	who := func(m icc.Message) string {
		if m.SenderID == "" {
			return string(m.SenderType)
		}
		key := string(m.SenderType) + " " + m.SenderID
		if n, ok := names[key]; ok {
			return n
		}
		n := key
		if c := h.contact(ctx, m.SenderType, m.SenderID); c.Name != "" || c.Email != "" {
			n = strings.TrimSpace(string(m.SenderType) + " " + c.Name)
			if c.Email != "" {
				n += " <" + c.Email + ">"
			}
		}
		names[key] = n
		return n
	}
	type line struct {
		seq  int64
		text string
	}
	var lines []line // newest first
	used := 0
	var left int64 // messages 1 to left are left out
	for to := c.LastSeq; to > 0 && left == 0; {
		after := max(0, to-icc.MaxLimit)
		msgs, err := h.store.ListMessages(ctx, c.ID, after, int(to-after))
		if err != nil {
			return "", err
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.Seq > to {
				continue
			}
			text := fmt.Sprintf("[%s] %s: %s\n", m.CreatedAt.UTC().Format("2006-01-02 15:04:05"), who(m), m.Body)
			if used+len(text) > budget {
				left = m.Seq
				break
			}
			lines = append(lines, line{m.Seq, text})
			used += len(text)
		}
		to = after
	}
	var b strings.Builder
	if left > 0 {
		notice := leftOut(left)
		for len(lines) > 0 && used+len(notice) > budget { // make room for the notice
			last := lines[len(lines)-1]
			lines, used, left = lines[:len(lines)-1], used-len(last.text), last.seq
			notice = leftOut(left)
		}
		if used+len(notice) > budget {
			return "", nil
		}
		b.WriteString(notice)
	}
	for i := len(lines) - 1; i >= 0; i-- {
		b.WriteString(lines[i].text)
	}
	return b.String(), nil
}

// leftOut is the first line of a transcript whose first n messages were
// left out.
func leftOut(n int64) string {
	if n == 1 {
		return "[1 earlier message left out to fit the ticket]\n"
	}
	return fmt.Sprintf("[%d earlier messages left out to fit the ticket]\n", n)
}
