package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/icclabs/commandcenter/icc"
	"github.com/icclabs/commandcenter/storage/memory"
)

func TestMain(m *testing.M) {
	// opencensus (through the Gemini SDK in classify) starts a worker in init.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// wait bounds every wait for a frame.
const wait = 10 * time.Second

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// fast is a Config for tests that send bursts and that pretend an agent
// is online.
func fast(cfg Config) Config {
	if cfg.RateLimit == 0 {
		cfg.RateLimit, cfg.RateBurst = 1e6, 1e6
	}
	if cfg.AgentsOnline == nil {
		// Keep offline mode (system messages) out of tests about other things.
		cfg.AgentsOnline = func(context.Context) int { return 1 }
	}
	return cfg
}

// newMemory returns a memory store closed when the test ends, after the
// hubs using it.
func newMemory(t testing.TB) *memory.Store {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// env is a hub on a store behind an httptest server.
type env struct {
	t     testing.TB
	store *memory.Store
	hub   *Hub
	srv   *httptest.Server
}

// newEnv starts a hub on a fresh memory store (unless cfg has a store).
// Agents connect with ?agent=<id>.
func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	e := &env{t: t}
	if cfg.Store == nil {
		e.store = newMemory(t)
		cfg.Store = e.store
		cfg.Bus = e.store
	}
	e.hub = newHub(t, cfg)
	e.srv = httptest.NewServer(e.hub)
	t.Cleanup(e.srv.Close)
	return e
}

func newHub(t testing.TB, cfg Config) *Hub {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	if cfg.AuthenticateAgent == nil {
		cfg.AuthenticateAgent = func(r *http.Request) (Participant, error) {
			if id := r.URL.Query().Get("agent"); id != "" {
				return Participant{Role: RoleAgent, ID: id}, nil
			}
			return Participant{}, icc.Errorf(icc.EUNAUTHORIZED, "no session")
		}
	}
	h, err := NewHub(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, h.Close()) })
	return h
}

// start opens a conversation for a new customer.
func (e *env) start(subject string) (*icc.Conversation, string) {
	e.t.Helper()
	c, tok, err := e.hub.StartConversation(context.Background(), "cust-"+icc.NewID()[20:], subject)
	require.NoError(e.t, err)
	return c, tok
}

func wsURL(srv *httptest.Server, q url.Values) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/?" + q.Encode()
}

func (e *env) customer(c *icc.Conversation, token string) *client {
	return dial(e.t, wsURL(e.srv, url.Values{"conversation_id": {c.ID}, "token": {token}}))
}

// agent connects agent id. Like every test client it has received the
// ready frame, so it receives every dashboard event published from now on.
func (e *env) agent(id string) *client {
	return dial(e.t, wsURL(e.srv, url.Values{"agent": {id}}))
}

// frame is any server frame.
type frame struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	ClientID       string          `json:"client_id"`
	Seq            int64           `json:"seq"`
	MessageID      string          `json:"message_id"`
	Duplicate      bool            `json:"duplicate"`
	Raw            json.RawMessage `json:"message"`
	SenderType     string          `json:"sender_type"`
	SenderID       string          `json:"sender_id"`
	Typing         bool            `json:"typing"`
	AgentID        string          `json:"agent_id"`
	Status         string          `json:"status"`
	ParticipantID  string          `json:"participant_id"`
	Code           string          `json:"code"`
	Classification *Classification `json:"classification"`
	Event          *icc.Event      `json:"event"`
	Role           Role            `json:"role"`
	ServerTime     time.Time       `json:"server_time"`
}

// msg returns a message frame's message.
func (f frame) msg(t testing.TB) icc.Message {
	t.Helper()
	require.Equal(t, TypeMessage, f.Type)
	var m icc.Message
	require.NoError(t, json.Unmarshal(f.Raw, &m))
	return m
}

// text returns an error frame's message.
func (f frame) text() string {
	var s string
	_ = json.Unmarshal(f.Raw, &s)
	return s
}

// client is a test WebSocket client. A pump goroutine reads frames into a
// channel unless the client was made with noPump.
type client struct {
	t       testing.TB
	ws      *websocket.Conn
	frames  chan frame
	done    chan struct{}
	mu      sync.Mutex
	err     error // why reading ended
	pumping bool
}

func dial(t testing.TB, u string) *client {
	t.Helper()
	c := dialNoPump(t, u)
	c.startPump()
	return c
}

func (c *client) startPump() {
	c.mu.Lock()
	c.pumping = true
	c.mu.Unlock()
	go c.pump()
}

// dialNoPump connects to u and reads the ready frame, which must come
// first: once it returns the hub has registered the connection.
func dialNoPump(t testing.TB, u string) *client {
	t.Helper()
	c := dialRaw(t, u)
	c.ready()
	return c
}

// dialRaw connects to u and reads nothing.
func dialRaw(t testing.TB, u string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, nil)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	require.NoError(t, err)
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws, frames: make(chan frame, 10000), done: make(chan struct{})}
	t.Cleanup(func() {
		_ = ws.CloseNow()
		c.wait()
	})
	return c
}

// ready reads the next frame, before the pump starts, and requires it to
// be the ready frame.
func (c *client) ready() frame {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	require.NoError(c.t, err, "reading the ready frame")
	var f frame
	require.NoError(c.t, json.Unmarshal(b, &f), "frame %s", b)
	require.Equal(c.t, TypeReady, f.Type, "first frame %s", b)
	return f
}

func (c *client) pump() {
	defer close(c.done)
	for {
		_, b, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("bad server frame %s: %w", b, err)
			c.mu.Unlock()
			return
		}
		c.frames <- f
	}
}

// wait waits for the pump, if any, to end.
func (c *client) wait() {
	c.mu.Lock()
	pumping := c.pumping
	c.mu.Unlock()
	if pumping {
		<-c.done
	}
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(c.t, err)
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(c.t, c.ws.Write(ctx, websocket.MessageText, b))
}

type m = map[string]any

func (c *client) subscribe(conv string, after int64) {
	c.t.Helper()
	c.send(m{"type": "subscribe", "conversation_id": conv, "after_seq": after})
}

func (c *client) message(conv, clientID, body string) {
	c.t.Helper()
	c.send(m{"type": "message", "conversation_id": conv, "client_id": clientID, "body": body})
}

// next returns the next frame.
func (c *client) next() frame {
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
		c.t.Fatalf("connection ended: %v", c.closeErr())
	case <-time.After(wait):
		c.t.Fatalf("no frame within %s", wait)
	}
	return frame{}
}

// expect returns the next frame of type typ, skipping presence and
// dashboard event frames, which arrive unsolicited (an event published by
// another hub may reach an agent at any moment).
func (c *client) expect(typ string) frame {
	c.t.Helper()
	for {
		f := c.next()
		if (f.Type == TypePresence || f.Type == TypeEvent) && f.Type != typ {
			continue
		}
		require.Equal(c.t, typ, f.Type, "frame %+v (%s)", f, f.text())
		return f
	}
}

// until returns the first frame for which ok is true, skipping others.
func (c *client) until(ok func(frame) bool) frame {
	c.t.Helper()
	for {
		if f := c.next(); ok(f) {
			return f
		}
	}
}

// quiet asserts that no frame arrives within d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case f := <-c.frames:
		c.t.Fatalf("unexpected frame %+v", f)
	case <-time.After(d):
	}
}

// closed waits for the connection to end and returns its close code.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	for {
		select {
		case <-c.frames:
		case <-c.done:
			for len(c.frames) > 0 {
				<-c.frames
			}
			return websocket.CloseStatus(c.closeErr())
		case <-time.After(wait):
			c.t.Fatalf("connection still open after %s", wait)
		}
	}
}

func (c *client) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// ping round-trips a ping: every frame sent before it has been handled.
func (c *client) ping(id string) {
	c.t.Helper()
	c.send(m{"type": "ping", "id": id})
	c.until(func(f frame) bool { return f.Type == TypePong })
}

// gateStore holds AppendMessages while closed.
type gateStore struct {
	icc.ConversationStore
	mu      sync.Mutex
	open    chan struct{} // closed when appends may proceed
	entered chan struct{} // receives once per held append
}

func newGate(s icc.ConversationStore) *gateStore {
	g := &gateStore{ConversationStore: s, entered: make(chan struct{}, 100), open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gateStore) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *gateStore) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *gateStore) AppendMessages(ctx context.Context, msgs []icc.NewMessage) ([]icc.Appended, error) {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
	default:
		g.entered <- struct{}{}
		select {
		case <-open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.ConversationStore.AppendMessages(ctx, msgs)
}

func waitCh[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

var errTest = errors.New("test")
