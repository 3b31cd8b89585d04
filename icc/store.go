package icc

import "context"

// Store is everything the domain keeps. Backends live under storage/ and
// must pass the conformance suite in storage/storagetest.
//
// Common rules for every method:
//   - Create methods validate their argument (filling defaults), assign ID,
//     CreatedAt, UpdatedAt and Version 1 when empty, and write the stored
//     values back into it.
//   - Times are kept in UTC with microsecond precision (see Timestamp).
//   - Get methods return ENOTFOUND for an unknown id; bad input is EINVALID
//     naming the field; a stale Version on update is ECONFLICT.
//   - Lists return one Page; pass Page.Next as the filter's Cursor for the
//     next one. Pagination is by key, so rows inserted meanwhile are never
//     repeated and rows that existed are never skipped.
type Store interface {
	CustomerStore
	AgentStore
	TicketStore
	ConversationStore
	IntegrationStore
	MaintenanceStore
	AlertStore
	AnalyticsStore

	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// Backend is a store together with the bus, leaser and rate limiter that
// share its resources. storage.Open returns one.
type Backend interface {
	Store
	Bus
	Leaser
	RateLimiter
}

// CustomerStore keeps customers. Emails are unique, compared after
// NormalizeEmail.
type CustomerStore interface {
	// CreateCustomer stores a new customer; a taken email is ECONFLICT.
	CreateCustomer(ctx context.Context, c *Customer) error
	GetCustomer(ctx context.Context, id string) (*Customer, error)
	GetCustomerByEmail(ctx context.Context, email string) (*Customer, error)
	// UpdateCustomer replaces the customer's fields.
	UpdateCustomer(ctx context.Context, c *Customer) error
	ListCustomers(ctx context.Context, f CustomerFilter) (Page[*Customer], error)
}

// AgentStore keeps agents. Emails are unique, compared after NormalizeEmail.
type AgentStore interface {
	// CreateAgent stores a new agent; a taken email is ECONFLICT.
	CreateAgent(ctx context.Context, a *Agent) error
	GetAgent(ctx context.Context, id string) (*Agent, error)
	GetAgentByEmail(ctx context.Context, email string) (*Agent, error)
	// UpdateAgent replaces the agent's fields when a.Version is current,
	// then increments it.
	UpdateAgent(ctx context.Context, a *Agent) error
	ListAgents(ctx context.Context, f AgentFilter) (Page[*Agent], error)
	// AgentLoads returns the number of active tickets (new, open, pending)
	// assigned to each agent that has any.
	AgentLoads(ctx context.Context) (map[string]int, error)
}

// TicketStore keeps tickets and their audit trail. Each write of a ticket
// and its events is one transaction: both are stored or neither.
type TicketStore interface {
	// CreateTicket stores a new ticket with events (their TicketID is
	// filled in) and assigns its Number. A conversation becomes at most
	// one ticket: a ConversationID another ticket has is
	// ConversationTicketTaken (ECONFLICT), here and in UpdateTicket and
	// AssignTicket.
	CreateTicket(ctx context.Context, t *Ticket, events ...TicketEvent) error
	GetTicket(ctx context.Context, id string) (*Ticket, error)
	// UpdateTicket replaces the ticket's fields when t.Version is current,
	// increments the version, stamps UpdatedAt and appends events.
	UpdateTicket(ctx context.Context, t *Ticket, events ...TicketEvent) error
	// AssignTicket assigns or unassigns a ticket atomically: the agent must
	// exist and have fewer active tickets than its capacity, the ticket must
	// be active, and the version rule of Assignment holds; otherwise it
	// returns ECONFLICT and changes nothing. With Assignment.Update set, the
	// ticket's other changes are stored in the same transaction, so an
	// update that includes an assignment is stored whole or not at all.
	AssignTicket(ctx context.Context, a Assignment) (*Ticket, error)
	ListTickets(ctx context.Context, f TicketFilter) (Page[*Ticket], error)
	// AddTicketEvents appends events to the ticket's trail without changing
	// the ticket.
	AddTicketEvents(ctx context.Context, ticketID string, events ...TicketEvent) error
	// ListTicketEvents returns the trail oldest first.
	ListTicketEvents(ctx context.Context, ticketID string) ([]TicketEvent, error)
}

// ConversationStore keeps chats and their messages.
type ConversationStore interface {
	CreateConversation(ctx context.Context, c *Conversation) error
	GetConversation(ctx context.Context, id string) (*Conversation, error)
	// UpdateConversation replaces status, subject, assignee, ticket and
	// token hash when c.Version is current; the stored Triage is kept.
	UpdateConversation(ctx context.Context, c *Conversation) error
	// SetConversationTriage stores t as the conversation's Triage unless
	// the stored one is about a later message: classification workers,
	// possibly on several servers, may finish out of order, and an older
	// reading never replaces a newer one (one about the same message
	// does). It changes neither Version nor UpdatedAt, so it never
	// conflicts with an agent's update. An unknown conversation is
	// ENOTFOUND; an invalid t (see Triage.Validate), or one whose Seq is
	// beyond the conversation's last message, is EINVALID.
	SetConversationTriage(ctx context.Context, conversationID string, t Triage) error
	ListConversations(ctx context.Context, f ConversationFilter) (Page[*Conversation], error)
	// AppendMessages stores a batch of messages, possibly for many
	// conversations, in one transaction, and returns one Appended per
	// input in order. Each conversation's messages get the next sequence
	// numbers in input order, without gaps, even with concurrent callers.
	// A message whose client id is already stored in its conversation is
	// not stored again (Duplicate). If any message is invalid or names an
	// unknown conversation, nothing is stored.
	AppendMessages(ctx context.Context, msgs []NewMessage) ([]Appended, error)
	// ListMessages returns up to limit messages with Seq > afterSeq, in order.
	ListMessages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]Message, error)
	// SetReadMark records that participant has read up to seq; a mark never
	// moves backwards, and a seq beyond the conversation's last message is
	// clamped to it. It returns the mark as stored.
	SetReadMark(ctx context.Context, m ReadMark) (ReadMark, error)
	ListReadMarks(ctx context.Context, conversationID string) ([]ReadMark, error)
}

// IntegrationStore keeps integrations, their check results and call logs.
type IntegrationStore interface {
	// CreateIntegration stores a new integration; a taken name is ECONFLICT.
	CreateIntegration(ctx context.Context, in *Integration) error
	GetIntegration(ctx context.Context, id string) (*Integration, error)
	// UpdateIntegration replaces the integration when in.Version is current.
	UpdateIntegration(ctx context.Context, in *Integration) error
	// DeleteIntegration removes an integration with its results, logs,
	// maintenance windows and alerts.
	DeleteIntegration(ctx context.Context, id string) error
	ListIntegrations(ctx context.Context, f IntegrationFilter) ([]*Integration, error)

	// AddCheckResults stores probe results in one transaction.
	AddCheckResults(ctx context.Context, rs []CheckResult) error
	ListCheckResults(ctx context.Context, f CheckResultFilter) (Page[CheckResult], error)

	// AddIntegrationLogs stores call records in one transaction.
	AddIntegrationLogs(ctx context.Context, logs []IntegrationLog) error
	SearchIntegrationLogs(ctx context.Context, f LogFilter) (Page[IntegrationLog], error)
}

// MaintenanceStore keeps maintenance windows.
type MaintenanceStore interface {
	CreateMaintenance(ctx context.Context, m *MaintenanceWindow) error
	GetMaintenance(ctx context.Context, id string) (*MaintenanceWindow, error)
	// UpdateMaintenance replaces title, times, recurrence and cancellation.
	UpdateMaintenance(ctx context.Context, m *MaintenanceWindow) error
	ListMaintenance(ctx context.Context, f MaintenanceFilter) (Page[*MaintenanceWindow], error)
}

// AlertStore keeps alerts and their history.
type AlertStore interface {
	// CreateAlert stores a new alert; another unresolved alert with the
	// same DedupKey is ECONFLICT.
	CreateAlert(ctx context.Context, a *Alert) error
	GetAlert(ctx context.Context, id string) (*Alert, error)
	// UpdateAlert replaces state, count, summary, acknowledgement and
	// resolution when a.Version is current.
	UpdateAlert(ctx context.Context, a *Alert) error
	ListAlerts(ctx context.Context, f AlertFilter) (Page[*Alert], error)
}
