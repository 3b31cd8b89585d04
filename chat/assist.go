package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// Texts of the system messages the hub writes.
const (
	textEscalated = "A support agent will take over this conversation shortly."
	// textFlagged replaces textEscalated when an agent is already on the
	// conversation, or it became a ticket (answered by email): promising an
	// agent here would contradict what the customer sees or was told.
	textFlagged = "We have let the team know that this conversation needs attention."
	textOffline = "No agent is online right now. Leave your email address and we will answer you by email."
	// textOfflineKnown replaces textOffline when the customer's address is
	// known (Config.Contact).
	textOfflineKnown = "No agent is online right now. We will answer you by email at %s: write what we should know here, or leave another address."
	// textOfflineHere replaces both without Config.Tickets: nothing can
	// turn the conversation into an answer by email, so none is promised.
	textOfflineHere = "No agent is online right now. Your messages are saved, and an agent will answer you here once one is online."
	textClosed      = "This conversation was closed."
)

// Client ids of the hub's own messages; the store's idempotency makes each
// happen once per conversation even across hubs.
const (
	clientEscalated = "chat:escalated"
	clientOffline   = "chat:offline"
	clientClosed    = "chat:closed"
	clientTicket    = "chat:ticket"
	// clientBot prefixes the bot's messages (see botClientID).
	clientBot = "bot:"
	// clientNotice prefixes the key of a Notice.
	clientNotice = "notice:"
)

// Notice is a system message for a conversation, chosen by Config.Notices.
type Notice struct {
	// Key identifies the notice within its conversation: the hub posts a
	// key once. At most MaxNoticeKey bytes; a longer key is dropped with a
	// warning.
	Key string
	// Body is the message's text.
	Body string
}

// MaxNoticeKey is the longest Notice.Key: the key becomes the message's
// client id after the prefix "notice:".
const MaxNoticeKey = 100 - len(clientNotice)

// historyTurns is how many earlier messages a classification sees.
const historyTurns = 10

// maxSuggestedReply bounds the suggested reply carried over the bus.
const maxSuggestedReply = 1500

var emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// assistLoop is one classification worker: it handles customer messages
// after they were stored, off the committer's path, until Shutdown closes
// the queue. Once the hub is cancelled (Close, or Shutdown's context ended)
// it drains the queue without work, counting what it leaves unassisted.
func (h *Hub) assistLoop() {
	defer h.assistWG.Done()
	for m := range h.assistQ {
		if h.assistCtx.Err() != nil {
			h.unassisted.add(m.ConversationID)
			continue
		}
		err := h.assist(h.assistCtx, m)
		switch {
		case h.assistCtx.Err() != nil:
			h.unassisted.add(m.ConversationID) // interrupted
		case err != nil:
			h.log.Warn("chat: assisting a message failed", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
		}
	}
}

// maxUnassistedConvs bounds the conversation ids a shutdown logs.
const maxUnassistedConvs = 100

// unassisted counts the customer messages whose assistance was dropped or
// interrupted because the hub stopped, with their conversations.
type unassisted struct {
	mu    sync.Mutex
	n     int
	convs []string // distinct, at most maxUnassistedConvs
	seen  map[string]bool
}

func (u *unassisted) add(conversationID string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.n++
	if u.seen == nil {
		u.seen = map[string]bool{}
	}
	if !u.seen[conversationID] && len(u.convs) < maxUnassistedConvs {
		u.seen[conversationID] = true
		u.convs = append(u.convs, conversationID)
	}
}

// report returns how many messages were left unassisted and (some of)
// their conversations.
func (u *unassisted) report() (int, []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n, slices.Clone(u.convs)
}

// assist classifies a customer message, stores the result with the
// conversation and shows it to the conversation's agents; then it hands
// sensitive or escalated conversations to a human, posts the host's
// notices, tells the customer when no agent is online (turning the
// conversation into a ticket once they leave an email address), and lets
// the bot answer when the BotReply policy says so.
func (h *Hub) assist(ctx context.Context, m icc.Message) error {
	sctx, cancel := h.storeCtx(ctx)
	conv, err := h.store.GetConversation(sctx, m.ConversationID)
	cancel()
	if err != nil {
		return err
	}
	if conv.Status != icc.ConversationOpen {
		return nil
	}
	var cls *Classification
	if r := h.classify(ctx, conv, m); r != nil {
		cls = &Classification{
			Category: r.Category, Priority: r.Priority, Sentiment: r.Sentiment, Escalate: r.Escalate,
			Reasons: r.Reasons, Intent: r.Intent, Confidence: r.Confidence, SuggestedReply: r.SuggestedReply, Model: r.Model,
		}
		f := classificationFrame{Type: TypeClassification, ConversationID: conv.ID, Seq: m.Seq, Classification: *cls}
		f.Classification.SuggestedReply = truncate(f.Classification.SuggestedReply, maxSuggestedReply)
		// Stored before the frame goes out, so that an agent who reloads
		// after seeing the frame finds it with the conversation.
		h.storeTriage(ctx, conv.ID, m.Seq, *r, f.Classification.SuggestedReply)
		b := encode(f)
		h.toRoom(conv.ID, b, isAgent)
		h.publish(icc.Event{Topic: icc.ConversationTopic(conv.ID), Type: evClassification, ID: m.ID, Seq: m.Seq, Data: b})
	}
	online := h.agentsOnline(ctx)
	if cls != nil && (cls.Escalate || cls.Category == classify.CategorySensitive) {
		if err := h.escalate(ctx, conv, m, *cls, online); err != nil {
			return err
		}
	}
	if err := h.notices(ctx, conv, m); err != nil {
		return err
	}
	if conv.TicketID != "" {
		return nil // the team answers the ticket by email; the bot stays out
	}
	// With nobody to take it, an escalated conversation needs the offline
	// path most: the customer learns how they will be answered, and their
	// address turns the conversation into a ticket.
	if online == 0 && conv.AssigneeID == "" {
		ticket, err := h.offline(ctx, conv, m)
		if err != nil || ticket {
			return err // a ticket now: answered by email, not by the bot
		}
	}
	if h.isEscalated(conv.ID) {
		return nil // a human handles it; the bot stays out
	}
	reply, ok := h.cfg.BotReply(ctx, BotInput{Conversation: conv, Message: m, Classification: cls, AgentsOnline: online})
	if !ok || reply == "" {
		return nil
	}
	return h.botSay(ctx, conv.ID, reply)
}

// notices posts the system messages Config.Notices asks for, each key once
// per conversation: the store's idempotency by client id makes a repeated
// key a no-op.
func (h *Hub) notices(ctx context.Context, conv *icc.Conversation, m icc.Message) error {
	if h.cfg.Notices == nil {
		return nil
	}
	for _, n := range h.cfg.Notices(ctx, conv, m) {
		if n.Key == "" || len(n.Key) > MaxNoticeKey || n.Body == "" {
			h.log.Warn("chat: notice dropped: key or body empty, or key too long", "conversation", conv.ID, "key", truncate(n.Key, MaxNoticeKey))
			continue
		}
		_, err := h.Send(ctx, icc.NewMessage{ConversationID: conv.ID, ClientID: clientNotice + n.Key, SenderType: icc.SenderSystem,
			Body: truncate(n.Body, icc.MaxMessageLen)})
		if err != nil {
			return fmt.Errorf("posting notice %q: %w", n.Key, err)
		}
	}
	return nil
}

// storeTriage keeps r, what the classifier said about message seq, with
// the conversation (see icc.Conversation.Triage), with the suggested reply
// the classification frame shows, so that an agent who opens the
// conversation later sees it too. A failure is logged and changes nothing
// else: the live frame goes out all the same.
func (h *Hub) storeTriage(ctx context.Context, conversationID string, seq int64, r classify.Result, reply string) {
	t := icc.Triage{Seq: seq, At: h.cfg.Clock.Now(), Classification: icc.ClassificationOf(r)}
	t.SuggestedReply = reply
	sctx, cancel := h.storeCtx(ctx)
	err := h.store.SetConversationTriage(sctx, conversationID, t)
	cancel()
	if err != nil && ctx.Err() == nil {
		h.log.Warn("chat: storing a classification failed", "conversation", conversationID, "seq", seq, "err", err)
	}
}

// classify labels m, or returns nil without a classifier or on failure. The
// suggested reply of a sensitive message is cleared.
func (h *Hub) classify(ctx context.Context, conv *icc.Conversation, m icc.Message) *classify.Result {
	if h.cfg.Classifier == nil {
		return nil
	}
	req := classify.Request{Subject: conv.Subject, Body: m.Body, Channel: string(icc.ChannelChat)}
	sctx, cancel := h.storeCtx(ctx)
	earlier, err := h.store.ListMessages(sctx, m.ConversationID, max(0, m.Seq-1-historyTurns), historyTurns)
	cancel()
	if err == nil {
		for _, e := range earlier {
			if e.Seq < m.Seq {
				req.History = append(req.History, classify.Turn{Role: string(e.SenderType), Text: e.Body})
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, h.cfg.ClassifyTimeout)
	defer cancel()
	r, err := h.cfg.Classifier.Classify(cctx, req)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("chat: classifying a message failed", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
		}
		return nil
	}
	if r.Category == classify.CategorySensitive {
		r.SuggestedReply = ""
	}
	return &r
}

// escalate hands the conversation to a human: the bot stops answering, the
// customer is told, and OnEscalate runs once.
func (h *Hub) escalate(ctx context.Context, conv *icc.Conversation, m icc.Message, cls Classification, online int) error {
	h.markEscalated(conv.ID)
	body := textEscalated
	if on, err := h.agentOnConversation(ctx, conv); err != nil {
		return err
	} else if on || conv.TicketID != "" || online == 0 {
		// An agent is here already, a ticket is answered by email, or no
		// agent is online to take over (the offline notice follows).
		body = textFlagged
	}
	a, err := h.Send(ctx, icc.NewMessage{ConversationID: conv.ID, ClientID: clientEscalated, SenderType: icc.SenderSystem, Body: body})
	if err != nil {
		return err
	}
	if a.Duplicate {
		return nil // escalated before
	}
	h.publish(icc.Event{Topic: icc.ConversationTopic(conv.ID), Type: evConversation, Data: encode(map[string]bool{"escalated": true})})
	h.dashboard("conversation.escalated", conv.ID, map[string]any{"seq": m.Seq, "category": cls.Category, "reasons": cls.Reasons})
	if h.cfg.OnEscalate != nil {
		h.cfg.OnEscalate(ctx, conv, m, cls)
	}
	return nil
}

// agentOnConversation reports whether an agent already handles conv: it is
// assigned, or an agent has written in it. Escalations are rare, so reading
// the conversation's messages then is affordable.
func (h *Hub) agentOnConversation(ctx context.Context, conv *icc.Conversation) (bool, error) {
	if conv.AssigneeID != "" {
		return true, nil
	}
	sctx, cancel := h.storeCtx(ctx)
	defer cancel()
	for after := int64(0); ; {
		msgs, err := h.store.ListMessages(sctx, conv.ID, after, fetchLimit)
		if err != nil {
			return false, err
		}
		for _, m := range msgs {
			if m.SenderType == icc.SenderAgent {
				return true, nil
			}
		}
		if len(msgs) < fetchLimit {
			return false, nil
		}
		after = msgs[len(msgs)-1].Seq
	}
}

func (h *Hub) markEscalated(id string) { h.setFlag(h.escalated, id) }

func (h *Hub) isEscalated(id string) bool { return h.flag(h.escalated, id) }

// setFlag sets a conversation's flag in one of the hub's bounded sets.
func (h *Hub) setFlag(set map[string]bool, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(set) >= maxCachedConvs {
		clear(set)
	}
	set[id] = true
}

func (h *Hub) flag(set map[string]bool, id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return set[id]
}

// offline tells the customer once that no agent is online and, with
// Config.Tickets, asks for an email address, or, when Config.Contact knows
// it, says where the answer will go; a later message turns the
// conversation into a ticket when it gives an address or the customer's is
// known. Without Config.Tickets the customer is told that an agent will
// answer in the conversation. It reports whether m turned the conversation
// into a ticket, or another writer converted it meanwhile.
func (h *Hub) offline(ctx context.Context, conv *icc.Conversation, m icc.Message) (ticket bool, err error) {
	var known string // the customer's address, when Contact knows it
	if h.cfg.Tickets != nil && conv.TicketID == "" {
		known = h.contact(ctx, icc.SenderCustomer, conv.CustomerID).Email
	}
	if !h.flag(h.offlined, conv.ID) {
		body := textOffline
		switch {
		case h.cfg.Tickets == nil:
			body = textOfflineHere // no ticket, so no email: the answer comes here
		case known != "":
			body = fmt.Sprintf(textOfflineKnown, known)
		}
		a, err := h.Send(ctx, icc.NewMessage{ConversationID: conv.ID, ClientID: clientOffline, SenderType: icc.SenderSystem, Body: body})
		if err != nil {
			return false, err
		}
		h.setFlag(h.offlined, conv.ID)
		if !a.Duplicate {
			return false, nil // just told; the email comes later
		}
	}
	if h.cfg.Tickets == nil || conv.TicketID != "" {
		return false, nil
	}
	email := emailRE.FindString(m.Body)
	if email == "" && known == "" {
		return false, nil
	}
	if strings.EqualFold(email, known) {
		email = "" // the customer's own address: the ticket has the customer
	}
	_, err = h.ConvertToTicket(ctx, conv.ID, icc.NewTicket{CustomerEmail: email})
	if errors.Is(err, icc.ErrConflict) {
		return true, nil // converted meanwhile
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// botSay shows the bot typing, then stores and delivers its message, once
// per text and conversation: the message's client id is derived from its
// text, so the store's idempotency turns a reply the bot gave before in
// the conversation (a classifier suggests the same canned reply for a
// follow-up such as "thanks, it was order 1234") into a no-op, across
// workers and hubs. The bot then stays silent: its earlier answer is there
// to read, and the offline notice has said what happens next. The typing
// indicator is withdrawn once the message is stored (or held back), so
// that it does not outlast the reply.
func (h *Hub) botSay(ctx context.Context, conversationID, body string) error {
	body = truncate(body, icc.MaxMessageLen)
	d := typingData{Type: TypeTyping, ConversationID: conversationID, SenderType: icc.SenderBot, Typing: true, ExpiresInMS: h.cfg.TypingTTL.Milliseconds()}
	h.typing(nil, d)
	_, err := h.Send(ctx, icc.NewMessage{ConversationID: conversationID, ClientID: botClientID(body), SenderType: icc.SenderBot, Body: body})
	d.Typing, d.ExpiresInMS = false, 0
	h.typing(nil, d)
	return err
}

// botClientID is the client id of the bot's message with text body:
// clientBot and the first 128 bits of the text's SHA-256, in hex.
func botClientID(body string) string {
	sum := sha256.Sum256([]byte(body))
	return clientBot + hex.EncodeToString(sum[:16])
}
