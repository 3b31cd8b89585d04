package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/icclabs/commandcenter/icc"
)

// CreateConversation stores a new conversation.
func (s *Store) CreateConversation(ctx context.Context, c *icc.Conversation) error {
	if err := c.Validate(); err != nil {
		return err
	}
	stampNew(&c.ID, &c.CreatedAt, &c.UpdatedAt)
	if c.Version == 0 {
		c.Version = 1
	}
	m := conversationToModel(c) // without a triage: only SetConversationTriage writes one
	if _, err := s.db.NewInsert().Model(m).Exec(ctx); err != nil {
		return dbErr(err, "create conversation")
	}
	*c = *m.toICC()
	return nil
}

// GetConversation returns the conversation with the given id.
func (s *Store) GetConversation(ctx context.Context, id string) (*icc.Conversation, error) {
	if !storable(id) {
		return nil, icc.NotFound("conversation", id)
	}
	m := new(conversationModel)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "conversation", id)
	}
	return m.toICC(), nil
}

// UpdateConversation replaces status, subject, assignee, ticket and token
// hash when c.Version is current, and increments the version. LastSeq,
// LastMessageAt and Triage are the store's and are read back, not written.
func (s *Store) UpdateConversation(ctx context.Context, c *icc.Conversation) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m := conversationToModel(c)
	m.Version = c.Version + 1
	m.UpdatedAt = now()
	err := s.db.NewUpdate().Model(m).
		Column("status", "subject", "assignee_id", "ticket_id", "token_hash", "version", "updated_at").
		WherePK().Where("version = ?", c.Version).Returning("*").Scan(ctx)
	if err != nil {
		return s.versionErr(ctx, err, "conversations", "conversation", c.ID)
	}
	*c = *m.toICC()
	return nil
}

// SetConversationTriage stores t as the conversation's triage unless the
// stored one is about a later message; see icc.ConversationStore. One
// conditional UPDATE decides, so concurrent writers cannot move the triage
// backwards; version and updated_at are not touched. When it changes no
// row, a second look tells an unknown conversation and a seq beyond the
// last message (last_seq only grows, so it was beyond it at the UPDATE
// too) from a triage that was simply older than the stored one.
func (s *Store) SetConversationTriage(ctx context.Context, conversationID string, t icc.Triage) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if !storable(conversationID) {
		return icc.NotFound("conversation", conversationID)
	}
	if t.At.IsZero() {
		t.At = now()
	}
	t.At = icc.Timestamp(t.At)
	b, err := json.Marshal(t)
	if err != nil {
		return dbErr(err, "set conversation triage")
	}
	res, err := s.db.NewUpdate().Table("conversations").Set("triage = ?::jsonb", string(b)).
		Where("id = ?", conversationID).Where("last_seq >= ?", t.Seq).
		Where("triage IS NULL OR (triage->>'seq')::bigint <= ?", t.Seq).Exec(ctx)
	if err != nil {
		return dbErr(err, "set conversation triage")
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr(err, "set conversation triage")
	} else if n > 0 {
		return nil
	}
	var lastSeq int64
	err = s.db.NewSelect().Table("conversations").Column("last_seq").Where("id = ?", conversationID).Scan(ctx, &lastSeq)
	if err != nil {
		return notFound(err, "conversation", conversationID)
	}
	if t.Seq > lastSeq {
		return icc.Invalid("seq", "is beyond the conversation's last message (%d)", lastSeq)
	}
	return nil // the stored triage is about a later message
}

// ListConversations returns conversations newest first.
func (s *Store) ListConversations(ctx context.Context, f icc.ConversationFilter) (icc.Page[*icc.Conversation], error) {
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Conversation]{}, err
	}
	cur, err := icc.ParseCursor(f.Cursor)
	if err != nil {
		return icc.Page[*icc.Conversation]{}, err
	}
	limit := icc.ClampLimit(f.Limit)
	var rows []conversationModel
	q := s.db.NewSelect().Model(&rows)
	if f.Status != nil {
		q = q.Where("status = ?", *f.Status)
	}
	if f.AssigneeID != nil {
		q = q.Where("assignee_id = ?", *f.AssigneeID)
	}
	if f.CustomerID != nil {
		q = q.Where("customer_id = ?", *f.CustomerID)
	}
	if err := keyset(q, "created_at", true, cur, limit).Scan(ctx); err != nil {
		return icc.Page[*icc.Conversation]{}, dbErr(err, "list conversations")
	}
	return page(rows, limit, (*conversationModel).toICC, func(m *conversationModel) (time.Time, string) { return m.CreatedAt, m.ID }), nil
}

// AppendMessages stores a batch of messages, possibly for many
// conversations, with group commit: one transaction and at most three
// statements whatever the batch size.
//
//  1. SELECT … FOR UPDATE locks the batch's conversations in id order (so
//     concurrent batches touching the same conversations queue up instead of
//     deadlocking) and reads each one's last_seq.
//  2. One SELECT finds the client ids already stored. With the conversations
//     locked no other append can store one meanwhile, so there is no race
//     between this check and the insert.
//  3. One statement inserts every new message (a multi-row INSERT in a CTE)
//     and advances each conversation's last_seq and last_message_at.
//
// Sequence numbers are assigned here from last_seq, in input order, and only
// to messages actually stored, so they have no gaps. A repeated client id,
// whether stored before or earlier in the same batch, yields the stored
// message with Duplicate set.
func (s *Store) AppendMessages(ctx context.Context, msgs []icc.NewMessage) ([]icc.Appended, error) {
	if len(msgs) == 0 {
		return []icc.Appended{}, nil
	}
	convIDs := make([]string, 0, 4)
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			return nil, err
		}
		convIDs = append(convIDs, msgs[i].ConversationID)
	}
	slices.Sort(convIDs)
	convIDs = slices.Compact(convIDs)

	var out []icc.Appended
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		out = make([]icc.Appended, len(msgs)) // fresh on every attempt
		var locked []struct {
			ID      string `bun:"id"`
			LastSeq int64  `bun:"last_seq"`
		}
		err := tx.NewSelect().Table("conversations").Column("id", "last_seq").
			Where("id IN (?)", bun.In(convIDs)).Order("id").For("UPDATE").Scan(ctx, &locked)
		if err != nil {
			return dbErr(err, "append messages")
		}
		seq := make(map[string]int64, len(locked))   // next to assign, per conversation
		start := make(map[string]int64, len(locked)) // as locked
		for _, c := range locked {
			seq[c.ID], start[c.ID] = c.LastSeq, c.LastSeq
		}
		for _, id := range convIDs {
			if _, ok := seq[id]; !ok {
				return icc.NotFound("conversation", id)
			}
		}

		type key struct{ conv, client string }
		var keyConv, keyClient []string
		for i := range msgs {
			if msgs[i].ClientID != "" {
				keyConv = append(keyConv, msgs[i].ConversationID)
				keyClient = append(keyClient, msgs[i].ClientID)
			}
		}
		stored := map[key]icc.Message{}
		if len(keyConv) > 0 {
			var dups []messageModel
			// A join from the keys, so that each is one probe of the
			// partial unique index (client_id <> ''), whatever the
			// conversation's length.
			err := tx.NewSelect().Model(&dups).
				TableExpr("unnest(?::text[], ?::text[]) AS k(conv, client)", pgdialect.Array(keyConv), pgdialect.Array(keyClient)).
				Where("message_model.conversation_id = k.conv AND message_model.client_id = k.client").
				Where("message_model.client_id <> ''").
				Scan(ctx)
			if err != nil {
				return dbErr(err, "append messages")
			}
			for i := range dups {
				stored[key{dups[i].ConversationID, dups[i].ClientID}] = dups[i].toICC()
			}
		}

		at := now()
		rows := make([]messageModel, 0, len(msgs))
		for i := range msgs {
			in := &msgs[i]
			k := key{in.ConversationID, in.ClientID}
			if in.ClientID != "" {
				if m, ok := stored[k]; ok {
					out[i] = icc.Appended{Message: m, Duplicate: true}
					continue
				}
			}
			seq[in.ConversationID]++
			row := messageModel{ConversationID: in.ConversationID, Seq: seq[in.ConversationID], ID: icc.NewID(),
				ClientID: in.ClientID, SenderType: string(in.SenderType), SenderID: in.SenderID, Body: in.Body,
				CreatedAt: at}
			rows = append(rows, row)
			out[i] = icc.Appended{Message: row.toICC()}
			if in.ClientID != "" {
				stored[k] = out[i].Message
			}
		}
		if len(rows) == 0 {
			return nil
		}

		var ids []string
		var last []int64
		for _, id := range convIDs {
			if n := seq[id]; n > start[id] {
				ids = append(ids, id)
				last = append(last, n)
			}
		}
		_, err = tx.NewRaw(`WITH ins AS (?)
UPDATE conversations AS c SET last_seq = v.last_seq, last_message_at = ?
FROM unnest(?::text[], ?::bigint[]) AS v(id, last_seq) WHERE c.id = v.id`,
			tx.NewInsert().Model(&rows), at, pgdialect.Array(ids), pgdialect.Array(last)).Exec(ctx)
		if err != nil {
			return dbErr(err, "append messages")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListMessages returns up to limit messages of a conversation with Seq >
// afterSeq, in order.
func (s *Store) ListMessages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]icc.Message, error) {
	if !storable(conversationID) {
		return nil, icc.NotFound("conversation", conversationID)
	}
	var rows []messageModel
	err := s.db.NewSelect().Model(&rows).Where("conversation_id = ?", conversationID).Where("seq > ?", afterSeq).
		Order("seq").Limit(int64(icc.ClampLimit(limit))).Scan(ctx)
	if err != nil {
		return nil, dbErr(err, "list messages")
	}
	if len(rows) == 0 {
		if _, err := s.GetConversation(ctx, conversationID); err != nil {
			return nil, err
		}
	}
	out := make([]icc.Message, len(rows))
	for i := range rows {
		out[i] = rows[i].toICC()
	}
	return out, nil
}

// SetReadMark records that a participant has read up to m.Seq; the mark
// never moves backwards, and UpdatedAt is stamped only when it moves. A
// seq above the conversation's last seq is clamped to it (in the same
// statement), so that messages not yet written are never counted as read.
// It returns the mark as stored.
func (s *Store) SetReadMark(ctx context.Context, m icc.ReadMark) (icc.ReadMark, error) {
	if err := m.Validate(); err != nil {
		return icc.ReadMark{}, err
	}
	row := new(readMarkModel)
	err := s.db.NewRaw(`INSERT INTO read_marks AS r (conversation_id, participant_id, seq, updated_at)
SELECT c.id, ?, LEAST(?::bigint, c.last_seq), ? FROM conversations AS c WHERE c.id = ?
ON CONFLICT (conversation_id, participant_id) DO UPDATE
SET seq = GREATEST(r.seq, EXCLUDED.seq),
    updated_at = CASE WHEN EXCLUDED.seq > r.seq THEN EXCLUDED.updated_at ELSE r.updated_at END
RETURNING r.conversation_id, r.participant_id, r.seq, r.updated_at`,
		m.ParticipantID, m.Seq, now(), m.ConversationID).Scan(ctx, row)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return icc.ReadMark{}, icc.NotFound("conversation", m.ConversationID)
		}
		return icc.ReadMark{}, dbErr(err, "set read mark")
	}
	return row.toICC(), nil
}

// ListReadMarks returns a conversation's read marks ordered by participant.
func (s *Store) ListReadMarks(ctx context.Context, conversationID string) ([]icc.ReadMark, error) {
	if !storable(conversationID) {
		return nil, icc.NotFound("conversation", conversationID)
	}
	var rows []readMarkModel
	if err := s.db.NewSelect().Model(&rows).Where("conversation_id = ?", conversationID).
		Order("participant_id").Scan(ctx); err != nil {
		return nil, dbErr(err, "list read marks")
	}
	if len(rows) == 0 {
		if _, err := s.GetConversation(ctx, conversationID); err != nil {
			return nil, err
		}
	}
	out := make([]icc.ReadMark, len(rows))
	for i := range rows {
		out[i] = rows[i].toICC()
	}
	return out, nil
}
