package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/icclabs/commandcenter/classify"
	"github.com/icclabs/commandcenter/icc"
)

// Role says who is at the other end of a connection.
type Role string

// Roles.
const (
	RoleAgent    Role = "agent"
	RoleCustomer Role = "customer"
)

// Participant is the authenticated user of a connection. The host decides
// who is an agent; customers are usually identified by Hub.Authenticate.
type Participant struct {
	Role Role
	// ID is the agent's or the customer's id.
	ID string
	// ConversationID is, for a customer, the one conversation they may read
	// and write. Agents may use every conversation.
	ConversationID string
}

func (p Participant) validate() error {
	switch {
	case p.Role != RoleAgent && p.Role != RoleCustomer:
		return icc.Invalid("role", "must be agent or customer")
	case p.ID == "":
		return icc.Invalid("id", "is required")
	case p.Role == RoleCustomer && p.ConversationID == "":
		return icc.Invalid("conversation_id", "is required for a customer")
	}
	return nil
}

func (p Participant) senderType() icc.SenderType {
	if p.Role == RoleAgent {
		return icc.SenderAgent
	}
	return icc.SenderCustomer
}

// TicketCreator opens tickets; *icc.Desk satisfies it.
type TicketCreator interface {
	CreateTicket(ctx context.Context, in icc.NewTicket) (*icc.Ticket, error)
}

// TicketFinder is an optional interface of a Config.Tickets: it finds the
// ticket made from a conversation, so that Hub.ConvertToTicket can finish
// a conversion interrupted after its ticket was stored. *icc.Desk
// satisfies it.
type TicketFinder interface {
	// TicketOfConversation returns the ticket whose ConversationID is
	// conversationID, or an error with code icc.ENOTFOUND when there is
	// none.
	TicketOfConversation(ctx context.Context, conversationID string) (*icc.Ticket, error)
}

// BotInput is what a BotReply policy decides on.
type BotInput struct {
	Conversation *icc.Conversation
	// Message is the customer's message, as stored.
	Message icc.Message
	// Classification is nil without a classifier or when it failed.
	Classification *Classification
	// AgentsOnline is how many agents are online across every hub.
	AgentsOnline int
}

// DefaultBotReply answers with the classifier's suggested reply when no
// agent is online and nobody is assigned to the conversation. (Sensitive
// and escalated messages never reach a BotReply policy, and the hub does
// not post a reply it already gave in the conversation.)
func DefaultBotReply(_ context.Context, in BotInput) (string, bool) {
	if in.Classification == nil || in.Classification.SuggestedReply == "" {
		return "", false
	}
	if in.AgentsOnline > 0 || in.Conversation.AssigneeID != "" {
		return "", false
	}
	return in.Classification.SuggestedReply, true
}

// Config configures a Hub. Store is required; the zero value of every other
// field is a sensible default.
type Config struct {
	// Store keeps conversations and messages. Required.
	Store icc.ConversationStore
	// Bus carries messages, typing, presence and read marks between hubs
	// sharing one store, and dashboard events to agents. Nil serves one
	// process only.
	Bus icc.Bus
	// Logger receives operational logs (default: discarded).
	Logger *slog.Logger
	// Classifier labels customer messages off the hot path; optional.
	Classifier classify.Classifier
	// Tickets turns conversations into tickets (ConvertToTicket, offline
	// mode); optional. *icc.Desk satisfies it. Without it a customer who
	// writes while no agent is online is told that an agent will answer in
	// the conversation, not asked for an email address. When it also
	// implements TicketFinder (*icc.Desk does), a conversion interrupted
	// after its ticket was stored is completed by the next one (see
	// ConvertToTicket); otherwise such a conversation stays unlinked.
	Tickets TicketCreator
	// AuthenticateAgent identifies agents for ServeHTTP, typically from the
	// host's session cookie; its error's icc code sets the status of the
	// refusal (EUNAUTHORIZED: 401). Requests with a customer token (a token
	// query parameter, an "Authorization: Bearer" or TokenHeader header) are
	// customers and do not reach it. Without it ServeHTTP serves customers
	// only; hosts may also authenticate themselves and call Serve.
	AuthenticateAgent func(r *http.Request) (Participant, error)
	// OriginPatterns lists the host patterns (path.Match syntax, ignoring
	// case) of pages on other origins allowed to connect; a pattern with
	// "://" matches the scheme and host. Requests without an Origin header
	// and pages on the request's own host are always allowed; an Origin
	// without a host ("null") only by a pattern such as "*". It is the rule of
	// websocket.AcceptOptions.OriginPatterns, checked before the upgrade so
	// that a refusal is a JSON 403.
	OriginPatterns []string
	// SendQueue is how many frames wait for a slow client before it is
	// disconnected with StatusSlowConsumer (default 256).
	SendQueue int
	// ReadLimit is the largest frame accepted, in bytes (default 16 KiB);
	// a larger one closes the connection with StatusMessageTooBig (1009).
	ReadLimit int64
	// RateLimit is how many frames per second a connection may send on
	// average (default 20) and RateBurst how many at once (default
	// 2×RateLimit). Frames beyond it get an error frame.
	RateLimit float64
	RateBurst int
	// MaxSubscriptions is how many conversations one connection may
	// subscribe to (default 1000). Subscribe frames do not count against
	// RateLimit, so that an agent's console can resubscribe every
	// conversation it follows at once after a reconnect; this bounds them
	// instead.
	MaxSubscriptions int
	// MaxAbuse is how many error frames a connection may earn before it is
	// closed with StatusPolicyViolation (default 20).
	MaxAbuse int
	// WriteTimeout bounds each write to a client (default 10s).
	WriteTimeout time.Duration
	// PingInterval is how often the hub pings each client (default 30s).
	PingInterval time.Duration
	// MaxBatch bounds how many queued messages are stored at once (default
	// 256), and CommitQueue how many may wait for the committer (default
	// 4096).
	MaxBatch    int
	CommitQueue int
	// StoreTimeout bounds each store call (default 10s).
	StoreTimeout time.Duration
	// ClassifyWorkers classify customer messages (default 2); ClassifyQueue
	// is how many messages may wait for them (default 1024; beyond it
	// messages go unclassified and a warning is logged); ClassifyTimeout
	// bounds one classification (default 5s).
	ClassifyWorkers int
	ClassifyQueue   int
	ClassifyTimeout time.Duration
	// TypingThrottle is the shortest interval between two typing frames
	// forwarded for one participant (default 2s); TypingTTL is how long a
	// client shows a typing indicator without news (default 6s).
	TypingThrottle time.Duration
	TypingTTL      time.Duration
	// PresenceInterval is how often a hub re-announces its agents' presence
	// to the other hubs; an announcement older than three intervals is
	// forgotten (default 15s). A hub that starts, or whose bus
	// subscription may have missed events, also asks the other hubs to
	// announce at once, and they do, at most once a second (or once per
	// interval, if shorter) however many hubs ask.
	PresenceInterval time.Duration
	// EventTopics are the bus topics forwarded to agents as event frames
	// (default: TopicChat, icc.TopicTickets, icc.TopicAlerts,
	// icc.TopicIntegrations).
	EventTopics []string
	// OnMessage is called with every newly stored message, in order per
	// conversation, from the committer: it must not block.
	OnMessage func(ctx context.Context, m icc.Message)
	// BotReply decides whether the bot answers a customer message and
	// what with (default DefaultBotReply). A reply the bot already gave in
	// the conversation is not posted again: the bot stays silent instead.
	BotReply func(ctx context.Context, in BotInput) (string, bool)
	// Notices, when set, is asked about every customer message in an open
	// conversation, including conversations handed to a human, for system
	// messages to post there: information such as a known outage, not
	// answers. The hub posts each Notice.Key at most once per conversation
	// (across hubs sharing the store), after an escalation message and
	// before the bot's reply. It runs on a classification worker, off the
	// committer's path, so it may call a store.
	Notices func(ctx context.Context, c *icc.Conversation, m icc.Message) []Notice
	// OnEscalate is called once when a conversation is handed to a human
	// because the classifier flagged a message sensitive or escalated.
	OnEscalate func(ctx context.Context, c *icc.Conversation, m icc.Message, cls Classification)
	// AgentsOnline counts agents available for chat (default: the agents
	// online on every hub sharing the bus, see Hub.AgentsOnline).
	AgentsOnline func(ctx context.Context) int
	// Contact, when set, tells who a customer or an agent is by id. Ticket
	// transcripts then name the senders instead of giving their ids, and,
	// with Tickets, a customer who writes while no agent is online and
	// whose email address is known is told where the answer will go
	// instead of being asked for an address. An error or an empty Contact
	// falls back to the id and to asking.
	Contact func(ctx context.Context, senderType icc.SenderType, id string) (Contact, error)
	// Instance identifies this hub on the bus (default: a random id).
	Instance string
	// Clock tells the time (default icc.SystemClock).
	Clock icc.Clock
}

// Contact is who a participant is, as Config.Contact tells it.
type Contact struct {
	Name  string
	Email string
}

// contact asks Config.Contact who a participant is; without it, or on an
// error (logged), the Contact is empty.
func (h *Hub) contact(ctx context.Context, senderType icc.SenderType, id string) Contact {
	if h.cfg.Contact == nil || id == "" {
		return Contact{}
	}
	sctx, cancel := h.storeCtx(ctx)
	defer cancel()
	c, err := h.cfg.Contact(sctx, senderType, id)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("chat: looking up a contact failed", "sender_type", senderType, "id", id, "err", err)
		}
		return Contact{}
	}
	c.Email = emailRE.FindString(c.Email) // only an address, nothing else, goes into texts
	return c
}

// TopicChat is the bus topic of conversation life-cycle events
// ("conversation.started", "conversation.assigned", "conversation.closed",
// "conversation.escalated", "conversation.ticket"), which agents receive as
// event frames.
const TopicChat = "chat"

// EventResync is the type of the TopicChat event frame a hub sends its
// agents after its bus subscription may have missed events (a slow
// subscriber, or a shared bus that lost its database connection): it has
// caught its conversations up from the store, and a dashboard should reload
// what it shows. It is sent to this hub's agents only, never on the bus.
const EventResync = "resync"

func (c *Config) setDefaults() error {
	if c.Store == nil {
		return icc.Invalid("store", "chat: a conversation store is required")
	}
	type dur struct {
		name string
		v    *time.Duration
		def  time.Duration
	}
	for _, d := range []dur{
		{"write_timeout", &c.WriteTimeout, 10 * time.Second},
		{"ping_interval", &c.PingInterval, 30 * time.Second},
		{"store_timeout", &c.StoreTimeout, 10 * time.Second},
		{"classify_timeout", &c.ClassifyTimeout, 5 * time.Second},
		{"typing_throttle", &c.TypingThrottle, 2 * time.Second},
		{"typing_ttl", &c.TypingTTL, 6 * time.Second},
		{"presence_interval", &c.PresenceInterval, 15 * time.Second},
	} {
		if *d.v < 0 {
			return icc.Invalid(d.name, "chat: must not be negative")
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	type num struct {
		name string
		v    *int
		def  int
	}
	for _, n := range []num{
		{"send_queue", &c.SendQueue, 256},
		{"max_abuse", &c.MaxAbuse, 20},
		{"max_subscriptions", &c.MaxSubscriptions, 1000},
		{"max_batch", &c.MaxBatch, 256},
		{"commit_queue", &c.CommitQueue, 4096},
		{"classify_workers", &c.ClassifyWorkers, 2},
		{"classify_queue", &c.ClassifyQueue, 1024},
	} {
		if *n.v < 0 {
			return icc.Invalid(n.name, "chat: must not be negative")
		}
		if *n.v == 0 {
			*n.v = n.def
		}
	}
	if c.ReadLimit < 0 {
		return icc.Invalid("read_limit", "chat: must not be negative")
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = 16 << 10
	}
	if c.ReadLimit < 1024 {
		return icc.Invalid("read_limit", "chat: must be at least 1024 bytes")
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		return icc.Invalid("rate_limit", "chat: must not be negative")
	}
	if c.RateLimit == 0 {
		c.RateLimit = 20
	}
	if c.RateBurst == 0 {
		c.RateBurst = max(1, int(2*c.RateLimit))
	}
	for _, p := range c.OriginPatterns {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return icc.Invalid("origin_patterns", "chat: bad origin pattern %q", p)
		}
	}
	if c.EventTopics == nil {
		c.EventTopics = []string{TopicChat, icc.TopicTickets, icc.TopicAlerts, icc.TopicIntegrations}
	}
	for _, t := range c.EventTopics {
		if t == "" || icc.TopicMatches(t, "conversation.x") || t == icc.TopicAgents {
			return icc.Invalid("event_topics", "chat: topic %q is empty or reserved", t)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.BotReply == nil {
		c.BotReply = DefaultBotReply
	}
	if c.Instance == "" {
		c.Instance = icc.NewID()
	}
	if c.Clock == nil {
		c.Clock = icc.SystemClock{}
	}
	return nil
}

// Hub is a live-chat server: it accepts WebSocket connections, stores
// messages through a single group-committing writer, fans them out to every
// participant (through the Bus to other hubs), and keeps presence, typing
// and read marks. Create it with NewHub and stop it with Shutdown or Close.
type Hub struct {
	cfg   Config
	store icc.ConversationStore
	log   *slog.Logger

	ctx    context.Context // ends every connection and background goroutine
	cancel context.CancelFunc
	wg     sync.WaitGroup // bus loop and room fetchers

	intakeMu     sync.RWMutex // guards intakeClosed and sends on commitQ
	intakeClosed bool
	commitQ      chan *commitItem
	committed    chan struct{} // closed when the committer has drained

	// lateMu serialises the assistant's messages stored after the
	// committer has drained during Shutdown (see commitLate); lateClosed
	// refuses them once the assistant has finished.
	lateMu     sync.Mutex
	lateClosed bool

	assistQ    chan icc.Message
	assistCtx  context.Context // h.ctx, marked as the assistant's (see assisting)
	assistWG   sync.WaitGroup
	dropped    atomic.Int64 // customer messages not classified: queue full
	droppedLog atomic.Int64 // when that was last logged, in Unix ns
	unassisted unassisted   // customer messages left unassisted by Shutdown or Close

	mu        sync.Mutex
	closing   bool
	conns     map[*conn]struct{}
	rooms     map[string]*room
	convs     map[string]*convInfo
	escalated map[string]bool // conversations handed to a human
	offlined  map[string]bool // conversations told that no agent is online
	connWG    sync.WaitGroup

	presence presence

	shutdownOnce sync.Once
	shutdownDone chan struct{}
	shutdownErr  error
}

// NewHub checks cfg, fills its defaults and starts the hub's committer, its
// classification workers and, with a Bus, its bus listener.
func NewHub(cfg Config) (*Hub, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	h := &Hub{
		cfg:          cfg,
		store:        cfg.Store,
		log:          cfg.Logger.With("hub", cfg.Instance),
		commitQ:      make(chan *commitItem, cfg.CommitQueue),
		committed:    make(chan struct{}),
		assistQ:      make(chan icc.Message, cfg.ClassifyQueue),
		conns:        map[*conn]struct{}{},
		rooms:        map[string]*room{},
		convs:        map[string]*convInfo{},
		escalated:    map[string]bool{},
		offlined:     map[string]bool{},
		shutdownDone: make(chan struct{}),
	}
	h.presence.init()
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.assistCtx = context.WithValue(h.ctx, assistKey{}, h)
	if cfg.Bus != nil {
		topics := append([]string{icc.ConversationTopic("*"), icc.TopicAgents}, cfg.EventTopics...)
		sub, err := cfg.Bus.Subscribe(h.ctx, topics...)
		if err != nil {
			h.cancel()
			return nil, fmt.Errorf("chat: subscribing to the bus: %w", err)
		}
		h.wg.Add(1)
		go h.busLoop(sub)
	}
	go h.commitLoop()
	for range cfg.ClassifyWorkers {
		h.assistWG.Add(1)
		go h.assistLoop()
	}
	return h, nil
}

// Instance returns the hub's id on the bus.
func (h *Hub) Instance() string { return h.cfg.Instance }

// track counts a connection in, unless the hub is shutting down.
func (h *Hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.connWG.Add(1)
	return true
}

// register adds c to the hub and an agent's presence, sets c's ready
// frame and queues the presence of the agents online for c. c's writer
// starts after register has returned and writes the ready frame before
// anything else, so ready is c's first frame and every event published
// after the client has it reaches c.
func (h *Hub) register(c *conn) bool {
	h.presence.mu.Lock()
	defer h.presence.mu.Unlock()
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return false
	}
	c.ready = encode(readyFrame{Type: TypeReady, Role: c.p.Role, ServerTime: h.cfg.Clock.Now().UTC()})
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.presence.snapshotLocked(c)
	if c.p.Role == RoleAgent {
		h.setPresenceLocked(c, icc.AvailabilityOnline)
	}
	return true
}

// unregister removes c from the hub, its rooms and presence.
func (h *Hub) unregister(c *conn) {
	h.presence.mu.Lock()
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	if c.p.Role == RoleAgent {
		h.setPresenceLocked(c, icc.AvailabilityOffline)
	}
	h.presence.mu.Unlock()
	for _, id := range c.roomIDs() {
		h.leave(id, c)
	}
}

// errShuttingDown is returned for work refused during Shutdown.
var errShuttingDown = icc.Unavailable(nil, "chat: the hub is shutting down")

// Shutdown stops accepting connections and messages, waits until every
// message already received is stored and acknowledged, then lets the
// assistant finish its work on the customer messages among them
// (classification, escalation, notices, the offline notice and the
// conversion to a ticket, the bot's reply: see Config), storing and
// delivering the messages that work posts, and only then closes every
// connection with websocket.StatusGoingAway (1001) after its queued frames
// and stops the hub's goroutines. Nothing new is accepted meanwhile: no
// connection, no message from a client or from Send, except the
// assistant's own. So a customer message that was acknowledged is assisted
// before Shutdown returns nil, unless the classification queue was full
// when it was stored (see Config.ClassifyQueue). When ctx ends first, the
// assistant's work is cancelled, the customer messages it did not finish
// are logged (a warning with their count and conversations), the
// remaining connections are dropped and ctx's error returned. Shutdown
// does not close the store or the bus.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.shutdownOnce.Do(func() {
		h.shutdownErr = h.shutdown(ctx)
		close(h.shutdownDone)
	})
	select {
	case <-h.shutdownDone:
		return h.shutdownErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the hub at once: queued messages that are not yet stored are
// refused, the assistant's queued work is dropped (and logged), and
// connections are dropped without a close handshake. After a Shutdown
// whose context ended first, Close returns nil: the hub is stopped, and
// Shutdown returned that error.
func (h *Hub) Close() error {
	h.cancel()
	err := h.Shutdown(context.Background())
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// shutdown runs Shutdown's stages in order: refuse new work and drain the
// committer, so that every stored customer message is queued for the
// assistant; let the assistant finish that queue; close the connections;
// stop the rest. ctx ending cancels every later stage at once (h.cancel).
func (h *Hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()

	h.intakeMu.Lock()
	h.intakeClosed = true
	close(h.commitQ)
	h.intakeMu.Unlock()

	var err error
	stop := func() { // ctx ended: give up waiting
		if err == nil {
			err = ctx.Err()
		}
		h.cancel()
	}
	select {
	case <-h.committed:
	case <-ctx.Done():
		stop()
		<-h.committed
	}
	// The committer has queued the assistant's work for every customer
	// message it stored, and it sends on assistQ no more; commitLate
	// refuses customer messages, so nothing else does.
	close(h.assistQ)
	assisted := make(chan struct{})
	go func() { // ends when the last worker has; workers stop soon after h.cancel
		h.assistWG.Wait()
		close(assisted)
	}()
	select {
	case <-assisted:
	case <-ctx.Done():
		stop()
		<-assisted
	}
	h.lateMu.Lock()
	h.lateClosed = true
	h.lateMu.Unlock()
	if n, convs := h.unassisted.report(); n > 0 {
		h.log.Warn("chat: shutdown: customer messages left unassisted (not classified, triaged or answered; no offline notice or ticket)",
			"messages", n, "conversations", convs)
	}

	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.StatusGoingAway, "server shutting down", true)
	}
	done := make(chan struct{})
	go func() { // ends when the last connection has
		h.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		stop()
		<-done
	}
	h.cancel()
	h.wg.Wait()
	if err != nil {
		return fmt.Errorf("chat: shutdown: %w", err)
	}
	return nil
}

// Send stores a message through the hub's committer, like a message frame,
// and delivers it to the conversation's participants. It returns once the
// message is stored; a message whose client id was already used in the
// conversation is returned as stored before, with Duplicate set.
func (h *Hub) Send(ctx context.Context, m icc.NewMessage) (icc.Appended, error) {
	if err := m.Validate(); err != nil {
		return icc.Appended{}, err
	}
	it := &commitItem{msg: m, done: make(chan commitResult, 1)}
	if err := h.submit(ctx, it); err != nil {
		if err != errShuttingDown || !h.assisting(ctx) || m.SenderType == icc.SenderCustomer {
			return icc.Appended{}, err
		}
		// Shutdown has begun: the assistant finishes its work on
		// messages already stored, which may post messages of its own.
		if err := h.commitLate(ctx, it); err != nil {
			return icc.Appended{}, err
		}
	}
	select {
	case r := <-it.done:
		return r.a, r.err
	case <-ctx.Done():
		return icc.Appended{}, fmt.Errorf("chat: send: %w", ctx.Err())
	}
}

// assistKey marks the assistant's context (Hub.assistCtx), whose value is
// the hub.
type assistKey struct{}

// assisting reports whether ctx is, or derives from, the context of h's
// assistant, which hands it to every call it makes (ConvertToTicket,
// Config.Notices, Config.OnEscalate…).
func (h *Hub) assisting(ctx context.Context) bool {
	owner, _ := ctx.Value(assistKey{}).(*Hub)
	return owner == h
}

// commitLate stores and delivers a message the assistant posts while
// Shutdown lets it finish: once the committer has drained, one message at
// a time, as the committer would (acks, delivery, the bus event,
// OnMessage). It fails once the assistant has finished.
func (h *Hub) commitLate(ctx context.Context, it *commitItem) error {
	select {
	case <-h.committed:
	case <-ctx.Done():
		return fmt.Errorf("chat: send: %w", ctx.Err())
	}
	h.lateMu.Lock()
	defer h.lateMu.Unlock()
	if h.lateClosed {
		return errShuttingDown
	}
	h.commitBatch([]*commitItem{it})
	return nil
}

// storeCtx bounds one store call.
func (h *Hub) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, h.cfg.StoreTimeout)
}

// broadcast queues b for every connection that keep accepts.
func (h *Hub) broadcast(b []byte, keep func(*conn) bool) {
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		if keep == nil || keep(c) {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.enqueue(b)
	}
}
