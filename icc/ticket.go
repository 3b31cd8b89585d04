package icc

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/icclabs/commandcenter/classify"
)

// Category is the broad kind of a ticket: the classifier's vocabulary.
type Category = classify.Category

// Categories, as in package classify.
const (
	CategoryTechnical = classify.CategoryTechnical
	CategoryBilling   = classify.CategoryBilling
	CategoryGeneral   = classify.CategoryGeneral
	CategorySensitive = classify.CategorySensitive
)

// Priority is how soon a ticket needs an answer.
type Priority = classify.Priority

// Priorities, lowest first.
const (
	PriorityLow    = classify.PriorityLow
	PriorityMedium = classify.PriorityMedium
	PriorityHigh   = classify.PriorityHigh
	PriorityUrgent = classify.PriorityUrgent
)

// PriorityRank orders priorities: low 1, medium 2, high 3, urgent 4, unknown 0.
func PriorityRank(p Priority) int {
	switch p {
	case PriorityLow:
		return 1
	case PriorityMedium:
		return 2
	case PriorityHigh:
		return 3
	case PriorityUrgent:
		return 4
	}
	return 0
}

// TicketStatus is where a ticket is in its life.
type TicketStatus string

// Ticket statuses.
const (
	StatusNew      TicketStatus = "new"      // created, nobody has looked at it
	StatusOpen     TicketStatus = "open"     // an agent works on it
	StatusPending  TicketStatus = "pending"  // waiting for the customer or a third party
	StatusResolved TicketStatus = "resolved" // answered; the customer may rate or reopen it
	StatusClosed   TicketStatus = "closed"   // finished; reopening makes it open again
)

// Valid reports whether s is a known status.
func (s TicketStatus) Valid() bool {
	switch s {
	case StatusNew, StatusOpen, StatusPending, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Active reports whether a ticket in status s still needs work and counts
// against its assignee's capacity.
func (s TicketStatus) Active() bool {
	return s == StatusNew || s == StatusOpen || s == StatusPending
}

// CanTransition reports whether a ticket may move from status from to status
// to. Moving to the same status is not a transition. Resolved and closed
// tickets may be reopened (to open); nothing returns to new.
func CanTransition(from, to TicketStatus) bool {
	if from == to || !to.Valid() {
		return false
	}
	switch from {
	case StatusNew:
		return to != StatusNew
	case StatusOpen, StatusPending:
		return to != StatusNew
	case StatusResolved:
		return to == StatusOpen || to == StatusClosed
	case StatusClosed:
		return to == StatusOpen
	}
	return false
}

// Channel is where a ticket or conversation came from.
type Channel string

// Channels.
const (
	ChannelEmail Channel = "email"
	ChannelChat  Channel = "chat"
	ChannelWeb   Channel = "web"
	ChannelPhone Channel = "phone"
	ChannelAPI   Channel = "api"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelEmail, ChannelChat, ChannelWeb, ChannelPhone, ChannelAPI:
		return true
	}
	return false
}

// Classification is what a classifier said about a ticket, kept with it so
// that agents see it and analytics can measure the classifier.
type Classification struct {
	// Model names the classifier that answered, e.g. "offline/v1".
	Model          string             `json:"model"`
	Category       Category           `json:"category"`
	Priority       Priority           `json:"priority"`
	Intent         string             `json:"intent,omitempty"`
	Confidence     float64            `json:"confidence"`
	Sentiment      classify.Sentiment `json:"sentiment,omitempty"`
	SentimentScore float64            `json:"sentiment_score"`
	Escalate       bool               `json:"escalate"`
	Reasons        []classify.Reason  `json:"reasons,omitempty"`
	SuggestedReply string             `json:"suggested_reply,omitempty"`
	// Error is set when classification failed and the ticket was routed by
	// rules alone.
	Error string `json:"error,omitempty"`
}

// ClassificationOf is what a classifier's result keeps with a ticket or a
// conversation.
func ClassificationOf(r classify.Result) Classification {
	return Classification{
		Model: r.Model, Category: r.Category, Priority: r.Priority, Intent: r.Intent,
		Confidence: r.Confidence, Sentiment: r.Sentiment, SentimentScore: r.SentimentScore,
		Escalate: r.Escalate, Reasons: r.Reasons, SuggestedReply: r.SuggestedReply,
	}
}

// Satisfaction is a customer's rating of a resolved ticket.
type Satisfaction struct {
	// Rating runs from 1 (very unhappy) to 5 (very happy).
	Rating  int       `json:"rating"`
	Comment string    `json:"comment,omitempty"`
	RatedAt time.Time `json:"rated_at"`
}

// Ticket is a customer's request and everything that happened to it.
type Ticket struct {
	ID string `json:"id"`
	// Number is a short human-friendly number assigned by the store, unique
	// and increasing.
	Number     int64        `json:"number"`
	Subject    string       `json:"subject"`
	Body       string       `json:"body"`
	CustomerID string       `json:"customer_id"`
	Channel    Channel      `json:"channel"`
	Category   Category     `json:"category"`
	Priority   Priority     `json:"priority"`
	Status     TicketStatus `json:"status"`
	// Queue is the queue the router chose.
	Queue string `json:"queue"`
	// AssigneeID is the agent working on the ticket, "" when unassigned.
	AssigneeID string `json:"assignee_id,omitempty"`
	// Tags label the ticket, e.g. "vip" or "incident:Mock ERP" (see
	// IncidentTag). Validate trims each tag and drops duplicates, keeping
	// the first; a tag must then be 1 to MaxTagLen characters (an incident
	// tag may be as long as "incident:" and the longest integration name)
	// without control characters, and a ticket has at most MaxTags tags.
	// Spaces and punctuation inside a tag are fine.
	Tags []string `json:"tags"`
	// ConversationID is the chat the ticket was made from, if any.
	ConversationID string          `json:"conversation_id,omitempty"`
	Classification *Classification `json:"classification,omitempty"`
	// SLA due times, set from the SLA policy when the ticket is created.
	FirstResponseDue *time.Time `json:"first_response_due,omitempty"`
	ResolutionDue    *time.Time `json:"resolution_due,omitempty"`
	// When the first agent reply was sent, the ticket resolved and closed.
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	ClosedAt        *time.Time `json:"closed_at,omitempty"`
	// Breaches recorded by the SLA watcher.
	FirstResponseBreached bool `json:"first_response_breached"`
	ResolutionBreached    bool `json:"resolution_breached"`
	// Escalated is set when a breach or the classifier escalated the ticket.
	Escalated    bool          `json:"escalated"`
	Satisfaction *Satisfaction `json:"satisfaction,omitempty"`
	// Version increases with every update; an update carrying an older
	// version is rejected with ECONFLICT.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits on ticket text.
const (
	MaxSubjectLen = 300
	MaxBodyLen    = 64 << 10
	// MaxTagLen is the longest ordinary tag, in characters; see Ticket.Tags.
	MaxTagLen = 50
	// MaxTags is the most tags a ticket carries.
	MaxTags = 20
)

// Validate checks the ticket's fields and fills defaults: status new,
// channel web, priority medium, category general. It normalises Tags (see
// there) into a new slice. Text must be valid UTF-8 without NUL bytes.
func (t *Ticket) Validate() error {
	if err := checkTexts("subject", t.Subject, "body", t.Body); err != nil {
		return err
	}
	if strings.TrimSpace(t.Subject) == "" {
		return Invalid("subject", "is required")
	}
	if len(t.Subject) > MaxSubjectLen {
		return Invalid("subject", "must be valid text of at most %d bytes", MaxSubjectLen)
	}
	if len(t.Body) > MaxBodyLen {
		return Invalid("body", "must be valid text of at most %d bytes", MaxBodyLen)
	}
	if t.CustomerID == "" {
		return Invalid("customer_id", "is required")
	}
	if err := checkTexts("id", t.ID, "customer_id", t.CustomerID, "queue", t.Queue, "assignee_id", t.AssigneeID,
		"conversation_id", t.ConversationID); err != nil {
		return err
	}
	if t.Channel == "" {
		t.Channel = ChannelWeb
	}
	if !t.Channel.Valid() {
		return Invalid("channel", "must be one of email, chat, web, phone, api")
	}
	if t.Category == "" {
		t.Category = CategoryGeneral
	}
	if !t.Category.Valid() {
		return Invalid("category", "must be one of technical, billing, general, sensitive")
	}
	if t.Priority == "" {
		t.Priority = PriorityMedium
	}
	if !t.Priority.Valid() {
		return Invalid("priority", "must be one of low, medium, high, urgent")
	}
	if t.Status == "" {
		t.Status = StatusNew
	}
	if !t.Status.Valid() {
		return Invalid("status", "must be one of new, open, pending, resolved, closed")
	}
	tags, err := normalizeTags(t.Tags)
	if err != nil {
		return err
	}
	t.Tags = tags
	if c := t.Classification; c != nil {
		if err := c.checkStorable(); err != nil {
			return err
		}
	}
	if s := t.Satisfaction; s != nil {
		if s.Rating < 1 || s.Rating > 5 {
			return Invalid("rating", "must be between 1 and 5")
		}
		if err := CheckText("comment", s.Comment); err != nil {
			return err
		}
	}
	return nil
}

// checkStorable checks that the classification's texts can be stored.
func (c *Classification) checkStorable() error {
	if err := checkTexts("classification.model", c.Model, "classification.intent", c.Intent,
		"classification.sentiment", string(c.Sentiment), "classification.suggested_reply", c.SuggestedReply,
		"classification.error", c.Error); err != nil {
		return err
	}
	for _, r := range c.Reasons {
		if err := CheckText("classification.reasons", string(r)); err != nil {
			return err
		}
	}
	return nil
}

// TicketSort orders a ticket list.
type TicketSort string

// Ticket orders.
const (
	SortNewest TicketSort = "newest" // by creation time, newest first (the default)
	SortOldest TicketSort = "oldest" // by creation time, oldest first
)

// TicketFilter selects tickets. Nil pointers match everything.
type TicketFilter struct {
	Status   *TicketStatus
	Category *Category
	Priority *Priority
	Queue    *string
	// AssigneeID keeps tickets of one agent; a pointer to "" keeps unassigned tickets.
	AssigneeID *string
	CustomerID *string
	// ConversationID keeps the ticket made from one conversation (a
	// conversation becomes at most one ticket); a pointer to "" keeps
	// tickets not made from a conversation.
	ConversationID *string
	// Text keeps tickets whose subject or body contains every term, ignoring case.
	Text string
	// CreatedFrom and CreatedTo bound the creation time: From inclusive, To exclusive.
	CreatedFrom time.Time
	CreatedTo   time.Time
	Sort        TicketSort
	Limit       int
	Cursor      string
}

// Validate checks the filter's enumerations and that its texts are valid
// UTF-8 without NUL bytes.
func (f *TicketFilter) Validate() error {
	if err := checkTexts("text", f.Text, "queue", deref(f.Queue), "assignee_id", deref(f.AssigneeID),
		"customer_id", deref(f.CustomerID), "conversation_id", deref(f.ConversationID)); err != nil {
		return err
	}
	if f.Status != nil && !f.Status.Valid() {
		return Invalid("status", "unknown status %q", *f.Status)
	}
	if f.Category != nil && !f.Category.Valid() {
		return Invalid("category", "unknown category %q", *f.Category)
	}
	if f.Priority != nil && !f.Priority.Valid() {
		return Invalid("priority", "unknown priority %q", *f.Priority)
	}
	switch f.Sort {
	case "", SortNewest, SortOldest:
	default:
		return Invalid("sort", "must be newest or oldest")
	}
	return nil
}

// TicketEventType names what happened to a ticket.
type TicketEventType string

// Ticket event types.
const (
	EventCreated              TicketEventType = "created"
	EventEnriched             TicketEventType = "enriched"
	EventEnrichmentFailed     TicketEventType = "enrichment_failed"
	EventClassified           TicketEventType = "classified"
	EventClassificationFailed TicketEventType = "classification_failed"
	EventRouted               TicketEventType = "routed"
	EventAssigned             TicketEventType = "assigned"
	EventUnassigned           TicketEventType = "unassigned"
	EventStatusChanged        TicketEventType = "status_changed"
	EventPriorityChanged      TicketEventType = "priority_changed"
	EventCategoryChanged      TicketEventType = "category_changed"
	EventReply                TicketEventType = "reply"
	EventNote                 TicketEventType = "note"
	EventSLAAtRisk            TicketEventType = "sla_at_risk"     // To: first_response or resolution
	EventSLABreached          TicketEventType = "sla_breached"    // To: first_response or resolution
	EventIncidentLinked       TicketEventType = "incident_linked" // To: the integration's id
	EventEscalated            TicketEventType = "escalated"
	EventRated                TicketEventType = "rated"
)

// ActorType says who caused an event.
type ActorType string

// Actor types.
const (
	ActorSystem   ActorType = "system"
	ActorAgent    ActorType = "agent"
	ActorCustomer ActorType = "customer"
	ActorBot      ActorType = "bot"
)

// Valid reports whether t is one of the actor types.
func (t ActorType) Valid() bool {
	switch t {
	case ActorSystem, ActorAgent, ActorCustomer, ActorBot:
		return true
	}
	return false
}

// TicketEvent is one entry of a ticket's audit trail.
type TicketEvent struct {
	ID        string          `json:"id"`
	TicketID  string          `json:"ticket_id"`
	Type      TicketEventType `json:"type"`
	ActorType ActorType       `json:"actor_type"`
	ActorID   string          `json:"actor_id,omitempty"`
	// From and To hold the old and new value of a change.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Body is the text of a reply or note, or a description.
	Body string `json:"body,omitempty"`
	// Data holds extra structured detail as a JSON object.
	Data      json.RawMessage `json:"data,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// Validate checks the event's fields and fills the actor type (system).
// Text must be valid UTF-8 without NUL bytes.
func (e *TicketEvent) Validate() error {
	if e.Type == "" {
		return Invalid("type", "is required")
	}
	if e.ActorType == "" {
		e.ActorType = ActorSystem
	}
	if err := checkTexts("id", e.ID, "type", string(e.Type), "ticket_id", e.TicketID, "actor_type", string(e.ActorType),
		"actor_id", e.ActorID, "from", e.From, "to", e.To, "body", e.Body); err != nil {
		return err
	}
	if len(e.Body) > MaxBodyLen {
		return Invalid("body", "must be valid text of at most %d bytes", MaxBodyLen)
	}
	if len(e.Data) > 0 && (!json.Valid(e.Data) || !utf8.Valid(e.Data)) {
		return Invalid("data", "must be valid JSON")
	}
	return nil
}

// Assignment asks a store to assign a ticket to an agent atomically.
type Assignment struct {
	TicketID string
	// AgentID is the agent to assign; "" unassigns.
	AgentID string
	// Version, when not zero, must equal the ticket's current version.
	// When zero, the ticket must be unassigned (so that two automatic
	// assigners cannot both assign it).
	Version int64
	// Event is recorded with the assignment (type assigned or unassigned is
	// filled in when empty).
	Event TicketEvent
	// Update, when not nil, changes the ticket's other fields in the same
	// transaction as the assignment: they are replaced from Update as
	// UpdateTicket does (its ID, Number, CreatedAt, UpdatedAt, Version and
	// AssigneeID are ignored), and Events are appended before Event. Version
	// is then required. The rule that the ticket must be active applies to
	// the updated status. If the assignment is refused, nothing of the update
	// is stored either.
	Update *Ticket
	// Events are recorded with Update, before Event; they are ignored when
	// Update is nil.
	Events []TicketEvent
}

// Validate checks the assignment's ticket id and, with an Update, its
// version and the updated ticket's fields (filling their defaults).
func (a *Assignment) Validate() error {
	if a.TicketID == "" {
		return Invalid("ticket_id", "is required")
	}
	if err := checkTexts("ticket_id", a.TicketID, "agent_id", a.AgentID); err != nil {
		return err
	}
	if a.Update == nil {
		return nil
	}
	if a.Version == 0 {
		return Invalid("version", "is required with an update")
	}
	if a.Update.ID != "" && a.Update.ID != a.TicketID {
		return Invalid("ticket_id", "the update is for ticket %q, not %q", a.Update.ID, a.TicketID)
	}
	return a.Update.Validate()
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ConversationTicketTaken is the error of a store asked to keep a second
// ticket made from one conversation (Ticket.ConversationID), the same on
// every backend: ECONFLICT naming conversation_id. cause, which may be
// nil, is kept for logs.
func ConversationTicketTaken(conversationID string, cause error) *Error {
	return &Error{Code: ECONFLICT, Field: "conversation_id",
		Message: fmt.Sprintf("conversation %s is already another ticket", conversationID), Err: cause}
}
