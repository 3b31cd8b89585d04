package icc

import (
	"strings"
	"time"
)

// ConversationStatus is whether a chat is still going on.
type ConversationStatus string

// Conversation statuses.
const (
	ConversationOpen   ConversationStatus = "open"
	ConversationClosed ConversationStatus = "closed"
)

// Valid reports whether s is a known status.
func (s ConversationStatus) Valid() bool { return s == ConversationOpen || s == ConversationClosed }

// Conversation is a live chat between a customer and the support team.
type Conversation struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customer_id"`
	Subject    string             `json:"subject,omitempty"`
	Status     ConversationStatus `json:"status"`
	// AssigneeID is the agent handling the chat, "" when nobody is.
	AssigneeID string `json:"assignee_id,omitempty"`
	// TicketID is set when the chat was turned into a ticket.
	TicketID string `json:"ticket_id,omitempty"`
	// TokenHash is a hash of the customer's conversation token; never serialised.
	TokenHash string `json:"-"`
	// LastSeq is the sequence number of the newest message (0 when empty).
	LastSeq int64 `json:"last_seq"`
	// LastMessageAt is when the newest message was stored.
	LastMessageAt *time.Time `json:"last_message_at,omitempty"`
	// Triage is the classifier's reading of the conversation's newest
	// classified customer message, nil until one was classified. Only
	// ConversationStore.SetConversationTriage writes it: CreateConversation
	// and UpdateConversation leave it as the store has it.
	Triage *Triage `json:"triage,omitempty"`
	// Version increases with every update (not with new messages, nor with
	// a new Triage).
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Triage is what the classifier said about one customer message of a
// conversation, kept with the conversation so that an agent who opens it
// later sees what a live classification frame showed.
//
// Its JSON is flat: seq and at beside the fields of Classification, e.g.
//
//	{"seq":3,"model":"offline/v1","category":"billing","priority":"high",
//	 "intent":"refund","confidence":0.82,"sentiment":"negative",
//	 "sentiment_score":-0.4,"escalate":false,"suggested_reply":"…",
//	 "at":"2025-01-02T15:04:05Z"}
type Triage struct {
	// Seq is the sequence number of the customer message classified.
	Seq int64 `json:"seq"`
	Classification
	// At is when the message was classified; a store stamps the time of
	// the write when it is zero.
	At time.Time `json:"at"`
}

// Validate checks a triage before it is stored: Seq is at least 1, the
// category and priority are known, confidence is within 0..1 and the
// sentiment score within -1..1, and every text is storable (see
// CheckText). Whether Seq names a stored message is the store's check.
func (t *Triage) Validate() error {
	if t.Seq < 1 {
		return Invalid("seq", "must be at least 1")
	}
	if !t.Category.Valid() {
		return Invalid("category", "must be one of technical, billing, general, sensitive")
	}
	if !t.Priority.Valid() {
		return Invalid("priority", "must be one of low, medium, high, urgent")
	}
	// Written so that NaN fails too: no JSON encoder can store it.
	if !(t.Confidence >= 0 && t.Confidence <= 1) {
		return Invalid("confidence", "must be between 0 and 1")
	}
	if !(t.SentimentScore >= -1 && t.SentimentScore <= 1) {
		return Invalid("sentiment_score", "must be between -1 and 1")
	}
	return t.checkStorable()
}

// Validate checks the conversation's fields and fills the status (open).
// Text must be valid UTF-8 without NUL bytes.
func (c *Conversation) Validate() error {
	if c.CustomerID == "" {
		return Invalid("customer_id", "is required")
	}
	if err := checkTexts("id", c.ID, "customer_id", c.CustomerID, "subject", c.Subject, "assignee_id", c.AssigneeID,
		"ticket_id", c.TicketID, "token_hash", c.TokenHash); err != nil {
		return err
	}
	if len(c.Subject) > MaxSubjectLen {
		return Invalid("subject", "must be valid text of at most %d bytes", MaxSubjectLen)
	}
	if c.Status == "" {
		c.Status = ConversationOpen
	}
	if !c.Status.Valid() {
		return Invalid("status", "must be open or closed")
	}
	return nil
}

// ConversationFilter selects conversations, newest first.
type ConversationFilter struct {
	Status *ConversationStatus
	// AssigneeID keeps one agent's chats; a pointer to "" keeps unassigned ones.
	AssigneeID *string
	CustomerID *string
	Limit      int
	Cursor     string
}

// Validate checks the filter's status and that its ids are storable text.
func (f *ConversationFilter) Validate() error {
	if f.Status != nil && !f.Status.Valid() {
		return Invalid("status", "must be open or closed")
	}
	if f.AssigneeID != nil {
		if err := CheckText("assignee", *f.AssigneeID); err != nil {
			return err
		}
	}
	if f.CustomerID != nil {
		return CheckText("customer", *f.CustomerID)
	}
	return nil
}

// SenderType says who wrote a chat message.
type SenderType string

// Sender types.
const (
	SenderCustomer SenderType = "customer"
	SenderAgent    SenderType = "agent"
	SenderBot      SenderType = "bot"
	SenderSystem   SenderType = "system"
)

// Valid reports whether s is a known sender type.
func (s SenderType) Valid() bool {
	switch s {
	case SenderCustomer, SenderAgent, SenderBot, SenderSystem:
		return true
	}
	return false
}

// Message is one stored chat message.
type Message struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	// Seq numbers a conversation's messages 1, 2, 3, … with no gaps,
	// assigned by the store.
	Seq int64 `json:"seq"`
	// ClientID is the sender's idempotency key: a second message with the
	// same ClientID in the same conversation is not stored again.
	ClientID   string     `json:"client_id,omitempty"`
	SenderType SenderType `json:"sender_type"`
	SenderID   string     `json:"sender_id,omitempty"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
}

// MaxMessageLen is the longest chat message body, in bytes.
const MaxMessageLen = 8 << 10

// NewMessage is a chat message to store.
type NewMessage struct {
	ConversationID string
	ClientID       string
	SenderType     SenderType
	SenderID       string
	Body           string
}

// Validate checks the message's fields. Text must be valid UTF-8 without
// NUL bytes.
func (m *NewMessage) Validate() error {
	if m.ConversationID == "" {
		return Invalid("conversation_id", "is required")
	}
	if !m.SenderType.Valid() {
		return Invalid("sender_type", "must be customer, agent, bot or system")
	}
	if err := checkTexts("conversation_id", m.ConversationID, "client_id", m.ClientID, "sender_id", m.SenderID,
		"body", m.Body); err != nil {
		return err
	}
	if strings.TrimSpace(m.Body) == "" {
		return Invalid("body", "is required")
	}
	if len(m.Body) > MaxMessageLen {
		return Invalid("body", "must be valid text of at most %d bytes", MaxMessageLen)
	}
	if len(m.ClientID) > 100 {
		return Invalid("client_id", "must be at most 100 characters")
	}
	return nil
}

// Appended is the outcome of storing one NewMessage.
type Appended struct {
	Message Message
	// Duplicate is true when a message with the same client id was already
	// stored; Message is then that earlier message.
	Duplicate bool
}

// ReadMark is how far a participant has read a conversation.
type ReadMark struct {
	ConversationID string `json:"conversation_id"`
	// ParticipantID is an agent id or a customer id.
	ParticipantID string    `json:"participant_id"`
	Seq           int64     `json:"seq"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Validate checks a read mark before it is stored: both ids are required
// storable text and the seq is not negative.
func (m ReadMark) Validate() error {
	switch {
	case m.ConversationID == "":
		return Invalid("conversation_id", "is required")
	case m.ParticipantID == "":
		return Invalid("participant_id", "is required")
	case m.Seq < 0:
		return Invalid("seq", "must not be negative")
	}
	return checkTexts("conversation_id", m.ConversationID, "participant_id", m.ParticipantID)
}
