package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/icclabs/commandcenter/icc"
)

// CreateTicket stores a new ticket and its events in one transaction. The
// ticket's Number comes from a sequence.
func (s *Store) CreateTicket(ctx context.Context, t *icc.Ticket, events ...icc.TicketEvent) error {
	if err := t.Validate(); err != nil {
		return err
	}
	stampNew(&t.ID, &t.CreatedAt, &t.UpdatedAt)
	if t.Version == 0 {
		t.Version = 1
	}
	evs, err := prepareEvents(t.ID, events)
	if err != nil {
		return err
	}
	m := ticketToModel(t)
	m.Number = 0 // always from the sequence
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewInsert().Model(m).Returning("*").Scan(ctx); err != nil {
			return conversationErr(err, t.ConversationID, "create ticket")
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return err
	}
	*t = *m.toICC()
	return nil
}

// GetTicket returns the ticket with the given id.
func (s *Store) GetTicket(ctx context.Context, id string) (*icc.Ticket, error) {
	if !storable(id) {
		return nil, icc.NotFound("ticket", id)
	}
	m := new(ticketModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "ticket", id)
	}
	return m.toICC(), nil
}

// UpdateTicket replaces the ticket's fields when t.Version is current,
// increments the version, stamps UpdatedAt and appends events, all in one
// transaction.
func (s *Store) UpdateTicket(ctx context.Context, t *icc.Ticket, events ...icc.TicketEvent) error {
	if err := t.Validate(); err != nil {
		return err
	}
	evs, err := prepareEvents(t.ID, events)
	if err != nil {
		return err
	}
	m := ticketToModel(t)
	m.Version = t.Version + 1
	m.UpdatedAt = now()
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewUpdate().Model(m).ExcludeColumn("id", "number", "created_at").WherePK().
			Where("version = ?", t.Version).Returning("*").Scan(ctx)
		if err != nil {
			if isConversationTaken(err) {
				return icc.ConversationTicketTaken(t.ConversationID, err)
			}
			return s.versionErr(ctx, err, "tickets", "ticket", t.ID)
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return err
	}
	*t = *m.toICC()
	return nil
}

// AssignTicket assigns or unassigns a ticket atomically. It locks the agent's
// row first and the ticket's second (always in that order, so concurrent
// assignments cannot deadlock), then checks the ticket's state, the version
// rule of icc.Assignment and the agent's capacity against its active tickets.
// Two assignments to one agent therefore run one after the other and never
// exceed its capacity, and two assignments of one ticket cannot both succeed.
// With a.Update set, the ticket's other fields are written by the same
// UPDATE and a.Events inserted in the same transaction.
func (s *Store) AssignTicket(ctx context.Context, a icc.Assignment) (*icc.Ticket, error) {
	if a.Update != nil {
		u := *a.Update
		a.Update = &u
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
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return nil, err
		}
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	m := new(ticketModel)
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var capacity int
		if a.AgentID != "" {
			err := tx.NewSelect().Table("agents").Column("capacity").Where("id = ?", a.AgentID).
				For("UPDATE").Scan(ctx, &capacity)
			if isNoRows(err) {
				return icc.Errorf(icc.ECONFLICT, "agent %q does not exist", a.AgentID)
			}
			if err != nil {
				return dbErr(err, "assign ticket")
			}
		}
		if err := tx.NewSelect().Model(m).Where("id = ?", a.TicketID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "ticket", a.TicketID)
		}
		status := icc.TicketStatus(m.Status)
		if a.Update != nil {
			status = a.Update.Status
		}
		switch {
		case !status.Active():
			return icc.Errorf(icc.ECONFLICT, "ticket %q is %s and cannot be assigned", a.TicketID, status)
		case a.Version != 0 && a.Version != m.Version:
			return icc.Errorf(icc.ECONFLICT, "ticket %q was changed by someone else; reload and try again", a.TicketID)
		case a.Version == 0 && m.AssigneeID != "":
			return icc.Errorf(icc.ECONFLICT, "ticket %q is already assigned", a.TicketID)
		}
		if a.AgentID != "" && a.AgentID != m.AssigneeID {
			n, err := tx.NewSelect().Table("tickets").Where("assignee_id = ?", a.AgentID).
				Where("status IN (?)", bun.In(activeStatuses)).Where("id <> ?", a.TicketID).Count(ctx)
			if err != nil {
				return dbErr(err, "assign ticket")
			}
			if n >= int64(capacity) {
				return icc.Errorf(icc.ECONFLICT, "agent %q is at capacity (%d active tickets)", a.AgentID, n)
			}
		}
		if ev.From == "" && ev.To == "" {
			ev.From, ev.To = m.AssigneeID, a.AgentID
		}
		var err error
		if a.Update != nil {
			u := ticketToModel(a.Update)
			u.ID, u.AssigneeID, u.Version, u.UpdatedAt = m.ID, a.AgentID, m.Version+1, now()
			err = tx.NewUpdate().Model(u).ExcludeColumn("id", "number", "created_at").WherePK().
				Returning("*").Scan(ctx)
			m = u
		} else {
			err = tx.NewUpdate().Model(m).
				Set("assignee_id = ?", a.AgentID).Set("version = version + 1").Set("updated_at = ?", now()).
				WherePK().Returning("*").Scan(ctx)
		}
		if err != nil {
			return conversationErr(err, m.ConversationID, "assign ticket")
		}
		evs, err := prepareEvents(a.TicketID, append(events, ev))
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, evs)
	})
	if err != nil {
		return nil, err
	}
	return m.toICC(), nil
}

// isConversationTaken reports whether err is a violation of the index that
// keeps a conversation to one ticket (tickets_conversation_id_key,
// migration 00007).
func isConversationTaken(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "tickets_conversation_id_key"
}

// conversationErr words a violation of that index as the memory backend
// does (icc.ConversationTicketTaken); anything else goes through dbErr.
func conversationErr(err error, conversationID, what string) error {
	if isConversationTaken(err) {
		return icc.ConversationTicketTaken(conversationID, err)
	}
	return dbErr(err, what)
}

// ListTickets returns tickets newest first, or oldest first with SortOldest.
func (s *Store) ListTickets(ctx context.Context, f icc.TicketFilter) (icc.Page[*icc.Ticket], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Ticket]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.Ticket]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []ticketModel
	q := s.db.NewSelect().Model(&rows)
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.Category != nil {
		q = q.Where("category = ?", *f.Category)
	}
	if f.Priority != nil {
		q = q.Where("priority = ?", *f.Priority)
	}
	if f.Queue != nil {
		q = q.Where("queue = ?", *f.Queue)
	}
	if f.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *f.AssigneeID)
	}
	if f.CustomerID != nil {
		q = q.Where("customer_id = ?", *f.CustomerID)
	}
	if f.ConversationID != nil { // tickets_conversation_id_key serves a conversation's ticket
		q = q.Where("conversation_id = ?", *f.ConversationID)
	}
	if !f.CreatedFrom.IsZero() {
		q = q.Where("created_at >= ?", icc.Timestamp(f.CreatedFrom))
	}
	if !f.CreatedTo.IsZero() {
		q = q.Where("created_at < ?", icc.Timestamp(f.CreatedTo))
	}
	q = matchTerms(q, ticketSearchExpr, f.Text)
	if err := keyset(q, "created_at", f.Sort != icc.SortOldest, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.Ticket]{}, dbErr(err, "list tickets")
	}
	return page(rows, limit, (*ticketModel).toICC, func(m *ticketModel) (time.Time, string) { return m.CreatedAt, m.ID }), nil
}

// AddTicketEvents appends events to a ticket's trail.
func (s *Store) AddTicketEvents(ctx context.Context, ticketID string, events ...icc.TicketEvent) error {
	evs, err := prepareEvents(ticketID, events)
	if err != nil {
		return err
	}
	if !storable(ticketID) {
		return icc.NotFound("ticket", ticketID)
	}
	if len(evs) == 0 {
		_, err := s.GetTicket(ctx, ticketID)
		return err
	}
	err = insertEvents(ctx, s.db, evs)
	if icc.ErrorCode(err) == icc.ENOTFOUND {
		return icc.NotFound("ticket", ticketID)
	}
	return err
}

// ListTicketEvents returns a ticket's trail oldest first.
func (s *Store) ListTicketEvents(ctx context.Context, ticketID string) ([]icc.TicketEvent, error) {
	if !storable(ticketID) {
		return nil, icc.NotFound("ticket", ticketID)
	}
	var rows []ticketEventModel
	if err := s.db.NewSelect().Model(&rows).Where("ticket_id = ?", ticketID).Order("created_at", "seq").Scan(ctx); err != nil {
		return nil, dbErr(err, "list ticket events")
	}
	if len(rows) == 0 {
		if _, err := s.GetTicket(ctx, ticketID); err != nil {
			return nil, err
		}
	}
	out := make([]icc.TicketEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].toICC()
	}
	return out, nil
}

// prepareEvents validates events, fills their ids, ticket and times (writing
// them back into the caller's slice) and converts them to models.
func prepareEvents(ticketID string, events []icc.TicketEvent) ([]*ticketEventModel, error) {
	if ticketID == "" {
		return nil, icc.Invalid("ticket_id", "is required")
	}
	ms := make([]*ticketEventModel, len(events))
	t := now()
	for i := range events {
		e := &events[i]
		if err := e.Validate(); err != nil {
			return nil, err
		}
		e.TicketID = ticketID
		if e.ID == "" {
			e.ID = icc.NewID()
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = t
		}
		e.CreatedAt = icc.Timestamp(e.CreatedAt)
		ms[i] = ticketEventToModel(e)
	}
	return ms, nil
}

func insertEvents(ctx context.Context, db bun.IDB, evs []*ticketEventModel) error {
	if len(evs) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&evs).Exec(ctx); err != nil {
		return dbErr(err, "add ticket events")
	}
	return nil
}

// storable reports whether key is text PostgreSQL can hold (see
// icc.CheckText). No row holds any other key and a query sending one
// fails, so lookups of such keys answer ENOTFOUND at once, as the memory
// backend does.
func storable(key string) bool { return icc.CheckText("key", key) == nil }
