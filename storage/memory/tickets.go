package memory

import (
	"context"
	"slices"
	"time"

	"github.com/icclabs/commandcenter/icc"
)

// CreateTicket stores a new ticket with its first events and assigns its
// Number.
func (s *Store) CreateTicket(ctx context.Context, t *icc.Ticket, events ...icc.TicketEvent) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	evs, err := validEvents(events)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.conversationFreeLocked(t); err != nil {
		return err
	}
	if err := claimID(s.tickets, "ticket", &t.ID); err != nil {
		return err
	}
	now := s.stamp()
	s.lastNumber++
	t.Number = s.lastNumber
	t.CreatedAt = orNow(t.CreatedAt, now)
	t.UpdatedAt = orNow(t.UpdatedAt, now)
	if t.Version == 0 {
		t.Version = 1
	}
	normTicket(t)
	s.tickets[t.ID] = copyTicket(t)
	s.appendEventsLocked(t.ID, evs, now)
	return nil
}

// conversationFreeLocked returns ConversationTicketTaken when a ticket
// other than t was made from t's conversation. It scans the tickets, which
// only writes that set or change a conversation id pay for. s.mu is held.
func (s *Store) conversationFreeLocked(t *icc.Ticket) error {
	if t.ConversationID == "" {
		return nil
	}
	for _, o := range s.tickets {
		if o.ConversationID == t.ConversationID && o.ID != t.ID {
			return icc.ConversationTicketTaken(t.ConversationID, nil)
		}
	}
	return nil
}

// GetTicket returns the ticket with the given id.
func (s *Store) GetTicket(ctx context.Context, id string) (*icc.Ticket, error) {
	return getCopy(ctx, s, s.tickets, "ticket", id, copyTicket)
}

// UpdateTicket replaces the ticket's fields when t.Version is current,
// increments t.Version, stamps t.UpdatedAt and appends events.
func (s *Store) UpdateTicket(ctx context.Context, t *icc.Ticket, events ...icc.TicketEvent) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	evs, err := validEvents(events)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tickets[t.ID]
	if !ok {
		return icc.NotFound("ticket", t.ID)
	}
	if err := stale("ticket", t.ID, old.Version, t.Version); err != nil {
		return err
	}
	if t.ConversationID != old.ConversationID {
		if err := s.conversationFreeLocked(t); err != nil {
			return err
		}
	}
	now := s.stamp()
	t.Number = old.Number
	t.CreatedAt = old.CreatedAt
	t.UpdatedAt = now
	t.Version++
	normTicket(t)
	s.tickets[t.ID] = copyTicket(t)
	s.appendEventsLocked(t.ID, evs, now)
	return nil
}

// AssignTicket assigns or unassigns a ticket atomically, together with the
// ticket's other changes when a.Update is set; see icc.TicketStore.
func (s *Store) AssignTicket(ctx context.Context, a icc.Assignment) (*icc.Ticket, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if a.Update != nil {
		a.Update = copyTicket(a.Update)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ev := a.Event
	if ev.Type == "" {
		ev.Type = icc.EventAssigned
		if a.AgentID == "" {
			ev.Type = icc.EventUnassigned
		}
	}
	var events []icc.TicketEvent
	if a.Update != nil {
		events = append(events, a.Events...)
	}
	evs, err := validEvents(append(events, ev))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tickets[a.TicketID]
	if !ok {
		return nil, icc.NotFound("ticket", a.TicketID)
	}
	t := copyTicket(old)
	if a.Update != nil {
		t = a.Update
		t.ID, t.Number, t.CreatedAt, t.Version = old.ID, old.Number, old.CreatedAt, old.Version
		normTicket(t)
	}
	switch {
	case a.Version != 0 && a.Version != old.Version:
		return nil, icc.Errorf(icc.ECONFLICT, "ticket %q was changed meanwhile (version %d, not %d)", old.ID, old.Version, a.Version)
	case a.Version == 0 && old.AssigneeID != "":
		return nil, icc.Errorf(icc.ECONFLICT, "ticket %q is already assigned", old.ID)
	case !t.Status.Active():
		return nil, icc.Errorf(icc.ECONFLICT, "ticket %q is %s", old.ID, t.Status)
	}
	if t.ConversationID != old.ConversationID {
		if err := s.conversationFreeLocked(t); err != nil {
			return nil, err
		}
	}
	if a.AgentID != "" {
		agent, ok := s.agents[a.AgentID]
		if !ok {
			return nil, icc.Errorf(icc.ECONFLICT, "agent %q does not exist", a.AgentID)
		}
		load := 0
		for _, t := range s.tickets {
			if t.AssigneeID == a.AgentID && t.Status.Active() && t.ID != old.ID {
				load++
			}
		}
		if load >= agent.Capacity {
			return nil, icc.Errorf(icc.ECONFLICT, "agent %q is at capacity (%d)", a.AgentID, agent.Capacity)
		}
	}
	now := s.stamp()
	t.AssigneeID = a.AgentID
	t.Version++
	t.UpdatedAt = now
	s.tickets[t.ID] = t
	s.appendEventsLocked(t.ID, evs, now)
	return copyTicket(t), nil
}

// ListTickets returns the tickets that match f, newest first unless f.Sort
// says oldest.
func (s *Store) ListTickets(ctx context.Context, f icc.TicketFilter) (icc.Page[*icc.Ticket], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.Ticket]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Ticket]{}, err
	}
	terms := icc.Terms(f.Text)
	from, to := icc.Timestamp(f.CreatedFrom), icc.Timestamp(f.CreatedTo)
	keep := func(t *icc.Ticket) bool {
		return !((f.Status != nil && t.Status != *f.Status) ||
			(f.Category != nil && t.Category != *f.Category) ||
			(f.Priority != nil && t.Priority != *f.Priority) ||
			(f.Queue != nil && t.Queue != *f.Queue) ||
			(f.AssigneeID != nil && t.AssigneeID != *f.AssigneeID) ||
			(f.CustomerID != nil && t.CustomerID != *f.CustomerID) ||
			(f.ConversationID != nil && t.ConversationID != *f.ConversationID) ||
			(!from.IsZero() && t.CreatedAt.Before(from)) ||
			(!to.IsZero() && !t.CreatedAt.Before(to)) ||
			!icc.MatchTerms(terms, t.Subject, t.Body))
	}
	desc := f.Sort != icc.SortOldest
	return pageOf(s, s.tickets, keep, func(t *icc.Ticket) key { return key{t.CreatedAt, t.ID} }, desc, f.Cursor, f.Limit, copyTicket)
}

// AddTicketEvents appends events to a ticket's trail.
func (s *Store) AddTicketEvents(ctx context.Context, ticketID string, events ...icc.TicketEvent) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	evs, err := validEvents(events)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tickets[ticketID]; !ok {
		return icc.NotFound("ticket", ticketID)
	}
	s.appendEventsLocked(ticketID, evs, s.stamp())
	return nil
}

// ListTicketEvents returns a ticket's trail oldest first; events with the
// same time stay in the order they were added.
func (s *Store) ListTicketEvents(ctx context.Context, ticketID string) ([]icc.TicketEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.tickets[ticketID]; !ok {
		return nil, icc.NotFound("ticket", ticketID)
	}
	evs := s.ticketEvents[ticketID]
	out := make([]icc.TicketEvent, len(evs))
	for i, e := range evs {
		out[i] = copyEvent(e)
	}
	slices.SortStableFunc(out, func(a, b icc.TicketEvent) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// validEvents validates copies of events.
func validEvents(events []icc.TicketEvent) ([]icc.TicketEvent, error) {
	out := make([]icc.TicketEvent, len(events))
	for i, e := range events {
		e = copyEvent(e)
		if err := e.Validate(); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

func (s *Store) appendEventsLocked(ticketID string, evs []icc.TicketEvent, now time.Time) {
	for _, e := range evs {
		if e.ID == "" {
			e.ID = icc.NewID()
		}
		e.TicketID = ticketID
		e.CreatedAt = orNow(e.CreatedAt, now)
		s.ticketEvents[ticketID] = append(s.ticketEvents[ticketID], e)
	}
}

func normTicket(t *icc.Ticket) {
	t.FirstResponseDue = icc.TimestampPtr(t.FirstResponseDue)
	t.ResolutionDue = icc.TimestampPtr(t.ResolutionDue)
	t.FirstResponseAt = icc.TimestampPtr(t.FirstResponseAt)
	t.ResolvedAt = icc.TimestampPtr(t.ResolvedAt)
	t.ClosedAt = icc.TimestampPtr(t.ClosedAt)
	if t.Satisfaction != nil {
		sat := *t.Satisfaction
		sat.RatedAt = icc.Timestamp(sat.RatedAt)
		t.Satisfaction = &sat
	}
}

func copyTicket(t *icc.Ticket) *icc.Ticket {
	v := *t
	v.Tags = slices.Clone(t.Tags)
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if t.Classification != nil {
		c := *t.Classification
		c.Reasons = slices.Clone(c.Reasons)
		v.Classification = &c
	}
	if t.Satisfaction != nil {
		sat := *t.Satisfaction
		v.Satisfaction = &sat
	}
	v.FirstResponseDue = copyTime(t.FirstResponseDue)
	v.ResolutionDue = copyTime(t.ResolutionDue)
	v.FirstResponseAt = copyTime(t.FirstResponseAt)
	v.ResolvedAt = copyTime(t.ResolvedAt)
	v.ClosedAt = copyTime(t.ClosedAt)
	return &v
}

func copyEvent(e icc.TicketEvent) icc.TicketEvent {
	e.Data = slices.Clone(e.Data)
	return e
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}
