package icc

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/icclabs/commandcenter/classify"
)

// Clock tells the time. Tests inject a fake one to control SLA timers.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// CustomerInfo is what a CustomerDirectory knows about a customer.
type CustomerInfo struct {
	Name    string
	Tier    string
	Account string
}

// CustomerDirectory looks customers up in a business system such as a CRM,
// to enrich new tickets. A lookup that fails or times out never blocks
// ticket creation.
type CustomerDirectory interface {
	// LookupCustomer returns what the directory knows about the customer
	// with the given email; an ENOTFOUND error when it knows nothing.
	LookupCustomer(ctx context.Context, email string) (CustomerInfo, error)
}

// Correction is an agent's change of a ticket's category: a label the
// classifier got wrong, which a learning classifier can be taught.
type Correction struct {
	TicketID string
	Text     string
	From     Category
	To       Category
	AgentID  string
}

// DeskConfig configures a Desk. Store is required; every other zero value
// is a sensible default.
type DeskConfig struct {
	Store Store
	// Classifier labels new tickets; without one tickets are routed by
	// their given category and rules alone.
	Classifier classify.Classifier
	// ClassifyTimeout bounds classification (default 3s).
	ClassifyTimeout time.Duration
	// Directory enriches customers; optional.
	Directory CustomerDirectory
	// DirectoryTimeout bounds a directory lookup (default 2s).
	DirectoryTimeout time.Duration
	// Incidents lists the integrations that are down or degraded, so that
	// a new ticket whose subject or body names one (see Incident.Mentioned)
	// is linked to it; optional.
	Incidents IncidentSource
	// IncidentTimeout bounds the incident lookup (default 1s).
	IncidentTimeout time.Duration
	// Router routes and picks agents (default: NewRouter(DefaultRouterConfig())).
	Router *Router
	// SLA sets due times (default DefaultSLAPolicy()).
	SLA *SLAPolicy
	// SLAWarning is the share of an SLA target that is left when CheckSLA
	// warns that the target is at risk: with 0.2 a first response due 4
	// hours after creation is at risk in its last 48 minutes. The target
	// is the SLA policy's for the ticket's current priority, counted in
	// business hours when the policy has them. Zero means 0.2; a negative
	// value turns the warning off; 1 or more is invalid.
	SLAWarning float64
	// Bus receives ticket events; optional.
	Bus Bus
	// Clock tells the time (default SystemClock).
	Clock Clock
	// Logger receives operational logs (default: discarded).
	Logger *slog.Logger
	// OnCorrection is called after an agent changes a ticket's category.
	OnCorrection func(ctx context.Context, c Correction)
}

// Desk runs the ticket lifecycle: intake (enrich, classify, route, assign,
// SLA), updates through a status state machine, replies and notes,
// satisfaction ratings and SLA breach escalation. Every change is a
// TicketEvent in the ticket's trail and an Event on the Bus. A Desk is safe
// for concurrent use.
type Desk struct {
	store        Store
	classifier   classify.Classifier
	classifyWait time.Duration
	directory    CustomerDirectory
	lookupWait   time.Duration
	incidents    IncidentSource
	incidentWait time.Duration
	router       *Router
	sla          SLAPolicy
	slaWarning   float64
	bus          Bus
	clock        Clock
	log          *slog.Logger
	onCorrection func(context.Context, Correction)
}

// NewDesk checks cfg and returns a Desk.
func NewDesk(cfg DeskConfig) (*Desk, error) {
	if cfg.Store == nil {
		return nil, Invalid("store", "a store is required")
	}
	d := &Desk{
		store:        cfg.Store,
		classifier:   cfg.Classifier,
		classifyWait: cmp.Or(cfg.ClassifyTimeout, 3*time.Second),
		directory:    cfg.Directory,
		lookupWait:   cmp.Or(cfg.DirectoryTimeout, 2*time.Second),
		incidents:    cfg.Incidents,
		incidentWait: cmp.Or(cfg.IncidentTimeout, time.Second),
		router:       cfg.Router,
		slaWarning:   cmp.Or(cfg.SLAWarning, defaultSLAWarning),
		bus:          cfg.Bus,
		clock:        cfg.Clock,
		log:          cfg.Logger,
		onCorrection: cfg.OnCorrection,
	}
	if d.router == nil {
		r, err := NewRouter(DefaultRouterConfig())
		if err != nil {
			return nil, err
		}
		d.router = r
	}
	if cfg.SLA != nil {
		if err := cfg.SLA.Validate(); err != nil {
			return nil, err
		}
		d.sla = *cfg.SLA
	} else {
		d.sla = DefaultSLAPolicy()
	}
	if d.clock == nil {
		d.clock = SystemClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.ClassifyTimeout < 0 || cfg.DirectoryTimeout < 0 || cfg.IncidentTimeout < 0 {
		return nil, Invalid("timeout", "timeouts must not be negative")
	}
	if cfg.SLAWarning >= 1 {
		return nil, Invalid("sla_warning", "must be below 1 (a share of the SLA target)")
	}
	return d, nil
}

// defaultSLAWarning is DeskConfig.SLAWarning's default.
const defaultSLAWarning = 0.2

// Router returns the desk's router.
func (d *Desk) Router() *Router { return d.router }

// NewTicket is a request to open a ticket.
type NewTicket struct {
	Subject string  `json:"subject"`
	Body    string  `json:"body"`
	Channel Channel `json:"channel"`
	// CustomerID names an existing customer; otherwise CustomerEmail finds
	// or creates one (with CustomerName). With both, CustomerEmail must be
	// that customer's email.
	CustomerID    string   `json:"customer_id"`
	CustomerEmail string   `json:"customer_email"`
	CustomerName  string   `json:"customer_name"`
	Tags          []string `json:"tags"`
	// Category and Priority, when set, are kept over the classifier's.
	Category Category `json:"category"`
	Priority Priority `json:"priority"`
	// ConversationID names the chat the ticket is made from. It must be a
	// conversation of the ticket's customer that has no ticket yet; the
	// desk does not link the conversation back to the ticket: turn a chat
	// into a ticket with chat.Hub.ConvertToTicket, which does.
	ConversationID string `json:"conversation_id"`
}

// Validate checks what CreateTicket can check of in without the store: a
// customer id or email is given, the ticket's own fields are valid (see
// Ticket.Validate) and, without a customer id, the email and name are
// valid for a new customer. Errors name the fields of NewTicket.
// CreateTicket runs it first, so that bad input writes nothing; an edge
// that must refuse bad input before spending anything on it, such as a
// rate limit, can run it too.
func (in NewTicket) Validate() error {
	_, err := in.ticket()
	return err
}

// ticket checks in (see Validate) and returns the ticket it asks for,
// without a customer.
func (in NewTicket) ticket() (*Ticket, error) {
	t := &Ticket{
		Subject: strings.TrimSpace(in.Subject), Body: in.Body, Channel: in.Channel,
		Tags: slices.Clone(in.Tags), ConversationID: in.ConversationID,
		Category: in.Category, Priority: in.Priority,
	}
	if in.CustomerID == "" && in.CustomerEmail == "" {
		return nil, Invalid("customer_email", "a customer id or email is required")
	}
	t.CustomerID = cmp.Or(in.CustomerID, "pending")
	if err := t.Validate(); err != nil {
		return nil, err
	}
	t.CustomerID = ""
	t.Category, t.Priority = in.Category, in.Priority // Validate filled defaults; the classifier decides them
	if in.CustomerID != "" {
		return t, CheckText("customer_email", in.CustomerEmail)
	}
	c := &Customer{Email: NormalizeEmail(in.CustomerEmail), Name: strings.TrimSpace(in.CustomerName)}
	if err := c.Validate(); err != nil {
		switch ErrorField(err) { // name the fields of NewTicket
		case "email":
			return nil, Invalid("customer_email", "%s", ErrorMessage(err))
		case "name":
			return nil, Invalid("customer_name", "%s", ErrorMessage(err))
		}
		return nil, err
	}
	return t, nil
}

// CreateTicket opens a ticket: it finds or creates the customer, enriches
// it through the directory, classifies the text, routes the ticket, links
// it to the active incidents its subject or body names (an
// "incident_linked" event and an "incident:<integration name>" tag each),
// sets its SLA due times, stores it with its events, tries to assign an
// agent and publishes "ticket.created". A classifier or directory that
// fails or hangs never loses the ticket: the failure is recorded as an
// event and the ticket is routed by rules alone. An incident lookup that
// fails or hangs links nothing and is logged.
//
// Bad input is EINVALID naming the field of NewTicket (see Validate), and
// so are an unknown customer id, an email that is not the named
// customer's, an unknown conversation and a conversation of another
// customer; a conversation that already has a ticket is ECONFLICT. Bad
// input writes nothing.
func (d *Desk) CreateTicket(ctx context.Context, in NewTicket) (*Ticket, error) {
	// Check the input before touching the customer, so bad input writes
	// nothing.
	t, err := in.ticket()
	if err != nil {
		return nil, err
	}
	if err := d.checkConversation(ctx, in); err != nil {
		return nil, err
	}
	now := d.clock.Now()

	cust, err := d.customer(ctx, in)
	if err != nil {
		return nil, err
	}
	t.CustomerID = cust.ID
	events := []TicketEvent{{Type: EventCreated, ActorType: ActorCustomer, ActorID: cust.ID, To: string(t.Channel)}}
	events = append(events, d.enrich(ctx, cust)...)

	ev := d.classify(ctx, t, cust.Tier)
	events = append(events, ev)

	rt := d.router.Route(t, cust.Tier)
	t.Queue = rt.Queue
	if !rt.AutoReply { // restricted queue, sensitive or escalated: no drafted answer
		t.Classification.clearReply()
	}
	events = append(events, TicketEvent{Type: EventRouted, To: rt.Queue, Data: mustJSON(map[string]any{"rule": rt.Rule, "skills": rt.Skills, "auto_reply": rt.AutoReply})})
	if t.Escalated {
		events = append(events, TicketEvent{Type: EventEscalated, Body: "classifier asked for a human", Data: mustJSON(map[string]any{"reasons": t.Classification.Reasons})})
	}
	events = append(events, d.linkIncidents(ctx, t)...)
	fr, res := d.sla.Due(now, t.Priority)
	t.FirstResponseDue, t.ResolutionDue = &fr, &res
	t.CreatedAt, t.UpdatedAt = now, now
	for i := range events {
		events[i].CreatedAt = now
	}
	if err := d.store.CreateTicket(ctx, t, events...); err != nil {
		return nil, fmt.Errorf("storing ticket: %w", err)
	}
	d.publish(ctx, "ticket.created", t)
	d.log.InfoContext(ctx, "ticket created", "ticket", t.ID, "number", t.Number, "category", t.Category, "priority", t.Priority, "queue", t.Queue)
	if assigned, err := d.autoAssign(ctx, t, rt); err != nil {
		d.log.WarnContext(ctx, "auto-assignment failed", "ticket", t.ID, "err", err)
	} else if assigned != nil {
		t = assigned
	}
	return t, nil
}

// TicketOfConversation returns the ticket made from a conversation (see
// NewTicket.ConversationID; a conversation becomes at most one ticket),
// whether or not the conversation names it yet. It lets
// chat.Hub.ConvertToTicket finish a conversion interrupted after its ticket
// was stored. No such ticket is ENOTFOUND; an empty or invalid id is
// EINVALID naming conversation_id.
func (d *Desk) TicketOfConversation(ctx context.Context, conversationID string) (*Ticket, error) {
	if conversationID == "" {
		return nil, Invalid("conversation_id", "is required")
	}
	p, err := d.store.ListTickets(ctx, TicketFilter{ConversationID: &conversationID, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("finding the ticket of conversation %s: %w", conversationID, err)
	}
	if len(p.Items) == 0 {
		return nil, NotFound("ticket of conversation", conversationID)
	}
	return p.Items[0], nil
}

func (c *Classification) clearReply() {
	if c != nil {
		c.SuggestedReply = ""
	}
}

// checkConversation checks in.ConversationID, when set: the conversation
// exists (EINVALID on conversation_id), has no ticket yet (ECONFLICT) and
// is the customer's (EINVALID on customer_id or customer_email, whichever
// names the customer). It reads only, so it runs before the customer is
// created.
func (d *Desk) checkConversation(ctx context.Context, in NewTicket) error {
	if in.ConversationID == "" {
		return nil
	}
	c, err := d.store.GetConversation(ctx, in.ConversationID)
	if errors.Is(err, ErrNotFound) {
		return Invalid("conversation_id", "no conversation %q", in.ConversationID)
	}
	if err != nil {
		return fmt.Errorf("reading conversation %s: %w", in.ConversationID, err)
	}
	if c.TicketID != "" {
		return Errorf(ECONFLICT, "conversation %q is already ticket %s", c.ID, c.TicketID)
	}
	if in.CustomerID != "" {
		if in.CustomerID != c.CustomerID {
			return Invalid("customer_id", "conversation %q is another customer's", c.ID)
		}
		return nil
	}
	cust, err := d.store.GetCustomer(ctx, c.CustomerID)
	if err != nil {
		return fmt.Errorf("reading customer %s of conversation %s: %w", c.CustomerID, c.ID, err)
	}
	if NormalizeEmail(cust.Email) != NormalizeEmail(in.CustomerEmail) {
		return Invalid("customer_email", "conversation %q is another customer's", c.ID)
	}
	return nil
}

// customer finds the ticket's customer by id, or by email creating it when
// new. in has passed Validate.
func (d *Desk) customer(ctx context.Context, in NewTicket) (*Customer, error) {
	if in.CustomerID != "" {
		c, err := d.store.GetCustomer(ctx, in.CustomerID)
		if errors.Is(err, ErrNotFound) {
			return nil, Invalid("customer_id", "no customer %q", in.CustomerID)
		}
		if err != nil {
			return nil, err
		}
		if e := NormalizeEmail(in.CustomerEmail); e != "" && e != NormalizeEmail(c.Email) {
			return nil, Invalid("customer_email", "is not the email of customer %q: give the customer id or the email", in.CustomerID)
		}
		return c, nil
	}
	email := NormalizeEmail(in.CustomerEmail)
	c, err := d.store.GetCustomerByEmail(ctx, email)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return c, err
	}
	c = &Customer{Email: email, Name: strings.TrimSpace(in.CustomerName)}
	err = d.store.CreateCustomer(ctx, c)
	if errors.Is(err, ErrConflict) { // created meanwhile by another request
		return d.store.GetCustomerByEmail(ctx, email)
	}
	return c, err
}

// enrich asks the directory about the customer and stores what it learns.
func (d *Desk) enrich(ctx context.Context, c *Customer) []TicketEvent {
	if d.directory == nil {
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, d.lookupWait)
	defer cancel()
	info, err := d.directory.LookupCustomer(lctx, c.Email)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		d.log.WarnContext(ctx, "customer lookup failed", "customer", c.ID, "err", err)
		return []TicketEvent{{Type: EventEnrichmentFailed, Body: err.Error()}}
	}
	changed := false
	for _, f := range []struct {
		dst *string
		v   string
	}{{&c.Name, info.Name}, {&c.Tier, info.Tier}, {&c.Account, info.Account}} {
		if f.v != "" && *f.dst != f.v {
			*f.dst, changed = f.v, true
		}
	}
	if changed {
		if err := d.store.UpdateCustomer(ctx, c); err != nil {
			d.log.WarnContext(ctx, "storing enriched customer failed", "customer", c.ID, "err", err)
		}
	}
	return []TicketEvent{{Type: EventEnriched, Data: mustJSON(map[string]string{"tier": info.Tier, "account": info.Account})}}
}

// classify labels t, keeping a category or priority the caller set.
func (d *Desk) classify(ctx context.Context, t *Ticket, tier string) TicketEvent {
	keepCat, keepPrio := t.Category, t.Priority
	defer func() {
		if keepCat != "" {
			t.Category = keepCat
		}
		if keepPrio != "" {
			t.Priority = keepPrio
		}
		t.Category = cmp.Or(t.Category, CategoryGeneral)
		t.Priority = cmp.Or(t.Priority, PriorityMedium)
	}()
	if d.classifier == nil {
		return TicketEvent{Type: EventClassificationFailed, Body: "no classifier configured"}
	}
	cctx, cancel := context.WithTimeout(ctx, d.classifyWait)
	defer cancel()
	res, err := classifyWithin(cctx, d.classifier, classify.Request{Subject: t.Subject, Body: t.Body, Channel: string(t.Channel), CustomerTier: tier})
	if err == nil {
		err = res.Validate()
	}
	if err != nil {
		d.log.WarnContext(ctx, "classification failed", "err", err)
		t.Classification = &Classification{Error: err.Error()}
		return TicketEvent{Type: EventClassificationFailed, Body: err.Error()}
	}
	c := ClassificationOf(res)
	t.Classification = &c
	t.Category, t.Priority, t.Escalated = res.Category, res.Priority, res.Escalate
	return TicketEvent{Type: EventClassified, To: string(res.Category), Data: mustJSON(map[string]any{
		"model": res.Model, "priority": res.Priority, "intent": res.Intent, "confidence": res.Confidence, "escalate": res.Escalate,
	})}
}

// classifyWithin runs c but returns when ctx ends even if c ignores its
// context, so a hanging classifier cannot hold a ticket back.
func classifyWithin(ctx context.Context, c classify.Classifier, req classify.Request) (classify.Result, error) {
	return answerWithin(ctx, "classifier", func(ctx context.Context) (classify.Result, error) { return c.Classify(ctx, req) })
}

// answerWithin runs f but returns when ctx ends even if f ignores its
// context; what names f in the error.
func answerWithin[T any](ctx context.Context, what string, f func(context.Context) (T, error)) (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := f(ctx)
		ch <- answer{v, err}
	}()
	select {
	case a := <-ch:
		return a.v, a.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s did not answer in time: %w", what, ctx.Err())
	}
}

// linkIncidents links t to the active incidents its subject or body names
// (see Incident.Mentioned): for each, an "incident:<name>" tag and an
// incident_linked event. A lookup that fails or hangs links nothing. A tag
// is only added while the ticket has fewer than MaxTags tags and when it is
// a valid tag, so that linking never makes the ticket invalid; the event is
// recorded either way.
func (d *Desk) linkIncidents(ctx context.Context, t *Ticket) []TicketEvent {
	if d.incidents == nil {
		return nil
	}
	ictx, cancel := context.WithTimeout(ctx, d.incidentWait)
	defer cancel()
	incidents, err := answerWithin(ictx, "incident source", d.incidents.ActiveIncidents)
	if err != nil {
		d.log.WarnContext(ctx, "incident lookup failed; ticket not linked", "err", err)
		return nil
	}
	var events []TicketEvent
	for _, inc := range MatchIncidents(t.Subject+"\n"+t.Body, incidents) {
		if tag, err := checkTag(IncidentTag(inc)); err == nil && !slices.Contains(t.Tags, tag) && len(t.Tags) < MaxTags {
			t.Tags = append(t.Tags, tag)
		}
		data := map[string]any{"integration_id": inc.IntegrationID, "name": inc.Name, "kind": inc.Kind, "status": inc.Status}
		if !inc.Since.IsZero() {
			data["since"] = inc.Since
		}
		events = append(events, TicketEvent{Type: EventIncidentLinked, To: inc.IntegrationID,
			Body: fmt.Sprintf("%s is %s", inc.Name, inc.Status), Data: mustJSON(data)})
	}
	return events
}

// autoAssign tries the route's candidates in order until the store accepts
// one. It returns nil when the ticket stays in its queue.
func (d *Desk) autoAssign(ctx context.Context, t *Ticket, rt Route) (*Ticket, error) {
	if rt.Strategy == AssignManual || t.AssigneeID != "" || !t.Status.Active() {
		return nil, nil
	}
	agents, err := d.allAgents(ctx)
	if err != nil {
		return nil, err
	}
	loads, err := d.store.AgentLoads(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range d.router.Candidates(rt, agents, loads) {
		got, err := d.store.AssignTicket(ctx, Assignment{TicketID: t.ID, AgentID: a.ID,
			Event: TicketEvent{Type: EventAssigned, To: a.ID, Body: "assigned by " + string(rt.Strategy), CreatedAt: d.clock.Now()}})
		if errors.Is(err, ErrConflict) {
			if cur, gerr := d.store.GetTicket(ctx, t.ID); gerr != nil || cur.AssigneeID != "" {
				return nil, gerr // someone else assigned it meanwhile
			}
			continue // this agent filled up meanwhile; try the next
		}
		if err != nil {
			return nil, err
		}
		d.publish(ctx, "ticket.assigned", got)
		return got, nil
	}
	return nil, nil
}

func (d *Desk) allAgents(ctx context.Context) ([]*Agent, error) {
	var all []*Agent
	f := AgentFilter{Limit: MaxLimit}
	for {
		p, err := d.store.ListAgents(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, nil
		}
		f.Cursor = p.Next
	}
}

// AssignWaiting assigns unassigned active tickets to agents who have room,
// most urgent and then oldest first. Call it when an agent comes online or
// frees capacity. It returns how many tickets it assigned.
func (d *Desk) AssignWaiting(ctx context.Context) (int, error) {
	var waiting []*Ticket
	none := ""
	f := TicketFilter{AssigneeID: &none, Sort: SortOldest, Limit: MaxLimit}
	for {
		p, err := d.store.ListTickets(ctx, f)
		if err != nil {
			return 0, err
		}
		for _, t := range p.Items {
			if t.Status.Active() {
				waiting = append(waiting, t)
			}
		}
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	slices.SortStableFunc(waiting, func(a, b *Ticket) int { return cmp.Compare(PriorityRank(b.Priority), PriorityRank(a.Priority)) })
	n := 0
	tiers := map[string]string{}
	for _, t := range waiting {
		tier, ok := tiers[t.CustomerID]
		if !ok {
			if c, err := d.store.GetCustomer(ctx, t.CustomerID); err == nil {
				tier = c.Tier
			}
			tiers[t.CustomerID] = tier
		}
		rt := d.router.Route(t, tier)
		rt.Queue = cmp.Or(t.Queue, rt.Queue)
		if q, ok := d.router.Queue(rt.Queue); ok {
			rt.Strategy = q.Strategy
		}
		got, err := d.autoAssign(ctx, t, rt)
		if err != nil {
			return n, err
		}
		if got != nil {
			n++
		}
	}
	return n, nil
}

// Actor is who makes a change through the Desk.
type Actor struct {
	Type ActorType
	ID   string
}

// TicketUpdate changes a ticket. Nil fields are left alone. Version must be
// the ticket's current version.
type TicketUpdate struct {
	Version  int64         `json:"version"`
	Status   *TicketStatus `json:"status,omitempty"`
	Priority *Priority     `json:"priority,omitempty"`
	Category *Category     `json:"category,omitempty"`
	// AssigneeID assigns the ticket to an agent; a pointer to "" unassigns it.
	AssigneeID *string `json:"assignee_id,omitempty"`
}

// UpdateTicket applies an agent's changes: status moves through the state
// machine (illegal moves are EINVALID), priority and category changes are
// recorded (a category change is also a Correction of the classifier), a
// priority change recomputes the SLA due times of the targets not yet met
// or breached from the ticket's creation under the new priority,
// and assignment checks the agent's capacity. All changes are stored in one
// store call: if the assignment is refused, nothing is stored. A stale
// Version is ECONFLICT.
func (d *Desk) UpdateTicket(ctx context.Context, id string, u TicketUpdate, by Actor) (*Ticket, error) {
	if u.Version <= 0 {
		return nil, Invalid("version", "the ticket's current version is required")
	}
	t, err := d.store.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Version != u.Version {
		return nil, Errorf(ECONFLICT, "ticket %s was changed by someone else (version %d, not %d)", id, t.Version, u.Version)
	}
	now := d.clock.Now()
	var events []TicketEvent
	ev := func(typ TicketEventType, from, to string) {
		events = append(events, TicketEvent{Type: typ, ActorType: by.Type, ActorID: by.ID, From: from, To: to, CreatedAt: now})
	}
	var correction *Correction
	if s := u.Status; s != nil && *s != t.Status {
		if !s.Valid() {
			return nil, Invalid("status", "unknown status %q", *s)
		}
		if !CanTransition(t.Status, *s) {
			return nil, Invalid("status", "a %s ticket cannot become %s", t.Status, *s)
		}
		ev(EventStatusChanged, string(t.Status), string(*s))
		d.applyStatus(t, *s, now)
	}
	if p := u.Priority; p != nil && *p != t.Priority {
		if !p.Valid() {
			return nil, Invalid("priority", "unknown priority %q", *p)
		}
		ev(EventPriorityChanged, string(t.Priority), string(*p))
		t.Priority = *p
		d.redue(t)
	}
	if c := u.Category; c != nil && *c != t.Category {
		if !c.Valid() {
			return nil, Invalid("category", "unknown category %q", *c)
		}
		ev(EventCategoryChanged, string(t.Category), string(*c))
		correction = &Correction{TicketID: t.ID, Text: t.Subject + "\n" + t.Body, From: t.Category, To: *c, AgentID: by.ID}
		events[len(events)-1].Data = mustJSON(map[string]any{"correction": true})
		t.Category = *c
	}
	var assign *Assignment
	if a := u.AssigneeID; a != nil && *a != t.AssigneeID {
		typ := EventAssigned
		if *a == "" {
			typ = EventUnassigned
		}
		assign = &Assignment{TicketID: t.ID, AgentID: *a, Version: t.Version,
			Event: TicketEvent{Type: typ, ActorType: by.Type, ActorID: by.ID, From: t.AssigneeID, To: *a, CreatedAt: now}}
		if len(events) > 0 {
			assign.Update, assign.Events = t, events
		}
	}
	// One store call stores the whole update, so an assignment that is
	// refused (the agent filled up meanwhile) leaves the ticket untouched.
	switch {
	case assign != nil:
		got, err := d.store.AssignTicket(ctx, *assign)
		if err != nil {
			return nil, err
		}
		t = got
	case len(events) > 0:
		if err := d.store.UpdateTicket(ctx, t, events...); err != nil {
			return nil, err
		}
	}
	if len(events) > 0 {
		d.publish(ctx, "ticket.updated", t)
	}
	if assign != nil {
		d.publish(ctx, "ticket.assigned", t)
	}
	if correction != nil && d.onCorrection != nil {
		d.onCorrection(ctx, *correction)
	}
	return t, nil
}

// redue recomputes t's SLA due times for its current priority, counted from
// its creation under the desk's policy (in business hours when the policy
// has them). A target that is already met (the first response given, the
// ticket resolved) or already breached keeps its due time, so that a
// priority change never rewrites history or clears a breach; a ticket
// without a due time for a target gets none. A recomputed due time may lie
// in the past: the SLA watcher then records the breach on its next round.
func (d *Desk) redue(t *Ticket) {
	fr, res := d.sla.Due(t.CreatedAt, t.Priority)
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && !t.FirstResponseBreached {
		t.FirstResponseDue = &fr
	}
	if t.ResolutionDue != nil && t.ResolvedAt == nil && !t.ResolutionBreached {
		t.ResolutionDue = &res
	}
}

// applyStatus moves t to status s and stamps the matching times.
func (d *Desk) applyStatus(t *Ticket, s TicketStatus, now time.Time) {
	switch s {
	case StatusResolved:
		t.ResolvedAt = &now
	case StatusClosed:
		t.ClosedAt = &now
		if t.ResolvedAt == nil {
			t.ResolvedAt = &now
		}
	case StatusOpen:
		if !t.Status.Active() { // reopened
			t.ResolvedAt, t.ClosedAt = nil, nil
		}
	}
	t.Status = s
}

// Reply adds a reply (internal false) or internal note (internal true) to
// the ticket, written by by (an agent, usually). The first agent reply
// stamps the first response (on a resolved ticket too, so that reopening
// it later does not count a response as missing), and an agent's reply moves a
// new ticket to open. A closed ticket takes notes but no replies (ECONFLICT:
// reopen it first); customers write no internal notes (EFORBIDDEN); by.Type
// must be one of the ActorType constants.
func (d *Desk) Reply(ctx context.Context, id string, body string, internal bool, by Actor) (*Ticket, error) {
	if err := CheckText("body", body); err != nil {
		return nil, err
	}
	if strings.TrimSpace(body) == "" {
		return nil, Invalid("body", "is required")
	}
	if !by.Type.Valid() {
		return nil, Invalid("actor", "type %q is not one of system, agent, customer, bot", by.Type)
	}
	if internal && by.Type == ActorCustomer {
		return nil, Errorf(EFORBIDDEN, "customers cannot write internal notes")
	}
	for {
		t, err := d.store.GetTicket(ctx, id)
		if err != nil {
			return nil, err
		}
		if !internal && t.Status == StatusClosed {
			return nil, Errorf(ECONFLICT, "ticket #%d is closed: reopen it before replying", t.Number)
		}
		now := d.clock.Now()
		typ := EventReply
		if internal {
			typ = EventNote
		}
		e := TicketEvent{Type: typ, ActorType: by.Type, ActorID: by.ID, Body: body, CreatedAt: now}
		if err := e.Validate(); err != nil {
			return nil, err
		}
		events := []TicketEvent{e}
		if !internal && by.Type == ActorAgent && t.FirstResponseAt == nil {
			t.FirstResponseAt = &now
		}
		if !internal && by.Type == ActorAgent && t.Status == StatusNew {
			events = append(events, TicketEvent{Type: EventStatusChanged, ActorType: by.Type, ActorID: by.ID, From: string(StatusNew), To: string(StatusOpen), CreatedAt: now})
			t.Status = StatusOpen
		}
		err = d.store.UpdateTicket(ctx, t, events...)
		if errors.Is(err, ErrConflict) {
			continue // changed meanwhile: apply the reply to the new version
		}
		if err != nil {
			return nil, err
		}
		d.publish(ctx, "ticket."+string(typ), t)
		return t, nil
	}
}

// Rate records the customer's satisfaction with a resolved or closed
// ticket, once. A rating outside 1 to 5 or a bad comment is EINVALID; a
// ticket that is not resolved or closed, or is already rated, is
// ECONFLICT.
func (d *Desk) Rate(ctx context.Context, id string, rating int, comment string, by Actor) (*Ticket, error) {
	if rating < 1 || rating > 5 {
		return nil, Invalid("rating", "must be between 1 and 5")
	}
	if err := CheckText("comment", comment); err != nil {
		return nil, err
	}
	if longerThan(comment, 2000) {
		return nil, Invalid("comment", "must be at most 2000 characters")
	}
	t, err := d.store.GetTicket(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status != StatusResolved && t.Status != StatusClosed {
		return nil, Errorf(ECONFLICT, "ticket #%d is %s: only a resolved or closed ticket can be rated", t.Number, t.Status)
	}
	if t.Satisfaction != nil {
		return nil, Errorf(ECONFLICT, "ticket %s is already rated", id)
	}
	now := d.clock.Now()
	t.Satisfaction = &Satisfaction{Rating: rating, Comment: comment, RatedAt: now}
	if err := d.store.UpdateTicket(ctx, t, TicketEvent{Type: EventRated, ActorType: by.Type, ActorID: by.ID,
		To: fmt.Sprint(rating), Body: comment, CreatedAt: now}); err != nil {
		return nil, err
	}
	d.publish(ctx, "ticket.rated", t)
	return t, nil
}

// CheckSLA finds active tickets past their first-response or resolution due
// time, records each breach once (an sla_breached event), escalates the
// ticket (priority up one level and the escalated flag set) and publishes
// "ticket.sla_breached". It also warns about targets that are about to be
// missed (see DeskConfig.SLAWarning): once per ticket, target and due
// time (a priority change that moves the due time warns anew) it
// records an sla_at_risk event and publishes "ticket.sla_at_risk". Both
// are derived from what is stored (breach flags, the ticket's trail), so
// CheckSLA is idempotent across rounds and processes; run it from one
// process at a time (see RunSLAWatcher). It returns the number of breaches
// recorded.
func (d *Desk) CheckSLA(ctx context.Context) (int, error) {
	now := d.clock.Now()
	n := 0
	for _, st := range []TicketStatus{StatusNew, StatusOpen, StatusPending} {
		f := TicketFilter{Status: &st, Sort: SortOldest, Limit: MaxLimit}
		for {
			p, err := d.store.ListTickets(ctx, f)
			if err != nil {
				return n, err
			}
			for _, t := range p.Items {
				ok, err := d.breach(ctx, t, now)
				if err == nil {
					err = d.warn(ctx, t, now)
				}
				if err != nil && !errors.Is(err, ErrConflict) {
					return n, err
				}
				if ok {
					n++
				}
			}
			if p.Next == "" {
				break
			}
			f.Cursor = p.Next
		}
	}
	return n, nil
}

func (d *Desk) breach(ctx context.Context, t *Ticket, now time.Time) (bool, error) {
	var what []string
	// A target is breached once its due time has passed, not at it: a
	// response at the due time meets it, as analytics counts it (icc
	// TicketAnalytics), whichever of the watcher and the reply came first.
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && !t.FirstResponseBreached && now.After(*t.FirstResponseDue) {
		t.FirstResponseBreached = true
		what = append(what, "first_response")
	}
	if t.ResolutionDue != nil && !t.ResolutionBreached && now.After(*t.ResolutionDue) {
		t.ResolutionBreached = true
		what = append(what, "resolution")
	}
	if len(what) == 0 {
		return false, nil
	}
	events := make([]TicketEvent, 0, len(what)+2)
	for _, w := range what {
		events = append(events, TicketEvent{Type: EventSLABreached, To: w, CreatedAt: now})
	}
	// The bump keeps the due times, unlike an agent's priority change
	// (see redue): under the higher priority's shorter targets a target
	// could be overdue at once (a medium ticket whose missed first
	// response is seen 9 hours in would be past high's 8-hour
	// resolution), and each such breach would bump it again, up to urgent.
	if next := bump(t.Priority); next != t.Priority {
		events = append(events, TicketEvent{Type: EventPriorityChanged, From: string(t.Priority), To: string(next), Body: "SLA breach", CreatedAt: now})
		t.Priority = next
	}
	if !t.Escalated {
		t.Escalated = true
		events = append(events, TicketEvent{Type: EventEscalated, Body: "SLA breach: " + strings.Join(what, ", "), CreatedAt: now})
	}
	if err := d.store.UpdateTicket(ctx, t, events...); err != nil {
		return false, err
	}
	d.log.WarnContext(ctx, "SLA breached", "ticket", t.ID, "breach", what)
	d.publish(ctx, "ticket.sla_breached", t)
	return true, nil
}

// warn records, once per target and due time, that t's first response or
// resolution is due within the warning lead and not yet breached. Whether
// it warned before is read from the ticket's trail, so that the warning
// survives a restart and a move of the watcher to another process.
func (d *Desk) warn(ctx context.Context, t *Ticket, now time.Time) error {
	if d.slaWarning <= 0 {
		return nil
	}
	target := d.sla.target(t.Priority)
	type risk struct {
		what string
		due  time.Time
	}
	var risks []risk
	if t.FirstResponseDue != nil && t.FirstResponseAt == nil && !t.FirstResponseBreached &&
		d.sla.atRisk(now, *t.FirstResponseDue, d.warningLead(target.FirstResponse)) {
		risks = append(risks, risk{"first_response", *t.FirstResponseDue})
	}
	if t.ResolutionDue != nil && !t.ResolutionBreached &&
		d.sla.atRisk(now, *t.ResolutionDue, d.warningLead(target.Resolution)) {
		risks = append(risks, risk{"resolution", *t.ResolutionDue})
	}
	if len(risks) == 0 {
		return nil
	}
	trail, err := d.store.ListTicketEvents(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("reading the trail of ticket %s: %w", t.ID, err)
	}
	risks = slices.DeleteFunc(risks, func(r risk) bool {
		return slices.ContainsFunc(trail, func(e TicketEvent) bool { return warnedAbout(e, r.what, r.due) })
	})
	if len(risks) == 0 {
		return nil // warned before
	}
	events := make([]TicketEvent, 0, len(risks))
	what := make([]string, 0, len(risks))
	for _, r := range risks {
		events = append(events, TicketEvent{Type: EventSLAAtRisk, To: r.what, CreatedAt: now,
			Body: fmt.Sprintf("due at %s, in %s", r.due.UTC().Format(time.RFC3339), r.due.Sub(now).Round(time.Second)),
			Data: mustJSON(map[string]any{"due": r.due})})
		what = append(what, r.what)
	}
	// UpdateTicket checks the version, so a second watcher that read the
	// same trail fails with ECONFLICT instead of warning twice.
	if err := d.store.UpdateTicket(ctx, t, events...); err != nil {
		return err
	}
	d.log.InfoContext(ctx, "SLA at risk", "ticket", t.ID, "targets", what)
	d.publish(ctx, "ticket.sla_at_risk", t)
	return nil
}

// warnedAbout reports whether e is an at-risk warning for target what due
// at due. A warning about another due time (the priority changed since and
// moved the target) does not count; one without a readable due time does,
// so that no target is warned about twice.
func warnedAbout(e TicketEvent, what string, due time.Time) bool {
	if e.Type != EventSLAAtRisk || e.To != what {
		return false
	}
	var data struct {
		Due *time.Time `json:"due"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil || data.Due == nil {
		return true
	}
	return data.Due.Equal(due)
}

// warningLead is the part of a target that is left when it is at risk.
func (d *Desk) warningLead(target time.Duration) time.Duration {
	return time.Duration(float64(target) * d.slaWarning)
}

func bump(p Priority) Priority {
	switch p {
	case PriorityLow:
		return PriorityMedium
	case PriorityMedium:
		return PriorityHigh
	}
	return PriorityUrgent
}

// DefaultSLAWatchInterval is how often RunSLAWatcher checks when it is
// given no interval.
const DefaultSLAWatchInterval = 30 * time.Second

// RunSLAWatcher runs CheckSLA every interval (DefaultSLAWatchInterval when
// interval is zero or negative) until ctx ends, in one process of a cluster
// at a time: each round it takes (or renews) the lease "sla-watcher" for
// holder through leaser, and skips the round when another process holds
// it. A nil leaser runs every round, for a single process.
func (d *Desk) RunSLAWatcher(ctx context.Context, leaser Leaser, holder string, interval time.Duration) {
	const lease = "sla-watcher"
	if interval <= 0 {
		interval = DefaultSLAWatchInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	if leaser != nil {
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = leaser.Release(rctx, lease, holder)
		}()
	}
	for {
		ok, err := true, error(nil)
		if leaser != nil {
			ok, err = leaser.Acquire(ctx, lease, holder, 3*interval)
		}
		if err != nil {
			d.log.WarnContext(ctx, "SLA watcher lease failed", "err", err)
		} else if ok {
			if _, err := d.CheckSLA(ctx); err != nil && ctx.Err() == nil {
				d.log.WarnContext(ctx, "SLA check failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (d *Desk) publish(ctx context.Context, typ string, t *Ticket) {
	if d.bus == nil {
		return
	}
	e := Event{Topic: TopicTickets, Type: typ, ID: t.ID, Seq: t.Version, At: d.clock.Now(),
		Data: mustJSON(map[string]any{"number": t.Number, "status": t.Status, "queue": t.Queue, "assignee_id": t.AssigneeID, "priority": t.Priority})}
	if err := d.bus.Publish(ctx, e); err != nil {
		d.log.WarnContext(ctx, "publishing ticket event failed", "type", typ, "ticket", t.ID, "err", err)
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("icc: encoding %T: %v", v, err))
	}
	return b
}
