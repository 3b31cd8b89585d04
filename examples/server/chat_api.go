package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/icc"
)

// POST /api/conversations takes at most conversationsPerWindow new
// conversations per client IP per conversationWindow, like the public
// ticket form.
const (
	conversationsPerWindow = publicTicketsPerWindow
	conversationWindow     = publicTicketWindow
)

// clientFirstMessage is the client id of the message sent with POST
// /api/conversations; the prefix keeps it apart from the ids clients choose.
const clientFirstMessage = "api:first"

// botMinConfidence is how sure the classifier must be of a customer
// message before the bot answers it with the suggested reply.
const botMinConfidence = 0.8

// chatOptions configures setupChat. The zero value allows WebSocket
// connections from the server's own host only.
type chatOptions struct {
	// OriginPatterns are the host patterns (path.Match syntax, e.g.
	// "*.example.com") of other origins whose pages may open /ws.
	OriginPatterns []string
	// Instance names this server on the bus (default: instanceID()).
	Instance string
	// Now tells the time to the rate limiter of POST /api/conversations
	// (default: the backend's clock, see rateLimiter); tests set it.
	Now func() time.Time
}

// chatAPI is the live chat of the server: the hub behind GET /ws and the
// conversation routes.
type chatAPI struct {
	s   *server
	hub *chat.Hub
	// limiter throttles POST /api/conversations per client IP.
	limiter *rateLimiter
}

// setupChat starts the chat hub on the server's backend (store and bus),
// with the desk's classifier, the desk itself for tickets and, when the
// monitor is set up, notices of known incidents (incidentNotices), registers
// GET /ws and the conversation routes, and arranges for the hub to drain
// its WebSocket connections (close code 1001) when the server shuts down,
// before storage closes. Call it after setupDesk, once, before serving.
func (s *server) setupChat(ctx context.Context, opts chatOptions) (*chatAPI, error) {
	if s.desk == nil {
		return nil, errors.New("chat: setupDesk must run first")
	}
	if opts.Instance == "" {
		opts.Instance = instanceID()
	}
	var notices func(context.Context, *icc.Conversation, icc.Message) []chat.Notice
	if s.monitor != nil {
		notices = s.incidentNotices
	}
	hub, err := chat.NewHub(chat.Config{
		Store:      s.backend,
		Bus:        s.backend,
		Logger:     s.logger,
		Classifier: s.classifier,
		Tickets:    s.desk,
		// GET /ws is the hub itself: customers by their token, agents by
		// their session (sessionParticipant).
		AuthenticateAgent: s.sessionParticipant,
		OriginPatterns:    opts.OriginPatterns,
		Instance:          opts.Instance,
		BotReply:          botReply,
		Notices:           notices,
		Contact:           s.chatContact,
		OnEscalate: func(ctx context.Context, c *icc.Conversation, m icc.Message, cls chat.Classification) {
			s.logger.InfoContext(ctx, "chat handed to a human", "conversation", c.ID, "seq", m.Seq,
				"category", cls.Category, "reasons", cls.Reasons)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("chat hub: %w", err)
	}
	a := &chatAPI{s: s, hub: hub, limiter: newRateLimiter(conversationsPerWindow, conversationWindow, opts.Now)}
	s.onShutdown(func(ctx context.Context) error {
		err := hub.Shutdown(ctx)
		if err != nil {
			s.logger.WarnContext(ctx, "chat hub did not drain in time", "err", err)
			return err
		}
		s.logger.InfoContext(ctx, "chat hub drained")
		return nil
	})
	a.routes()
	// Pages that may open GET /ws may call the customer routes too.
	s.cors.allowed = hub.CheckOrigin
	s.disconnectAgent = hub.DisconnectAgent
	s.logger.InfoContext(ctx, "chat hub started", "instance", hub.Instance(), "origins", opts.OriginPatterns)
	return a, nil
}

// botReply is chat.DefaultBotReply (answer with the classifier's suggested
// reply when no agent is online and nobody is assigned) for simple
// questions only: the offline classifier always suggests a reply for its
// best intent, and below botMinConfidence that reply is often about
// something else ("Thanks!" is not a question about placing orders).
func botReply(ctx context.Context, in chat.BotInput) (string, bool) {
	if in.Classification == nil || in.Classification.Confidence < botMinConfidence {
		return "", false
	}
	return chat.DefaultBotReply(ctx, in)
}

// incidentLookupTimeout bounds the incident lookup for one chat message.
const incidentLookupTimeout = time.Second

// incidentNotices is the hub's Notices policy: when a customer's message
// names an integration that is down or degraded (icc.Incident.Mentioned),
// the customer is told that the problem is known. Each incident is told
// once per conversation: the notice key is the integration and the time
// it entered its status, so a change of status (degraded to down) is news
// and told again. It is told in conversations handed to a human too: it is
// information about our systems, not an answer to the customer's words,
// and spares them asking the agent. A lookup that fails tells nothing.
func (s *server) incidentNotices(ctx context.Context, _ *icc.Conversation, m icc.Message) []chat.Notice {
	ictx, cancel := context.WithTimeout(ctx, incidentLookupTimeout)
	defer cancel()
	incidents, err := s.monitor.ActiveIncidents(ictx)
	if err != nil {
		s.logger.WarnContext(ctx, "incident lookup for a chat message failed", "conversation", m.ConversationID, "err", err)
		return nil
	}
	var out []chat.Notice
	for _, inc := range icc.MatchIncidents(m.Body, incidents) {
		out = append(out, chat.Notice{
			Key:  fmt.Sprintf("incident:%s:%d", inc.IntegrationID, inc.Since.Unix()),
			Body: incidentNotice(inc, m.CreatedAt),
		})
	}
	return out
}

// incidentNotice is what the customer is told about inc at now: "We know
// Mock ERP is having problems right now (status: down since 10:42 UTC); our
// team is on it." The date is added when the incident began on an earlier
// day.
func incidentNotice(inc icc.Incident, now time.Time) string {
	status := "status: " + string(inc.Status)
	if since := inc.Since.UTC(); !since.IsZero() {
		layout := "15:04 UTC"
		if y, m, d := now.UTC().Date(); !(since.Year() == y && since.Month() == m && since.Day() == d) {
			layout = "Jan 2 15:04 UTC"
		}
		status += " since " + since.Format(layout)
	}
	return fmt.Sprintf("We know %s is having problems right now (%s); our team is on it.", inc.Name, status)
}

// routes registers the chat endpoints.
func (a *chatAPI) routes() {
	s := a.s
	s.register("GET /ws", a.hub) // every refusal is a JSON error too, see chat.Hub.ServeHTTP
	s.handle("POST /api/conversations", a.handleStart)
	s.handle("GET /api/conversations", s.agentOnly(a.handleList))
	s.handle("GET /api/conversations/{id}", a.handleGet)
	s.handle("GET /api/conversations/{id}/messages", a.handleMessages)
	s.handle("GET /api/conversations/{id}/read-marks", a.handleReadMarks)
	s.handle("POST /api/conversations/{id}/assign", s.agentOnly(a.handleAssign))
	s.handle("POST /api/conversations/{id}/close", s.agentOnly(a.handleClose))
	s.handle("POST /api/conversations/{id}/ticket", s.agentOnly(a.handleTicket))
}

// Customer tokens. The token a customer gets is chat.CustomerToken,
// "<conversation id>.<secret>": the chat hub knows only the secret's hash,
// and the id in front tells which conversation the token belongs to, so
// that a token for another conversation is a 403 rather than a 401. On the
// REST routes it travels in a header (chat.RequestToken), never in the URL;
// GET /ws (the hub) also takes it as the token query parameter.

// participant authenticates a request to a chat route that customers may
// use too: a customer by the token in its headers (chat.RequestToken),
// anyone else by an agent's session. Neither is EUNAUTHORIZED.
func (a *chatAPI) participant(r *http.Request) (chat.Participant, error) {
	if tok := chat.RequestToken(r); tok != "" {
		return a.hub.AuthenticateToken(r.Context(), tok)
	}
	return a.s.sessionParticipant(r)
}

// sessionParticipant is the agent signed in on r's session, for the chat
// routes and, as chat.Config.AuthenticateAgent, for GET /ws. No session,
// or one sessionAgent refuses, is EUNAUTHORIZED.
func (s *server) sessionParticipant(r *http.Request) (chat.Participant, error) {
	if s.sessionAgentID(r) == "" {
		return chat.Participant{}, icc.Errorf(icc.EUNAUTHORIZED, "sign in, or pass the conversation token")
	}
	ag, err := s.sessionAgent(r)
	if err != nil {
		return chat.Participant{}, err
	}
	return chat.Participant{Role: chat.RoleAgent, ID: ag.ID}, nil
}

// mayRead checks that p may see conversation id: agents see every
// conversation, a customer only their own (403 for another).
func mayRead(p chat.Participant, id string) error {
	if p.Role == chat.RoleCustomer && p.ConversationID != id {
		return icc.Errorf(icc.EFORBIDDEN, "this token is for another conversation")
	}
	return nil
}

// startRequest is the body of POST /api/conversations.
type startRequest struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Subject string `json:"subject"`
	// Message, when set, is the customer's first message.
	Message string `json:"message"`
}

// startAnswer is what the customer learns about the conversation started.
type startAnswer struct {
	ID         string                 `json:"id"`
	Token      string                 `json:"token"`
	CustomerID string                 `json:"customer_id"`
	Status     icc.ConversationStatus `json:"status"`
	// LastSeq is the seq of the first message, or 0 without one.
	LastSeq int64 `json:"last_seq"`
}

// handleStart starts a conversation as a customer, without signing in: it
// finds the customer by email or creates them, opens the conversation,
// stores the first message when there is one, and answers 201 with the
// conversation id and the customer's token. At most
// conversationsPerWindow per client IP per conversationWindow.
func (a *chatAPI) handleStart(w http.ResponseWriter, r *http.Request) error {
	var in startRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	cust := &icc.Customer{Email: icc.NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name)}
	if cust.Email == "" {
		return icc.Invalid("email", "is required")
	}
	if err := cust.Validate(); err != nil {
		return err
	}
	subject := strings.TrimSpace(in.Subject)
	if err := (&icc.Conversation{CustomerID: "pending", Subject: subject}).Validate(); err != nil {
		return err
	}
	first := icc.NewMessage{ConversationID: "pending", ClientID: clientFirstMessage, SenderType: icc.SenderCustomer, Body: in.Message}
	if strings.TrimSpace(in.Message) != "" {
		if err := first.Validate(); err != nil {
			return icc.Invalid("message", "%s", icc.ErrorMessage(err))
		}
	}
	if ok, d := a.s.rateAllow(r.Context(), a.limiter, "chat:ip:"+clientIP(r)); !ok {
		writeRateLimited(w, a.s, d, "too many conversations from this address")
		return nil
	}

	cust, err := a.findOrCreateCustomer(r.Context(), cust)
	if err != nil {
		return err
	}
	c, secret, err := a.hub.StartConversation(r.Context(), cust.ID, subject)
	if err != nil {
		return err
	}
	if strings.TrimSpace(in.Message) != "" {
		first.ConversationID, first.SenderID = c.ID, cust.ID
		ap, err := a.hub.Send(r.Context(), first)
		if err != nil {
			return fmt.Errorf("first message of conversation %s: %w", c.ID, err)
		}
		c.LastSeq = ap.Message.Seq
	}
	a.s.logger.InfoContext(r.Context(), "conversation started", "conversation", c.ID, "customer", cust.ID)
	w.Header().Set("Location", "/api/conversations/"+c.ID)
	writeJSON(w, a.s.logger, http.StatusCreated, startAnswer{
		ID: c.ID, Token: chat.CustomerToken(c.ID, secret), CustomerID: cust.ID, Status: c.Status, LastSeq: c.LastSeq,
	})
	return nil
}

// findOrCreateCustomer returns the customer with c's email, creating c when
// there is none. An existing customer is returned as stored: a public form
// does not rename anybody.
func (a *chatAPI) findOrCreateCustomer(ctx context.Context, c *icc.Customer) (*icc.Customer, error) {
	got, err := a.s.backend.GetCustomerByEmail(ctx, c.Email)
	if err == nil || !errors.Is(err, icc.ErrNotFound) {
		return got, err
	}
	err = a.s.backend.CreateCustomer(ctx, c)
	if errors.Is(err, icc.ErrConflict) { // created meanwhile by another request
		return a.s.backend.GetCustomerByEmail(ctx, c.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	return c, nil
}

// conversationFilter reads the query of GET /api/conversations: status
// (open, the default, or closed), assignee (an agent id, "me", or "none"),
// customer, limit and cursor.
func conversationFilter(r *http.Request) (icc.ConversationFilter, error) {
	q := r.URL.Query()
	f := icc.ConversationFilter{Cursor: q.Get("cursor")}
	if v := q.Get("status"); v != "" {
		st := icc.ConversationStatus(v)
		if !st.Valid() {
			return f, icc.Invalid("status", "must be open or closed")
		}
		f.Status = &st
	}
	switch v := q.Get("assignee"); v {
	case "":
	case "none":
		none := ""
		f.AssigneeID = &none
	case "me":
		id := agentFrom(r.Context()).ID
		f.AssigneeID = &id
	default:
		f.AssigneeID = &v
	}
	if v := q.Get("customer"); v != "" {
		f.CustomerID = &v
	}
	limit, err := queryLimit(q)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if _, err := icc.ParseCursor(f.Cursor); err != nil {
		return f, err
	}
	return f, nil
}

// handleList returns one page of conversations, newest first, each with
// how many messages the signed-in agent has not read.
func (a *chatAPI) handleList(w http.ResponseWriter, r *http.Request) error {
	f, err := conversationFilter(r)
	if err != nil {
		return err
	}
	page, err := a.hub.Conversations(r.Context(), agentFrom(r.Context()).ID, f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []chat.Summary{}
	}
	writeJSON(w, a.s.logger, http.StatusOK, page)
	return nil
}

// chatContact tells the chat hub who a customer or agent is, so that the
// offline notice uses the customer's address on file and ticket
// transcripts name the senders. Agents are named without their address.
func (s *server) chatContact(ctx context.Context, typ icc.SenderType, id string) (chat.Contact, error) {
	switch typ {
	case icc.SenderCustomer:
		c, err := s.backend.GetCustomer(ctx, id)
		if err != nil {
			return chat.Contact{}, err
		}
		return chat.Contact{Name: c.Name, Email: c.Email}, nil
	case icc.SenderAgent:
		a, err := s.backend.GetAgent(ctx, id)
		if err != nil {
			return chat.Contact{}, err
		}
		return chat.Contact{Name: a.Name}, nil
	}
	return chat.Contact{}, nil
}

// handleGet returns one conversation, to an agent or to its customer. Only
// agents see its triage: what the classifier thought of the customer
// (sentiment, escalation reasons, a draft reply) is, like the
// classification frames, for the team.
func (a *chatAPI) handleGet(w http.ResponseWriter, r *http.Request) error {
	p, id, err := a.reader(r)
	if err != nil {
		return err
	}
	c, err := a.s.backend.GetConversation(r.Context(), id)
	if err != nil {
		return err
	}
	if p.Role != chat.RoleAgent {
		c.Triage = nil
	}
	writeJSON(w, a.s.logger, http.StatusOK, c)
	return nil
}

// messagesBody is the answer of GET /api/conversations/{id}/messages.
type messagesBody struct {
	Items []icc.Message `json:"items"`
	// LastSeq is the conversation's newest seq: when the last item's seq is
	// below it, ask again with after_seq set to that seq.
	LastSeq int64 `json:"last_seq"`
}

// handleMessages returns the messages after after_seq (default 0), oldest
// first, at most limit, to an agent or to the conversation's customer.
func (a *chatAPI) handleMessages(w http.ResponseWriter, r *http.Request) error {
	_, id, err := a.reader(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var after int64
	if v := q.Get("after_seq"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			return icc.Invalid("after_seq", "must be a whole number, 0 or more")
		}
	}
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	c, err := a.s.backend.GetConversation(r.Context(), id)
	if err != nil {
		return err
	}
	msgs, err := a.s.backend.ListMessages(r.Context(), id, after, limit)
	if err != nil {
		return err
	}
	if msgs == nil {
		msgs = []icc.Message{}
	}
	writeJSON(w, a.s.logger, http.StatusOK, messagesBody{Items: msgs, LastSeq: max(c.LastSeq, lastSeq(msgs))})
	return nil
}

// handleReadMarks returns how far each participant (agents and the
// customer) has read the conversation, ordered by participant id, to an
// agent or to the conversation's customer: a console or widget opened or
// reloaded shows read receipts from these before any live read frame.
func (a *chatAPI) handleReadMarks(w http.ResponseWriter, r *http.Request) error {
	_, id, err := a.reader(r)
	if err != nil {
		return err
	}
	marks, err := a.s.backend.ListReadMarks(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, a.s.logger, http.StatusOK, items(marks))
	return nil
}

// reader returns the participant of r and the conversation id of its
// path, when the participant may read that conversation.
func (a *chatAPI) reader(r *http.Request) (chat.Participant, string, error) {
	p, err := a.participant(r)
	if err != nil {
		return p, "", err
	}
	id := r.PathValue("id")
	return p, id, mayRead(p, id)
}

// lastSeq is the seq of the last message, or 0.
func lastSeq(msgs []icc.Message) int64 {
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].Seq
}

// assignRequest is the body of POST /api/conversations/{id}/assign.
type assignRequest struct {
	// AgentID is the agent to assign; "" unassigns, and a missing field
	// (or an empty body) means the signed-in agent.
	AgentID *string `json:"agent_id"`
}

// handleAssign gives a conversation to an agent, or takes it away.
func (a *chatAPI) handleAssign(w http.ResponseWriter, r *http.Request) error {
	var req assignRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	agentID := agentFrom(r.Context()).ID
	if req.AgentID != nil {
		agentID = strings.TrimSpace(*req.AgentID)
	}
	if agentID != "" {
		_, err := a.s.backend.GetAgent(r.Context(), agentID)
		if errors.Is(err, icc.ErrNotFound) {
			return icc.Invalid("agent_id", "no agent %q", agentID)
		}
		if err != nil {
			return err
		}
	}
	c, err := a.hub.Assign(r.Context(), r.PathValue("id"), agentID)
	if err != nil {
		return err
	}
	writeJSON(w, a.s.logger, http.StatusOK, c)
	return nil
}

// handleClose closes a conversation: its participants get a system message
// and can no longer write. Closing a closed conversation changes nothing.
func (a *chatAPI) handleClose(w http.ResponseWriter, r *http.Request) error {
	c, err := a.s.backend.GetConversation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if c.Status != icc.ConversationClosed {
		if c, err = a.hub.CloseConversation(r.Context(), c.ID); err != nil {
			return err
		}
		a.s.logger.InfoContext(r.Context(), "conversation closed", "conversation", c.ID, "agent", agentFrom(r.Context()).ID)
	}
	writeJSON(w, a.s.logger, http.StatusOK, c)
	return nil
}

// ticketRequest is the body of POST /api/conversations/{id}/ticket; every
// field is optional.
type ticketRequest struct {
	// Subject defaults to the conversation's.
	Subject string `json:"subject"`
	// Body is a note put above the transcript.
	Body string `json:"body"`
	// CustomerEmail is an address to answer at, noted in the body.
	CustomerEmail string       `json:"customer_email"`
	Tags          []string     `json:"tags"`
	Category      icc.Category `json:"category"`
	Priority      icc.Priority `json:"priority"`
}

// handleTicket turns a conversation into a ticket through the desk
// (classified, routed, assigned), with the transcript in its body, and
// answers 201 with the ticket. A conversation becomes a ticket once (409
// after).
func (a *chatAPI) handleTicket(w http.ResponseWriter, r *http.Request) error {
	var req ticketRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	if req.Category != "" && !req.Category.Valid() {
		return icc.Invalid("category", "unknown category %q", req.Category)
	}
	if req.Priority != "" && !req.Priority.Valid() {
		return icc.Invalid("priority", "unknown priority %q", req.Priority)
	}
	if req.CustomerEmail != "" {
		if err := (&icc.Customer{Email: icc.NormalizeEmail(req.CustomerEmail)}).Validate(); err != nil {
			return icc.Invalid("customer_email", "%s", icc.ErrorMessage(err))
		}
	}
	t, err := a.hub.ConvertToTicket(r.Context(), r.PathValue("id"), icc.NewTicket{
		Subject: req.Subject, Body: req.Body, CustomerEmail: req.CustomerEmail,
		Tags: req.Tags, Category: req.Category, Priority: req.Priority,
	})
	if err != nil {
		return err
	}
	a.s.logger.InfoContext(r.Context(), "conversation turned into a ticket", "conversation", r.PathValue("id"), "ticket", t.ID, "agent", agentFrom(r.Context()).ID)
	w.Header().Set("Location", "/api/tickets/"+t.ID)
	writeJSON(w, a.s.logger, http.StatusCreated, t)
	return nil
}
