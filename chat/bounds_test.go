package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
)

// Tests of client-controlled numbers and of frame order.

// sendN stores n customer messages in conv through the hub.
func sendN(t *testing.T, h *Hub, conv *icc.Conversation, n int) {
	t.Helper()
	for i := range n {
		_, err := h.Send(context.Background(), icc.NewMessage{ConversationID: conv.ID, ClientID: fmt.Sprint("s", i),
			SenderType: icc.SenderCustomer, SenderID: conv.CustomerID, Body: fmt.Sprint("m", i)})
		require.NoError(t, err)
	}
}

// TestSubscribeBeyondLastSeq: an after_seq above the conversation's last
// seq is clamped to it. The subscriber is told the real position and gets
// the next message; later subscribers replay and go live as usual instead
// of waiting forever for the room to reach the bogus position.
func TestSubscribeBeyondLastSeq(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("beyond")
	sendN(t, e.hub, conv, 3)

	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 1000)
	assert.Equal(t, int64(3), cust.expect(TypeSubscribed).Seq, "after_seq clamped to last_seq")

	agent := e.agent("a1")
	agent.subscribe(conv.ID, 0)
	for seq := int64(1); seq <= 3; seq++ {
		assert.Equal(t, seq, agent.expect(TypeMessage).msg(t).Seq)
	}
	assert.Equal(t, int64(3), agent.expect(TypeSubscribed).Seq)
	agent.ping("p1")

	cust.message(conv.ID, "c4", "still there?")
	assert.Equal(t, int64(4), cust.expect(TypeAck).Seq)
	assert.Equal(t, int64(4), cust.expect(TypeMessage).msg(t).Seq)
	assert.Equal(t, int64(4), agent.expect(TypeMessage).msg(t).Seq)
}

// skewedStore is a store that misbehaves on purpose: GetConversation
// reports a last seq beyond what is stored and ListMessages hides one seq.
type skewedStore struct {
	icc.ConversationStore
	extra int64 // added to LastSeq
	mu    sync.Mutex
	hide  int64 // seq ListMessages leaves out (0: none)
}

func (s *skewedStore) GetConversation(ctx context.Context, id string) (*icc.Conversation, error) {
	c, err := s.ConversationStore.GetConversation(ctx, id)
	if c != nil {
		c.LastSeq += s.extra
	}
	return c, err
}

func (s *skewedStore) ListMessages(ctx context.Context, id string, after int64, limit int) ([]icc.Message, error) {
	msgs, err := s.ConversationStore.ListMessages(ctx, id, after, limit)
	s.mu.Lock()
	hide := s.hide
	s.mu.Unlock()
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.Seq != hide {
			out = append(out, m)
		}
	}
	return out, err
}

// TestReplayCannotSpin: even when the store claims messages it does not
// return, a replay gives up with an error frame instead of reading the
// store again and again, and the connection keeps working.
func TestReplayCannotSpin(t *testing.T) {
	st := newMemory(t)
	skewed := &skewedStore{ConversationStore: st, extra: 5}
	e := newEnv(t, fast(Config{Store: skewed, Bus: st}))
	conv, _ := e.start("skewed")
	sendN(t, e.hub, conv, 3)

	first := e.agent("a1")
	first.subscribe(conv.ID, 1000)
	assert.Equal(t, int64(8), first.expect(TypeSubscribed).Seq, "clamped to the last seq the store reports")

	second := e.agent("a2")
	second.subscribe(conv.ID, 0)
	for seq := int64(1); seq <= 3; seq++ {
		assert.Equal(t, seq, second.expect(TypeMessage).msg(t).Seq)
	}
	f := second.expect(TypeError)
	assert.Equal(t, CodeUnavailable, f.Code)
	assert.Equal(t, conv.ID, f.ConversationID)
	second.ping("p1")
	// The failed subscription is forgotten: subscribing again is allowed
	// (and fails the same way), not "already subscribed".
	second.subscribe(conv.ID, 3)
	assert.Equal(t, CodeUnavailable, second.expect(TypeError).Code)
}

// warnings is a slog handler that passes each warning's message to a
// channel.
type warnings chan string

func (w warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w warnings) Handle(_ context.Context, r slog.Record) error {
	select {
	case w <- r.Message:
	default:
	}
	return nil
}
func (w warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warnings) WithGroup(string) slog.Handler      { return w }

// TestCatchUpCannotSpin: a room catching up from a store that skips a seq
// stops with a warning instead of reading the same page forever.
func TestCatchUpCannotSpin(t *testing.T) {
	st := newMemory(t)
	skewed := &skewedStore{ConversationStore: st}
	warned := make(warnings, 100)
	e := newEnv(t, fast(Config{Store: skewed, Bus: st, Logger: slog.New(warned)}))
	conv, _ := e.start("gap")
	sendN(t, e.hub, conv, 3)
	agent := e.agent("a1")
	agent.subscribe(conv.ID, 0)
	assert.Equal(t, int64(3), agent.until(func(f frame) bool { return f.Type == TypeSubscribed }).Seq)

	// Stored behind the hub's back, with seq 4 hidden from reads.
	skewed.mu.Lock()
	skewed.hide = 4
	skewed.mu.Unlock()
	_, err := st.AppendMessages(context.Background(), []icc.NewMessage{
		{ConversationID: conv.ID, SenderType: icc.SenderCustomer, Body: "four"},
		{ConversationID: conv.ID, SenderType: icc.SenderCustomer, Body: "five"},
	})
	require.NoError(t, err)
	e.hub.notice(conv.ID, 5)
	for {
		msg := waitCh(t, warned, "the no-progress warning")
		if strings.Contains(msg, "no progress") {
			break
		}
	}
	agent.ping("p1")
}

// TestReadMarkBeyondLastSeq: a read frame beyond the last message is
// stored as the last seq, so later messages stay unread.
func TestReadMarkBeyondLastSeq(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("read")
	sendN(t, e.hub, conv, 3)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 3)
	cust.expect(TypeSubscribed)
	agent := e.agent("a1")
	agent.send(m{"type": "read", "conversation_id": conv.ID, "seq": 999})
	r := cust.until(func(f frame) bool { return f.Type == TypeRead })
	assert.Equal(t, int64(3), r.Seq, "the store clamps the mark to the last message")

	sendN(t, e.hub, conv, 5) // client ids s0..s2 are duplicates: two new
	page, err := e.hub.Conversations(context.Background(), "a1", icc.ConversationFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(2), page.Items[0].Unread)
}

// TestNoBotAfterTicket: once a customer message turns the conversation
// into a ticket, the bot does not answer it.
func TestNoBotAfterTicket(t *testing.T) {
	e, st, conv, c := offlineDeskEnv(t, Config{Classifier: fakeClassifier{}, ClassifyWorkers: 1})
	c.message(conv.ID, "c1", "hello")
	c.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).SenderType == icc.SenderBot })
	c.message(conv.ID, "c2", "my email is other.person@example.org")
	c.until(func(f frame) bool { return f.Type == TypeMessage && strings.Contains(f.msg(t).Body, "ticket #") })
	// Nor does it answer later messages: the team answers the ticket by email.
	c.message(conv.ID, "c3", "hello?")
	last := c.until(func(f frame) bool { return f.Type == TypeMessage && f.msg(t).ClientID == "c3" }).msg(t)

	e.drainAssist(t) // c2 and c3 were handled

	msgs, err := st.ListMessages(context.Background(), conv.ID, 0, 100)
	require.NoError(t, err)
	assert.Equal(t, last.Seq, msgs[len(msgs)-1].Seq, "nothing after the customer's last message: %+v", msgs[len(msgs)-1])
	for _, m := range msgs {
		if m.SenderType == icc.SenderBot {
			assert.Less(t, m.Seq, last.Seq-2, "the bot answered after the ticket: %+v", m)
		}
	}
}

// TestReadyBeforeSubscribed: a client that subscribes as soon as it is
// connected still gets ready first.
func TestReadyBeforeSubscribed(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("ready")
	sendN(t, e.hub, conv, 1)
	u := wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}})
	sub, err := json.Marshal(m{"type": "subscribe", "conversation_id": conv.ID, "after_seq": 0})
	require.NoError(t, err)
	for range 8 {
		var wg sync.WaitGroup
		first := make(chan string, 25)
		for range 25 {
			c := dialRaw(t, u)
			wg.Go(func() {
				defer func() { _ = c.ws.CloseNow() }()
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				if err := c.ws.Write(ctx, websocket.MessageText, sub); err != nil {
					first <- "write: " + err.Error()
					return
				}
				_, b, err := c.ws.Read(ctx)
				if err != nil {
					first <- "read: " + err.Error()
					return
				}
				var f frame
				_ = json.Unmarshal(b, &f)
				first <- f.Type
			})
		}
		wg.Wait()
		close(first)
		for typ := range first {
			require.Equal(t, TypeReady, typ, "the first frame")
		}
	}
}

// TestBadFrameNamesField: an invalid field is named in the error frame.
func TestBadFrameNamesField(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("field")
	cust := e.customer(conv, tok)
	cust.message(conv.ID, "c1", "   ")
	f := cust.expect(TypeError)
	assert.Equal(t, CodeBadFrame, f.Code)
	assert.Equal(t, "bad frame: body: is required", f.text())
}
