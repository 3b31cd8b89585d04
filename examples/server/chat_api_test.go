package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/icclabs/commandcenter/chat"
	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/postgres"
)

// frameWait bounds every wait for a WebSocket frame.
const frameWait = 10 * time.Second

// chatEnv is a deskEnv with the chat set up and served over a real
// listener, for WebSocket clients.
type chatEnv struct {
	*deskEnv
	chat *chatAPI
	srv  *httptest.Server
}

// newChatEnv returns a chatEnv whose hub allows pages from
// shop.example.com besides its own host.
func newChatEnv(t *testing.T) *chatEnv {
	t.Helper()
	e := newDeskEnv(t)
	a, err := e.s.setupChat(t.Context(), chatOptions{OriginPatterns: []string{"shop.example.com"}, Now: e.clock.Now})
	require.NoError(t, err)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { require.NoError(t, a.hub.Close()) }) // before the server and the backend
	return &chatEnv{deskEnv: e, chat: a, srv: srv}
}

// started is the answer of POST /api/conversations.
type started = startAnswer

// start starts a conversation through the API as an anonymous customer.
func (e *chatEnv) start(email, subject, message string) started {
	e.t.Helper()
	w := e.anon().do("POST", "/api/conversations", map[string]string{"name": "Cus Tomer", "email": email, "subject": subject, "message": message})
	require.Equal(e.t, http.StatusCreated, w.Code, w.Body.String())
	return decode[started](e.t, w)
}

// withToken returns an anonymous client that sends a conversation token
// as a bearer token.
func (e *chatEnv) withToken(token string) *client {
	c := e.anon()
	c.header.Set("Authorization", "Bearer "+token)
	return c
}

// wsURL is the server's /ws URL with query q.
func (e *chatEnv) wsURL(q url.Values) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws?" + q.Encode()
}

// wsFrame is any server frame. Message holds a message frame's message,
// or an error frame's text.
type wsFrame struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	ClientID       string          `json:"client_id"`
	Seq            int64           `json:"seq"`
	Code           string          `json:"code"`
	Message        json.RawMessage `json:"message"`
	SenderType     string          `json:"sender_type"`
	SenderID       string          `json:"sender_id"`
	Typing         bool            `json:"typing"`
	AgentID        string          `json:"agent_id"`
	Status         string          `json:"status"`
	ParticipantID  string          `json:"participant_id"`
	Classification json.RawMessage `json:"classification"`
	Event          *icc.Event      `json:"event"`
}

// msg returns a message frame's message.
func (f wsFrame) msg(t *testing.T) icc.Message {
	t.Helper()
	require.Equal(t, chat.TypeMessage, f.Type, "frame %+v", f)
	var m icc.Message
	require.NoError(t, json.Unmarshal(f.Message, &m))
	return m
}

// wsClient is a test WebSocket client whose pump reads frames into a
// channel.
type wsClient struct {
	t      *testing.T
	ws     *websocket.Conn
	frames chan wsFrame
	done   chan struct{}
	mu     sync.Mutex
	err    error // why reading ended
}

// dialWS connects to u with the given request headers and waits for the
// ready frame, which must come first: from then on the client receives
// every event the hub publishes.
func dialWS(t *testing.T, u string, h http.Header) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), frameWait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.CloseNow() }) // should the checks below fail
	_, b, err := ws.Read(ctx)
	require.NoError(t, err, "reading the ready frame")
	var ready wsFrame
	require.NoError(t, json.Unmarshal(b, &ready), "frame %s", b)
	require.Equal(t, chat.TypeReady, ready.Type, "first frame %s", b)
	c := &wsClient{t: t, ws: ws, frames: make(chan wsFrame, 1000), done: make(chan struct{})}
	go c.pump()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-c.done
	})
	return c
}

// dialStatus tries to connect and returns the HTTP status of the refusal
// (or 101) and the response body.
func dialStatus(t *testing.T, u string, h http.Header) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), frameWait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		_ = ws.CloseNow()
		return http.StatusSwitchingProtocols, ""
	}
	require.NotNil(t, resp, "dial: %v", err)
	var body strings.Builder
	if resp.Body != nil {
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		body.Write(buf[:n])
		_ = resp.Body.Close()
	}
	return resp.StatusCode, body.String()
}

// customerWS connects as the customer of a started conversation.
func (e *chatEnv) customerWS(st started) *wsClient {
	e.t.Helper()
	return dialWS(e.t, e.wsURL(url.Values{"token": {st.Token}}), nil)
}

// agentWS connects with the session cookie of c.
func (e *chatEnv) agentWS(c *client) *wsClient {
	e.t.Helper()
	return dialWS(e.t, e.wsURL(nil), http.Header{"Cookie": {c.cookie.String()}})
}

func (c *wsClient) pump() {
	defer close(c.done)
	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var f wsFrame
		if err := json.Unmarshal(b, &f); err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("bad server frame %s: %w", b, err)
			c.mu.Unlock()
			return
		}
		c.frames <- f
	}
}

func (c *wsClient) send(v map[string]any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(c.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), frameWait)
	defer cancel()
	require.NoError(c.t, c.ws.Write(ctx, websocket.MessageText, b))
}

func (c *wsClient) subscribe(conv string, after int64) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "conversation_id": conv, "after_seq": after})
}

func (c *wsClient) message(conv, clientID, body string) {
	c.t.Helper()
	c.send(map[string]any{"type": "message", "conversation_id": conv, "client_id": clientID, "body": body})
}

// next returns the next frame, failing the test after frameWait.
func (c *wsClient) next() wsFrame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		c.t.Fatalf("connection ended: %v", err)
	case <-time.After(frameWait):
		c.t.Fatalf("no frame within %s", frameWait)
	}
	return wsFrame{}
}

// until returns the first frame for which ok is true, skipping others.
func (c *wsClient) until(ok func(wsFrame) bool) wsFrame {
	c.t.Helper()
	for {
		if f := c.next(); ok(f) {
			return f
		}
	}
}

// untilType returns the next frame of type typ (for conversation conv,
// when it is not empty), skipping others.
func (c *wsClient) untilType(typ, conv string) wsFrame {
	c.t.Helper()
	return c.until(func(f wsFrame) bool {
		return f.Type == typ && (conv == "" || f.ConversationID == conv)
	})
}

// closeStatus waits for the connection to end and returns its close code.
func (c *wsClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		select {
		case <-c.frames:
		case <-c.done:
			c.mu.Lock()
			defer c.mu.Unlock()
			return websocket.CloseStatus(c.err)
		case <-time.After(frameWait):
			c.t.Fatalf("connection still open after %s", frameWait)
		}
	}
}

// replay subscribes after after and returns the messages replayed before
// the subscribed frame.
func (c *wsClient) replay(conv string, after int64) []icc.Message {
	c.t.Helper()
	c.subscribe(conv, after)
	var out []icc.Message
	for {
		f := c.until(func(f wsFrame) bool {
			return f.ConversationID == conv && (f.Type == chat.TypeMessage || f.Type == chat.TypeSubscribed)
		})
		if f.Type == chat.TypeSubscribed {
			return out
		}
		out = append(out, f.msg(c.t))
	}
}

// TestChatOverWebSocket is the "done when": a conversation started
// through the REST API, then a customer and an agent chatting over /ws
// both ways with typing and read marks, and the customer reconnecting with
// after_seq.
func TestChatOverWebSocket(t *testing.T) {
	e := newChatEnv(t)
	agentHTTP := e.asAgent()
	agent := e.agentWS(agentHTTP)
	// The agent is online (hub presence) before the customer writes, so
	// the bot keeps quiet. The classifier may still hand the chat to a
	// human with a system message at any point, so the checks below follow
	// client ids rather than fixed sequence numbers.
	agent.until(func(f wsFrame) bool {
		return f.Type == chat.TypePresence && f.AgentID == e.agent.ID && f.Status == "online"
	})

	st := e.start("chatter@test.example", "Invoice question", "Hi, my invoice looks wrong.")
	assert.Equal(t, int64(1), st.LastSeq)
	assert.True(t, strings.HasPrefix(st.Token, st.ID+"."), "the token names its conversation")

	// The agent hears about the new conversation and catches up.
	ev := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeEvent && f.Event.Type == "conversation.started" })
	assert.Equal(t, st.ID, ev.Event.ID)
	got := agent.replay(st.ID, 0)
	require.NotEmpty(t, got)
	assert.Equal(t, int64(1), got[0].Seq)
	assert.Equal(t, "Hi, my invoice looks wrong.", got[0].Body)
	assert.Equal(t, st.CustomerID, got[0].SenderID)

	// The customer learns that the agent is online (the presence snapshot
	// comes first), then catches up.
	cust := e.customerWS(st)
	p := cust.untilType(chat.TypePresence, "")
	assert.Equal(t, e.agent.ID, p.AgentID)
	assert.Equal(t, "online", p.Status)
	got = cust.replay(st.ID, 0)
	require.NotEmpty(t, got)
	assert.Equal(t, "Hi, my invoice looks wrong.", got[0].Body)

	// Customer -> agent: typing, then a message.
	cust.send(map[string]any{"type": "typing", "conversation_id": st.ID, "typing": true})
	tf := agent.untilType(chat.TypeTyping, st.ID)
	assert.Equal(t, "customer", tf.SenderType)
	assert.True(t, tf.Typing)
	cust.message(st.ID, "c-1", "It says 120 EUR, the plan is 100.")
	ack := cust.untilType(chat.TypeAck, st.ID)
	assert.Equal(t, "c-1", ack.ClientID)
	assert.Greater(t, ack.Seq, int64(1))
	m := agent.until(isMessage(t, "c-1")).msg(t)
	assert.Equal(t, ack.Seq, m.Seq)
	assert.Equal(t, "It says 120 EUR, the plan is 100.", m.Body)
	assert.Equal(t, icc.SenderCustomer, m.SenderType)
	assert.Equal(t, ack.Seq, cust.until(isMessage(t, "c-1")).msg(t).Seq, "the sender gets its own message too")
	cls := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeClassification && f.Seq == ack.Seq })
	assert.Contains(t, string(cls.Classification), `"category"`, "the desk's classifier labels customer messages for agents")

	// Agent -> customer: typing, then a message.
	agent.send(map[string]any{"type": "typing", "conversation_id": st.ID})
	tf = cust.untilType(chat.TypeTyping, st.ID)
	assert.Equal(t, "agent", tf.SenderType)
	assert.Equal(t, e.agent.ID, tf.SenderID)
	agent.message(st.ID, "a-1", "Let me check that for you.")
	agentAck := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeAck && f.ClientID == "a-1" })
	assert.Greater(t, agentAck.Seq, ack.Seq)
	m = cust.until(isMessage(t, "a-1")).msg(t)
	assert.Equal(t, agentAck.Seq, m.Seq)
	assert.Equal(t, icc.SenderAgent, m.SenderType)
	assert.Equal(t, e.agent.ID, m.SenderID)
	seen := m.Seq // the customer's after_seq from here

	// Read marks, both ways.
	cust.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": seen})
	rf := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == st.CustomerID })
	assert.Equal(t, seen, rf.Seq)
	agent.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": seen})
	rf = cust.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == e.agent.ID })
	assert.Equal(t, seen, rf.Seq)

	// The agent's list counts what the agent has not read.
	w := agentHTTP.do("GET", "/api/conversations", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	list := decode[icc.Page[chat.Summary]](t, w)
	require.Len(t, list.Items, 1)
	assert.Equal(t, seen, list.Items[0].LastRead)
	assert.Equal(t, list.Items[0].LastSeq-seen, list.Items[0].Unread)

	// The customer goes away; the agent writes twice meanwhile.
	require.NoError(t, cust.ws.Close(websocket.StatusNormalClosure, "bye"))
	agent.message(st.ID, "a-2", "Found it: a duplicate add-on.")
	agent.message(st.ID, "a-3", "I have removed it; the next invoice is 100 EUR.")
	agent.until(func(f wsFrame) bool { return f.Type == chat.TypeAck && f.ClientID == "a-3" })

	// Back with after_seq: exactly what was missed, in order, once.
	cust = e.customerWS(st)
	got = cust.replay(st.ID, seen)
	assert.Equal(t, []string{"a-2", "a-3"}, clientIDs(got, false))
	assertSeqsFrom(t, seen+1, got)
	cust.message(st.ID, "c-2", "Thanks!")
	agent.until(isMessage(t, "c-2"))

	// The same history over REST, with the token.
	w = e.withToken(st.Token).do("GET", "/api/conversations/"+st.ID+"/messages?after_seq="+fmt.Sprint(seen), nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	mb := decode[messagesBody](t, w)
	assert.Equal(t, []string{"a-2", "a-3", "c-2"}, clientIDs(mb.Items, false))
	assertSeqsFrom(t, seen+1, mb.Items)
	require.NotEmpty(t, mb.Items)
	assert.Equal(t, mb.Items[len(mb.Items)-1].Seq, mb.LastSeq)
}

// isMessage matches the message frame of a client id.
func isMessage(t *testing.T, clientID string) func(wsFrame) bool {
	return func(f wsFrame) bool { return f.Type == chat.TypeMessage && f.msg(t).ClientID == clientID }
}

// clientIDs lists the client ids of msgs, without the hub's system
// messages unless system is set.
func clientIDs(msgs []icc.Message, system bool) []string {
	var out []string
	for _, m := range msgs {
		if system || m.SenderType != icc.SenderSystem {
			out = append(out, m.ClientID)
		}
	}
	return out
}

// assertSeqsFrom checks that msgs are numbered first, first+1, … without
// gaps.
func assertSeqsFrom(t *testing.T, first int64, msgs []icc.Message) {
	t.Helper()
	for i, m := range msgs {
		assert.Equal(t, first+int64(i), m.Seq, "message %d (%s)", i, m.ClientID)
	}
}

// TestChatBotWhenNoAgentOnline: with nobody connected, the hub tells the
// customer that no agent is online and the bot answers a simple question
// with the desk classifier's suggested reply.
func TestChatBotWhenNoAgentOnline(t *testing.T) {
	e := newChatEnv(t)
	st := e.start("alone@test.example", "Password", "How do I reset my password?")
	cust := e.customerWS(st)
	cust.subscribe(st.ID, 0)
	m := cust.until(func(f wsFrame) bool {
		return f.Type == chat.TypeMessage && f.msg(t).SenderType == icc.SenderSystem
	}).msg(t)
	assert.Contains(t, m.Body, "No agent is online")
	assert.Contains(t, m.Body, "alone@test.example", "the customer's address on file, not a request for one")
	m = cust.until(func(f wsFrame) bool {
		return f.Type == chat.TypeMessage && f.msg(t).SenderType == icc.SenderBot
	}).msg(t)
	assert.Contains(t, strings.ToLower(m.Body), "password")
}

func TestBotReplyPolicy(t *testing.T) {
	conv := &icc.Conversation{ID: "c1"}
	sure := &chat.Classification{Confidence: 0.95, SuggestedReply: "Use the Forgot password link."}
	unsure := &chat.Classification{Confidence: 0.6, SuggestedReply: "You can order by adding items to your basket."}
	ctx := context.Background()

	reply, ok := botReply(ctx, chat.BotInput{Conversation: conv, Classification: sure})
	assert.True(t, ok)
	assert.Equal(t, sure.SuggestedReply, reply)
	_, ok = botReply(ctx, chat.BotInput{Conversation: conv, Classification: unsure})
	assert.False(t, ok, "not sure enough")
	_, ok = botReply(ctx, chat.BotInput{Conversation: conv})
	assert.False(t, ok, "not classified")
	_, ok = botReply(ctx, chat.BotInput{Conversation: conv, Classification: sure, AgentsOnline: 1})
	assert.False(t, ok, "an agent is online")
	_, ok = botReply(ctx, chat.BotInput{Conversation: &icc.Conversation{ID: "c1", AssigneeID: "a1"}, Classification: sure})
	assert.False(t, ok, "somebody is assigned")
}

// TestWSAuth checks who may open /ws.
func TestWSAuth(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "A", "")
	b := e.start("b@test.example", "B", "")
	session := http.Header{"Cookie": {e.asAgent().cookie.String()}}

	tests := []struct {
		name   string
		query  url.Values
		header http.Header
		status int
	}{
		{"no credentials", nil, nil, 401},
		{"garbage token", url.Values{"token": {"nonsense"}}, nil, 401},
		{"wrong secret", url.Values{"token": {a.ID + ".not-the-secret"}}, nil, 401},
		{"unknown conversation", url.Values{"token": {"0123." + strings.SplitN(a.Token, ".", 2)[1]}}, nil, 401},
		{"logged-out session", nil, http.Header{"Cookie": {sessionCookieName + "=stale"}}, 401},
		{"token for another conversation", url.Values{"token": {a.Token}, "conversation_id": {b.ID}}, nil, 403},
		{"foreign origin, customer", url.Values{"token": {a.Token}}, http.Header{"Origin": {"https://evil.example"}}, 403},
		{"foreign origin, agent", nil, http.Header{"Origin": {"https://evil.example"}, "Cookie": session["Cookie"]}, 403},
		{"customer", url.Values{"token": {a.Token}, "conversation_id": {a.ID}}, nil, 101},
		{"customer, token in a header", nil, http.Header{"X-Conversation-Token": {a.Token}}, 101},
		{"customer, bearer token", nil, http.Header{"Authorization": {"Bearer " + a.Token}}, 101},
		{"customer, secret and conversation_id", url.Values{"token": {strings.SplitN(a.Token, ".", 2)[1]}, "conversation_id": {a.ID}}, nil, 101},
		{"agent", nil, session, 101},
		{"own origin", url.Values{"token": {a.Token}}, http.Header{"Origin": {e.srv.URL}}, 101},
		{"allowed origin pattern", url.Values{"token": {a.Token}}, http.Header{"Origin": {"https://shop.example.com"}}, 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := dialStatus(t, e.wsURL(tt.query), tt.header)
			assert.Equal(t, tt.status, status, body)
			switch status {
			case 401:
				assert.Contains(t, body, `"code":"unauthorized"`, "a JSON error like every API route")
			case 403:
				assert.Contains(t, body, `"code":"forbidden"`, "a JSON error like every API route")
			}
		})
	}

	// A customer cannot subscribe to another conversation.
	c := e.customerWS(a)
	c.subscribe(b.ID, 0)
	f := c.untilType(chat.TypeError, b.ID)
	assert.Equal(t, chat.CodeForbidden, f.Code)
}

// TestWSNotAnUpgrade: requests to /ws that are no WebSocket handshake get
// the API's JSON errors, not the websocket library's plain text: 426
// without the upgrade headers (before any credential check), 400 for a bad
// version or key.
func TestWSNotAnUpgrade(t *testing.T) {
	e := newChatEnv(t)
	st := e.start("plain@test.example", "Plain", "")
	for _, c := range []*client{e.anon(), e.withToken(st.Token), e.asAgent()} {
		w := c.do("GET", "/ws", nil)
		requireError(t, w, http.StatusUpgradeRequired, "upgrade_required", "")
		assert.Equal(t, "websocket", w.Header().Get("Upgrade"))
		assert.Contains(t, w.Header().Get("Content-Type"), "application/json")
	}

	handshake := func(c *client, version, key string) *client {
		c.header.Set("Connection", "keep-alive, Upgrade")
		c.header.Set("Upgrade", "websocket")
		c.header.Set("Sec-WebSocket-Version", version)
		c.header.Set("Sec-WebSocket-Key", key)
		return c
	}
	const goodKey = "dGhlIHNhbXBsZSBub25jZQ=="
	w := handshake(e.withToken(st.Token), "8", goodKey).do("GET", "/ws", nil)
	requireError(t, w, http.StatusBadRequest, "invalid", "")
	assert.Equal(t, "13", w.Header().Get("Sec-WebSocket-Version"))
	requireError(t, handshake(e.withToken(st.Token), "13", "short").do("GET", "/ws", nil), http.StatusBadRequest, "invalid", "")
	requireError(t, handshake(e.anon(), "13", goodKey).do("GET", "/ws", nil), http.StatusUnauthorized, "unauthorized", "")
	c := handshake(e.withToken(st.Token), "13", goodKey)
	c.header.Set("Origin", "https://evil.example")
	requireError(t, c.do("GET", "/ws", nil), http.StatusForbidden, "forbidden", "")
}

// TestAccessLogHidesChatToken: the token in /ws's query string never
// reaches the logs; the access log has the path only.
func TestAccessLogHidesChatToken(t *testing.T) {
	e := newChatEnv(t)
	st := e.start("log@test.example", "Logs", "hello")
	secret := strings.SplitN(st.Token, ".", 2)[1]
	c := e.customerWS(st)
	c.replay(st.ID, 0)
	require.NoError(t, c.ws.Close(websocket.StatusNormalClosure, ""))
	dialStatus(t, e.wsURL(url.Values{"token": {st.ID + ".wrong-" + secret}}), nil)
	serveOnce(e.s, httptest.NewRequest("GET", "/ws?conversation_id="+st.ID+"&token="+url.QueryEscape(st.Token), nil))

	var recs []map[string]any
	require.Eventually(t, func() bool { // the upgraded request is logged when it ends
		recs = nil
		for _, r := range logLines(t, e.logs.String(), "http request") {
			if r["path"] == "/ws" {
				recs = append(recs, r)
			}
		}
		return len(recs) == 3
	}, frameWait, 5*time.Millisecond)
	statuses := map[float64]bool{}
	for _, r := range recs {
		statuses[r["status"].(float64)] = true
	}
	assert.True(t, statuses[101], "the upgraded request is logged: %v", recs)
	assert.True(t, statuses[401], "the refused one too: %v", recs)
	assert.NotContains(t, e.logs.String(), secret)
	assert.NotContains(t, e.logs.String(), "token=")
}

func TestStartConversation(t *testing.T) {
	e := newChatEnv(t)
	c := e.anon()

	w := c.do("POST", "/api/conversations", map[string]string{"name": "Ann", "email": " Ann@Test.Example ", "subject": "Hello"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	first := decode[started](t, w)
	assert.Equal(t, "/api/conversations/"+first.ID, w.Header().Get("Location"))
	assert.Equal(t, int64(0), first.LastSeq, "no first message")
	cust, err := e.backend.GetCustomerByEmail(context.Background(), "ann@test.example")
	require.NoError(t, err)
	assert.Equal(t, cust.ID, first.CustomerID)
	assert.Equal(t, "Ann", cust.Name)

	// The same email finds the same customer.
	second := e.start("ann@test.example", "Again", "It's me again")
	assert.Equal(t, first.CustomerID, second.CustomerID)
	assert.NotEqual(t, first.ID, second.ID)
	msgs, err := e.backend.ListMessages(context.Background(), second.ID, 0, 1)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	assert.Equal(t, int64(1), second.LastSeq)
	assert.Equal(t, "It's me again", msgs[0].Body)
	assert.Equal(t, cust.ID, msgs[0].SenderID)

	for _, tt := range []struct {
		name  string
		body  any
		field string
	}{
		{"no email", map[string]string{"name": "X"}, "email"},
		{"bad email", map[string]string{"email": "not-an-email"}, "email"},
		{"long name", map[string]string{"email": "x@test.example", "name": strings.Repeat("n", 201)}, "name"},
		{"long subject", map[string]string{"email": "x@test.example", "subject": strings.Repeat("s", 1000)}, "subject"},
		{"long message", map[string]string{"email": "x@test.example", "message": strings.Repeat("m", icc.MaxMessageLen+1)}, "message"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, c.do("POST", "/api/conversations", tt.body), 422, "invalid", tt.field)
		})
	}
	requireError(t, c.do("POST", "/api/conversations", `{"email":`), 400, "invalid", "")
	requireError(t, c.do("POST", "/api/conversations", map[string]string{"email": "x@test.example", "token": "x"}), 400, "invalid", "")

	// Rate limited per client IP, like the public ticket form: two were
	// started above; bad input does not count.
	for i := 2; i < conversationsPerWindow; i++ {
		e.start(fmt.Sprintf("r%d@test.example", i), "", "")
	}
	w = c.do("POST", "/api/conversations", map[string]string{"email": "late@test.example"})
	require.Equal(t, http.StatusTooManyRequests, w.Code, w.Body.String())
	assert.Equal(t, "rate_limited", readErrorBody(t, w.Body.Bytes()).Code)
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	other := e.anon()
	other.remote = "198.51.100.7:555"
	assert.Equal(t, http.StatusCreated, other.do("POST", "/api/conversations", map[string]string{"email": "late@test.example"}).Code)
	e.clock.Advance(conversationWindow)
	assert.Equal(t, http.StatusCreated, c.do("POST", "/api/conversations", map[string]string{"email": "late@test.example"}).Code)
}

func TestListConversations(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "A", "one")
	b := e.start("b@test.example", "B", "")
	agent := e.asAgent()

	requireError(t, e.anon().do("GET", "/api/conversations", nil), 401, "unauthorized", "")
	requireError(t, e.withToken(a.Token).do("GET", "/api/conversations", nil), 401, "unauthorized", "")

	// Message 1 of a, and the system message telling the customer nobody
	// is online, arrive asynchronously; wait for both.
	require.Eventually(t, func() bool {
		c, err := e.backend.GetConversation(context.Background(), a.ID)
		return err == nil && c.LastSeq >= 2
	}, frameWait, 5*time.Millisecond)

	w := agent.do("GET", "/api/conversations", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page := decode[icc.Page[chat.Summary]](t, w)
	require.Len(t, page.Items, 2)
	byID := map[string]chat.Summary{}
	for _, s := range page.Items {
		byID[s.ID] = s
	}
	assert.Equal(t, byID[a.ID].LastSeq, byID[a.ID].Unread, "the agent has read nothing")
	assert.Equal(t, int64(0), byID[b.ID].Unread)

	w = agent.do("POST", "/api/conversations/"+b.ID+"/assign", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	w = agent.do("GET", "/api/conversations?assignee=me&limit=5", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page = decode[icc.Page[chat.Summary]](t, w)
	require.Len(t, page.Items, 1)
	assert.Equal(t, b.ID, page.Items[0].ID)

	w = agent.do("POST", "/api/conversations/"+b.ID+"/close", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	page = decode[icc.Page[chat.Summary]](t, agent.do("GET", "/api/conversations", nil))
	require.Len(t, page.Items, 1, "closed conversations are not listed by default")
	page = decode[icc.Page[chat.Summary]](t, agent.do("GET", "/api/conversations?status=closed", nil))
	require.Len(t, page.Items, 1)
	assert.Equal(t, b.ID, page.Items[0].ID)

	requireError(t, agent.do("GET", "/api/conversations?status=maybe", nil), 422, "invalid", "status")
	requireError(t, agent.do("GET", "/api/conversations?limit=0", nil), 422, "invalid", "limit")
	requireError(t, agent.do("GET", "/api/conversations?cursor=%25%25", nil), 422, "invalid", "cursor")
}

func TestConversationAndMessages(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "A", "first")
	b := e.start("b@test.example", "B", "")
	agent := e.asAgent()

	for _, path := range []string{"/api/conversations/" + a.ID, "/api/conversations/" + a.ID + "/messages", "/api/conversations/" + a.ID + "/read-marks"} {
		t.Run(path, func(t *testing.T) {
			assert.Equal(t, http.StatusOK, agent.do("GET", path, nil).Code)
			assert.Equal(t, http.StatusOK, e.withToken(a.Token).do("GET", path, nil).Code)
			c := e.anon()
			c.header.Set(chat.TokenHeader, a.Token)
			assert.Equal(t, http.StatusOK, c.do("GET", path, nil).Code, "X-Conversation-Token works too")

			requireError(t, e.anon().do("GET", path, nil), 401, "unauthorized", "")
			requireError(t, e.withToken("garbage").do("GET", path, nil), 401, "unauthorized", "")
			requireError(t, e.withToken(a.ID+".wrong").do("GET", path, nil), 401, "unauthorized", "")
			requireError(t, e.withToken(b.Token).do("GET", path, nil), 403, "forbidden", "")
			missing := strings.Replace(path, a.ID, icc.NewID(), 1)
			requireError(t, agent.do("GET", missing, nil), 404, "not_found", "")
		})
	}
	q := e.anon()
	q.header = http.Header{}
	requireError(t, q.do("GET", "/api/conversations/"+a.ID+"/messages?token="+url.QueryEscape(a.Token), nil),
		401, "unauthorized", "") // tokens go in headers on REST routes, not in URLs

	w := agent.do("GET", "/api/conversations/"+a.ID, nil)
	conv := decode[icc.Conversation](t, w)
	assert.Equal(t, a.CustomerID, conv.CustomerID)
	assert.NotContains(t, w.Body.String(), "token", "the token hash is never sent")

	// Paging with after_seq and limit.
	for i := range 3 {
		_, err := e.chat.hub.Send(context.Background(), icc.NewMessage{ConversationID: b.ID, ClientID: fmt.Sprint(i), SenderType: icc.SenderAgent, SenderID: e.agent.ID, Body: fmt.Sprint("m", i)})
		require.NoError(t, err)
	}
	w = e.withToken(b.Token).do("GET", "/api/conversations/"+b.ID+"/messages?after_seq=1&limit=1", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	mb := decode[messagesBody](t, w)
	require.Len(t, mb.Items, 1)
	assert.Equal(t, int64(2), mb.Items[0].Seq)
	assert.Equal(t, "m1", mb.Items[0].Body)
	assert.Equal(t, int64(3), mb.LastSeq)
	w = agent.do("GET", "/api/conversations/"+b.ID+"/messages?after_seq=3", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"items":[],"last_seq":3}`, w.Body.String())

	for _, bad := range []struct{ query, field string }{
		{"after_seq=-1", "after_seq"}, {"after_seq=x", "after_seq"}, {"limit=0", "limit"}, {"limit=501", "limit"},
	} {
		requireError(t, agent.do("GET", "/api/conversations/"+b.ID+"/messages?"+bad.query, nil), 422, "invalid", bad.field)
	}
}

// TestConversationReadMarks: the read marks set over the WebSocket can be
// loaded over REST by an agent and by the customer (the token), so that a
// reloaded page shows read receipts at once; who may not read the
// conversation gets the errors of TestConversationAndMessages.
func TestConversationReadMarks(t *testing.T) {
	e := newChatEnv(t)
	agentHTTP := e.asAgent()
	st := e.start("marks@test.example", "Marks", "Hello?")
	other := e.start("other@test.example", "Other", "")
	path := "/api/conversations/" + st.ID + "/read-marks"

	// Nobody has read anything yet: an empty list, not null.
	w := agentHTTP.do("GET", path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"items":[]}`, w.Body.String())

	agent := e.agentWS(agentHTTP)
	cust := e.customerWS(st)
	agent.replay(st.ID, 0)
	cust.replay(st.ID, 0)
	cust.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": 1})
	agent.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == st.CustomerID })
	agent.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": 1})
	cust.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == e.agent.ID })
	// A mark never moves back: an older read changes nothing (the hub
	// answers it with the stored mark).
	cust.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": 0})
	rf := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == st.CustomerID })
	assert.Equal(t, int64(1), rf.Seq)

	doc := loadOpenAPI(t)
	for name, c := range map[string]*client{"agent": agentHTTP, "customer": e.withToken(st.Token)} {
		t.Run(name, func(t *testing.T) {
			w := c.do("GET", path, nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var v any
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v))
			assert.Empty(t, doc.problems(doc.responseSchema(t, "GET", path, http.StatusOK), v, "$"))
			marks := decode[itemsBody[icc.ReadMark]](t, w).Items
			got := map[string]int64{}
			for _, m := range marks {
				assert.Equal(t, st.ID, m.ConversationID)
				assert.False(t, m.UpdatedAt.IsZero())
				got[m.ParticipantID] = m.Seq
			}
			assert.Equal(t, map[string]int64{st.CustomerID: 1, e.agent.ID: 1}, got)
		})
	}

	requireError(t, e.anon().do("GET", path, nil), 401, "unauthorized", "")
	requireError(t, e.withToken(other.Token).do("GET", path, nil), 403, "forbidden", "")
	requireError(t, agentHTTP.do("GET", "/api/conversations/"+icc.NewID()+"/read-marks", nil), 404, "not_found", "")
}

func TestAssignConversation(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "A", "")
	agent := e.asAgent()
	path := "/api/conversations/" + a.ID + "/assign"

	requireError(t, e.anon().do("POST", path, nil), 401, "unauthorized", "")
	requireError(t, e.withToken(a.Token).do("POST", path, nil), 401, "unauthorized", "")

	w := agent.do("POST", path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, e.agent.ID, decode[icc.Conversation](t, w).AssigneeID, "no body: the signed-in agent")

	w = agent.do("POST", path, map[string]string{"agent_id": e.admin.ID})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, e.admin.ID, decode[icc.Conversation](t, w).AssigneeID)

	w = agent.do("POST", path, map[string]string{"agent_id": ""})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, decode[icc.Conversation](t, w).AssigneeID, `"" unassigns`)

	requireError(t, agent.do("POST", path, map[string]string{"agent_id": "nobody"}), 422, "invalid", "agent_id")
	requireError(t, agent.do("POST", path, `{"agent_id":7}`), 400, "invalid", "")
	requireError(t, agent.do("POST", "/api/conversations/"+icc.NewID()+"/assign", nil), 404, "not_found", "")

	require.Equal(t, http.StatusOK, agent.do("POST", "/api/conversations/"+a.ID+"/close", nil).Code)
	requireError(t, agent.do("POST", path, nil), 409, "conflict", "")
}

func TestCloseConversation(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "A", "")
	agent := e.asAgent()
	path := "/api/conversations/" + a.ID + "/close"

	requireError(t, e.anon().do("POST", path, nil), 401, "unauthorized", "")
	requireError(t, e.withToken(a.Token).do("POST", path, nil), 401, "unauthorized", "")
	requireError(t, agent.do("POST", "/api/conversations/"+icc.NewID()+"/close", nil), 404, "not_found", "")

	cust := e.customerWS(a)
	cust.replay(a.ID, 0)
	w := agent.do("POST", path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, icc.ConversationClosed, decode[icc.Conversation](t, w).Status)
	m := cust.untilType(chat.TypeMessage, a.ID).msg(t)
	assert.Equal(t, icc.SenderSystem, m.SenderType, "the customer is told")

	cust.message(a.ID, "late", "are you there?")
	assert.Equal(t, chat.CodeClosed, cust.untilType(chat.TypeError, a.ID).Code)

	// Closing again changes nothing.
	w = agent.do("POST", path, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	msgs, err := e.backend.ListMessages(context.Background(), a.ID, 0, 10)
	require.NoError(t, err)
	assert.Len(t, msgs, 1)
}

func TestConversationToTicket(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "Refund please", "I was charged twice for my invoice, please refund.")
	agent := e.asAgent()
	path := "/api/conversations/" + a.ID + "/ticket"
	_, err := e.chat.hub.Send(context.Background(), icc.NewMessage{ConversationID: a.ID, ClientID: "x", SenderType: icc.SenderAgent, SenderID: e.agent.ID, Body: "Let me open a ticket for billing."})
	require.NoError(t, err)

	requireError(t, e.anon().do("POST", path, nil), 401, "unauthorized", "")
	requireError(t, e.withToken(a.Token).do("POST", path, nil), 401, "unauthorized", "")
	requireError(t, agent.do("POST", "/api/conversations/"+icc.NewID()+"/ticket", nil), 404, "not_found", "")
	requireError(t, agent.do("POST", path, map[string]string{"category": "weather"}), 422, "invalid", "category")
	requireError(t, agent.do("POST", path, map[string]string{"priority": "whenever"}), 422, "invalid", "priority")
	requireError(t, agent.do("POST", path, map[string]string{"customer_email": "nope"}), 422, "invalid", "customer_email")

	w := agent.do("POST", path, map[string]any{"body": "Customer wants a refund.", "tags": []string{"chat"}})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	assert.Equal(t, "/api/tickets/"+tk.ID, w.Header().Get("Location"))
	assert.Equal(t, a.ID, tk.ConversationID)
	assert.Equal(t, a.CustomerID, tk.CustomerID)
	assert.Equal(t, icc.ChannelChat, tk.Channel)
	assert.Equal(t, "Refund please", tk.Subject)
	assert.Contains(t, tk.Body, "Customer wants a refund.")
	assert.Contains(t, tk.Body, "I was charged twice", "the transcript is kept")
	assert.Contains(t, tk.Body, "Let me open a ticket for billing.")
	require.NotNil(t, tk.Classification, "through the desk: classified and routed")
	assert.Equal(t, "billing", tk.Queue)

	conv := decode[icc.Conversation](t, agent.do("GET", "/api/conversations/"+a.ID, nil))
	assert.Equal(t, tk.ID, conv.TicketID)
	requireError(t, agent.do("POST", path, nil), 409, "conflict", "")
}

// TestConversationToTicketLongNote: a note longer than a ticket body is a
// 422 naming body; a long note with a contact email is kept whole, with
// the contact line, and the transcript is shortened to its latest
// messages.
func TestConversationToTicketLongNote(t *testing.T) {
	e := newChatEnv(t)
	a := e.start("a@test.example", "Refund please", "I was charged twice for my invoice.")
	agent := e.asAgent()
	// Stored directly, not through the hub: the offline assistant must not
	// turn the conversation into a ticket first.
	var msgs []icc.NewMessage
	for i := range 5 {
		msgs = append(msgs, icc.NewMessage{ConversationID: a.ID, ClientID: fmt.Sprint("m", i), SenderType: icc.SenderCustomer,
			SenderID: a.CustomerID, Body: fmt.Sprintf("message %d %s", i, strings.Repeat("x", 4000))})
	}
	_, err := e.backend.AppendMessages(context.Background(), msgs)
	require.NoError(t, err)
	path := "/api/conversations/" + a.ID + "/ticket"

	w := agent.do("POST", path, map[string]any{"body": strings.Repeat("n", 70_000), "customer_email": "billing@test.example"})
	requireError(t, w, 422, "invalid", "body")
	conv := decode[icc.Conversation](t, agent.do("GET", "/api/conversations/"+a.ID, nil))
	assert.Empty(t, conv.TicketID, "nothing was created")

	note := strings.Repeat("n", 60_000)
	w = agent.do("POST", path, map[string]any{"body": note, "customer_email": "billing@test.example"})
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	tk := decode[*icc.Ticket](t, w)
	assert.LessOrEqual(t, len(tk.Body), icc.MaxBodyLen)
	assert.True(t, strings.HasPrefix(tk.Body, note+"\nContact email: billing@test.example\n\n"), "the note and the contact line are whole")
	assert.Contains(t, tk.Body, "earlier messages left out")
	assert.Contains(t, tk.Body, "message 4 ", "the latest message is kept")
	assert.NotContains(t, tk.Body, "I was charged twice", "the earliest is left out")
	assert.Equal(t, a.CustomerID, tk.CustomerID)
}

func TestChatDemoSeed(t *testing.T) {
	e := newChatEnv(t)
	ctx := context.Background()
	require.NoError(t, e.chat.seedDemo(ctx), "without demo customers it does nothing")
	_, err := e.s.seedDemo(ctx)
	require.NoError(t, err)
	require.NoError(t, e.chat.seedDemo(ctx))

	all, err := e.backend.ListConversations(ctx, icc.ConversationFilter{Limit: 10})
	require.NoError(t, err)
	require.Len(t, all.Items, len(demoChats()))

	tom := e.login("tom@example.com", "demo-agent")
	page := decode[icc.Page[chat.Summary]](t, tom.do("GET", "/api/conversations?assignee=me", nil))
	require.Len(t, page.Items, 1)
	assert.Equal(t, "Order sync stuck again", page.Items[0].Subject)
	// Three lines, and perhaps the hub's note that a human takes over.
	assert.GreaterOrEqual(t, page.Items[0].LastSeq, int64(3))
	assert.Equal(t, page.Items[0].LastSeq-2, page.Items[0].Unread, "Tom has read two")

	require.NoError(t, e.chat.seedDemo(ctx))
	all, err = e.backend.ListConversations(ctx, icc.ConversationFilter{Limit: 10})
	require.NoError(t, err)
	assert.Len(t, all.Items, len(demoChats()), "seeding twice adds nothing")
}

// TestRunChatDrainsOnShutdown runs the program: the demo has
// conversations, a customer chats over /ws, and stopping the program
// closes the WebSocket with 1001 before storage closes.
func TestRunChatDrainsOnShutdown(t *testing.T) {
	r := startRun(t, []string{"-addr", "127.0.0.1:0", "-chat-origins", "shop.example.com"}, nil)
	resp, err := http.Post(r.url+"/api/conversations", "application/json",
		strings.NewReader(`{"name":"Run","email":"run@test.example","subject":"Shutdown","message":"hello"}`))
	require.NoError(t, err)
	var st started
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	ws := "ws" + strings.TrimPrefix(r.url, "http") + "/ws?" + url.Values{"token": {st.Token}}.Encode()
	c := dialWS(t, ws, http.Header{"Origin": {"https://shop.example.com"}})
	got := c.replay(st.ID, 0)
	require.NotEmpty(t, got)
	assert.Equal(t, "hello", got[0].Body)

	require.NoError(t, r.wait(t))
	assert.Equal(t, websocket.StatusGoingAway, c.closeStatus())
	logs := r.stderr.String()
	assert.Contains(t, logs, "demo conversations seeded")
	assert.Contains(t, logs, "chat hub drained")
	assert.Less(t, strings.Index(logs, "chat hub drained"), strings.Index(logs, "shutdown complete"))
	assert.NotContains(t, logs, strings.SplitN(st.Token, ".", 2)[1])
}

// TestChatTwoServersPostgres: two servers, each with its own PostgreSQL
// backend on one schema; a customer on server A and an agent on server B
// chat both ways.
func TestChatTwoServersPostgres(t *testing.T) {
	dbURL, schema := testPostgresSchema(t, "icc_server_chat_")

	newNode := func(name string) (*server, *chatAPI, *httptest.Server) {
		logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name)
		b, err := postgres.Open(context.Background(), postgres.Config{URL: dbURL, Schema: schema, Logger: logger})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, b.Close()) })
		s := newServer(b, logger)
		s.bcryptCost = bcrypt.MinCost
		require.NoError(t, s.setupDesk(t.Context(), deskOptions{Classifier: keywordClassifier{}}))
		a, err := s.setupChat(t.Context(), chatOptions{Instance: name})
		require.NoError(t, err)
		srv := httptest.NewServer(s.handler())
		t.Cleanup(srv.Close)
		t.Cleanup(func() { // what serve does on shutdown: drain the hub, stop the sessions' clean-up
			ctx, cancel := context.WithTimeout(context.Background(), frameWait)
			defer cancel()
			for _, h := range s.shutdowns {
				require.NoError(t, h(ctx))
			}
		})
		return s, a, srv
	}
	sA, _, srvA := newNode("A")
	_, _, srvB := newNode("B")
	require.NoError(t, sA.ensureAdmin(context.Background(), "admin@test.example", testAdminPassword))

	// The agent signs in on B; the session lives in the shared database.
	resp, err := http.Post(srvB.URL+"/api/auth/login", "application/json",
		strings.NewReader(`{"email":"admin@test.example","password":"`+testAdminPassword+`"}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookieName {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	wsOn := func(srv *httptest.Server, q url.Values) string {
		return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?" + q.Encode()
	}
	agent := dialWS(t, wsOn(srvB, nil), http.Header{"Cookie": {cookie.String()}})

	// The customer starts on A.
	resp, err = http.Post(srvA.URL+"/api/conversations", "application/json",
		strings.NewReader(`{"email":"far@test.example","subject":"Across","message":"hello from A"}`))
	require.NoError(t, err)
	var st started
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	cust := dialWS(t, wsOn(srvA, url.Values{"token": {st.Token}}), nil)
	cust.replay(st.ID, 0)

	got := agent.replay(st.ID, 0)
	require.NotEmpty(t, got)
	assert.Equal(t, "hello from A", got[0].Body)
	last := got[len(got)-1].Seq

	cust.message(st.ID, "c-1", "are you on B?")
	m := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeMessage && f.msg(t).ClientID == "c-1" }).msg(t)
	assert.Greater(t, m.Seq, last)
	agent.message(st.ID, "a-1", "yes, answering from B")
	m = cust.until(func(f wsFrame) bool { return f.Type == chat.TypeMessage && f.msg(t).ClientID == "a-1" }).msg(t)
	assert.Equal(t, icc.SenderAgent, m.SenderType)
	assert.Equal(t, "yes, answering from B", m.Body)

	cust.send(map[string]any{"type": "typing", "conversation_id": st.ID})
	assert.Equal(t, "customer", agent.untilType(chat.TypeTyping, st.ID).SenderType)
	cust.send(map[string]any{"type": "read", "conversation_id": st.ID, "seq": m.Seq})
	rf := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeRead && f.ParticipantID == st.CustomerID })
	assert.Equal(t, m.Seq, rf.Seq)
}

func TestChatOriginsConfig(t *testing.T) {
	cfg, err := parseConfig([]string{"-chat-origins", " shop.example.com, *.example.org ,,https://app.example.net"}, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"shop.example.com", "*.example.org", "https://app.example.net"}, cfg.ChatOrigins)

	cfg, err = parseConfig(nil, mapEnv(map[string]string{"ICC_CHAT_ORIGINS": "widget.example.com"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"widget.example.com"}, cfg.ChatOrigins)

	cfg, err = parseConfig(nil, mapEnv(nil), io.Discard)
	require.NoError(t, err)
	assert.Empty(t, cfg.ChatOrigins, "only the server's own host by default")

	for _, bad := range []string{"[oops", "example.com/path", "https://"} {
		_, err := parseConfig([]string{"-chat-origins", bad}, mapEnv(nil), io.Discard)
		var cerr *configError
		require.ErrorAs(t, err, &cerr, bad)
		assert.Contains(t, err.Error(), "-chat-origins")
	}
	_, err = parseConfig(nil, mapEnv(map[string]string{"ICC_CHAT_ORIGINS": "[oops"}), io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ICC_CHAT_ORIGINS")
}

// TestConversationTriage: once a customer message is classified, the
// conversation served to agents (one, and in the list) carries its
// triage, as the classification frame showed it, so a console opened
// later shows it; the customer's view of the conversation does not.
func TestConversationTriage(t *testing.T) {
	e := newChatEnv(t)
	st := e.start("triaged@test.example", "Invoice", "")
	agentHTTP := e.asAgent()
	agent := e.agentWS(agentHTTP)
	agent.replay(st.ID, 0)
	get := func(c *client) (icc.Conversation, any) {
		t.Helper()
		w := c.do("GET", "/api/conversations/"+st.ID, nil)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var raw any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw))
		return decode[icc.Conversation](t, w), raw
	}
	conv, raw := get(agentHTTP)
	assert.Nil(t, conv.Triage, "nothing classified yet")
	assert.NotContains(t, raw, "triage")

	cust := e.customerWS(st)
	cust.message(st.ID, "c-1", "I was charged twice on my invoice, please refund me.")
	ack := cust.untilType(chat.TypeAck, st.ID)
	f := agent.until(func(f wsFrame) bool { return f.Type == chat.TypeClassification && f.Seq == ack.Seq })
	var shown chat.Classification
	require.NoError(t, json.Unmarshal(f.Classification, &shown))

	// Stored before the frame went out: no waiting needed.
	conv, raw = get(agentHTTP)
	require.NotNil(t, conv.Triage)
	tr := conv.Triage
	assert.Equal(t, ack.Seq, tr.Seq)
	assert.Equal(t, shown.Category, tr.Category)
	assert.Equal(t, shown.Priority, tr.Priority)
	assert.Equal(t, shown.Intent, tr.Intent)
	assert.Equal(t, shown.Model, tr.Model)
	assert.Equal(t, shown.Escalate, tr.Escalate)
	assert.Equal(t, shown.SuggestedReply, tr.SuggestedReply)
	assert.False(t, tr.At.IsZero())
	doc := loadOpenAPI(t)
	assert.Empty(t, doc.problems(doc.responseSchema(t, "GET", "/api/conversations/"+st.ID, http.StatusOK), raw, "$"))

	w := agentHTTP.do("GET", "/api/conversations", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	list := decode[icc.Page[chat.Summary]](t, w)
	require.Len(t, list.Items, 1)
	require.NotNil(t, list.Items[0].Triage)
	assert.Equal(t, *tr, *list.Items[0].Triage)

	// The customer sees the conversation, not what the classifier made of them.
	conv, raw = get(e.withToken(st.Token))
	assert.Equal(t, st.ID, conv.ID)
	assert.Nil(t, conv.Triage)
	assert.NotContains(t, raw, "triage")
}
