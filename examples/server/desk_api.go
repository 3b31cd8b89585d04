package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// The public ticket form (POST /api/public/tickets) takes at most
// publicTicketsPerWindow tickets per client IP per publicTicketWindow.
const (
	publicTicketsPerWindow = 10
	publicTicketWindow     = 10 * time.Minute
)

// defaultSLAInterval is how often the SLA watcher looks for breaches.
const defaultSLAInterval = 30 * time.Second

// deskOptions configures setupDesk. The zero value is the offline
// classifier, no SLA watcher and cookies marked Secure only over TLS.
type deskOptions struct {
	// GeminiAPIKey, when set, puts Gemini in front of the offline
	// classifier (with a fallback chain and a cache).
	GeminiAPIKey string
	// GeminiModel overrides classify.DefaultGeminiModel.
	GeminiModel string
	// GeminiBaseURL overrides the Gemini endpoint (tests).
	GeminiBaseURL string
	// Classifier, when set, is used instead of the offline classifier or
	// the Gemini chain (the Gemini fields are then ignored); corrections
	// teach it when it has a Learn method, and it is never retrained from
	// the store (classifier_api.go). Tests set one whose answers do not
	// change when the shipped model is retrained.
	Classifier classify.Classifier
	// Model is an offline model file (classify.Offline.Save) to serve and
	// retrain on top of; nil is the shipped model.
	Model []byte
	// Retrain sets the epochs and augmented copies of retraining from
	// corrections; the zero value is classify's defaults. Tests ask for
	// less, which is fast enough for the race detector.
	Retrain classify.TrainConfig
	// SecureCookies marks the session cookie Secure on every response, for
	// a server behind a TLS-terminating proxy.
	SecureCookies bool
	// SLAInterval is how often the SLA watcher runs; zero does not start
	// it.
	SLAInterval time.Duration
}

// learner is a classifier that can be taught a correction, such as
// *classify.Offline.
type learner interface {
	Learn(ctx context.Context, ex classify.Example) error
}

// setupDesk builds the classifier and the ticket Desk (reading s.directory
// and s.monitor, the desk's incident source, so set them up first), keeps sessions in the database when the backend has
// one, registers the desk, auth, customer, agent and classify routes and,
// when opts.SLAInterval is set, starts the SLA watcher until ctx ends or the
// server shuts down. Call it once, before serving.
func (s *server) setupDesk(ctx context.Context, opts deskOptions) error {
	s.sessions.secure = opts.SecureCookies
	if s.useBackendSessions() {
		s.logger.InfoContext(ctx, "sessions kept in the database")
	}
	c, l, off, err := newClassifier(ctx, opts, s.logger)
	if err != nil {
		return err
	}
	s.classifier, s.learner, s.offline = c, l, off
	if off != nil {
		off.train = classify.TrainConfig{Epochs: opts.Retrain.Epochs, Augment: opts.Retrain.Augment}
		s.onShutdown(func(context.Context) error { off.close(); return nil })
	}
	cfg := icc.DeskConfig{
		Store:        s.backend,
		Classifier:   c,
		Directory:    s.directory,
		Bus:          s.backend,
		Logger:       s.logger,
		OnCorrection: s.learnCorrection,
	}
	if s.monitor != nil { // new tickets that name a failing integration are linked to it
		cfg.Incidents = s.monitor
	}
	desk, err := icc.NewDesk(cfg)
	if err != nil {
		return fmt.Errorf("ticket desk: %w", err)
	}
	s.desk = desk

	s.authRoutes()
	s.ticketRoutes()
	s.customerRoutes()
	s.agentRoutes()
	s.classifyRoutes()

	if opts.SLAInterval > 0 {
		s.startSLAWatcher(ctx, s.backend, opts.SLAInterval)
	}
	return nil
}

// learnCorrection teaches the classifier an agent's change of a ticket's
// category, when the classifier can learn, and tells the other instances.
func (s *server) learnCorrection(ctx context.Context, c icc.Correction) {
	if s.learner == nil {
		return
	}
	s.announceCorrection(context.WithoutCancel(ctx), c)
	err := s.learner.Learn(context.WithoutCancel(ctx), classify.Example{Text: c.Text, Category: c.To})
	if err != nil {
		s.logger.WarnContext(ctx, "learning a correction failed", "ticket", c.TicketID, "err", err)
		return
	}
	s.logger.InfoContext(ctx, "classifier learned a correction", "ticket", c.TicketID, "from", c.From, "to", c.To)
}

// startSLAWatcher runs the desk's SLA watcher under leaser's lease (the
// backend's, so one instance of a cluster checks at a time) until ctx ends
// or the server shuts down; shutdown waits for it.
func (s *server) startSLAWatcher(ctx context.Context, leaser icc.Leaser, interval time.Duration) {
	wctx, cancel := context.WithCancel(ctx)
	holder := instanceID()
	var wg sync.WaitGroup
	wg.Go(func() { s.desk.RunSLAWatcher(wctx, leaser, holder, interval) })
	s.logger.InfoContext(ctx, "SLA watcher started", "holder", holder, "interval", interval)
	s.onShutdown(func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
}

// instanceID names this process among the instances of a cluster:
// hostname, pid and a random suffix.
func instanceID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// assignWaiting hands waiting tickets to agents with room. It runs after a
// change that frees or adds capacity; a failure is logged, not returned,
// since the change itself has succeeded.
func (s *server) assignWaiting(ctx context.Context, why string) {
	n, err := s.desk.AssignWaiting(context.WithoutCancel(ctx))
	if err != nil {
		s.logger.WarnContext(ctx, "assigning waiting tickets failed", "why", why, "err", err)
		return
	}
	if n > 0 {
		s.logger.InfoContext(ctx, "waiting tickets assigned", "why", why, "count", n)
	}
}

// ticketRoutes registers the ticket endpoints.
func (s *server) ticketRoutes() {
	s.handle("GET /api/tickets", s.agentOnly(s.handleListTickets))
	s.handle("POST /api/tickets", s.agentOnly(s.handleCreateTicket))
	s.handle("GET /api/tickets/{id}", s.agentOnly(s.handleGetTicket))
	s.handle("PATCH /api/tickets/{id}", s.agentOnly(s.handleUpdateTicket))
	s.handle("POST /api/tickets/{id}/replies", s.agentOnly(s.handleReply(false)))
	s.handle("POST /api/tickets/{id}/notes", s.agentOnly(s.handleReply(true)))
	s.handle("GET /api/tickets/{id}/events", s.agentOnly(s.handleTicketEvents))
	s.handle("POST /api/tickets/{id}/rating", s.agentOnly(s.handleRateTicket))
	s.handle("POST /api/public/tickets", s.handlePublicTicket)
}

// ticketFilter reads the query of GET /api/tickets: status, category,
// priority, queue, assignee (an agent id, "me", or "none" for unassigned),
// customer, text, sort (newest or oldest), limit and cursor.
func ticketFilter(r *http.Request) (icc.TicketFilter, error) {
	q := r.URL.Query()
	f := icc.TicketFilter{Text: q.Get("text"), Sort: icc.TicketSort(q.Get("sort")), Cursor: q.Get("cursor")}
	if v := q.Get("status"); v != "" {
		st := icc.TicketStatus(v)
		f.Status = &st
	}
	if v := q.Get("category"); v != "" {
		c := icc.Category(v)
		f.Category = &c
	}
	if v := q.Get("priority"); v != "" {
		p := icc.Priority(v)
		f.Priority = &p
	}
	if v := q.Get("queue"); v != "" {
		f.Queue = &v
	}
	if v := q.Get("customer"); v != "" {
		f.CustomerID = &v
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
	limit, err := queryLimit(q)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if _, err := icc.ParseCursor(f.Cursor); err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		if param, ok := ticketFilterParams[icc.ErrorField(err)]; ok { // name the query parameter
			return f, icc.Invalid(param, "%s", icc.ErrorMessage(err))
		}
		return f, err
	}
	return f, nil
}

// ticketFilterParams maps the fields of icc.TicketFilter whose query
// parameters of GET /api/tickets are named otherwise to those names.
var ticketFilterParams = map[string]string{"customer_id": "customer", "assignee_id": "assignee"}

// queryLimit reads the limit parameter: 1 to icc.MaxLimit, default
// icc.DefaultLimit.
func queryLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return icc.DefaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > icc.MaxLimit {
		return 0, icc.Invalid("limit", "must be a whole number from 1 to %d", icc.MaxLimit)
	}
	return n, nil
}

// handleListTickets returns one page of tickets matching the filter;
// pass "next" back as cursor for the following page.
func (s *server) handleListTickets(w http.ResponseWriter, r *http.Request) error {
	f, err := ticketFilter(r)
	if err != nil {
		return err
	}
	page, err := s.backend.ListTickets(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []*icc.Ticket{}
	}
	writeJSON(w, s.logger, http.StatusOK, page)
	return nil
}

// handleCreateTicket opens a ticket through the Desk (classified, routed,
// assigned) and answers 201 with it. A conversation_id is refused (422):
// a chat becomes a ticket through POST /api/conversations/{id}/ticket,
// which links the two.
func (s *server) handleCreateTicket(w http.ResponseWriter, r *http.Request) error {
	var in icc.NewTicket
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ConversationID != "" {
		return icc.Invalid("conversation_id", "turn a conversation into a ticket with POST /api/conversations/{id}/ticket")
	}
	t, err := s.desk.CreateTicket(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/tickets/"+t.ID)
	writeJSON(w, s.logger, http.StatusCreated, t)
	return nil
}

// publicTicket is what the customer widget may send: no category,
// priority, tags or existing customer id, which only agents set.
type publicTicket struct {
	Subject       string `json:"subject"`
	Body          string `json:"body"`
	CustomerEmail string `json:"customer_email"`
	CustomerName  string `json:"customer_name"`
}

// publicTicketAnswer is what the widget learns about the ticket it filed.
type publicTicketAnswer struct {
	ID     string           `json:"id"`
	Number int64            `json:"number"`
	Status icc.TicketStatus `json:"status"`
}

// handlePublicTicket lets a customer file a ticket without signing in, at
// most publicTicketsPerWindow per IP per publicTicketWindow; a submission
// is checked whole first, so a rejected one does not count. The customer
// is found or created by email; the answer reveals only the ticket's id,
// number and status.
func (s *server) handlePublicTicket(w http.ResponseWriter, r *http.Request) error {
	var in publicTicket
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.CustomerEmail) == "" {
		return icc.Invalid("customer_email", "is required")
	}
	nt := icc.NewTicket{
		Subject: in.Subject, Body: in.Body, Channel: icc.ChannelWeb,
		CustomerEmail: in.CustomerEmail, CustomerName: in.CustomerName,
	}
	if err := nt.Validate(); err != nil {
		return err
	}
	if ok, d := s.rateAllow(r.Context(), s.publicLimiter, "ticket:ip:"+clientIP(r)); !ok {
		writeRateLimited(w, s, d, "too many tickets from this address")
		return nil
	}
	t, err := s.desk.CreateTicket(r.Context(), nt)
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusCreated, publicTicketAnswer{ID: t.ID, Number: t.Number, Status: t.Status})
	return nil
}

// handleGetTicket returns one ticket.
func (s *server) handleGetTicket(w http.ResponseWriter, r *http.Request) error {
	t, err := s.backend.GetTicket(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, t)
	return nil
}

// handleUpdateTicket changes status, priority, category or assignee. The
// body must carry the ticket's current version (409 when stale). Every
// change is checked before anything is stored, so a rejected update leaves
// the ticket as it was. Resolving or closing a ticket frees capacity and
// runs waiting-ticket assignment; an unassigned ticket waits in its queue
// until then (or until an agent comes online).
func (s *server) handleUpdateTicket(w http.ResponseWriter, r *http.Request) error {
	var u icc.TicketUpdate
	if err := decodeJSON(w, r, &u); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.precheckUpdate(r.Context(), id, u); err != nil {
		return err
	}
	t, err := s.desk.UpdateTicket(r.Context(), id, u, actorFrom(r.Context()))
	if err != nil {
		return err
	}
	if u.Status != nil && !u.Status.Active() {
		s.assignWaiting(r.Context(), "ticket "+t.ID+" "+string(*u.Status))
	}
	writeJSON(w, s.logger, http.StatusOK, t)
	return nil
}

// precheckUpdate rejects an update with the precise field error a client
// can act on (an unknown agent, an inactive ticket) before the Desk runs.
// It is not what keeps an update whole: the Desk stores an update with an
// assignment in one store call, so if another request fills the agent up
// between this check and the update, the conflict stores nothing.
func (s *server) precheckUpdate(ctx context.Context, id string, u icc.TicketUpdate) error {
	if u.Version <= 0 {
		return icc.Invalid("version", "the ticket's current version is required")
	}
	t, err := s.backend.GetTicket(ctx, id)
	if err != nil {
		return err
	}
	if t.Version != u.Version {
		return icc.Errorf(icc.ECONFLICT, "ticket %s was changed by someone else (version %d, not %d)", id, t.Version, u.Version)
	}
	status := t.Status
	if u.Status != nil && *u.Status != t.Status {
		if !u.Status.Valid() {
			return icc.Invalid("status", "unknown status %q", *u.Status)
		}
		if !icc.CanTransition(t.Status, *u.Status) {
			return icc.Invalid("status", "a %s ticket cannot become %s", t.Status, *u.Status)
		}
		status = *u.Status
	}
	if u.Priority != nil && !u.Priority.Valid() {
		return icc.Invalid("priority", "unknown priority %q", *u.Priority)
	}
	if u.Category != nil && !u.Category.Valid() {
		return icc.Invalid("category", "unknown category %q", *u.Category)
	}
	a := u.AssigneeID
	if a == nil || *a == t.AssigneeID {
		return nil
	}
	if !status.Active() {
		return icc.Invalid("assignee_id", "a %s ticket cannot be assigned or unassigned", status)
	}
	if *a == "" {
		return nil
	}
	agent, err := s.backend.GetAgent(ctx, *a)
	if errors.Is(err, icc.ErrNotFound) {
		return icc.Invalid("assignee_id", "no agent %q", *a)
	}
	if err != nil {
		return err
	}
	loads, err := s.backend.AgentLoads(ctx)
	if err != nil {
		return err
	}
	if loads[agent.ID] >= agent.Capacity {
		return icc.Errorf(icc.ECONFLICT, "agent %s already has %d active tickets, the most allowed", agent.ID, agent.Capacity)
	}
	return nil
}

// replyRequest is the body of POST /api/tickets/{id}/replies and /notes.
type replyRequest struct {
	Body string `json:"body"`
}

// handleReply adds an agent's reply, or an internal note when internal is
// set, and answers 201 with the updated ticket.
func (s *server) handleReply(internal bool) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req replyRequest
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
		t, err := s.desk.Reply(r.Context(), r.PathValue("id"), req.Body, internal, actorFrom(r.Context()))
		if err != nil {
			return err
		}
		writeJSON(w, s.logger, http.StatusCreated, t)
		return nil
	}
}

// eventsBody is the answer of GET /api/tickets/{id}/events.
type eventsBody struct {
	Items []icc.TicketEvent `json:"items"`
}

// handleTicketEvents returns the ticket's audit trail, oldest first.
func (s *server) handleTicketEvents(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.backend.GetTicket(r.Context(), id); err != nil {
		return err
	}
	evs, err := s.backend.ListTicketEvents(r.Context(), id)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []icc.TicketEvent{}
	}
	writeJSON(w, s.logger, http.StatusOK, eventsBody{Items: evs})
	return nil
}

// ratingRequest is the body of POST /api/tickets/{id}/rating.
type ratingRequest struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// handleRateTicket records the customer's satisfaction with a resolved
// or closed ticket, as reported to an agent; a ticket is rated once (409
// after), and one that is not resolved or closed is 409 too.
func (s *server) handleRateTicket(w http.ResponseWriter, r *http.Request) error {
	var req ratingRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	t, err := s.desk.Rate(r.Context(), r.PathValue("id"), req.Rating, req.Comment, actorFrom(r.Context()))
	if err != nil {
		return err
	}
	writeJSON(w, s.logger, http.StatusOK, t)
	return nil
}
