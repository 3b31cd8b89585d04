package storagetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

func (s *suite) conversations(t *testing.T) {
	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		cu := newCustomer(t, st)
		c := &icc.Conversation{CustomerID: cu.ID, Subject: "Need help", TokenHash: "sha256:abc"}
		require.NoError(t, st.CreateConversation(ctx(t), c))
		require.NotEmpty(t, c.ID)
		assert.Equal(t, icc.ConversationOpen, c.Status)
		assert.Equal(t, int64(1), c.Version)
		assert.Zero(t, c.LastSeq)
		assert.Nil(t, c.LastMessageAt)
		requireStamped(t, c.CreatedAt, "created_at")
		requireStamped(t, c.UpdatedAt, "updated_at")
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		_, err = st.GetConversation(ctx(t), icc.NewID())
		requireCode(t, err, icc.ENOTFOUND, "")
		// A key no stored id can be (a NUL byte) is simply not found.
		_, err = st.GetConversation(ctx(t), "a\x00b")
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.ListMessages(ctx(t), "a\x00b", 0, 10)
		requireCode(t, err, icc.ENOTFOUND, "")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		requireCode(t, st.CreateConversation(ctx(t), &icc.Conversation{}), icc.EINVALID, "customer_id")
		cu := newCustomer(t, st)
		requireCode(t, st.CreateConversation(ctx(t), &icc.Conversation{CustomerID: cu.ID, Status: "paused"}), icc.EINVALID, "status")
		c := newConversation(t, st)
		c.Subject = strings.Repeat("x", icc.MaxSubjectLen+1)
		requireCode(t, st.UpdateConversation(ctx(t), c), icc.EINVALID, "subject")
		missing := icc.Conversation{ID: icc.NewID(), CustomerID: cu.ID, Version: 1}
		requireCode(t, st.UpdateConversation(ctx(t), &missing), icc.ENOTFOUND, "")
		bad := "a\x00b"
		_, err := st.ListConversations(ctx(t), icc.ConversationFilter{CustomerID: &bad})
		requireCode(t, err, icc.EINVALID, "customer")
		_, err = st.ListConversations(ctx(t), icc.ConversationFilter{AssigneeID: &bad})
		requireCode(t, err, icc.EINVALID, "assignee")
		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: bad})
		requireCode(t, err, icc.EINVALID, "participant_id")
		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: bad, ParticipantID: "p"})
		requireCode(t, err, icc.EINVALID, "conversation_id")
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		ag := newAgent(t, st)
		c := newConversation(t, st)
		stale := *c
		// Messages do not change the version, and an update made from a
		// copy read before them keeps LastSeq.
		_, err := st.AppendMessages(ctx(t), []icc.NewMessage{
			{ConversationID: c.ID, SenderType: icc.SenderCustomer, Body: "hi"},
			{ConversationID: c.ID, SenderType: icc.SenderCustomer, Body: "anyone?"},
		})
		require.NoError(t, err)
		afterMsgs, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c.Version, afterMsgs.Version)
		assert.Equal(t, int64(2), afterMsgs.LastSeq)

		c.Status = icc.ConversationClosed
		c.Subject = "Solved"
		c.AssigneeID = ag.ID
		c.TicketID = icc.NewID()
		c.TokenHash = "new-hash"
		require.NoError(t, st.UpdateConversation(ctx(t), c))
		assert.Equal(t, int64(2), c.Version)
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, icc.ConversationClosed, got.Status)
		assert.Equal(t, "Solved", got.Subject)
		assert.Equal(t, ag.ID, got.AssigneeID)
		assert.Equal(t, c.TicketID, got.TicketID)
		assert.Equal(t, "new-hash", got.TokenHash)
		assert.Equal(t, int64(2), got.Version)
		assert.Equal(t, int64(2), got.LastSeq, "UpdateConversation does not replace LastSeq")
		require.NotNil(t, got.LastMessageAt)
		assert.Equal(t, *afterMsgs.LastMessageAt, *got.LastMessageAt)
		assert.Equal(t, stale.CustomerID, got.CustomerID)
		assert.Equal(t, stale.CreatedAt, got.CreatedAt)

		stale.Subject = "stale"
		requireCode(t, st.UpdateConversation(ctx(t), &stale), icc.ECONFLICT, "")
		again, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		ag := newAgent(t, st)
		cu := newCustomer(t, st)
		c0 := newConversation(t, st, func(c *icc.Conversation) { c.CreatedAt = at(0) })
		c1 := newConversation(t, st, func(c *icc.Conversation) { c.CreatedAt = at(1); c.AssigneeID = ag.ID })
		c2 := newConversation(t, st, func(c *icc.Conversation) {
			c.CreatedAt = at(2)
			c.CustomerID = cu.ID
			c.Status = icc.ConversationClosed
		})
		c3 := newConversation(t, st, func(c *icc.Conversation) { c.CreatedAt = at(3); c.CustomerID = cu.ID; c.AssigneeID = ag.ID })
		list := func(f icc.ConversationFilter) []string {
			t.Helper()
			page, err := st.ListConversations(ctx(t), f)
			require.NoError(t, err)
			return ids(page.Items, conversationID)
		}
		assert.Equal(t, []string{c3.ID, c2.ID, c1.ID, c0.ID}, list(icc.ConversationFilter{}))
		assert.Equal(t, []string{c3.ID, c1.ID, c0.ID}, list(icc.ConversationFilter{Status: ptr(icc.ConversationOpen)}))
		assert.Equal(t, []string{c2.ID}, list(icc.ConversationFilter{Status: ptr(icc.ConversationClosed)}))
		assert.Equal(t, []string{c3.ID, c1.ID}, list(icc.ConversationFilter{AssigneeID: ptr(ag.ID)}))
		assert.Equal(t, []string{c2.ID, c0.ID}, list(icc.ConversationFilter{AssigneeID: ptr("")}))
		assert.Equal(t, []string{c3.ID, c2.ID}, list(icc.ConversationFilter{CustomerID: ptr(cu.ID)}))
		assert.Equal(t, []string{c3.ID}, list(icc.ConversationFilter{CustomerID: ptr(cu.ID), AssigneeID: ptr(ag.ID), Status: ptr(icc.ConversationOpen)}))
		assert.Equal(t, []string{c3.ID}, list(icc.ConversationFilter{Limit: 1}))
	})

	t.Run("ReadMarks", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newConversation(t, st)
		ag := newAgent(t, st)
		marks, err := st.ListReadMarks(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Empty(t, marks)

		// A mark above the last seq is clamped to it, even on an empty
		// conversation: it never counts messages not yet written as read.
		early, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: 7})
		require.NoError(t, err)
		assert.Equal(t, int64(0), early.Seq, "clamped to last_seq 0")
		msgs := make([]icc.NewMessage, 20)
		for i := range msgs {
			msgs[i] = icc.NewMessage{ConversationID: c.ID, SenderType: icc.SenderCustomer, Body: fmt.Sprint("m", i)}
		}
		_, err = st.AppendMessages(ctx(t), msgs[:3])
		require.NoError(t, err)
		over, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: 999})
		require.NoError(t, err)
		assert.Equal(t, int64(3), over.Seq, "clamped to last_seq 3")
		_, err = st.AppendMessages(ctx(t), msgs[3:])
		require.NoError(t, err)
		marks, err = st.ListReadMarks(ctx(t), c.ID)
		require.NoError(t, err)
		require.Len(t, marks, 1)
		assert.Equal(t, int64(3), marks[0].Seq, "later messages are unread")

		m, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: 5})
		require.NoError(t, err)
		assert.Equal(t, int64(5), m.Seq)
		assert.Equal(t, c.ID, m.ConversationID)
		assert.Equal(t, ag.ID, m.ParticipantID)
		requireStamped(t, m.UpdatedAt, "updated_at")

		back, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: 3})
		require.NoError(t, err)
		assert.Equal(t, int64(5), back.Seq, "a mark never moves backwards")
		fwd, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: 9})
		require.NoError(t, err)
		assert.Equal(t, int64(9), fwd.Seq)
		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: c.CustomerID, Seq: 1})
		require.NoError(t, err)

		// Concurrent marks end at the highest.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, err := st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: c.CustomerID, Seq: int64(i)})
				assert.NoError(t, err)
			})
		}
		wg.Wait()

		marks, err = st.ListReadMarks(ctx(t), c.ID)
		require.NoError(t, err)
		slices.SortFunc(marks, func(a, b icc.ReadMark) int { return strings.Compare(a.ParticipantID, b.ParticipantID) })
		want := map[string]int64{ag.ID: 9, c.CustomerID: 19}
		require.Len(t, marks, 2)
		for _, m := range marks {
			assert.Equal(t, want[m.ParticipantID], m.Seq, m.ParticipantID)
			assert.Equal(t, c.ID, m.ConversationID)
			requireStamped(t, m.UpdatedAt, "updated_at")
		}

		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: icc.NewID(), ParticipantID: ag.ID, Seq: 1})
		requireCode(t, err, icc.ENOTFOUND, "")
		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, Seq: 1})
		requireCode(t, err, icc.EINVALID, "")
		_, err = st.SetReadMark(ctx(t), icc.ReadMark{ConversationID: c.ID, ParticipantID: ag.ID, Seq: -1})
		requireCode(t, err, icc.EINVALID, "")
	})
}

// triages covers SetConversationTriage and how the other conversation
// methods keep and return the triage.
func (s *suite) triages(t *testing.T) {
	triage := func(seq int64, intent string) icc.Triage {
		return icc.Triage{Seq: seq, At: at(int(seq)), Classification: icc.Classification{
			Model: "test/v1", Category: icc.CategoryBilling, Priority: icc.PriorityHigh, Intent: intent,
			Confidence: 0.75, Sentiment: "negative", SentimentScore: -0.5, Escalate: true,
			Reasons: []classify.Reason{classify.ReasonChurnRisk}, SuggestedReply: "Sorry — let me look at the invoice 🙂",
		}}
	}
	// withMessages stores a conversation with n customer messages.
	withMessages := func(t *testing.T, st icc.Store, n int) *icc.Conversation {
		t.Helper()
		c := newConversation(t, st)
		msgs := make([]icc.NewMessage, n)
		for i := range msgs {
			msgs[i] = icc.NewMessage{ConversationID: c.ID, SenderType: icc.SenderCustomer, Body: fmt.Sprint("m", i)}
		}
		_, err := st.AppendMessages(ctx(t), msgs)
		require.NoError(t, err)
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		return got
	}
	stored := func(t *testing.T, st icc.Store, id string) *icc.Triage {
		t.Helper()
		got, err := st.GetConversation(ctx(t), id)
		require.NoError(t, err)
		return got.Triage
	}

	t.Run("SetGetList", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		// A triage given to CreateConversation is not stored: only
		// SetConversationTriage writes one.
		c := newConversation(t, st, func(c *icc.Conversation) { v := triage(1, "x"); c.Triage = &v })
		assert.Nil(t, c.Triage)
		assert.Nil(t, stored(t, st, c.ID))
		c = withMessages(t, st, 3)
		assert.Nil(t, c.Triage)

		want := triage(2, "invoice_problem")
		want.At = time.Date(2025, 6, 1, 14, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, want))
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		require.NotNil(t, got.Triage)
		requireUTC(t, want.At, got.Triage.At, "triage.at")
		want.At = got.Triage.At
		assert.Equal(t, want, *got.Triage)
		assert.Equal(t, c.Version, got.Version, "a triage is not an update")
		assert.Equal(t, c.UpdatedAt, got.UpdatedAt, "a triage is not an update")
		got.Triage = nil
		assert.Equal(t, c, got, "nothing else changes")

		page, err := st.ListConversations(ctx(t), icc.ConversationFilter{})
		require.NoError(t, err)
		var listed *icc.Conversation
		for _, it := range page.Items {
			if it.ID == c.ID {
				listed = it
			}
		}
		require.NotNil(t, listed)
		require.NotNil(t, listed.Triage)
		assert.Equal(t, want, *listed.Triage)

		// What a caller does with its copy does not reach the store.
		listed.Triage.Reasons[0] = "changed"
		listed.Triage.Intent = "changed"
		assert.Equal(t, want, *stored(t, st, c.ID))

		// Without a time the store stamps one.
		now := triage(3, "later")
		now.At = time.Time{}
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, now))
		requireStamped(t, stored(t, st, c.ID).At, "triage.at")
	})

	t.Run("Order", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := withMessages(t, st, 5)
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, triage(3, "third")))

		// An older reading never replaces a newer one, and is not an error.
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, triage(2, "second")))
		got := stored(t, st, c.ID)
		require.NotNil(t, got)
		assert.Equal(t, int64(3), got.Seq)
		assert.Equal(t, "third", got.Intent)

		// One about the same message does.
		same := triage(3, "third, again")
		same.Category, same.Priority, same.Reasons, same.SuggestedReply = icc.CategorySensitive, icc.PriorityUrgent, nil, ""
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, same))
		got = stored(t, st, c.ID)
		require.NotNil(t, got)
		assert.Equal(t, same, *got)

		// And so does a newer one.
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, triage(5, "fifth")))
		got = stored(t, st, c.ID)
		require.NotNil(t, got)
		assert.Equal(t, triage(5, "fifth"), *got)

		after, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, c.Version, after.Version, "triages never change the version")
		assert.Equal(t, c.UpdatedAt, after.UpdatedAt, "triages never change updated_at")
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		const n = 20
		c := withMessages(t, st, n)
		var wg sync.WaitGroup
		for _, i := range rand.Perm(n) {
			wg.Go(func() {
				assert.NoError(t, st.SetConversationTriage(ctx(t), c.ID, triage(int64(i+1), fmt.Sprint("m", i+1))))
			})
		}
		wg.Wait()
		got := stored(t, st, c.ID)
		require.NotNil(t, got)
		assert.Equal(t, triage(n, fmt.Sprint("m", n)), *got, "the newest message's triage wins whatever the order")
	})

	t.Run("UpdateKeeps", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		ag := newAgent(t, st)
		c := withMessages(t, st, 2)
		stale := *c // read before the triage: it has none
		require.NoError(t, st.SetConversationTriage(ctx(t), c.ID, triage(2, "kept")))
		stale.AssigneeID = ag.ID
		stale.Status = icc.ConversationClosed
		require.NoError(t, st.UpdateConversation(ctx(t), &stale), "a triage does not make an update conflict")
		require.NotNil(t, stale.Triage, "UpdateConversation returns the stored triage")
		assert.Equal(t, triage(2, "kept"), *stale.Triage)
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, ag.ID, got.AssigneeID)
		require.NotNil(t, got.Triage)
		assert.Equal(t, triage(2, "kept"), *got.Triage)

		// A triage in the conversation given to an update is ignored.
		other := triage(1, "ignored")
		got.Triage = &other
		got.Subject = "renamed"
		require.NoError(t, st.UpdateConversation(ctx(t), got))
		assert.Equal(t, triage(2, "kept"), *stored(t, st, c.ID))
		got.Triage = nil
		require.NoError(t, st.UpdateConversation(ctx(t), got))
		assert.Equal(t, triage(2, "kept"), *stored(t, st, c.ID), "nor does a nil one clear it")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := withMessages(t, st, 2)
		requireCode(t, st.SetConversationTriage(ctx(t), icc.NewID(), triage(1, "x")), icc.ENOTFOUND, "")
		requireCode(t, st.SetConversationTriage(ctx(t), "a\x00b", triage(1, "x")), icc.ENOTFOUND, "")
		for _, tc := range []struct {
			name, field string
			mod         func(*icc.Triage)
		}{
			{"seq 0", "seq", func(tr *icc.Triage) { tr.Seq = 0 }},
			{"negative seq", "seq", func(tr *icc.Triage) { tr.Seq = -1 }},
			{"seq beyond the last message", "seq", func(tr *icc.Triage) { tr.Seq = 3 }},
			{"bad category", "category", func(tr *icc.Triage) { tr.Category = "spam" }},
			{"no category", "category", func(tr *icc.Triage) { tr.Category = "" }},
			{"bad priority", "priority", func(tr *icc.Triage) { tr.Priority = "whenever" }},
			{"confidence above 1", "confidence", func(tr *icc.Triage) { tr.Confidence = 1.5 }},
			{"confidence NaN", "confidence", func(tr *icc.Triage) { tr.Confidence = math.NaN() }},
			{"sentiment score below -1", "sentiment_score", func(tr *icc.Triage) { tr.SentimentScore = -2 }},
			{"NUL in intent", "classification.intent", func(tr *icc.Triage) { tr.Intent = "a\x00b" }},
			{"bad UTF-8 in reply", "classification.suggested_reply", func(tr *icc.Triage) { tr.SuggestedReply = "\xff" }},
			{"NUL in a reason", "classification.reasons", func(tr *icc.Triage) { tr.Reasons = []classify.Reason{"a\x00"} }},
		} {
			tr := triage(2, "x")
			tc.mod(&tr)
			requireCode(t, st.SetConversationTriage(ctx(t), c.ID, tr), icc.EINVALID, tc.field, tc.name)
		}
		assert.Nil(t, stored(t, st, c.ID), "nothing invalid was stored")
		// An invalid triage is refused before the conversation is looked up.
		requireCode(t, st.SetConversationTriage(ctx(t), icc.NewID(), icc.Triage{}), icc.EINVALID, "seq")
	})
}

func (s *suite) messages(t *testing.T) {
	msg := func(conv, client, body string) icc.NewMessage {
		return icc.NewMessage{ConversationID: conv, ClientID: client, SenderType: icc.SenderCustomer, Body: body}
	}

	t.Run("Append", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newConversation(t, st)
		ag := newAgent(t, st)
		out, err := st.AppendMessages(ctx(t), []icc.NewMessage{
			{ConversationID: c.ID, ClientID: "c-1", SenderType: icc.SenderCustomer, SenderID: c.CustomerID, Body: "Hello"},
			{ConversationID: c.ID, SenderType: icc.SenderAgent, SenderID: ag.ID, Body: "Hi, how can I help?"},
			{ConversationID: c.ID, SenderType: icc.SenderBot, Body: "…🙂 ünïcode"},
		})
		require.NoError(t, err)
		require.Len(t, out, 3)
		for i, a := range out {
			assert.False(t, a.Duplicate)
			assert.Equal(t, int64(i+1), a.Message.Seq)
			assert.NotEmpty(t, a.Message.ID)
			assert.Equal(t, c.ID, a.Message.ConversationID)
			requireStamped(t, a.Message.CreatedAt, "message created_at")
		}
		assert.Equal(t, "c-1", out[0].Message.ClientID)
		assert.Equal(t, c.CustomerID, out[0].Message.SenderID)
		assert.Equal(t, icc.SenderAgent, out[1].Message.SenderType)

		msgs, err := st.ListMessages(ctx(t), c.ID, 0, 0)
		require.NoError(t, err)
		require.Len(t, msgs, 3)
		for i := range msgs {
			assert.Equal(t, out[i].Message, msgs[i])
		}
		got, err := st.GetConversation(ctx(t), c.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(3), got.LastSeq)
		require.NotNil(t, got.LastMessageAt)
		assert.Equal(t, out[2].Message.CreatedAt, *got.LastMessageAt)
		assert.Equal(t, c.Version, got.Version, "messages do not change the version")

		out, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "more")})
		require.NoError(t, err)
		assert.Equal(t, int64(4), out[0].Message.Seq)

		out, err = st.AppendMessages(ctx(t), nil)
		require.NoError(t, err)
		assert.Empty(t, out)

		// Returned messages are copies.
		msgs[0].Body = "changed"
		again, err := st.ListMessages(ctx(t), c.ID, 0, 1)
		require.NoError(t, err)
		assert.Equal(t, "Hello", again[0].Body)
	})

	t.Run("ListAfterSeq", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newConversation(t, st)
		batch := make([]icc.NewMessage, 60)
		for i := range batch {
			batch[i] = msg(c.ID, "", fmt.Sprintf("m%d", i+1))
		}
		_, err := st.AppendMessages(ctx(t), batch)
		require.NoError(t, err)
		seqs := func(after int64, limit int) []int64 {
			t.Helper()
			msgs, err := st.ListMessages(ctx(t), c.ID, after, limit)
			require.NoError(t, err)
			out := make([]int64, len(msgs))
			for i, m := range msgs {
				out[i] = m.Seq
				assert.Equal(t, fmt.Sprintf("m%d", m.Seq), m.Body)
			}
			return out
		}
		assert.Equal(t, []int64{1, 2, 3}, seqs(0, 3))
		assert.Equal(t, []int64{11, 12}, seqs(10, 2))
		assert.Equal(t, []int64{58, 59, 60}, seqs(57, 10))
		assert.Empty(t, seqs(60, 10))
		assert.Empty(t, seqs(100, 10))
		assert.Len(t, seqs(0, 0), icc.DefaultLimit, "limit 0 is the default page size")
		assert.Len(t, seqs(0, -1), icc.DefaultLimit)
		assert.Len(t, seqs(0, 1000), 60)
		empty := newConversation(t, st)
		msgs, err := st.ListMessages(ctx(t), empty.ID, 0, 10)
		require.NoError(t, err)
		assert.Empty(t, msgs)
	})

	t.Run("ClientID", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c, other := newConversation(t, st), newConversation(t, st)
		first, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "k1", "once")})
		require.NoError(t, err)
		again, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "k1", "twice (a retry)"), msg(c.ID, "k2", "new")})
		require.NoError(t, err)
		assert.True(t, again[0].Duplicate)
		assert.Equal(t, first[0].Message, again[0].Message, "a duplicate returns the stored message")
		assert.False(t, again[1].Duplicate)
		assert.Equal(t, int64(2), again[1].Message.Seq, "a duplicate uses no sequence number")

		// Within one batch.
		out, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "k3", "a"), msg(c.ID, "k3", "b"), msg(other.ID, "k3", "other conversation")})
		require.NoError(t, err)
		assert.False(t, out[0].Duplicate)
		assert.True(t, out[1].Duplicate)
		assert.Equal(t, out[0].Message, out[1].Message)
		assert.Equal(t, "a", out[1].Message.Body)
		assert.False(t, out[2].Duplicate, "client ids are per conversation")
		assert.Equal(t, int64(1), out[2].Message.Seq)

		// Messages without a client id are never duplicates.
		out, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "x"), msg(c.ID, "", "x")})
		require.NoError(t, err)
		assert.False(t, out[0].Duplicate)
		assert.False(t, out[1].Duplicate)

		msgs, err := st.ListMessages(ctx(t), c.ID, 0, 100)
		require.NoError(t, err)
		bodies := make([]string, len(msgs))
		for i, m := range msgs {
			bodies[i] = m.Body
			assert.Equal(t, int64(i+1), m.Seq)
		}
		assert.Equal(t, []string{"once", "new", "a", "x", "x"}, bodies)
	})

	t.Run("ClientIDConcurrent", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newConversation(t, st)
		const n = 30
		outs := make([]icc.Appended, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				out, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "same", fmt.Sprintf("try %d", i))})
				if assert.NoError(t, err) {
					outs[i] = out[0]
				}
			})
		}
		wg.Wait()
		stored := 0
		for _, o := range outs {
			if !o.Duplicate {
				stored++
			}
			assert.Equal(t, int64(1), o.Message.Seq)
			assert.Equal(t, outs[0].Message.ID, o.Message.ID)
			assert.Equal(t, outs[0].Message.Body, o.Message.Body)
		}
		assert.Equal(t, 1, stored)
		msgs, err := st.ListMessages(ctx(t), c.ID, 0, 100)
		require.NoError(t, err)
		assert.Len(t, msgs, 1)
	})

	t.Run("Atomic", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c, d := newConversation(t, st), newConversation(t, st)
		_, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "ok"), msg(d.ID, "", "ok"), msg(c.ID, "", "  ")})
		requireCode(t, err, icc.EINVALID, "body")
		_, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "ok"), {ConversationID: d.ID, SenderType: "robot", Body: "x"}})
		requireCode(t, err, icc.EINVALID, "sender_type")
		_, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "ok"), {SenderType: icc.SenderAgent, Body: "x"}})
		requireCode(t, err, icc.EINVALID, "conversation_id")
		_, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "ok"), msg(d.ID, "", strings.Repeat("x", icc.MaxMessageLen+1))})
		requireCode(t, err, icc.EINVALID, "body")
		_, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "", "ok"), msg(d.ID, strings.Repeat("k", 101), "x")})
		requireCode(t, err, icc.EINVALID, "client_id")
		_, err = st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "k", "ok"), msg(d.ID, "", "ok"), msg(icc.NewID(), "", "nowhere")})
		requireCode(t, err, icc.ENOTFOUND, "")
		for _, conv := range []*icc.Conversation{c, d} {
			msgs, err := st.ListMessages(ctx(t), conv.ID, 0, 10)
			require.NoError(t, err)
			assert.Empty(t, msgs, "a failed batch stores nothing")
			got, err := st.GetConversation(ctx(t), conv.ID)
			require.NoError(t, err)
			assert.Zero(t, got.LastSeq)
			assert.Nil(t, got.LastMessageAt)
		}
		// The client id of the failed batch was not taken.
		out, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, "k", "ok")})
		require.NoError(t, err)
		assert.False(t, out[0].Duplicate)
		assert.Equal(t, int64(1), out[0].Message.Seq)
	})

	t.Run("SeqConcurrent", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		c := newConversation(t, st)
		const writers, each = 100, 3
		var wg sync.WaitGroup
		got := make([][]icc.Appended, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					out, err := st.AppendMessages(ctx(t), []icc.NewMessage{msg(c.ID, fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("w%d-%d", w, i))})
					if !assert.NoError(t, err) {
						return
					}
					got[w] = append(got[w], out...)
				}
			})
		}
		wg.Wait()
		seen := map[int64]string{}
		for w, outs := range got {
			require.Len(t, outs, each)
			for i, o := range outs {
				assert.False(t, o.Duplicate)
				if prev, dup := seen[o.Message.Seq]; dup {
					t.Fatalf("seq %d given to %s and %s", o.Message.Seq, prev, o.Message.Body)
				}
				seen[o.Message.Seq] = o.Message.Body
				if i > 0 {
					assert.Greater(t, o.Message.Seq, outs[i-1].Message.Seq, "writer %d's messages in order", w)
				}
			}
		}
		requireGapFree(t, st, c.ID, writers*each)
	})

	t.Run("BatchesAcrossConversations", func(t *testing.T) {
		t.Parallel()
		st := s.open(t)
		convs := make([]*icc.Conversation, 4)
		for i := range convs {
			convs[i] = newConversation(t, st)
		}
		const writers, rounds = 20, 5
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for r := range rounds {
					// A batch with 2 messages for each conversation, in a
					// random conversation order, so that backends that lock
					// per conversation meet every order.
					var batch []icc.NewMessage
					for _, ci := range rng.Perm(len(convs)) {
						for k := range 2 {
							batch = append(batch, msg(convs[ci].ID, fmt.Sprintf("w%d-r%d-c%d-%d", w, r, ci, k), "x"))
						}
					}
					out, err := st.AppendMessages(ctx(t), batch)
					if !assert.NoError(t, err) {
						return
					}
					if !assert.Len(t, out, len(batch)) {
						return
					}
					last := map[string]int64{}
					for i, o := range out {
						assert.Equal(t, batch[i].ConversationID, o.Message.ConversationID, "results in input order")
						assert.Equal(t, batch[i].ClientID, o.Message.ClientID, "results in input order")
						if prev, ok := last[o.Message.ConversationID]; ok {
							assert.Equal(t, prev+1, o.Message.Seq, "a batch's messages of one conversation are consecutive")
						}
						last[o.Message.ConversationID] = o.Message.Seq
					}
				}
			})
		}
		wg.Wait()
		for _, c := range convs {
			requireGapFree(t, st, c.ID, writers*rounds*2)
		}
	})
}

// requireGapFree asserts that conversation id holds messages 1..n, each
// once, and that its LastSeq is n.
func requireGapFree(t *testing.T, st icc.Store, id string, n int) {
	t.Helper()
	var after int64
	clients := map[string]bool{}
	for {
		msgs, err := st.ListMessages(ctx(t), id, after, icc.MaxLimit)
		require.NoError(t, err)
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			require.Equal(t, after+1, m.Seq, "messages are numbered without gaps")
			require.False(t, clients[m.ClientID], "client id %q stored twice", m.ClientID)
			clients[m.ClientID] = true
			after = m.Seq
		}
	}
	require.Equal(t, int64(n), after)
	c, err := st.GetConversation(ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, int64(n), c.LastSeq)
}
