package chat

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

func TestNewHubValidates(t *testing.T) {
	st := memory.New()
	defer st.Close()
	for name, cfg := range map[string]Config{
		"store":          {},
		"send_queue":     {Store: st, SendQueue: -1},
		"read_limit":     {Store: st, ReadLimit: 10},
		"write_timeout":  {Store: st, WriteTimeout: -time.Second},
		"origin_pattern": {Store: st, OriginPatterns: []string{"[bad"}},
		"event_topics":   {Store: st, EventTopics: []string{icc.TopicAgents}},
		"rate_limit":     {Store: st, RateLimit: -1},
	} {
		_, err := NewHub(cfg)
		require.Error(t, err, name)
		assert.Equal(t, icc.EINVALID, icc.ErrorCode(err), name)
	}
}

// TestOrderAndFanOut: every message is acked with the next seq and reaches
// the agent in order; the sender gets its ack before the fan-out.
func TestOrderAndFanOut(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("order")
	agent := e.agent("a1")
	agent.subscribe(conv.ID, 0)
	agent.expect(TypeSubscribed)
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)

	const n = 100
	for i := range n {
		cust.message(conv.ID, fmt.Sprint("c", i), fmt.Sprint("hello ", i))
	}
	// The sender sees each ack before the message it acknowledges (acks of
	// a batch go out before its fan-out), both in order.
	var acked, seen int64
	for acked+seen < 2*n {
		f := cust.next()
		switch f.Type {
		case TypePresence: // the agent's, from the snapshot
		case TypeAck:
			acked++
			require.Equal(t, acked, f.Seq)
			assert.Equal(t, fmt.Sprint("c", acked-1), f.ClientID)
		case TypeMessage:
			seen++
			require.Equal(t, seen, f.msg(t).Seq)
			require.LessOrEqual(t, seen, acked, "message before its ack")
		default:
			t.Fatalf("unexpected frame %+v", f)
		}
	}
	for i := range n {
		msg := agent.expect(TypeMessage).msg(t)
		require.Equal(t, int64(i+1), msg.Seq)
		assert.Equal(t, fmt.Sprint("hello ", i), msg.Body)
		assert.Equal(t, icc.SenderCustomer, msg.SenderType)
		assert.Equal(t, conv.CustomerID, msg.SenderID)
	}
	// And back: the agent answers.
	agent.message(conv.ID, "a-1", "how can I help?")
	assert.Equal(t, int64(n+1), agent.expect(TypeAck).Seq)
	msg := cust.until(func(f frame) bool { return f.Type == TypeMessage }).msg(t)
	assert.Equal(t, icc.SenderAgent, msg.SenderType)
	assert.Equal(t, "a1", msg.SenderID)
}

// TestAckAfterStore: no ack before the store has committed.
func TestAckAfterStore(t *testing.T) {
	st := newMemory(t)
	gate := newGate(st)
	e := newEnv(t, fast(Config{Store: gate, Bus: st}))
	conv, tok := e.start("ack")
	cust := e.customer(conv, tok)
	gate.hold()
	cust.message(conv.ID, "m1", "are you there?")
	waitCh(t, gate.entered, "the append")
	cust.quiet(100 * time.Millisecond) // stuck in the store: no ack
	msgs, err := st.ListMessages(context.Background(), conv.ID, 0, 10)
	require.NoError(t, err)
	require.Empty(t, msgs)
	gate.release()
	ack := cust.expect(TypeAck)
	assert.Equal(t, "m1", ack.ClientID)
	assert.Equal(t, int64(1), ack.Seq)
}

// TestDuplicateClientID: a retried message is stored once and acked with
// the same seq.
func TestDuplicateClientID(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("dup")
	cust := e.customer(conv, tok)
	cust.message(conv.ID, "same", "first")
	first := cust.expect(TypeAck)
	cust.message(conv.ID, "same", "first (retry)")
	second := cust.expect(TypeAck)
	assert.Equal(t, first.Seq, second.Seq)
	assert.Equal(t, first.MessageID, second.MessageID)
	assert.False(t, first.Duplicate)
	assert.True(t, second.Duplicate)
	// Twice in one batch, too.
	cust.message(conv.ID, "pair", "x")
	cust.message(conv.ID, "pair", "x")
	a, b := cust.expect(TypeAck), cust.expect(TypeAck)
	assert.Equal(t, a.Seq, b.Seq)
	msgs, err := e.store.ListMessages(context.Background(), conv.ID, 0, 10)
	require.NoError(t, err)
	assert.Len(t, msgs, 2)
}

// TestResume: a client that lost its connection resumes from its last seq
// and gets exactly what it missed, then the live stream.
func TestResume(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("resume")
	cust := e.customer(conv, tok)
	agent := e.agent("a1")
	agent.subscribe(conv.ID, 0)
	agent.expect(TypeSubscribed)
	for i := range 10 {
		cust.message(conv.ID, fmt.Sprint("c", i), fmt.Sprint("m", i))
	}
	var last int64
	for range 4 {
		last = agent.expect(TypeMessage).msg(t).Seq
	}
	_ = agent.ws.CloseNow()
	for i := 10; i < 20; i++ {
		cust.message(conv.ID, fmt.Sprint("c", i), fmt.Sprint("m", i))
	}
	for range 20 {
		cust.expect(TypeAck)
	}
	again := e.agent("a1")
	again.subscribe(conv.ID, last)
	for seq := last + 1; seq <= 20; seq++ {
		msg := again.expect(TypeMessage).msg(t)
		require.Equal(t, seq, msg.Seq)
		assert.Equal(t, fmt.Sprint("m", seq-1), msg.Body)
	}
	assert.Equal(t, int64(20), again.expect(TypeSubscribed).Seq)
	cust.message(conv.ID, "c20", "live again")
	assert.Equal(t, int64(21), again.expect(TypeMessage).msg(t).Seq)
}

// TestSlowConsumer: a client that does not read is cut off with
// StatusSlowConsumer and recovers everything by resuming.
func TestSlowConsumer(t *testing.T) {
	st := newMemory(t)
	gate := newGate(st)
	e := newEnv(t, fast(Config{Store: gate, Bus: st, SendQueue: 2}))
	conv, tok := e.start("slow")
	slow := dialNoPump(t, wsURL(e.srv, url.Values{"agent": {"slowpoke"}}))
	slow.subscribe(conv.ID, 0)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for { // read until subscribed, then stop reading
		_, b, err := slow.ws.Read(ctx)
		require.NoError(t, err)
		if strings.Contains(string(b), `"subscribed"`) {
			break
		}
	}
	// Queue the messages through the committer directly, so that no
	// sender's acks overflow the tiny queues.
	const n = 200
	gate.hold()
	items := make([]*commitItem, n)
	for i := range n {
		items[i] = &commitItem{
			msg:  icc.NewMessage{ConversationID: conv.ID, ClientID: fmt.Sprint("c", i), SenderType: icc.SenderCustomer, SenderID: conv.CustomerID, Body: fmt.Sprint("m", i)},
			done: make(chan commitResult, 1),
		}
		require.NoError(t, e.hub.submit(context.Background(), items[i]))
	}
	waitCh(t, gate.entered, "the append")
	gate.release()
	for _, it := range items {
		require.NoError(t, waitCh(t, it.done, "the commit").err)
	}
	_ = tok
	slow.startPump()
	var last int64
	for {
		select {
		case f := <-slow.frames:
			if f.Type == TypeMessage {
				seq := f.msg(t).Seq
				require.Equal(t, last+1, seq)
				last = seq
			}
			continue
		case <-slow.done:
		case <-time.After(wait):
			t.Fatal("slow client was not disconnected")
		}
		break
	}
	for len(slow.frames) > 0 {
		if f := <-slow.frames; f.Type == TypeMessage {
			seq := f.msg(t).Seq
			require.Equal(t, last+1, seq)
			last = seq
		}
	}
	assert.Equal(t, StatusSlowConsumer, websocket.CloseStatus(slow.closeErr()))
	require.Less(t, last, int64(n))

	again := e.agent("slowpoke")
	again.subscribe(conv.ID, last)
	for seq := last + 1; seq <= n; seq++ {
		require.Equal(t, seq, again.expect(TypeMessage).msg(t).Seq)
	}
	again.expect(TypeSubscribed)
}

// TestTypingAndPresenceTwoTabs: an agent with two tabs is online once and
// offline only when both are closed; typing is forwarded, throttled.
func TestTypingAndPresenceTwoTabs(t *testing.T) {
	// A throttle no slow run can outlast: the second typing frame is
	// always throttled.
	e := newEnv(t, fast(Config{TypingThrottle: time.Hour}))
	conv, tok := e.start("tabs")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	assert.Equal(t, 0, e.hub.AgentsOnline())

	tab1 := e.agent("a1")
	p := cust.expect(TypePresence)
	assert.Equal(t, "a1", p.AgentID)
	assert.Equal(t, "online", p.Status)
	// The tab hears its own agent come online too; taken here, or it may
	// come after the subscribed frame and stand where typing is expected.
	assert.Equal(t, "online", tab1.expect(TypePresence).Status)
	tab1.subscribe(conv.ID, 0)
	tab1.expect(TypeSubscribed)

	tab2 := e.agent("a1")
	assert.Equal(t, "online", tab2.expect(TypePresence).Status) // snapshot for the new tab
	tab2.subscribe(conv.ID, 0)
	tab2.expect(TypeSubscribed)
	tab2.send(m{"type": "typing", "conversation_id": conv.ID})
	tab2.send(m{"type": "typing", "conversation_id": conv.ID}) // throttled
	f := cust.next()                                           // no second presence frame before it
	require.Equal(t, TypeTyping, f.Type)
	assert.Equal(t, "a1", f.SenderID)
	assert.Equal(t, "agent", f.SenderType)
	assert.True(t, f.Typing)
	// The other tab of the same agent sees it too; the sender does not.
	assert.Equal(t, TypeTyping, tab1.next().Type)
	assert.Equal(t, 1, e.hub.AgentsOnline())

	_ = tab1.ws.Close(websocket.StatusNormalClosure, "")
	tab1.wait()
	tab2.send(m{"type": "typing", "conversation_id": conv.ID, "typing": false})
	f = cust.next() // still no presence change
	require.Equal(t, TypeTyping, f.Type)
	assert.False(t, f.Typing)

	tab2.send(m{"type": "presence", "status": "away"})
	p = cust.next()
	assert.Equal(t, TypePresence, p.Type)
	assert.Equal(t, "away", p.Status)
	assert.Equal(t, 0, e.hub.AgentsOnline())

	_ = tab2.ws.Close(websocket.StatusNormalClosure, "")
	p = cust.next()
	assert.Equal(t, TypePresence, p.Type)
	assert.Equal(t, "offline", p.Status)

	// Customers have no presence.
	cust.send(m{"type": "presence", "status": "online"})
	assert.Equal(t, CodeForbidden, cust.expect(TypeError).Code)
}

// TestReadMarks: read frames are stored and shown to the participants.
func TestReadMarks(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("read")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	agent := e.agent("a1")
	agent.subscribe(conv.ID, 0)
	agent.expect(TypeSubscribed)
	cust.message(conv.ID, "c1", "hi")
	cust.message(conv.ID, "c2", "anyone?")
	agent.expect(TypeMessage)
	agent.expect(TypeMessage)

	page, err := e.hub.Conversations(context.Background(), "a1", icc.ConversationFilter{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, int64(2), page.Items[0].Unread)

	agent.send(m{"type": "read", "conversation_id": conv.ID, "seq": 2})
	r := cust.until(func(f frame) bool { return f.Type == TypeRead })
	assert.Equal(t, "a1", r.ParticipantID)
	assert.Equal(t, int64(2), r.Seq)
	page, err = e.hub.Conversations(context.Background(), "a1", icc.ConversationFilter{})
	require.NoError(t, err)
	assert.Equal(t, int64(0), page.Items[0].Unread)
}

// TestCustomerIsolation: a customer can neither connect to nor use another
// conversation.
func TestCustomerIsolation(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	mine, tok := e.start("mine")
	other, otherTok := e.start("other")

	for name, q := range map[string]url.Values{
		"wrong token":        {"conversation_id": {other.ID}, "token": {tok}},
		"unknown":            {"conversation_id": {"nope"}, "token": {tok}},
		"no token, no agent": {"conversation_id": {mine.ID}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		_, resp, err := websocket.Dial(ctx, wsURL(e.srv, q), nil)
		cancel()
		require.Error(t, err, name)
		require.NotNil(t, resp, name)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
	_, err := e.hub.Authenticate(context.Background(), other.ID, otherTok+"x")
	assert.ErrorIs(t, err, icc.ErrUnauthorized)

	cust := e.customer(mine, tok)
	cust.subscribe(other.ID, 0)
	assert.Equal(t, CodeForbidden, cust.expect(TypeError).Code)
	cust.message(other.ID, "x", "let me in")
	f := cust.expect(TypeError)
	assert.Equal(t, CodeForbidden, f.Code)
	assert.Equal(t, "x", f.ClientID)
	cust.send(m{"type": "read", "conversation_id": other.ID, "seq": 1})
	assert.Equal(t, CodeForbidden, cust.expect(TypeError).Code)
	cust.send(m{"type": "typing", "conversation_id": other.ID})
	assert.Equal(t, CodeForbidden, cust.expect(TypeError).Code)
	msgs, err := e.store.ListMessages(context.Background(), other.ID, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, msgs)
}

// TestBadFrames: bad frames get error frames; oversized ones close with
// 1009; repeated abuse closes with 1008.
func TestBadFrames(t *testing.T) {
	e := newEnv(t, fast(Config{MaxAbuse: 5, ReadLimit: 2048}))
	conv, tok := e.start("bad")
	cust := e.customer(conv, tok)
	for _, raw := range []string{
		`{not json`,
		`{"type":"dance"}`,
		`{"type":"message","conversation_id":"` + conv.ID + `","body":"no client id"}`,
		`{"type":"subscribe","conversation_id":"` + conv.ID + `","after_seq":-1}`,
	} {
		cust.sendRaw([]byte(raw))
		assert.Equal(t, CodeBadFrame, cust.expect(TypeError).Code, raw)
	}
	cust.ping("still open")
	cust.sendRaw([]byte(`[]`))
	cust.expect(TypeError)
	assert.Equal(t, websocket.StatusPolicyViolation, cust.closed())

	big := e.customer(conv, tok)
	big.message(conv.ID, "big", strings.Repeat("x", 4096))
	assert.Equal(t, websocket.StatusMessageTooBig, big.closed())
}

// TestSubscribeBurst: an agent's console resubscribes everything it follows
// at once after a reconnect; subscribe frames do not count against the
// rate, only against MaxSubscriptions.
func TestSubscribeBurst(t *testing.T) {
	e := newEnv(t, Config{RateLimit: 0.001, RateBurst: 3, MaxSubscriptions: 8, MaxAbuse: 100})
	var ids []string
	for range 9 {
		conv, _ := e.start("burst")
		ids = append(ids, conv.ID)
	}
	a := e.agent("a1")
	for _, id := range ids {
		a.subscribe(id, 0)
	}
	// The refusal is sent at once, the subscriptions after their replays,
	// so they may arrive in any order.
	subscribed := map[string]bool{}
	var refused []frame
	for len(subscribed)+len(refused) < 9 {
		f := a.until(func(f frame) bool { return f.Type == TypeSubscribed || f.Type == TypeError })
		if f.Type == TypeError {
			refused = append(refused, f)
			continue
		}
		subscribed[f.ConversationID] = true
	}
	assert.Len(t, subscribed, 8)
	require.Len(t, refused, 1)
	assert.Equal(t, CodeTooManySubscriptions, refused[0].Code)
	assert.Equal(t, ids[8], refused[0].ConversationID)
	// Other frames still count against the rate.
	for i := range 4 {
		a.send(m{"type": "ping", "id": fmt.Sprint(i)})
	}
	for range 3 {
		a.expect(TypePong)
	}
	assert.Equal(t, CodeRateLimited, a.expect(TypeError).Code)
}

// TestRateLimit: frames beyond the rate get rate_limited errors.
func TestRateLimit(t *testing.T) {
	e := newEnv(t, Config{RateLimit: 0.001, RateBurst: 3, MaxAbuse: 100})
	conv, tok := e.start("rate")
	cust := e.customer(conv, tok)
	for i := range 5 {
		cust.send(m{"type": "ping", "id": fmt.Sprint(i)})
	}
	cust.expect(TypePong)
	cust.expect(TypePong)
	cust.expect(TypePong)
	assert.Equal(t, CodeRateLimited, cust.expect(TypeError).Code)
	assert.Equal(t, CodeRateLimited, cust.expect(TypeError).Code)
}

// TestOrigin: a page on a foreign origin is refused unless allowed.
func TestOrigin(t *testing.T) {
	e := newEnv(t, fast(Config{OriginPatterns: []string{"app.example.com"}}))
	conv, tok := e.start("origin")
	u := wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}})
	for origin, ok := range map[string]bool{"https://evil.example.com": false, "https://app.example.com": true} {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		cancel()
		if ok {
			require.NoError(t, err, origin)
			_ = ws.CloseNow()
		} else {
			require.Error(t, err, origin)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		}
	}
}

// TestShutdown: messages received before Shutdown are stored and acked,
// then connections close with 1001.
func TestShutdown(t *testing.T) {
	st := newMemory(t)
	gate := newGate(st)
	e := newEnv(t, fast(Config{Store: gate, Bus: st}))
	conv, tok := e.start("bye")
	cust := e.customer(conv, tok)
	gate.hold()
	for i := range 5 {
		cust.message(conv.ID, fmt.Sprint("c", i), "in flight")
	}
	cust.ping("queued")
	waitCh(t, gate.entered, "the append")
	done := make(chan error, 1)
	go func() { done <- e.hub.Shutdown(context.Background()) }()
	gate.release()
	for i := range 5 {
		assert.Equal(t, int64(i+1), cust.expect(TypeAck).Seq)
	}
	assert.Equal(t, websocket.StatusGoingAway, cust.closed())
	require.NoError(t, waitCh(t, done, "shutdown"))
	_, err := e.hub.Send(context.Background(), icc.NewMessage{ConversationID: conv.ID, SenderType: icc.SenderSystem, Body: "late"})
	assert.ErrorIs(t, err, icc.ErrUnavailable)
}

// TestConsole: assignment, closing and the agent's list.
func TestConsole(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("console")
	agent := e.agent("a1")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)

	c, err := e.hub.Assign(context.Background(), conv.ID, "a1")
	require.NoError(t, err)
	assert.Equal(t, "a1", c.AssigneeID)
	ev := agent.until(func(f frame) bool { return f.Type == TypeEvent && f.Event.Type == "conversation.assigned" })
	assert.Equal(t, conv.ID, ev.Event.ID)
	mine := "a1"
	page, err := e.hub.Conversations(context.Background(), "a1", icc.ConversationFilter{AssigneeID: &mine})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)

	_, err = e.hub.CloseConversation(context.Background(), conv.ID)
	require.NoError(t, err)
	msg := cust.expect(TypeMessage).msg(t)
	assert.Equal(t, icc.SenderSystem, msg.SenderType)
	agent.until(func(f frame) bool { return f.Type == TypeEvent && f.Event.Type == "conversation.closed" })
	cust.message(conv.ID, "late", "hello?")
	assert.Equal(t, CodeClosed, cust.expect(TypeError).Code)
	page, err = e.hub.Conversations(context.Background(), "a1", icc.ConversationFilter{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
}

// TestKeepAlive: the hub pings idle clients, which stay connected.
func TestKeepAlive(t *testing.T) {
	e := newEnv(t, fast(Config{PingInterval: 20 * time.Millisecond}))
	conv, tok := e.start("ping")
	pings := make(chan struct{}, 10)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}}), &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			select {
			case pings <- struct{}{}:
			default:
			}
			return true
		},
	})
	require.NoError(t, err)
	c := &client{t: t, ws: ws, frames: make(chan frame, 100), done: make(chan struct{})}
	c.startPump()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		c.wait()
	})
	for range 3 {
		waitCh(t, pings, "a ping")
	}
	c.ping("alive")
}

// TestReadyFirst: the ready frame is the first frame on every connection,
// and an event published as soon as it has arrived reaches the client.
// The loop gives a hub that registered connections late the chance to
// lose the race.
func TestReadyFirst(t *testing.T) {
	e := newEnv(t, fast(Config{}))
	conv, tok := e.start("ready")
	cust := dialRaw(t, wsURL(e.srv, url.Values{"conversation_id": {conv.ID}, "token": {tok}}))
	f := cust.ready()
	assert.Equal(t, RoleCustomer, f.Role)
	assert.WithinDuration(t, time.Now(), f.ServerTime, time.Minute)

	for i := range 20 {
		agent := dialRaw(t, wsURL(e.srv, url.Values{"agent": {fmt.Sprint("a", i)}}))
		f := agent.ready()
		assert.Equal(t, RoleAgent, f.Role)
		assert.False(t, f.ServerTime.IsZero())
		id := fmt.Sprint("t", i)
		require.NoError(t, e.store.Publish(context.Background(), icc.Event{Topic: icc.TopicTickets, Type: "ticket.created", ID: id, At: time.Now()}))
		agent.startPump()
		ev := agent.until(func(f frame) bool { return f.Type == TypeEvent })
		assert.Equal(t, id, ev.Event.ID, "an event published after ready")
		_ = agent.ws.Close(websocket.StatusNormalClosure, "")
	}
}

// lossyBus is a bus whose subscriptions report missed events when the
// test says so, as a shared bus does after losing its connection.
type lossyBus struct {
	icc.Bus
	missed atomic.Int64
}

func (b *lossyBus) Subscribe(ctx context.Context, topics ...string) (icc.Subscription, error) {
	s, err := b.Bus.Subscribe(ctx, topics...)
	if err != nil {
		return nil, err
	}
	return &lossySub{Subscription: s, b: b}, nil
}

type lossySub struct {
	icc.Subscription
	b *lossyBus
}

func (s *lossySub) Dropped() int64 { return s.Subscription.Dropped() + s.b.missed.Load() }

// TestResyncAfterMissedEvents: when the bus says events may have been
// missed, the hub catches its conversations up from the store and tells
// its agents to reload.
func TestResyncAfterMissedEvents(t *testing.T) {
	st := newMemory(t)
	bus := &lossyBus{Bus: st}
	e := newEnv(t, fast(Config{Store: st, Bus: bus, PresenceInterval: 20 * time.Millisecond}))
	conv, tok := e.start("resync")
	cust := e.customer(conv, tok)
	cust.subscribe(conv.ID, 0)
	cust.expect(TypeSubscribed)
	agent := e.agent("a1")

	// Another process stored a message whose bus event never arrived.
	ctx := context.Background()
	_, err := st.AppendMessages(ctx, []icc.NewMessage{{ConversationID: conv.ID, ClientID: "lost", SenderType: icc.SenderAgent, SenderID: "a2", Body: "while you were away"}})
	require.NoError(t, err)

	bus.missed.Add(1)
	assert.Equal(t, "while you were away", cust.expect(TypeMessage).msg(t).Body)
	f := agent.until(func(f frame) bool { return f.Type == TypeEvent && f.Event.Type == EventResync })
	assert.Equal(t, TopicChat, f.Event.Topic)
}
