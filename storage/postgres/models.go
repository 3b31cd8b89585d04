package postgres

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/icclabs/commandcenter/icc"
)

// The bun models below mirror the tables of the migrations. They are private
// to this package and converted to and from icc types at the edge, so the
// domain types carry no storage tags. Times are read back through
// icc.Timestamp (UTC, microseconds).

type customerModel struct {
	bun.BaseModel `bun:"table:customers"`

	ID        string    `bun:"id,pk"`
	Email     string    `bun:"email"`
	Name      string    `bun:"name"`
	Tier      string    `bun:"tier"`
	Account   string    `bun:"account"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func customerToModel(c *icc.Customer) *customerModel {
	return &customerModel{ID: c.ID, Email: c.Email, Name: c.Name, Tier: c.Tier, Account: c.Account,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (m *customerModel) toICC() *icc.Customer {
	return &icc.Customer{ID: m.ID, Email: m.Email, Name: m.Name, Tier: m.Tier, Account: m.Account,
		CreatedAt: icc.Timestamp(m.CreatedAt), UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

type agentModel struct {
	bun.BaseModel `bun:"table:agents"`

	ID           string    `bun:"id,pk"`
	Email        string    `bun:"email"`
	Name         string    `bun:"name"`
	Role         string    `bun:"role"`
	PasswordHash string    `bun:"password_hash"`
	Skills       []string  `bun:"skills,array"`
	Capacity     int       `bun:"capacity"`
	Availability string    `bun:"availability"`
	Version      int64     `bun:"version"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

func agentToModel(a *icc.Agent) *agentModel {
	return &agentModel{ID: a.ID, Email: a.Email, Name: a.Name, Role: string(a.Role), PasswordHash: a.PasswordHash,
		Skills: nonNil(a.Skills), Capacity: a.Capacity, Availability: string(a.Availability), Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (m *agentModel) toICC() *icc.Agent {
	return &icc.Agent{ID: m.ID, Email: m.Email, Name: m.Name, Role: icc.Role(m.Role), PasswordHash: m.PasswordHash,
		Skills: nonNil(m.Skills), Capacity: m.Capacity, Availability: icc.Availability(m.Availability),
		Version: m.Version, CreatedAt: icc.Timestamp(m.CreatedAt), UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

type ticketModel struct {
	bun.BaseModel `bun:"table:tickets"`

	ID                    string              `bun:"id,pk"`
	Number                int64               `bun:"number,nullzero"`
	Subject               string              `bun:"subject"`
	Body                  string              `bun:"body"`
	CustomerID            string              `bun:"customer_id"`
	Channel               string              `bun:"channel"`
	Category              string              `bun:"category"`
	Priority              string              `bun:"priority"`
	Status                string              `bun:"status"`
	Queue                 string              `bun:"queue"`
	AssigneeID            string              `bun:"assignee_id"`
	Tags                  []string            `bun:"tags,array"`
	ConversationID        string              `bun:"conversation_id"`
	Classification        *icc.Classification `bun:"classification,type:jsonb,nullzero"`
	FirstResponseDue      *time.Time          `bun:"first_response_due,nullzero"`
	ResolutionDue         *time.Time          `bun:"resolution_due,nullzero"`
	FirstResponseAt       *time.Time          `bun:"first_response_at,nullzero"`
	ResolvedAt            *time.Time          `bun:"resolved_at,nullzero"`
	ClosedAt              *time.Time          `bun:"closed_at,nullzero"`
	FirstResponseBreached bool                `bun:"first_response_breached"`
	ResolutionBreached    bool                `bun:"resolution_breached"`
	Escalated             bool                `bun:"escalated"`
	Satisfaction          *icc.Satisfaction   `bun:"satisfaction,type:jsonb,nullzero"`
	Version               int64               `bun:"version"`
	CreatedAt             time.Time           `bun:"created_at"`
	UpdatedAt             time.Time           `bun:"updated_at"`
}

func ticketToModel(t *icc.Ticket) *ticketModel {
	return &ticketModel{ID: t.ID, Number: t.Number, Subject: t.Subject, Body: t.Body, CustomerID: t.CustomerID,
		Channel: string(t.Channel), Category: string(t.Category), Priority: string(t.Priority),
		Status: string(t.Status), Queue: t.Queue, AssigneeID: t.AssigneeID, Tags: nonNil(t.Tags),
		ConversationID: t.ConversationID, Classification: t.Classification,
		FirstResponseDue: icc.TimestampPtr(t.FirstResponseDue), ResolutionDue: icc.TimestampPtr(t.ResolutionDue),
		FirstResponseAt: icc.TimestampPtr(t.FirstResponseAt), ResolvedAt: icc.TimestampPtr(t.ResolvedAt),
		ClosedAt: icc.TimestampPtr(t.ClosedAt), FirstResponseBreached: t.FirstResponseBreached,
		ResolutionBreached: t.ResolutionBreached, Escalated: t.Escalated, Satisfaction: t.Satisfaction,
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func (m *ticketModel) toICC() *icc.Ticket {
	t := &icc.Ticket{ID: m.ID, Number: m.Number, Subject: m.Subject, Body: m.Body, CustomerID: m.CustomerID,
		Channel: icc.Channel(m.Channel), Category: icc.Category(m.Category), Priority: icc.Priority(m.Priority),
		Status: icc.TicketStatus(m.Status), Queue: m.Queue, AssigneeID: m.AssigneeID, Tags: nonNil(m.Tags),
		ConversationID: m.ConversationID, Classification: m.Classification,
		FirstResponseDue: icc.TimestampPtr(m.FirstResponseDue), ResolutionDue: icc.TimestampPtr(m.ResolutionDue),
		FirstResponseAt: icc.TimestampPtr(m.FirstResponseAt), ResolvedAt: icc.TimestampPtr(m.ResolvedAt),
		ClosedAt: icc.TimestampPtr(m.ClosedAt), FirstResponseBreached: m.FirstResponseBreached,
		ResolutionBreached: m.ResolutionBreached, Escalated: m.Escalated, Satisfaction: m.Satisfaction,
		Version: m.Version, CreatedAt: icc.Timestamp(m.CreatedAt), UpdatedAt: icc.Timestamp(m.UpdatedAt)}
	if t.Satisfaction != nil {
		s := *t.Satisfaction
		s.RatedAt = icc.Timestamp(s.RatedAt)
		t.Satisfaction = &s
	}
	return t
}

type ticketEventModel struct {
	bun.BaseModel `bun:"table:ticket_events"`

	Seq       int64           `bun:"seq,nullzero"`
	ID        string          `bun:"id"`
	TicketID  string          `bun:"ticket_id"`
	Type      string          `bun:"type"`
	ActorType string          `bun:"actor_type"`
	ActorID   string          `bun:"actor_id"`
	From      string          `bun:"from_value"`
	To        string          `bun:"to_value"`
	Body      string          `bun:"body"`
	Data      json.RawMessage `bun:"data,type:json,nullzero"`
	CreatedAt time.Time       `bun:"created_at"`
}

func ticketEventToModel(e *icc.TicketEvent) *ticketEventModel {
	return &ticketEventModel{ID: e.ID, TicketID: e.TicketID, Type: string(e.Type), ActorType: string(e.ActorType),
		ActorID: e.ActorID, From: e.From, To: e.To, Body: e.Body, Data: e.Data, CreatedAt: e.CreatedAt}
}

func (m *ticketEventModel) toICC() icc.TicketEvent {
	return icc.TicketEvent{ID: m.ID, TicketID: m.TicketID, Type: icc.TicketEventType(m.Type),
		ActorType: icc.ActorType(m.ActorType), ActorID: m.ActorID, From: m.From, To: m.To, Body: m.Body,
		Data: rawJSON(m.Data), CreatedAt: icc.Timestamp(m.CreatedAt)}
}

type conversationModel struct {
	bun.BaseModel `bun:"table:conversations"`

	ID            string     `bun:"id,pk"`
	CustomerID    string     `bun:"customer_id"`
	Subject       string     `bun:"subject"`
	Status        string     `bun:"status"`
	AssigneeID    string     `bun:"assignee_id"`
	TicketID      string     `bun:"ticket_id"`
	TokenHash     string     `bun:"token_hash"`
	LastSeq       int64      `bun:"last_seq"`
	LastMessageAt *time.Time `bun:"last_message_at,nullzero"`
	// Triage is written only by SetConversationTriage.
	Triage    *icc.Triage `bun:"triage,type:jsonb,nullzero"`
	Version   int64       `bun:"version"`
	CreatedAt time.Time   `bun:"created_at"`
	UpdatedAt time.Time   `bun:"updated_at"`
}

func conversationToModel(c *icc.Conversation) *conversationModel {
	return &conversationModel{ID: c.ID, CustomerID: c.CustomerID, Subject: c.Subject, Status: string(c.Status),
		AssigneeID: c.AssigneeID, TicketID: c.TicketID, TokenHash: c.TokenHash, LastSeq: c.LastSeq,
		LastMessageAt: icc.TimestampPtr(c.LastMessageAt), Version: c.Version, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt}
}

func (m *conversationModel) toICC() *icc.Conversation {
	return &icc.Conversation{ID: m.ID, CustomerID: m.CustomerID, Subject: m.Subject,
		Status: icc.ConversationStatus(m.Status), AssigneeID: m.AssigneeID, TicketID: m.TicketID,
		TokenHash: m.TokenHash, LastSeq: m.LastSeq, LastMessageAt: icc.TimestampPtr(m.LastMessageAt),
		Triage: triageToICC(m.Triage), Version: m.Version, CreatedAt: icc.Timestamp(m.CreatedAt),
		UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

// triageToICC returns a copy of a triage read from its JSON column, with
// its time as every store keeps times.
func triageToICC(t *icc.Triage) *icc.Triage {
	if t == nil {
		return nil
	}
	v := *t
	v.At = icc.Timestamp(v.At)
	return &v
}

type messageModel struct {
	bun.BaseModel `bun:"table:messages"`

	ConversationID string    `bun:"conversation_id"`
	Seq            int64     `bun:"seq"`
	ID             string    `bun:"id"`
	ClientID       string    `bun:"client_id"`
	SenderType     string    `bun:"sender_type"`
	SenderID       string    `bun:"sender_id"`
	Body           string    `bun:"body"`
	CreatedAt      time.Time `bun:"created_at"`
}

func (m *messageModel) toICC() icc.Message {
	return icc.Message{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, ClientID: m.ClientID,
		SenderType: icc.SenderType(m.SenderType), SenderID: m.SenderID, Body: m.Body,
		CreatedAt: icc.Timestamp(m.CreatedAt)}
}

type readMarkModel struct {
	bun.BaseModel `bun:"table:read_marks"`

	ConversationID string    `bun:"conversation_id,pk"`
	ParticipantID  string    `bun:"participant_id,pk"`
	Seq            int64     `bun:"seq"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

func (m *readMarkModel) toICC() icc.ReadMark {
	return icc.ReadMark{ConversationID: m.ConversationID, ParticipantID: m.ParticipantID, Seq: m.Seq,
		UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

type integrationModel struct {
	bun.BaseModel `bun:"table:integrations"`

	ID              string          `bun:"id,pk"`
	Name            string          `bun:"name"`
	Kind            string          `bun:"kind"`
	Description     string          `bun:"description"`
	Enabled         bool            `bun:"enabled"`
	Check           icc.CheckSpec   `bun:"check_spec,type:jsonb"`
	AlertRules      []icc.AlertRule `bun:"alert_rules,type:jsonb"`
	Status          string          `bun:"status"`
	StatusReason    string          `bun:"status_reason"`
	StatusChangedAt *time.Time      `bun:"status_changed_at,nullzero"`
	Version         int64           `bun:"version"`
	CreatedAt       time.Time       `bun:"created_at"`
	UpdatedAt       time.Time       `bun:"updated_at"`
}

func integrationToModel(in *icc.Integration) *integrationModel {
	rules := in.AlertRules
	if rules == nil {
		rules = []icc.AlertRule{}
	}
	return &integrationModel{ID: in.ID, Name: in.Name, Kind: string(in.Kind), Description: in.Description,
		Enabled: in.Enabled, Check: in.Check, AlertRules: rules, Status: string(in.Status),
		StatusReason: in.StatusReason, StatusChangedAt: icc.TimestampPtr(in.StatusChangedAt), Version: in.Version, CreatedAt: in.CreatedAt,
		UpdatedAt: in.UpdatedAt}
}

func (m *integrationModel) toICC() *icc.Integration {
	rules := m.AlertRules
	if rules == nil {
		rules = []icc.AlertRule{}
	}
	return &icc.Integration{ID: m.ID, Name: m.Name, Kind: icc.IntegrationKind(m.Kind), Description: m.Description,
		Enabled: m.Enabled, Check: m.Check, AlertRules: rules, Status: icc.IntegrationStatus(m.Status),
		StatusReason: m.StatusReason, StatusChangedAt: icc.TimestampPtr(m.StatusChangedAt), Version: m.Version,
		CreatedAt: icc.Timestamp(m.CreatedAt), UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

type checkResultModel struct {
	bun.BaseModel `bun:"table:check_results"`

	ID            string    `bun:"id,pk"`
	IntegrationID string    `bun:"integration_id"`
	OK            bool      `bun:"ok"`
	LatencyNS     int64     `bun:"latency_ns"`
	StatusCode    int       `bun:"status_code"`
	Error         string    `bun:"error"`
	CheckedAt     time.Time `bun:"checked_at"`
}

func checkResultToModel(r *icc.CheckResult) checkResultModel {
	return checkResultModel{ID: r.ID, IntegrationID: r.IntegrationID, OK: r.OK, LatencyNS: int64(r.Latency),
		StatusCode: r.StatusCode, Error: r.Error, CheckedAt: r.CheckedAt}
}

func (m *checkResultModel) toICC() icc.CheckResult {
	return icc.CheckResult{ID: m.ID, IntegrationID: m.IntegrationID, OK: m.OK, Latency: icc.Duration(m.LatencyNS),
		StatusCode: m.StatusCode, Error: m.Error, CheckedAt: icc.Timestamp(m.CheckedAt)}
}

type integrationLogModel struct {
	bun.BaseModel `bun:"table:integration_logs"`

	ID            string    `bun:"id,pk"`
	IntegrationID string    `bun:"integration_id"`
	Method        string    `bun:"method"`
	Endpoint      string    `bun:"endpoint"`
	URL           string    `bun:"url"`
	StatusCode    int       `bun:"status_code"`
	LatencyNS     int64     `bun:"latency_ns"`
	Error         string    `bun:"error"`
	RequestBytes  int64     `bun:"request_bytes"`
	ResponseBytes int64     `bun:"response_bytes"`
	Level         string    `bun:"level"`
	Message       string    `bun:"message"`
	At            time.Time `bun:"at"`
}

func integrationLogToModel(l *icc.IntegrationLog) integrationLogModel {
	return integrationLogModel{ID: l.ID, IntegrationID: l.IntegrationID, Method: l.Method, Endpoint: l.Endpoint,
		URL: l.URL, StatusCode: l.StatusCode, LatencyNS: int64(l.Latency), Error: l.Error,
		RequestBytes: l.RequestBytes, ResponseBytes: l.ResponseBytes, Level: string(l.Level), Message: l.Message,
		At: l.At}
}

func (m *integrationLogModel) toICC() icc.IntegrationLog {
	return icc.IntegrationLog{ID: m.ID, IntegrationID: m.IntegrationID, Method: m.Method, Endpoint: m.Endpoint,
		URL: m.URL, StatusCode: m.StatusCode, Latency: icc.Duration(m.LatencyNS), Error: m.Error,
		RequestBytes: m.RequestBytes, ResponseBytes: m.ResponseBytes, Level: icc.LogLevel(m.Level),
		Message: m.Message, At: icc.Timestamp(m.At)}
}

type maintenanceModel struct {
	bun.BaseModel `bun:"table:maintenance_windows"`

	ID            string     `bun:"id,pk"`
	IntegrationID string     `bun:"integration_id"`
	Title         string     `bun:"title"`
	StartsAt      time.Time  `bun:"starts_at"`
	EndsAt        time.Time  `bun:"ends_at"`
	Recurrence    string     `bun:"recurrence"`
	CreatedBy     string     `bun:"created_by"`
	CanceledAt    *time.Time `bun:"canceled_at,nullzero"`
	CreatedAt     time.Time  `bun:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

func maintenanceToModel(w *icc.MaintenanceWindow) *maintenanceModel {
	return &maintenanceModel{ID: w.ID, IntegrationID: w.IntegrationID, Title: w.Title, StartsAt: w.StartsAt,
		EndsAt: w.EndsAt, Recurrence: string(w.Recurrence), CreatedBy: w.CreatedBy,
		CanceledAt: icc.TimestampPtr(w.CanceledAt), CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func (m *maintenanceModel) toICC() *icc.MaintenanceWindow {
	return &icc.MaintenanceWindow{ID: m.ID, IntegrationID: m.IntegrationID, Title: m.Title,
		StartsAt: icc.Timestamp(m.StartsAt), EndsAt: icc.Timestamp(m.EndsAt), Recurrence: icc.Recurrence(m.Recurrence),
		CreatedBy: m.CreatedBy, CanceledAt: icc.TimestampPtr(m.CanceledAt), CreatedAt: icc.Timestamp(m.CreatedAt),
		UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

type alertModel struct {
	bun.BaseModel `bun:"table:alerts"`

	ID             string     `bun:"id,pk"`
	IntegrationID  string     `bun:"integration_id"`
	Rule           string     `bun:"rule"`
	DedupKey       string     `bun:"dedup_key"`
	State          string     `bun:"state"`
	Severity       string     `bun:"severity"`
	Summary        string     `bun:"summary"`
	Count          int        `bun:"count"`
	FiredAt        time.Time  `bun:"fired_at"`
	AcknowledgedBy string     `bun:"acknowledged_by"`
	AcknowledgedAt *time.Time `bun:"acknowledged_at,nullzero"`
	ResolvedAt     *time.Time `bun:"resolved_at,nullzero"`
	Version        int64      `bun:"version"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

func alertToModel(a *icc.Alert) *alertModel {
	return &alertModel{ID: a.ID, IntegrationID: a.IntegrationID, Rule: string(a.Rule), DedupKey: a.DedupKey,
		State: string(a.State), Severity: string(a.Severity), Summary: a.Summary, Count: a.Count,
		FiredAt: a.FiredAt, AcknowledgedBy: a.AcknowledgedBy, AcknowledgedAt: icc.TimestampPtr(a.AcknowledgedAt),
		ResolvedAt: icc.TimestampPtr(a.ResolvedAt), Version: a.Version, UpdatedAt: a.UpdatedAt}
}

func (m *alertModel) toICC() *icc.Alert {
	return &icc.Alert{ID: m.ID, IntegrationID: m.IntegrationID, Rule: icc.AlertRuleType(m.Rule),
		DedupKey: m.DedupKey, State: icc.AlertState(m.State), Severity: icc.Severity(m.Severity),
		Summary: m.Summary, Count: m.Count, FiredAt: icc.Timestamp(m.FiredAt), AcknowledgedBy: m.AcknowledgedBy,
		AcknowledgedAt: icc.TimestampPtr(m.AcknowledgedAt), ResolvedAt: icc.TimestampPtr(m.ResolvedAt),
		Version: m.Version, UpdatedAt: icc.Timestamp(m.UpdatedAt)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rawJSON returns nil for an absent or null JSON value.
func rawJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}
