package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/icclabs/commandcenter/icc"
)

// CreateConversation stores a new conversation.
func (s *Store) CreateConversation(ctx context.Context, c *icc.Conversation) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := claimID(s.conversations, "conversation", &c.ID); err != nil {
		return err
	}
	now := s.stamp()
	c.CreatedAt = orNow(c.CreatedAt, now)
	c.UpdatedAt = orNow(c.UpdatedAt, now)
	if c.Version == 0 {
		c.Version = 1
	}
	c.LastSeq = 0
	c.LastMessageAt = nil
	c.Triage = nil
	s.conversations[c.ID] = &conversation{
		c:        copyConversation(c),
		byClient: map[string]int64{},
		marks:    map[string]icc.ReadMark{},
	}
	return nil
}

// GetConversation returns the conversation with the given id.
func (s *Store) GetConversation(ctx context.Context, id string) (*icc.Conversation, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cv, ok := s.conversations[id]
	if !ok {
		return nil, icc.NotFound("conversation", id)
	}
	return copyConversation(cv.c), nil
}

// UpdateConversation replaces status, subject, assignee, ticket and token
// hash when c.Version is current, then increments c.Version and stamps
// c.UpdatedAt. The other fields of c, Triage among them, are set to the
// stored values.
func (s *Store) UpdateConversation(ctx context.Context, c *icc.Conversation) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, ok := s.conversations[c.ID]
	if !ok {
		return icc.NotFound("conversation", c.ID)
	}
	if err := stale("conversation", c.ID, cv.c.Version, c.Version); err != nil {
		return err
	}
	n := copyConversation(cv.c)
	n.Status = c.Status
	n.Subject = c.Subject
	n.AssigneeID = c.AssigneeID
	n.TicketID = c.TicketID
	n.TokenHash = c.TokenHash
	n.Version++
	n.UpdatedAt = s.stamp()
	cv.c = n
	*c = *copyConversation(n)
	return nil
}

// SetConversationTriage stores t as the conversation's triage unless the
// stored one is about a later message; see icc.ConversationStore. Version
// and UpdatedAt stay as they are.
func (s *Store) SetConversationTriage(ctx context.Context, conversationID string, t icc.Triage) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, ok := s.conversations[conversationID]
	if !ok {
		return icc.NotFound("conversation", conversationID)
	}
	if t.Seq > cv.c.LastSeq {
		return icc.Invalid("seq", "is beyond the conversation's last message (%d)", cv.c.LastSeq)
	}
	if old := cv.c.Triage; old != nil && old.Seq > t.Seq {
		return nil
	}
	t.At = orNow(t.At, s.stamp())
	n := copyConversation(cv.c)
	n.Triage = copyTriage(&t)
	cv.c = n
	return nil
}

// ListConversations returns the conversations that match f, newest first.
func (s *Store) ListConversations(ctx context.Context, f icc.ConversationFilter) (icc.Page[*icc.Conversation], error) {
	if err := s.check(ctx); err != nil {
		return icc.Page[*icc.Conversation]{}, err
	}
	if err := f.Validate(); err != nil {
		return icc.Page[*icc.Conversation]{}, err
	}
	s.mu.RLock()
	var items []*icc.Conversation
	for _, cv := range s.conversations {
		c := cv.c
		if (f.Status != nil && c.Status != *f.Status) ||
			(f.AssigneeID != nil && c.AssigneeID != *f.AssigneeID) ||
			(f.CustomerID != nil && c.CustomerID != *f.CustomerID) {
			continue
		}
		items = append(items, c)
	}
	s.mu.RUnlock()
	return paginate(items, func(c *icc.Conversation) key { return key{c.CreatedAt, c.ID} }, true, f.Cursor, f.Limit, copyConversation)
}

// AppendMessages stores a batch of messages atomically; see
// icc.ConversationStore.
func (s *Store) AppendMessages(ctx context.Context, msgs []icc.NewMessage) ([]icc.Appended, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	for i := range msgs {
		m := msgs[i]
		if err := m.Validate(); err != nil {
			return nil, err
		}
	}
	out := make([]icc.Appended, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if _, ok := s.conversations[m.ConversationID]; !ok {
			return nil, icc.NotFound("conversation", m.ConversationID)
		}
	}
	now := s.stamp()
	touched := map[string]*icc.Conversation{}
	for i, m := range msgs {
		cv := s.conversations[m.ConversationID]
		if m.ClientID != "" {
			if seq, ok := cv.byClient[m.ClientID]; ok {
				out[i] = icc.Appended{Message: cv.messages[seq-1], Duplicate: true}
				continue
			}
		}
		msg := icc.Message{
			ID:             icc.NewID(),
			ConversationID: m.ConversationID,
			Seq:            int64(len(cv.messages)) + 1,
			ClientID:       m.ClientID,
			SenderType:     m.SenderType,
			SenderID:       m.SenderID,
			Body:           m.Body,
			CreatedAt:      now,
		}
		cv.messages = append(cv.messages, msg)
		if m.ClientID != "" {
			cv.byClient[m.ClientID] = msg.Seq
		}
		out[i] = icc.Appended{Message: msg}
		c, ok := touched[m.ConversationID]
		if !ok {
			c = copyConversation(cv.c)
			touched[m.ConversationID] = c
		}
		c.LastSeq = msg.Seq
		at := now
		c.LastMessageAt = &at
	}
	for id, c := range touched {
		s.conversations[id].c = c
	}
	return out, nil
}

// ListMessages returns up to limit messages with Seq > afterSeq, in order.
func (s *Store) ListMessages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]icc.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	limit = icc.ClampLimit(limit)
	s.mu.RLock()
	defer s.mu.RUnlock()
	cv, ok := s.conversations[conversationID]
	if !ok {
		return nil, icc.NotFound("conversation", conversationID)
	}
	afterSeq = max(afterSeq, 0)
	if afterSeq >= int64(len(cv.messages)) {
		return []icc.Message{}, nil
	}
	msgs := cv.messages[afterSeq:]
	msgs = msgs[:min(limit, len(msgs))]
	return append([]icc.Message(nil), msgs...), nil
}

// SetReadMark records that a participant has read up to m.Seq; a mark
// never moves backwards. A seq above the conversation's last seq is
// clamped to it, so that messages not yet written are never counted as
// read. It returns the mark as stored.
func (s *Store) SetReadMark(ctx context.Context, m icc.ReadMark) (icc.ReadMark, error) {
	if err := s.check(ctx); err != nil {
		return icc.ReadMark{}, err
	}
	if err := m.Validate(); err != nil {
		return icc.ReadMark{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, ok := s.conversations[m.ConversationID]
	if !ok {
		return icc.ReadMark{}, icc.NotFound("conversation", m.ConversationID)
	}
	m.Seq = min(m.Seq, cv.c.LastSeq)
	old, ok := cv.marks[m.ParticipantID]
	if ok && old.Seq >= m.Seq {
		return old, nil
	}
	m.UpdatedAt = s.stamp()
	cv.marks[m.ParticipantID] = m
	return m, nil
}

// ListReadMarks returns the read marks of a conversation.
func (s *Store) ListReadMarks(ctx context.Context, conversationID string) ([]icc.ReadMark, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cv, ok := s.conversations[conversationID]
	if !ok {
		return nil, icc.NotFound("conversation", conversationID)
	}
	out := make([]icc.ReadMark, 0, len(cv.marks))
	for _, m := range cv.marks {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b icc.ReadMark) int { return strings.Compare(a.ParticipantID, b.ParticipantID) })
	return out, nil
}

func copyConversation(c *icc.Conversation) *icc.Conversation {
	v := *c
	v.LastMessageAt = copyTime(c.LastMessageAt)
	v.Triage = copyTriage(c.Triage)
	return &v
}

// copyTriage copies t deeply; no reasons is nil, as PostgreSQL returns it.
func copyTriage(t *icc.Triage) *icc.Triage {
	if t == nil {
		return nil
	}
	v := *t
	v.Reasons = nil
	if len(t.Reasons) > 0 {
		v.Reasons = slices.Clone(t.Reasons)
	}
	return &v
}
